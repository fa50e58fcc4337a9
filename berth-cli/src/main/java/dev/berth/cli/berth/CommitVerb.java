package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.commit.Commit;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.error.BerthException;
import java.io.IOException;
import java.io.PrintStream;

/**
 * berth commit [-m MSG] [-a AUTHOR] [-c INSTR]... [--pause=false] CONTAINER [REPO[:TAG]]: prints
 * the new image id.
 */
final class CommitVerb {
  private CommitVerb() {}

  static int run(ParsedCommand c, PrintStream out) throws BerthException, IOException {
    // docker pauses by default; --pause=false (or -p=false) turns it off.
    boolean pause = !c.flags().isSet("pause") || c.flags().getBool("pause");
    Commit.Options o =
        new Commit.Options(
            c.args().size() > 1 ? c.arg(1) : null,
            c.flags().getString("author"),
            c.flags().getString("message"),
            c.flags().getList("change"),
            pause);
    ImageRecord image = BerthMain.engine(c).commit(c.arg(0), o);
    out.println(image.config());
    return 0;
  }
}
