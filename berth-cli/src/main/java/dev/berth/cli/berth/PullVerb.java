package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.image.Platform;
import dev.berth.spec.image.Platforms;
import dev.berth.spec.image.Reference;
import java.io.IOException;
import java.io.PrintStream;

/** berth pull NAME: docker's progress while pulling, then the image's full name. */
final class PullVerb {
  private PullVerb() {}

  static int run(ParsedCommand c, PrintStream out, PrintStream err) throws ImageException, IOException {
    boolean quiet = c.flags().getBool("quiet");
    String p = c.flags().getString("platform");
    Platform platform;
    try {
      platform = p.isEmpty() ? null : Platforms.parse(p);
    } catch (IllegalArgumentException e) {
      throw ImageException.invalid("--platform: " + e.getMessage());
    }
    Reference ref;
    try {
      ref = Reference.parse(c.arg(0));
    } catch (IllegalArgumentException e) {
      throw ImageException.invalid(e.getMessage());
    }
    ImageService images = BerthMain.service(c);
    ProgressPrinter progress = new ProgressPrinter(out, ProgressPrinter.stdoutIsTerminal(), quiet);
    Reference full = ref.withDefaultTag();
    if (!quiet) {
      if (ref.tag().isEmpty() && ref.digest() == null) out.println("Using default tag: latest");
      out.println((full.digest() != null ? full.digest().toString() : full.tag()) + ": Pulling from " + repoName(full));
    }
    ImageRecord record = images.pull(c.arg(0), platform, progress);
    progress.finish();
    if (!quiet) out.println("Status: Downloaded image for " + full.familiar());
    out.println(record.name());
    return 0;
  }

  /** docker's "library/busybox" for Docker Hub, the path elsewhere. */
  static String repoName(Reference r) {
    return r.path();
  }
}
