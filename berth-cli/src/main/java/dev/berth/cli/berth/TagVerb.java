package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import java.io.IOException;

/** berth tag SOURCE TARGET. */
final class TagVerb {
  private TagVerb() {}

  static int run(ParsedCommand c) throws ImageException, IOException {
    BerthMain.service(c).tag(c.arg(0), c.arg(1));
    return 0;
  }
}
