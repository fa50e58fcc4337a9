package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import java.io.IOException;
import java.io.PrintStream;

/** berth logout REGISTRY. */
final class LogoutVerb {
  private LogoutVerb() {}

  static int run(ParsedCommand c, PrintStream out) throws ImageException, IOException {
    if (!BerthMain.service(c).logout(c.arg(0))) {
      throw ImageException.notFound("not logged in to " + c.arg(0));
    }
    out.println("Removed login credentials for " + c.arg(0));
    return 0;
  }
}
