package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.image.ImageService;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
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
      var containers = BerthMain.engine(c).containers().list().containers();
      for (String name : c.args()) {
        ImageRecord image;
        try {
          image = images.resolve(name);
        } catch (BerthException e) {
          if (e.category() == ErrorCategory.NOT_FOUND) continue; // remove() reports it, in its turn
          throw e;
        }
        for (ContainerRecord r : containers) {
          if (r.imageId().equals(image.config().toString())) {
            err.println(
                "Error: image used by "
                    + r.id()
                    + ": image is in use by a container: consider listing"
                    + " external containers and force-removing image");
            return IN_USE;
          }
        }
      }
    }
    for (String line : images.remove(c.args(), c.flags().getBool("force"))) out.println(line);
    return 0;
  }
}
