package dev.berth.engine.container;

import dev.berth.engine.container.NetworkOptions.PortOption;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.util.ArrayList;
import java.util.List;

/**
 * docker's {@code -p} syntax: {@code [ip:][hostPort:]containerPort[/tcp|udp]}, ports or ranges of
 * equal length ({@code 8080-8081:80-81}); an IPv6 host address in brackets. Errors are docker's.
 */
public final class PortSpecs {
  private PortSpecs() {}

  public static List<PortOption> parse(String spec) throws BerthException {
    String proto = "tcp";
    String rest = spec;
    int slash = rest.lastIndexOf('/');
    if (slash >= 0) {
      proto = rest.substring(slash + 1).toLowerCase(java.util.Locale.ROOT);
      rest = rest.substring(0, slash);
      if (!proto.equals("tcp") && !proto.equals("udp")) {
        throw invalid("invalid proto: " + proto);
      }
    }
    String ip = "";
    String host = "";
    String container;
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
        throw invalid("invalid port specification: \"" + spec + "\"");
      }
      ip = rest.substring(1, close);
      rest = rest.substring(close + 2);
      int c = rest.lastIndexOf(':');
      host = c < 0 ? "" : rest.substring(0, c);
      container = c < 0 ? rest : rest.substring(c + 1);
    } else {
      String[] parts = rest.split(":", -1);
      switch (parts.length) {
        case 1 -> container = parts[0];
        case 2 -> {
          host = parts[0];
          container = parts[1];
        }
        case 3 -> {
          ip = parts[0];
          host = parts[1];
          container = parts[2];
        }
        default -> throw invalid("invalid port specification: \"" + spec + "\"");
      }
    }
    if (!ip.isEmpty() && !ip.matches("[0-9.]+|[0-9a-fA-F:]+"))
      throw invalid("invalid IP address: " + ip);
    if (container.isEmpty()) throw invalid("no port specified: " + spec + "<empty>");
    int[] c = range(container, spec);
    int[] h = host.isEmpty() ? null : range(host, spec);
    int count = c[1] - c[0] + 1;
    if (h != null && h[1] - h[0] + 1 != count && h[0] != h[1]) {
      throw invalid(
          "invalid ranges specified for container and host Ports: " + container + " and " + host);
    }
    if (h != null && h[0] == h[1] && count > 1) {
      throw invalid(
          "invalid ranges specified for container and host Ports: " + container + " and " + host);
    }
    List<PortOption> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(new PortOption(ip, h == null ? 0 : h[0] + i, c[0] + i, proto));
    }
    return out;
  }

  /**
   * The ports of one {@code --expose} value ({@code 80}, {@code 53/udp}, {@code 8000-8010/tcp}) as
   * keys {@code 80/tcp}.
   */
  public static List<String> expose(String spec) throws BerthException {
    int slash = spec.indexOf('/');
    String proto = slash < 0 ? "tcp" : spec.substring(slash + 1).toLowerCase(java.util.Locale.ROOT);
    if (!proto.equals("tcp") && !proto.equals("udp") && !proto.equals("sctp"))
      throw invalid("invalid proto: " + proto + " (in --expose \"" + spec + "\")");
    int[] r = range(slash < 0 ? spec : spec.substring(0, slash), spec);
    List<String> out = new ArrayList<>();
    for (int p = r[0]; p <= r[1]; p++) out.add(p + "/" + proto);
    return out;
  }

  /** An exposed port of an image config ({@code 80/tcp}, {@code 53/udp}, {@code 8080}). */
  public static PortOption exposed(String key) throws BerthException {
    int slash = key.indexOf('/');
    String proto = slash < 0 ? "tcp" : key.substring(slash + 1);
    int port = port(slash < 0 ? key : key.substring(0, slash), key);
    if (!proto.equals("tcp") && !proto.equals("udp")) throw invalid("invalid proto: " + proto);
    return new PortOption("", 0, port, proto);
  }

  private static int[] range(String text, String spec) throws BerthException {
    int dash = text.indexOf('-');
    if (dash < 0) {
      int p = port(text, spec);
      return new int[] {p, p};
    }
    int a = port(text.substring(0, dash), spec);
    int b = port(text.substring(dash + 1), spec);
    if (b < a) throw invalid("invalid range specified for port: " + text);
    return new int[] {a, b};
  }

  private static int port(String text, String spec) throws BerthException {
    try {
      int p = Integer.parseInt(text);
      if (p < 1 || p > 65535) throw new NumberFormatException();
      return p;
    } catch (NumberFormatException e) {
      throw invalid("invalid port: " + text + " (in \"" + spec + "\")");
    }
  }

  private static BerthException invalid(String message) {
    return new BerthException(ErrorCategory.INVALID_ARGUMENT, message);
  }
}
