package dev.berth.image.snapshot;

import dev.berth.image.unpack.Mode;
import dev.berth.spec.image.Digest;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Snapshots as full trees, for filesystems or kernels without a usable overlayfs: a layer is staged
 * as a copy of its parent's tree and unpacked in {@link Mode#APPLY}; an active snapshot is another
 * copy. Costs the disk space and time of a copy per layer; needs nothing but a POSIX filesystem.
 */
public final class CopySnapshotter extends DirSnapshotter {
  public CopySnapshotter(Path root) throws IOException {
    super(root);
  }

  @Override
  Mode mode(boolean bottom) {
    return Mode.APPLY;
  }

  @Override
  void fillStaging(Path fs, Digest parent) throws IOException {
    if (parent != null) Trees.copy(home(parent).resolve("fs"), fs);
  }

  @Override
  public boolean layersIndependent() {
    return false;
  }

  @Override
  public List<Mount> view(Digest chainId) throws IOException {
    return List.of(
        new Mount("bind", home(chainId).resolve("fs").toString(), List.of("rbind", "ro")));
  }

  @Override
  public List<Mount> prepare(String key, Digest parent) throws IOException {
    Path dir = newActive(key, parent);
    Path fs = dir.resolve("fs");
    try {
      java.nio.file.Files.createDirectory(fs);
      Linux.chmod(fs.toString(), 0755); // an empty tree's "/"; a parent's tree brings its own
      if (parent != null) Trees.copy(home(parent).resolve("fs"), fs);
    } catch (IOException | RuntimeException e) {
      Trees.remove(dir);
      throw e;
    }
    return activeMounts(dir, parent);
  }

  @Override
  List<Mount> activeMounts(Path dir, Digest parent) {
    return List.of(new Mount("bind", dir.resolve("fs").toString(), List.of("rbind", "rw")));
  }
}
