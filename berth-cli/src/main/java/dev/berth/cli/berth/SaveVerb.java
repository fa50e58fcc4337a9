package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import dev.berth.image.archive.ArchiveFormat;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** berth save [-o FILE] [--format oci-archive|docker-archive] IMAGE...: to stdout unless it is a terminal. */
final class SaveVerb {
  private SaveVerb() {}

  static int run(ParsedCommand c, PrintStream out) throws ImageException, IOException {
    ArchiveFormat format;
    try {
      format = ArchiveFormat.of(c.flags().getString("format"));
    } catch (IllegalArgumentException e) {
      throw ImageException.invalid("--format: " + e.getMessage());
    }
    var images = BerthMain.service(c);
    String output = c.flags().getString("output");
    if (output.isEmpty()) {
      if (ProgressPrinter.stdoutIsTerminal()) {
        throw ImageException.invalid("refusing to write an archive to a terminal: use -o FILE or redirect stdout");
      }
      OutputStream o = new BufferedOutputStream(out, 1 << 16);
      images.save(c.args(), format, o);
      o.flush();
      return 0;
    }
    // Write beside the target and rename: a failed save leaves no truncated archive behind.
    Path target = Path.of(output).toAbsolutePath();
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
    boolean ok = false;
    try {
      try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        images.save(c.args(), format, o);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      ok = true;
    } finally {
      if (!ok) Files.deleteIfExists(tmp);
    }
    return 0;
  }
}
