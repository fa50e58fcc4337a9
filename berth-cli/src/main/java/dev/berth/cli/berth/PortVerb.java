package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.EngineException;
import dev.berth.spec.error.BerthException;
import java.io.IOException;
import java.io.PrintStream;

/**
 * berth port CONTAINER [PORT[/PROTO]]: the published ports. Containers have none until networking lands (they run
 * with --network none or host), so this lists nothing, and a port asked for is docker's "not published" error.
 */
final class PortVerb {
  private PortVerb() {}

  /** docker's status for a port that is not published. */
  static final int NOT_PUBLISHED = 1;

  static int run(ParsedCommand c, PrintStream err) throws BerthException, IOException {
    BerthMain.engine(c).inspect(c.arg(0)); // a missing container is the error first
    if (c.args().size() < 2) return 0;
    String port = c.arg(1);
    int slash = port.indexOf('/');
    String number = slash < 0 ? port : port.substring(0, slash);
    String proto = slash < 0 ? "tcp" : port.substring(slash + 1);
    try {
      int n = Integer.parseInt(number);
      if (n < 1 || n > 65535) throw new NumberFormatException();
    } catch (NumberFormatException e) {
      throw EngineException.invalid("invalid port: " + number);
    }
    if (!proto.equals("tcp") && !proto.equals("udp") && !proto.equals("sctp")) {
      throw EngineException.invalid("invalid proto: " + proto);
    }
    err.println("Error: No public port '" + number + "/" + proto + "' published for " + c.arg(0));
    return NOT_PUBLISHED;
  }
}
