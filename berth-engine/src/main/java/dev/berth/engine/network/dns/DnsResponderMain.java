package dev.berth.engine.network.dns;

import java.nio.file.Path;

/**
 * A detached responder as a plain main: {@code --run-dir DIR [--resolv-conf FILE] [--port N]
 * [--netns PATH]}; status line on stdout, log on stderr. {@code berth network dns-serve} is the
 * same with the CLI's flags; this one serves a JVM started on the engine's class path (tests).
 */
public final class DnsResponderMain {
  private DnsResponderMain() {}

  public static void main(String[] args) {
    DnsResponder.Options o = null;
    Path resolv = null;
    Path netns = null;
    int port = 53;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--run-dir" -> o = DnsResponder.Options.of(new DnsRunDir(Path.of(args[i + 1])));
        case "--resolv-conf" -> resolv = Path.of(args[i + 1]);
        case "--netns" -> netns = Path.of(args[i + 1]);
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        default -> {
          System.out.println("fail unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    if (o == null) {
      System.out.println("fail --run-dir is required");
      System.exit(2);
    }
    if (resolv != null) o = o.withResolvConf(resolv);
    o = o.withNetns(netns).withPort(port).withLog(System.err);
    System.exit(DnsResponder.serve(o, System.out));
  }
}
