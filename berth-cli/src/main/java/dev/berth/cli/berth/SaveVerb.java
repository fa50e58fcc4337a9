package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import dev.berth.image.archive.ArchiveFormat;
import dev.berth.spec.error.ErrorCategory;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * berth save [-o FILE] [--format oci-archive|docker-archive] IMAGE...: to stdout unless it is a
 * terminal.
 */
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
        throw ImageException.invalid(
            "refusing to write an archive to a terminal: use -o FILE or redirect stdout");
      }
      OutputStream o = new BufferedOutputStream(out, 1 << 16);
      images.save(c.args(), format, o);
      o.flush();
      return 0;
    }
    // Write beside the target and rename: a failed save leaves no truncated archive behind. Errors
    // name the file the
    // user gave, never the temporary one.
    Path target = Path.of(output).toAbsolutePath();
    Path dir = target.getParent();
    if (!Files.isDirectory(dir)) {
      throw ImageException.invalid("save to " + output + ": directory " + dir + " does not exist");
    }
    if (Files.isDirectory(target)) {
      throw ImageException.invalid("save to " + output + ": is a directory");
    }
    Path tmp;
    try {
      tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    } catch (IOException e) {
      throw failed(output, e);
    }
    boolean ok = false;
    try {
      try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        images.save(c.args(), format, o);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      ok = true;
    } catch (IOException e) {
      throw failed(output, e);
    } finally {
      if (!ok) Files.deleteIfExists(tmp);
    }
    return 0;
  }

  /**
   * A failure to write the archive, said of the file the user named: Java's own names the temporary
   * file.
   */
  private static ImageException failed(String output, IOException e) {
    String why =
        switch (e) {
          case AccessDeniedException denied -> "permission denied";
          case NoSuchFileException missing -> "no such file or directory";
          case FileSystemException fs when fs.getReason() != null -> fs.getReason();
          default -> e.getMessage();
        };
    return new ImageException(ErrorCategory.INTERNAL, "save to " + output + ": " + why, e);
  }
}
