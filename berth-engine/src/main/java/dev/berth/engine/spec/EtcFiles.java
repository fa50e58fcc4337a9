package dev.berth.engine.spec;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.error.Printable;
import java.net.InetAddress;
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

  /**
   * docker's {@code --add-host} address that stands for the host as containers reach it: the
   * gateway of the default network (docker's docker0 address), put in its place in /etc/hosts.
   */
  public static final String HOST_GATEWAY = "host-gateway";

  /**
   * Refuses an {@code --add-host} entry ({@code name:address}) that would be anything but one line
   * of /etc/hosts naming one host: a name with whitespace, a control character or '#' (a newline
   * adds lines, a blank more names, '#' cuts the rest), an address that is not an IP address
   * (docker's "invalid IP address in add-host") or {@link #HOST_GATEWAY}.
   *
   * @param field how the caller names the field in the error ({@code --add-host})
   */
  public static void checkExtraHosts(String field, List<String> extraHosts) throws BerthException {
    for (String h : extraHosts) {
      int colon = h.indexOf(':');
      if (colon <= 0 || colon == h.length() - 1)
        throw invalid(field, h, "bad format for add-host: " + quoted(h));
      String name = h.substring(0, colon);
      String ip = h.substring(colon + 1);
      if (!isWord(name))
        throw invalid(field, h, "invalid host name in add-host: " + quoted(name) + NOT_A_WORD);
      if (!ip.equals(HOST_GATEWAY) && !isIpAddress(ip))
        throw invalid(field, h, "invalid IP address in add-host: " + quoted(ip));
    }
  }

  /**
   * Refuses resolver settings that would be anything but the words of one /etc/resolv.conf line
   * each: nameservers must be IP addresses, search domains and options must hold no whitespace,
   * control character, '#' or ';' (a newline would add a line of the client's choosing).
   *
   * @param fields how the caller names the three fields in errors ({@code --dns}, {@code
   *     --dns-search}, {@code --dns-option}, or the CRI's)
   */
  public static void checkDns(
      List<String> fields, List<String> servers, List<String> search, List<String> options)
      throws BerthException {
    for (String s : servers) {
      if (!isIpAddress(s)) throw invalid(fields.get(0), s, quoted(s) + " is not an IP address");
    }
    for (String s : search) {
      if (!isWord(s) || s.length() > 253)
        throw invalid(fields.get(1), s, quoted(s) + " is not a valid domain" + NOT_A_WORD);
    }
    for (String o : options) {
      if (!isWord(o)) throw invalid(fields.get(2), o, quoted(o) + " is not an option" + NOT_A_WORD);
    }
  }

  /**
   * Refuses network aliases ({@code --network-alias}) that would be anything but one name on the
   * line of /etc/hosts that peers on the network get for the container: a newline there would add
   * lines to other containers' files.
   */
  public static void checkAliases(String field, List<String> aliases) throws BerthException {
    for (String a : aliases) {
      if (!isWord(a)) throw invalid(field, a, quoted(a) + " is not a host name" + NOT_A_WORD);
    }
  }

  private static final String NOT_A_WORD =
      " (no whitespace, control characters, '#' or ';', at most 253 characters)";

  /** A non-empty word of a hosts or resolv.conf line: no blank, control, comment character. */
  private static boolean isWord(String s) {
    if (s.isEmpty() || s.length() > 253) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c == 0x7f || c == '#' || c == ';') return false;
    }
    return true;
  }

  /** An IPv4 or IPv6 literal (with an interface after '%' for a link-local one); no lookup. */
  public static boolean isIpAddress(String s) {
    String a = s;
    int zone = s.indexOf('%');
    if (zone >= 0) {
      a = s.substring(0, zone);
      String z = s.substring(zone + 1);
      if (!a.contains(":") || !z.matches("[A-Za-z0-9_.-]{1,15}")) return false;
    }
    if (a.isEmpty() || !a.matches("[0-9A-Fa-f:.]+")) return false;
    try {
      InetAddress.ofLiteral(a);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static BerthException invalid(String field, String value, String why) {
    return new BerthException(
        ErrorCategory.INVALID_ARGUMENT, "invalid " + field + " " + quoted(value) + ": " + why);
  }

  /** The value quoted, one line and bounded ({@link Printable}). */
  private static String quoted(String s) {
    return "\"" + Printable.of(s, 100) + "\"";
  }

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
    return hosts(hostname, containerIp, extraHosts, null);
  }

  /** Whether an {@code --add-host} entry names {@link #HOST_GATEWAY}. */
  public static boolean usesHostGateway(List<String> extraHosts) {
    for (String h : extraHosts) if (h.endsWith(":" + HOST_GATEWAY)) return true;
    return false;
  }

  /**
   * As {@link #hosts(String, String, List)}, with {@code hostGateway} (the default network's
   * gateway) in place of {@link #HOST_GATEWAY}; an entry naming it is left out when that is null.
   */
  public static String hosts(
      String hostname, String containerIp, List<String> extraHosts, String hostGateway) {
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
      if (colon <= 0) continue;
      String ip = h.substring(colon + 1);
      if (ip.equals(HOST_GATEWAY)) ip = hostGateway;
      if (ip != null) sb.append(ip).append('\t').append(h, 0, colon).append('\n');
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
