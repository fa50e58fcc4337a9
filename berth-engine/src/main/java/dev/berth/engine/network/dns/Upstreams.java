package dev.berth.engine.network.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The servers the responder forwards other names to: the {@code nameserver} lines of the host's
 * resolv.conf, loopback ones included. The responder runs on the host's side of the bridge, so a
 * local resolver (systemd-resolved's 127.0.0.53, a dnsmasq on 127.0.0.1) is reachable from it even
 * though a container could not reach it directly: forwarding to it keeps the host's own resolution
 * (split DNS, VPN domains) for containers, which is why it is kept here while the containers' own
 * resolv.conf drops loopback servers. With no nameserver at all, docker's fallback (Google's).
 */
record Upstreams(List<InetSocketAddress> servers) {
  static final List<String> FALLBACK = List.of("8.8.8.8", "8.8.4.4");

  Upstreams {
    servers = List.copyOf(servers);
  }

  /** The servers of {@code resolvConf} (a missing file has none). */
  static Upstreams read(Path resolvConf) throws IOException {
    String text = Files.exists(resolvConf) ? Files.readString(resolvConf) : "";
    return parse(text);
  }

  static Upstreams parse(String resolvConf) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (String line : resolvConf.split("\n")) {
      String[] f = line.strip().split("\\s+");
      if (f.length < 2 || !f[0].equals("nameserver")) continue;
      InetSocketAddress a = literal(f[1]);
      if (a != null && !out.contains(a)) out.add(a);
    }
    if (out.isEmpty()) for (String s : FALLBACK) out.add(literal(s));
    return new Upstreams(out);
  }

  /** An address literal on port 53 (a zone of a link-local IPv6 address dropped), else null. */
  private static InetSocketAddress literal(String s) {
    int zone = s.indexOf('%');
    String a = zone < 0 ? s : s.substring(0, zone);
    if (!a.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) return null; // never a lookup
    try {
      return new InetSocketAddress(InetAddress.getByName(a), 53);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
