package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import java.io.IOException;
import java.io.PrintStream;

/**
 * berth push IMAGE [DESTINATION]: uploads what the store holds, byte for byte, so digests stay the
 * same.
 */
final class PushVerb {
  private PushVerb() {}

  static int run(ParsedCommand c, PrintStream out, PrintStream err)
      throws ImageException, IOException {
    boolean quiet = c.flags().getBool("quiet");
    ImageService images = BerthMain.service(c);
    String dest = c.args().size() > 1 ? c.arg(1) : images.resolve(c.arg(0)).name();
    if (!quiet)
      out.println("The push refers to repository [" + dest.replaceFirst("[:@][^/]*$", "") + "]");
    ProgressPrinter progress =
        new ProgressPrinter(out, ProgressPrinter.stdoutIsTerminal(), quiet, true);
    images.push(c.arg(0), c.args().size() > 1 ? c.arg(1) : null, progress);
    progress.finish();
    return 0;
  }
}
