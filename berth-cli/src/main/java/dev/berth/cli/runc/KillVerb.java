package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.sys.Signals;

/**
 * {@code kill <id> [signal]}: by name (KILL, SIGKILL) or number; SIGTERM by default; {@code --all}
 * for every process.
 */
final class KillVerb {
  private KillVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    String id = c.arg(0);
    rt.state(id); // a missing container is reported before a bad signal, as runc does
    rt.kill(id, signal(c.args().size() > 1 ? c.arg(1) : ""), c.flags().getBool("all"));
    return 0;
  }

  /**
   * The signal as runc reads it: empty is SIGTERM; a decimal number ("0", "+9", "010") is taken as
   * it is, so 0 is the liveness probe kill(2) knows (nothing sent, the container checked); else a
   * name, with or without "SIG".
   */
  static int signal(String s) throws ContainerException {
    if (s.isEmpty()) return Signals.parse("SIGTERM");
    int from = s.charAt(0) == '+' ? 1 : 0;
    long n = from < s.length() ? 0 : -1;
    for (int i = from; i < s.length() && n >= 0; i++) {
      char ch = s.charAt(i);
      n = ch < '0' || ch > '9' ? -1 : Math.min(n * 10 + (ch - '0'), Integer.MAX_VALUE);
    }
    if (n >= 0) {
      // Past the last signal: refused, as kill(2) refuses it under runc (exit status 1 both).
      if (n > Signals.MAX)
        throw ContainerException.invalid("invalid signal number " + s + ": 0 to " + Signals.MAX);
      return (int) n;
    }
    try {
      return Signals.parse(s);
    } catch (IllegalArgumentException e) {
      // runc's words, which callers grep for.
      throw ContainerException.invalid("unknown signal \"" + s + "\"");
    }
  }
}
