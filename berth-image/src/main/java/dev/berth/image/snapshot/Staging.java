package dev.berth.image.snapshot;

import dev.berth.image.unpack.Mode;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import java.nio.file.Path;
import java.util.List;

/**
 * A layer being unpacked: unpack into {@link #dir()} in {@link #mode()}, then {@link
 * Snapshotter#commit} or {@link Snapshotter#abort}. Not visible to {@link Snapshotter#has} or
 * {@link Snapshotter#view} until committed.
 */
public final class Staging {
  private final Path home;
  private final boolean bottom;
  private final Mode mode;
  private Digest chainId;
  private Digest parent;
  private List<String> madeDirs = List.of();
  private Digest blob;
  private Compression compression;

  Staging(Path home, boolean bottom, Mode mode) {
    this.home = home;
    this.bottom = bottom;
    this.mode = mode;
  }

  /** The chain id the staging makes, or null while it is unnamed ({@link Snapshotter#name}). */
  public Digest chainId() {
    return chainId;
  }

  /** Whether it is the layer at the bottom of its image (it has no parent). */
  boolean bottom() {
    return bottom;
  }

  void named(Digest chainId, Digest parent) {
    this.chainId = chainId;
    this.parent = parent;
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

  /**
   * Tells the snapshotter which directories of the unpacked tree the unpacker made for entries
   * whose parent the layer does not list ({@code UnpackResult.madeDirs}). An overlay layer's
   * directory hides the owner and mode of the same directory below it, so on commit each takes
   * those of the lower layers' (as containerd's overlay applier does): else a layer adding
   * "root/.profile" alone would turn a 0700 /root into 0755, or a 1777 /tmp into 0755.
   */
  public void madeDirs(List<String> paths) {
    this.madeDirs = List.copyOf(paths);
  }

  /**
   * Names the layer blob this tree was unpacked from, which the content store holds synced: the
   * commit then marks the snapshot instead of syncing its file system (see {@link
   * Snapshotter#commit}), and a power cut before a later sync is repaired by unpacking the blob
   * again. A staging without a source is synced at its commit.
   */
  public void source(Digest blob, Compression compression) {
    this.blob = blob;
    this.compression = compression;
  }

  Digest blob() {
    return blob;
  }

  Compression compression() {
    return compression;
  }

  List<String> madeDirs() {
    return madeDirs;
  }

  /** The snapshot's own directory (holds fs/ and the parent file). */
  Path home() {
    return home;
  }
}
