package dev.berth.image.snapshot;

import java.io.IOException;
import java.nio.file.Path;

/** The snapshotter contract on full copies, the fallback where overlayfs does not work. */
class CopySnapshotterTest extends SnapshotterContract {
  @Override
  Snapshotter open(Path root) throws IOException {
    return new CopySnapshotter(root);
  }
}
