package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.format.Columns;
import dev.berth.engine.ProcessTable;
import dev.berth.spec.error.BerthException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code berth top CONTAINER [ps OPTIONS]}: the host's {@code ps} (default {@code -ef}) narrowed to
 * the container's processes, aligned as docker's (cells at least 20 wide, 3 spaces apart).
 */
final class TopVerb {
  private TopVerb() {}

  static int run(ParsedCommand c, PrintStream out) throws BerthException, IOException {
    ProcessTable t = BerthMain.engine(c).top(c.arg(0), c.args().subList(1, c.args().size()));
    List<String> lines = new ArrayList<>();
    lines.add(String.join("\t", t.titles()));
    for (List<String> p : t.processes()) lines.add(String.join("\t", p));
    out.print(Columns.align(lines, 20));
    return 0;
  }
}
