package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import dev.berth.image.store.ImageRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** berth import FILE|- [REPOSITORY[:TAG]]: prints the new image's id, as docker does. */
final class ImportVerb {
  private ImportVerb() {}

  static int run(ParsedCommand c, InputStream in, PrintStream out)
      throws ImageException, IOException {
    var images = BerthMain.service(c);
    String file = c.arg(0);
    Path tmp = null;
    try {
      Path tarball;
      if (file.equals("-")) {
        tmp = Files.createTempFile("berth-import", ".tar");
        Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        tarball = tmp;
      } else {
        tarball = Path.of(file);
        if (!Files.isRegularFile(tarball))
          throw ImageException.notFound("import: " + file + ": no such file");
      }
      ImageRecord record =
          images.importRootfs(
              tarball, c.args().size() > 1 ? c.arg(1) : null, c.flags().getString("message"));
      out.println(record.config());
      return 0;
    } finally {
      if (tmp != null) Files.deleteIfExists(tmp);
    }
  }
}
