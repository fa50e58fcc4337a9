package dev.berth.engine.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * The contents of a container's /etc/hostname, /etc/hosts and /etc/resolv.conf, as docker writes
 * them for its networks "none" and "host" (the networking issue adds the others through {@code
 * containerIp}).
 */
public final class EtcFiles {
  private EtcFiles() {}

  /** docker's fallback when the host has no nameserver a container can reach. */
  public static final List<String> FALLBACK_NAMESERVERS = List.of("8.8.8.8", "8.8.4.4");

  /** /etc/hostname: the name and a newline. */
  public static String hostname(String hostname) {
    return hostname + "\n";
  }

  /**
   * /etc/hosts of a container with its own network namespace: the loopback names, and {@code
   * hostname} on {@code containerIp} when it has one. Without one (network "none") docker names
   * only localhost, and so does this.
   */
  public static String hosts(String hostname, String containerIp) {
    return hosts(hostname, containerIp, List.of());
  }

  /**
   * {@link #hosts(String, String)} with docker's {@code --add-host host:ip} lines before the
   * container's own.
   */
  public static String hosts(String hostname, String containerIp, List<String> extraHosts) {
    StringBuilder sb =
        new StringBuilder()
            .append("127.0.0.1\tlocalhost\n")
            .append("::1\tlocalhost ip6-localhost ip6-loopback\n")
            .append("fe00::0\tip6-localnet\n")
            .append("ff00::0\tip6-mcastprefix\n")
            .append("ff02::1\tip6-allnodes\n")
            .append("ff02::2\tip6-allrouters\n");
    for (String h : extraHosts) {
      int colon = h.indexOf(':');
      if (colon > 0)
        sb.append(h.substring(colon + 1)).append('\t').append(h, 0, colon).append('\n');
    }
    if (containerIp != null && !containerIp.isEmpty())
      sb.append(containerIp).append('\t').append(hostname).append('\n');
    return sb.toString();
  }

  /**
   * /etc/resolv.conf of a container with its own network namespace: the host's file without its
   * loopback nameservers (127.0.0.0/8 and ::1 are the container's own loopback there), and with
   * docker's fallback nameservers when none is left. Other lines (search, options, comments) are
   * kept.
   */
  public static String resolvConf(String host) {
    List<String> kept = new ArrayList<>();
    boolean nameserver = false;
    for (String line : host.split("\n", -1)) {
      String[] f = line.strip().split("\\s+");
      if (f.length >= 2 && f[0].equals("nameserver")) {
        if (isLoopback(f[1])) continue;
        nameserver = true;
      }
      kept.add(line);
    }
    while (!kept.isEmpty() && kept.getLast().isBlank()) kept.removeLast();
    StringBuilder sb = new StringBuilder();
    for (String l : kept) sb.append(l).append('\n');
    if (!nameserver) {
      for (String ns : FALLBACK_NAMESERVERS) sb.append("nameserver ").append(ns).append('\n');
    }
    return sb.toString();
  }

  /**
   * {@link #resolvConf(String)} with docker's flags: {@code dns} replaces the nameservers (loopback
   * ones kept: the user asked for them), {@code search} the search domains, {@code options} the
   * options; empty: the host's.
   */
  public static String resolvConf(
      String host, List<String> dns, List<String> search, List<String> options) {
    if (dns.isEmpty() && search.isEmpty() && options.isEmpty()) return resolvConf(host);
    List<String> servers = new ArrayList<>();
    List<String> hostSearch = new ArrayList<>();
    List<String> hostOptions = new ArrayList<>();
    for (String line : resolvConf(host).split("\n")) {
      String[] f = line.strip().split("\\s+");
      if (f.length < 2) continue;
      List<String> rest = List.of(f).subList(1, f.length);
      switch (f[0]) {
        case "nameserver" -> servers.add(f[1]);
        case "search", "domain" -> hostSearch.addAll(rest);
        case "options" -> hostOptions.addAll(rest);
        default -> {}
      }
    }
    StringBuilder sb = new StringBuilder();
    List<String> s =
        search.isEmpty() ? hostSearch : search.equals(List.of(".")) ? List.of() : search;
    if (!s.isEmpty()) sb.append("search ").append(String.join(" ", s)).append('\n');
    for (String ns : dns.isEmpty() ? servers : dns)
      sb.append("nameserver ").append(ns).append('\n');
    List<String> o = options.isEmpty() ? hostOptions : options;
    if (!o.isEmpty()) sb.append("options ").append(String.join(" ", o)).append('\n');
    return sb.toString();
  }

  /**
   * True for the nameservers systemd-resolved's stub listens on, which are all the host's file may
   * name.
   */
  static boolean onlyResolvedStub(String host) {
    boolean any = false;
    for (String line : host.split("\n")) {
      String[] f = line.strip().split("\\s+");
      if (f.length >= 2 && f[0].equals("nameserver")) {
        if (!f[1].equals("127.0.0.53")) return false;
        any = true;
      }
    }
    return any;
  }

  static boolean isLoopback(String address) {
    String a = address;
    int zone = a.indexOf('%');
    if (zone >= 0) a = a.substring(0, zone);
    return a.startsWith("127.") || a.equals("::1") || a.equals("0:0:0:0:0:0:0:1");
  }
}
