package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.Progress.Phase;
import dev.berth.spec.image.Digest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docker's progress output: redrawn bars on a terminal, one line per phase change otherwise,
 * nothing when quiet.
 */
class ProgressPrinterTest {
  private static final Digest A = Digest.sha256Of("a".getBytes());
  private static final Digest B = Digest.sha256Of("b".getBytes());

  private static String drive(boolean terminal, boolean quiet) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressPrinter p =
        new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, quiet);
    p.blob(A, Phase.WAITING, 0, 40_000_000);
    p.blob(B, Phase.EXISTS, 1000, 1000);
    p.blob(A, Phase.DOWNLOADING, 1_000_000, 40_000_000);
    p.blob(A, Phase.DOWNLOADING, 20_000_000, 40_000_000);
    p.blob(A, Phase.DONE, 40_000_000, 40_000_000);
    p.message("Digest: sha256:x");
    p.finish();
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void plainLinesOncePerPhase() {
    String a = A.encoded().substring(0, 12);
    String b = B.encoded().substring(0, 12);
    assertEquals(
        List.of(
            a + ": Waiting",
            b + ": Already exists",
            a + ": Downloading",
            a + ": Pull complete",
            "Digest: sha256:x"),
        drive(false, false).lines().toList());
  }

  @Test
  void aTerminalGetsBarsSizesAndRedrawsInPlace() {
    String out = drive(true, false);
    assertTrue(out.contains("\033[2A"), "moves the cursor up over its two rows to redraw them");
    assertTrue(out.contains(": Downloading [") && out.contains("] 1MB/40MB"), out);
    assertTrue(out.contains(A.encoded().substring(0, 12) + ": Pull complete"), out);
    assertTrue(out.contains("Digest: sha256:x\n"), out);
  }

  @Test
  void quietPrintsNothing() {
    assertEquals("", drive(false, true));
    assertEquals("", drive(true, true));
  }

  @Test
  void sizesAreDockersDecimalUnits() {
    assertEquals("999B", ProgressPrinter.bytes(999));
    assertEquals("1kB", ProgressPrinter.bytes(1000)); // Go's %.3g, as docker images prints
    assertEquals("40MB", ProgressPrinter.bytes(40_000_000));
    assertEquals("215MB", ProgressPrinter.bytes(215_400_000));
    assertEquals("1.05GB", ProgressPrinter.bytes(1_048_576_000));
  }
}
