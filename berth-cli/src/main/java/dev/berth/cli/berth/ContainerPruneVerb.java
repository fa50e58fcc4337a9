package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.ContainerFilters;
import dev.berth.engine.Engine;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.spec.error.BerthException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;

/**
 * berth container prune [-f] [--filter label=K[=V]|label!=K[=V]|until=TIME]: removes every stopped
 * container.
 */
final class ContainerPruneVerb {
  private ContainerPruneVerb() {}

  static int run(ParsedCommand c, InputStream in, PrintStream out)
      throws BerthException, IOException {
    Predicate<ContainerRecord> filter =
        ContainerFilters.parse(c.flags().getList("filter"), ContainerFilters.PRUNE);
    if (!c.flags().getBool("force")
        && !confirm("WARNING! This will remove all stopped containers.", in, out)) {
      return 0;
    }
    Engine.Pruned pruned = BerthMain.engine(c).prune(filter);
    if (!pruned.ids().isEmpty()) {
      StringBuilder b = new StringBuilder("Deleted Containers:\n");
      for (String id : pruned.ids()) b.append(id).append('\n');
      out.println(b);
    }
    out.println("Total reclaimed space: " + ProgressPrinter.bytes(pruned.reclaimedBytes()));
    return 0;
  }

  /** docker's prompt: true only for an answer of y or yes. */
  static boolean confirm(String warning, InputStream in, PrintStream out) throws IOException {
    out.print(warning + "\nAre you sure you want to continue? [y/N] ");
    out.flush();
    String answer =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
    answer = answer == null ? "" : answer.strip().toLowerCase(java.util.Locale.ROOT);
    return answer.equals("y") || answer.equals("yes");
  }
}
