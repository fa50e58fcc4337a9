package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code ps <id> [ps options]}: the host's {@code ps} (default {@code -ef}) filtered to the
 * container's processes, as runc does, or {@code --format json}: the pids as a JSON array.
 */
final class PsVerb {
  private PsVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c, PrintStream out)
      throws ContainerException, IOException {
    List<Integer> pids = rt.pids(c.arg(0));
    String format = c.flags().getString("format");
    if (format.equals("json")) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < pids.size(); i++) sb.append(i > 0 ? "," : "").append(pids.get(i));
      out.println(sb.append(']'));
      return 0;
    }
    if (!format.equals("table")) throw ContainerException.invalid("invalid format option");
    List<String> cmd = new ArrayList<>();
    cmd.add("ps");
    if (c.args().size() > 1) cmd.addAll(c.args().subList(1, c.args().size()));
    else cmd.add("-ef");
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0)
        throw ContainerException.invalid(
            "ps " + String.join(" ", cmd.subList(1, cmd.size())) + " failed");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    String[] lines = text.split("\n");
    if (lines.length == 0) return 0;
    int pidColumn = List.of(lines[0].trim().split("\\s+")).indexOf("PID");
    if (pidColumn < 0) throw ContainerException.invalid("couldn't find PID field in ps output");
    Set<String> wanted = new HashSet<>();
    for (int pid : pids) wanted.add(Integer.toString(pid));
    out.println(lines[0]);
    for (int i = 1; i < lines.length; i++) {
      String[] f = lines[i].trim().split("\\s+");
      if (f.length > pidColumn && wanted.contains(f[pidColumn])) out.println(lines[i]);
    }
    return 0;
  }
}
