package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import java.io.IOException;
import java.io.PrintStream;

/**
 * berth image prune: collects blobs and snapshots that no image reaches, and partial downloads
 * (after an interrupted pull, say).
 */
final class PruneVerb {
  private PruneVerb() {}

  static int run(ParsedCommand c, PrintStream out) throws ImageException, IOException {
    var collected = BerthMain.service(c).prune();
    out.println(
        "Deleted "
            + collected.blobs()
            + " blobs, "
            + collected.snapshots()
            + " snapshots and "
            + collected.ingests()
            + " partial downloads");
    out.println("Total reclaimed space: " + ProgressPrinter.bytes(collected.bytes()));
    return 0;
  }
}
