package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineException;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.spec.error.BerthException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * berth container prune [-f] [--filter label=K[=V]|label!=K[=V]|until=TIME]: removes every stopped
 * container.
 */
final class ContainerPruneVerb {
  private ContainerPruneVerb() {}

  static int run(ParsedCommand c, InputStream in, PrintStream out)
      throws BerthException, IOException {
    Predicate<ContainerRecord> filter = filter(c.flags().getList("filter"));
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

  /** The prune filters docker takes: label, label! and until. */
  static Predicate<ContainerRecord> filter(List<String> filters) throws EngineException {
    List<Predicate<ContainerRecord>> all = new ArrayList<>();
    for (String f : filters) {
      int eq = f.indexOf('=');
      if (eq <= 0)
        throw EngineException.invalid("bad format of filter (expected name=value): " + f);
      String key = f.substring(0, eq);
      String value = f.substring(eq + 1);
      switch (key) {
        case "label" -> all.add(r -> labelMatches(r.options().labels(), value));
        case "label!" -> all.add(r -> !labelMatches(r.options().labels(), value));
        case "until" -> {
          Instant until = ContainerVerbs.time(value);
          all.add(r -> r.created().isBefore(until));
        }
        default -> throw EngineException.invalid("invalid filter '" + key + "'");
      }
    }
    return r -> all.stream().allMatch(p -> p.test(r));
  }

  /** {@code K} or {@code K=V} against labels. */
  static boolean labelMatches(Map<String, String> labels, String filter) {
    int eq = filter.indexOf('=');
    String k = eq < 0 ? filter : filter.substring(0, eq);
    String v = labels.get(k);
    return v != null && (eq < 0 || v.equals(filter.substring(eq + 1)));
  }
}
