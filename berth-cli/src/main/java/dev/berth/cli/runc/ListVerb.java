package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.flags.UsageException;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.ContainerState;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;

/** {@code list}: a table padded like Go's tabwriter as runc uses it, ids only, or a JSON array. */
final class ListVerb {
  private ListVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c, PrintStream out)
      throws ContainerException, UsageException {
    List<ContainerState> all = rt.list();
    String format = c.flags().getString("format");
    if (c.flags().getBool("quiet")) {
      for (ContainerState s : all) out.println(s.id());
      return 0;
    }
    switch (format) {
      case "table" -> {
        String[][] rows = new String[all.size() + 1][];
        rows[0] = new String[] {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
        for (int i = 0; i < all.size(); i++) {
          ContainerState s = all.get(i);
          rows[i + 1] =
              new String[] {
                s.id(),
                Integer.toString(s.pid()),
                s.status().toString(),
                s.bundle(),
                s.created(),
                owner(rt, s)
              };
        }
        out.print(table(rows, 12, 3));
      }
      case "json" -> {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < all.size(); i++) {
          if (i > 0) sb.append(',');
          sb.append(StateJson.compact(all.get(i), owner(rt, all.get(i))));
        }
        out.println(all.isEmpty() ? "null" : sb.append(']'));
      }
      default -> throw new IllegalArgumentException("invalid format option");
    }
    return 0;
  }

  /** The owner of the container's state directory, by name as runc shows it. */
  private static String owner(ContainerRuntime rt, ContainerState s) {
    try {
      return Files.getOwner(rt.root().resolve(s.id())).getName();
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * Columns padded as Go's tabwriter with the given minimum width and padding (cells are
   * left-aligned).
   */
  static String table(String[][] rows, int minWidth, int padding) {
    int cols = rows[0].length;
    int[] width = new int[cols];
    for (String[] r : rows) {
      for (int i = 0; i < cols - 1; i++)
        width[i] = Math.max(width[i], Math.max(minWidth, r[i].length() + padding));
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < cols; i++) {
        sb.append(r[i]);
        if (i < cols - 1) sb.append(" ".repeat(width[i] - r[i].length()));
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
