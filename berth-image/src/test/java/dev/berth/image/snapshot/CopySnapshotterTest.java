package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The snapshotter contract on full copies, the fallback where overlayfs does not work. */
class CopySnapshotterTest extends SnapshotterContract {
  @Override
  Snapshotter open(Path root) throws IOException {
    return new CopySnapshotter(root);
  }

  /** A copy starts from its parent's tree: it cannot be staged before its chain is known. */
  @Test
  void aLayerIsNotStagedBeforeItsChainIsKnown() throws Exception {
    assertThrows(IllegalStateException.class, () -> s.stageUnnamed(false));
    assertThrows(IllegalStateException.class, () -> s.stageUnnamed(true));
    try (var staged = java.nio.file.Files.list(root.resolve("snapshots"))) {
      org.junit.jupiter.api.Assertions.assertEquals(0, staged.count(), "a refused staging left");
    }
  }
}
