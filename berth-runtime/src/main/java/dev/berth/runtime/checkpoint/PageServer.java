package dev.berth.runtime.checkpoint;

import dev.berth.runtime.ContainerException;

/**
 * A CRIU page server to send the memory pages of a checkpoint to ({@code criu page-server} on
 * another host), as {@code --page-server ADDRESS:PORT} names it.
 */
public record PageServer(String address, int port) {

  /**
   * Reads "ADDRESS:PORT" as runc does (Go's net.SplitHostPort: an IPv6 address in brackets); a
   * missing part is runc's "Use --page-server ADDRESS:PORT", a port that is not a number its
   * "Invalid port number".
   */
  public static PageServer parse(String value) throws ContainerException {
    String host;
    String port;
    if (value.startsWith("[")) {
      int close = value.indexOf(']');
      if (close < 0 || close + 1 >= value.length() || value.charAt(close + 1) != ':')
        throw usage(value);
      host = value.substring(1, close);
      port = value.substring(close + 2);
    } else {
      int colon = value.lastIndexOf(':');
      if (colon < 0 || value.indexOf(':') != colon) throw usage(value);
      host = value.substring(0, colon);
      port = value.substring(colon + 1);
    }
    if (host.isEmpty() || port.isEmpty()) throw usage(value);
    try {
      return new PageServer(host, Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw ContainerException.invalid(
          "Invalid port number " + CgroupsMode.quote(port) + " in --page-server " + value);
    }
  }

  private static ContainerException usage(String value) {
    return ContainerException.invalid(
        "Use --page-server ADDRESS:PORT to specify page server (got "
            + CgroupsMode.quote(value)
            + ")");
  }
}
