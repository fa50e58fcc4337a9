package dev.berth.image.snapshot;

import dev.berth.image.unpack.Mode;
import dev.berth.spec.image.Digest;
import java.nio.file.Path;

/**
 * A layer being unpacked: unpack into {@link #dir()} in {@link #mode()}, then {@link Snapshotter#commit} or
 * {@link Snapshotter#abort}. Not visible to {@link Snapshotter#has} or {@link Snapshotter#view} until committed.
 */
public final class Staging {
  private final Digest chainId;
  private final Digest parent;
  private final Path home;
  private final Mode mode;

  Staging(Digest chainId, Digest parent, Path home, Mode mode) {
    this.chainId = chainId;
    this.parent = parent;
    this.home = home;
    this.mode = mode;
  }

  public Digest chainId() {
    return chainId;
  }

  /** The parent chain id, or null for a bottom layer. */
  public Digest parent() {
    return parent;
  }

  /** The directory to unpack into. */
  public Path dir() {
    return home.resolve("fs");
  }

  public Mode mode() {
    return mode;
  }

  /** The snapshot's own directory (holds fs/ and the parent file). */
  Path home() {
    return home;
  }
}
