package dev.berth.engine.network;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The IPv4 subnets the host routes already (its interfaces' networks, VPNs, other bridges): a new
 * network's subnet must overlap none of them, or containers would shadow the host's own peers.
 * Tests supply the routes of the namespace they run the bridges in.
 */
@FunctionalInterface
public interface HostRoutes {
  List<Subnet> routed() throws ErrnoException;

  /**
   * This process' namespace's routes, from {@code /proc/net/route} (default routes left out: they
   * cover all).
   */
  static HostRoutes procNetRoute() {
    return () -> parse(readProc());
  }

  private static String readProc() throws ErrnoException {
    try (Fd fd = Linux.open("/proc/net/route", LinuxConstants.O_RDONLY, 0)) {
      return new String(Linux.readAll(fd), StandardCharsets.US_ASCII);
    }
  }

  /** Parses /proc/net/route: destination and mask are little-endian hex. */
  static List<Subnet> parse(String table) {
    List<Subnet> out = new ArrayList<>();
    String[] lines = table.split("\n");
    for (int i = 1; i < lines.length; i++) {
      String[] f = lines[i].trim().split("\\s+");
      if (f.length < 8) continue;
      int dst = Integer.reverseBytes((int) Long.parseLong(f[1], 16));
      int mask = Integer.reverseBytes((int) Long.parseLong(f[7], 16));
      int prefix = Integer.bitCount(mask);
      if (prefix == 0) continue;
      out.add(new Subnet(dst, prefix));
    }
    return out;
  }
}
