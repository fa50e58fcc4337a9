package dev.berth.image.unpack;

/** How a layer's whiteouts are written. */
public enum Mode {
  /**
   * Into an empty directory that will be one overlayfs layer: a whiteout becomes a 0:0 character
   * device, an opaque marker becomes the xattr {@code trusted.overlay.opaque=y} on its directory.
   */
  OVERLAY,
  /**
   * Onto a directory that already holds the parent's whole tree (the copy snapshotter): a whiteout
   * deletes the path, an opaque marker deletes what the directory held before this layer.
   */
  APPLY,
  /**
   * Onto any directory, as tar extracts files (docker cp): names starting with {@code .wh.} are
   * ordinary files, and an entry never replaces a directory with a non-directory or a non-directory
   * with a directory (docker's "cannot overwrite" errors): a copy must not delete a tree it was not
   * asked to.
   */
  PLAIN
}
