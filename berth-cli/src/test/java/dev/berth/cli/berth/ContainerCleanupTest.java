package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code berth container cleanup}, the command a container's monitor runs at its exit. */
class ContainerCleanupTest {
  @TempDir Path tmp;

  @Test
  void aStoreThatIsGoneIsLeftGone() {
    Path root = tmp.resolve("gone/root");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        BerthMain.run(
            new String[] {
              "--root",
              root.toString(),
              "--runroot",
              tmp.resolve("gone/run").toString(),
              "container",
              "cleanup",
              "0123456789ab"
            },
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err));
    assertEquals(0, code, err.toString());
    assertFalse(Files.exists(tmp.resolve("gone")), "cleanup made a store where there was none");
  }
}
