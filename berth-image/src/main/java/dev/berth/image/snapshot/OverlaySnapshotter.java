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
  private static final String OPAQUE_XATTR = "trusted.overlay.opaque";

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
    List<Path> chain = visible(chainId);
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
    return List.of(new Mount("overlay", "overlay", List.of("lowerdir=" + join(visible(parent)),
        "upperdir=" + upper, "workdir=" + work)));
  }

  /**
   * The chain's layers, top first, down to the first whose root directory is opaque: overlayfs honours the opaque
   * xattr on a directory it merges below the root, but not on a lower layer's root itself, so the layers such a root
   * hides must be left out of the mount.
   */
  private List<Path> visible(Digest chainId) throws IOException {
    List<Path> chain = chain(chainId);
    for (int i = 0; i < chain.size() - 1; i++) {
      byte[] opaque = Linux.lgetxattr(chain.get(i).toString(), OPAQUE_XATTR);
      if (opaque != null && opaque.length == 1 && opaque[0] == 'y') return chain.subList(0, i + 1);
    }
    return chain;
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
