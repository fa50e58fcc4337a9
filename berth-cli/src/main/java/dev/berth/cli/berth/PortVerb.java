package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.ContainerViews;
import dev.berth.engine.EngineException;
import dev.berth.engine.network.Endpoint;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.spec.error.BerthException;
import java.io.IOException;
import java.io.PrintStream;

/**
 * berth port CONTAINER [PORT[/PROTO]]: a running container's published ports as docker prints them,
 * {@code 80/tcp -> 0.0.0.0:8080}; with a port, its host addresses ({@code 0.0.0.0:8080}), or
 * docker's "not published" error.
 */
final class PortVerb {
  private PortVerb() {}

  /** docker's status for a port that is not published. */
  static final int NOT_PUBLISHED = 1;

  static int run(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    ContainerRecord r =
        BerthMain.engine(c).inspect(c.arg(0)); // a missing container is the error first
    if (c.args().size() < 2) {
      for (Endpoint.Port p : ContainerViews.ports(r)) {
        out.println(p.containerPort() + "/" + p.protocol() + " -> " + host(p));
      }
      return 0;
    }
    String port = c.arg(1);
    int slash = port.indexOf('/');
    String number = slash < 0 ? port : port.substring(0, slash);
    String proto = slash < 0 ? "tcp" : port.substring(slash + 1);
    int n;
    try {
      n = Integer.parseInt(number);
      if (n < 1 || n > 65535) throw new NumberFormatException();
    } catch (NumberFormatException e) {
      throw EngineException.invalid("invalid port: " + number);
    }
    if (!proto.equals("tcp") && !proto.equals("udp") && !proto.equals("sctp")) {
      throw EngineException.invalid("invalid proto: " + proto);
    }
    boolean any = false;
    for (Endpoint.Port p : ContainerViews.ports(r)) {
      if (p.containerPort() == n && p.protocol().equals(proto)) {
        out.println(host(p));
        any = true;
      }
    }
    if (any) return 0;
    err.println("Error: No public port '" + number + "/" + proto + "' published for " + c.arg(0));
    return NOT_PUBLISHED;
  }

  private static String host(Endpoint.Port p) {
    return (p.hostIp().isEmpty() ? "0.0.0.0" : p.hostIp()) + ":" + p.hostPort();
  }
}
