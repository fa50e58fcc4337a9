package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which snapshotter a store gets: probed once when it is new, then recorded. */
@RequiresRoot
class SnapshottersTest {
  @TempDir Path tmp;

  @Test
  void openProbesOverlay() throws Exception {
    assertTrue(
        Snapshotters.open(tmp.resolve("p")) instanceof OverlaySnapshotter,
        "overlay works on this machine");
    assertTrue(Snapshotters.open(tmp.resolve("q"), true) instanceof CopySnapshotter);
    try (Stream<Path> s = Files.list(tmp.resolve("p"))) {
      assertEquals(
          List.of("active", "chains", "driver", "snapshots", "trash", "unsynced"),
          s.map(p -> p.getFileName().toString()).sorted().toList(),
          "the probe left nothing behind but the recorded choice");
    }
    // The choice sticks: a store made with the copy snapshotter stays one, and cannot be silently
    // switched.
    assertEquals("copy", Files.readString(tmp.resolve("q/driver")).strip());
    assertTrue(Snapshotters.open(tmp.resolve("q")) instanceof CopySnapshotter);
    IOException e =
        assertThrows(IOException.class, () -> Snapshotters.open(tmp.resolve("p"), true));
    assertTrue(e.getMessage().contains("overlay layers"), e.getMessage());
  }
}
