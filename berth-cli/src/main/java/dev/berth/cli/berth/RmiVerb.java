package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import java.io.IOException;
import java.io.PrintStream;

/** berth rmi IMAGE...: docker's "Untagged:" and "Deleted:" lines; unused blobs and snapshots go with the image. */
final class RmiVerb {
  private RmiVerb() {}

  static int run(ParsedCommand c, PrintStream out) throws ImageException, IOException {
    for (String line : BerthMain.service(c).remove(c.args(), c.flags().getBool("force"))) out.println(line);
    return 0;
  }
}
