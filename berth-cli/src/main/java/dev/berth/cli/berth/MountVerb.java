package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import java.io.IOException;
import java.io.PrintStream;

/** berth image mount IMAGE (prints the directory) and berth image unmount IMAGE, as podman's. */
final class MountVerb {
  private MountVerb() {}

  static int mount(ParsedCommand c, PrintStream out) throws ImageException, IOException {
    out.println(BerthMain.service(c).mount(c.arg(0)));
    return 0;
  }

  static int unmount(ParsedCommand c) throws ImageException, IOException {
    if (!BerthMain.service(c).unmount(c.arg(0)))
      throw ImageException.invalid(c.arg(0) + " is not mounted");
    return 0;
  }
}
