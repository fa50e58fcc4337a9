package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import java.io.PrintStream;

/**
 * {@code state <id>}: the state as runc prints it (its owner field is empty here, as runc's is).
 */
final class StateVerb {
  private StateVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c, PrintStream out) throws ContainerException {
    out.print(StateJson.pretty(rt.state(c.arg(0)), ""));
    return 0;
  }
}
