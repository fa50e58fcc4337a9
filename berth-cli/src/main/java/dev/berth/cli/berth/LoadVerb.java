package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * berth load [-i FILE]: an archive from stdin is spooled to a temp file first (docker-archive needs
 * random access).
 */
final class LoadVerb {
  private LoadVerb() {}

  static int run(ParsedCommand c, InputStream in, PrintStream out)
      throws ImageException, IOException {
    var images = BerthMain.service(c);
    String input = c.flags().getString("input");
    Path tmp = null;
    try {
      Path archive;
      if (input.isEmpty() || input.equals("-")) {
        if (in == System.in && System.console() != null && System.console().isTerminal()) {
          throw ImageException.invalid("no archive on stdin: use -i FILE or redirect stdin");
        }
        tmp = Files.createTempFile("berth-load", ".tar");
        Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        archive = tmp;
      } else {
        archive = Path.of(input);
        if (!Files.isRegularFile(archive))
          throw ImageException.notFound("load: " + input + ": no such file");
      }
      for (String name : images.load(archive)) {
        if (c.flags().getBool("quiet")) continue;
        // docker's two lines: a name as the user would type it, or the id of an image the archive
        // did not name.
        out.println(
            name.startsWith("sha256:")
                ? "Loaded image ID: " + name
                : "Loaded image: " + dev.berth.spec.image.Reference.parse(name).familiar());
      }
      return 0;
    } finally {
      if (tmp != null) Files.deleteIfExists(tmp);
    }
  }
}
