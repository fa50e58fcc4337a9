package dev.berth.engine;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code docker top}: the host's {@code ps} with the caller's options (default {@code -ef}), its
 * lines kept for the container's pids, as docker's daemon does it. The pids are the runtime's
 * (every process of the container's cgroups, exec'd ones too).
 */
final class ContainerTop {
  private ContainerTop() {}

  /** docker's default options of ps. */
  static final List<String> DEFAULT_ARGS = List.of("-ef");

  static ProcessTable run(List<String> psArgs, Set<Integer> pids) throws BerthException {
    List<String> cmd = new ArrayList<>();
    cmd.add("ps");
    cmd.addAll(psArgs.isEmpty() ? DEFAULT_ARGS : psArgs);
    String out;
    try {
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      byte[] bytes = p.getInputStream().readAllBytes();
      int status = p.waitFor();
      out = new String(bytes, StandardCharsets.UTF_8);
      if (status != 0) {
        throw new EngineException(
            ErrorCategory.INVALID_ARGUMENT, "ps: exit status " + status + ": " + out.strip());
      }
    } catch (IOException e) {
      throw EngineException.internal("ps: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException(ErrorCategory.CANCELLED, "ps: interrupted");
    }
    return parse(out, pids);
  }

  /** The lines of {@code psOutput} whose PID column is one of {@code pids}. */
  static ProcessTable parse(String psOutput, Set<Integer> pids) throws BerthException {
    String[] lines = psOutput.split("\n");
    List<String> titles = fields(lines[0]);
    int pidIndex = titles.indexOf("PID");
    if (pidIndex < 0) throw EngineException.invalid("Couldn't find PID field in ps output");
    List<List<String>> rows = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].isEmpty()) continue;
      List<String> f = fields(lines[i]);
      if (f.size() <= pidIndex) continue;
      int pid;
      try {
        pid = Integer.parseInt(f.get(pidIndex));
      } catch (NumberFormatException e) {
        throw EngineException.invalid("Unexpected pid '" + f.get(pidIndex) + "': not a number");
      }
      if (!pids.contains(pid)) continue;
      // The last column takes the rest of the line: a command's arguments hold spaces.
      int last = titles.size() - 1;
      List<String> row = new ArrayList<>(f.subList(0, Math.min(last, f.size())));
      if (f.size() > last) row.add(String.join(" ", f.subList(last, f.size())));
      rows.add(row);
    }
    return new ProcessTable(titles, rows);
  }

  private static List<String> fields(String line) {
    List<String> out = new ArrayList<>();
    for (String f : line.trim().split("\\s+")) {
      if (!f.isEmpty()) out.add(f);
    }
    return out;
  }
}
