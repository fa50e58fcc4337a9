package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineException;
import dev.berth.spec.error.BerthException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * berth export [-o FILE] CONTAINER: the container's filesystem as a tar, to stdout unless it is a
 * terminal.
 */
final class ExportVerb {
  private ExportVerb() {}

  static int run(ParsedCommand c, PrintStream out) throws BerthException, IOException {
    String output = c.flags().getString("output");
    if (output.isEmpty() && ProgressPrinter.stdoutIsTerminal()) {
      throw EngineException.invalid(
          "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    Engine engine = BerthMain.engine(c);
    if (output.isEmpty()) {
      OutputStream o = new BufferedOutputStream(out, 1 << 16);
      engine.export(c.arg(0), o);
      o.flush();
      return 0;
    }
    // Beside the target, then renamed: a failed export leaves no truncated archive.
    Path target = Path.of(output).toAbsolutePath();
    if (!Files.isDirectory(target.getParent())) {
      throw EngineException.invalid(
          "failed to export container: open " + output + ": no such file or directory");
    }
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
    boolean ok = false;
    try {
      try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        engine.export(c.arg(0), o);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      ok = true;
    } finally {
      if (!ok) Files.deleteIfExists(tmp);
    }
    return 0;
  }
}
