package dev.berth.image;

/**
 * {@link UnsyncedSnapshotsTest} with the copy snapshotter: a layer's tree starts as a copy of its
 * parent's, so a repair rebuilds parents before their children.
 */
class UnsyncedCopySnapshotsTest extends UnsyncedSnapshotsTest {
  @Override
  boolean copySnapshots() {
    return true;
  }
}
