package dev.berth.image.snapshot;

import dev.berth.image.dirs.PrivateDirs;
import dev.berth.image.unpack.Mode;
import dev.berth.spec.image.Digest;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Snapshots as overlayfs layers: each committed layer holds only its own diff, unpacked in {@link Mode#OVERLAY}
 * (whiteouts as 0:0 devices, opaque dirs as trusted.overlay.opaque); a view stacks the chain as lowerdirs.
 */
public final class OverlaySnapshotter extends DirSnapshotter {
  public OverlaySnapshotter(Path root) throws IOException {
    super(root);
  }

  @Override
  Mode mode() {
    return Mode.OVERLAY;
  }

  @Override
  void fillStaging(Path fs, Digest parent) {
    // an overlay layer starts empty
  }

  @Override
  public boolean layersIndependent() {
    return true;
  }

  @Override
  public List<Mount> view(Digest chainId) throws IOException {
    List<Path> chain = chain(chainId);
    if (chain.size() == 1) return List.of(new Mount("bind", chain.get(0).toString(), List.of("rbind", "ro")));
    return List.of(new Mount("overlay", "overlay", List.of("ro", "lowerdir=" + join(chain))));
  }

  @Override
  public List<Mount> prepare(String key, Digest parent) throws IOException {
    Path dir = newActive(key, parent);
    Path upper = Files.createDirectory(dir.resolve("fs"));
    Linux.chmod(upper.toString(), 0755); // the container's "/", not a store directory: as a tree's root, not the umask
    Path work = dir.resolve("work");
    PrivateDirs.create(work);
    if (parent == null) return List.of(new Mount("bind", upper.toString(), List.of("rbind", "rw")));
    return List.of(new Mount("overlay", "overlay", List.of("lowerdir=" + join(chain(parent)),
        "upperdir=" + upper, "workdir=" + work)));
  }

  private static String join(List<Path> dirs) {
    StringBuilder b = new StringBuilder();
    for (Path p : dirs) {
      if (b.length() > 0) b.append(':');
      b.append(p);
    }
    return b.toString();
  }
}
