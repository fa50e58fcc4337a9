package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.sys.Signals;

/** {@code kill <id> [signal]}: by name (KILL, SIGKILL) or number; SIGTERM by default; {@code --all} for every process. */
final class KillVerb {
  private KillVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    String id = c.arg(0);
    rt.state(id); // a missing container is reported before a bad signal, as runc does
    String name = c.args().size() > 1 ? c.arg(1) : "SIGTERM";
    int sig;
    try {
      sig = Signals.parse(name);
    } catch (IllegalArgumentException e) {
      throw ContainerException.invalid(e.getMessage());
    }
    rt.kill(id, sig, c.flags().getBool("all"));
    return 0;
  }
}
