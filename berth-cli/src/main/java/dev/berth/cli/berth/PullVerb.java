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

  static int run(ParsedCommand c, PrintStream out, PrintStream err)
      throws ImageException, IOException {
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
      out.println(
          (full.digest() != null ? full.digest().toString() : full.tag())
              + ": Pulling from "
              + full.path());
    }
    ImageRecord before = existing(images, full.toString());
    ImageRecord record = images.pull(c.arg(0), platform, progress);
    progress.finish();
    if (!quiet) {
      // docker's two endings: scripts and users read "up to date" as "nothing changed".
      boolean same =
          before != null
              && before.target().digest().equals(record.target().digest())
              && before.config().equals(record.config());
      out.println(
          (same ? "Status: Image is up to date for " : "Status: Downloaded newer image for ")
              + full.familiar());
    }
    out.println(record.name());
    return 0;
  }

  /** What the name pointed at before the pull, or null. */
  private static ImageRecord existing(ImageService images, String name) {
    try {
      return images.images().get(name).orElse(null);
    } catch (IOException e) {
      return null; // only decides the wording of the status line
    }
  }
}
