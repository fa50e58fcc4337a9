package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageService;
import dev.berth.spec.error.BerthException;
import java.io.IOException;
import java.io.PrintStream;

/**
 * berth rmi IMAGE...: docker's "Untagged:" and "Deleted:" lines; unused blobs and snapshots go with
 * the image. An image a container was made from is refused without --force, as podman refuses it
 * (exit 2); with --force it goes, and its containers keep working: each keeps its image's config,
 * and its snapshot keeps the layers.
 */
final class RmiVerb {
  /** podman's status for an image in use by a container. */
  static final int IN_USE = 2;

  private RmiVerb() {}

  static int run(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    ImageService images = BerthMain.service(c);
    if (!c.flags().getBool("force")) {
      for (String name : c.args()) {
        var user = BerthMain.engine(c).imageUser(name);
        if (user.isPresent()) {
          err.println(
              "Error: image used by "
                  + user.get().id()
                  + ": image is in use by a container: consider listing"
                  + " external containers and force-removing image");
          return IN_USE;
        }
      }
    }
    for (String line : images.remove(c.args(), c.flags().getBool("force"))) out.println(line);
    return 0;
  }
}
