package dev.berth.engine.network.cni;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.util.ArrayList;
import java.util.List;

/**
 * A plugin's ADD result in the spec's 0.3.0-1.0.0 shape (the versions Debian's plugins 1.1.1 answer
 * in): the interfaces it made, their addresses, the routes and DNS. {@link #json} is the result as
 * the plugin printed it, which the client passes on as the next plugin's {@code prevResult} and
 * caches for DEL and CHECK.
 */
public record CniResult(
    String cniVersion,
    List<Interface> interfaces,
    List<IpConfig> ips,
    List<Route> routes,
    Dns dns,
    byte[] json) {
  public CniResult {
    interfaces = List.copyOf(interfaces);
    ips = List.copyOf(ips);
    routes = List.copyOf(routes);
  }

  /**
   * An interface: {@code sandbox} is the netns path for one inside a container, empty for a
   * host-side one.
   */
  public record Interface(String name, String mac, String sandbox) {}

  /**
   * An address in CIDR form ({@code 10.87.0.2/16}), its gateway or empty, the interface index or
   * -1.
   */
  public record IpConfig(String address, String gateway, int interfaceIndex) {
    /** The address without its prefix length. */
    public String ip() {
      int slash = address.indexOf('/');
      return slash < 0 ? address : address.substring(0, slash);
    }
  }

  /** A route: destination CIDR and gateway (empty: the interface's default). */
  public record Route(String dst, String gw) {}

  public record Dns(
      List<String> nameservers, String domain, List<String> search, List<String> options) {
    public static final Dns NONE = new Dns(List.of(), "", List.of(), List.of());
  }

  /** The interfaces in a container (with a sandbox). */
  public List<Interface> containerInterfaces() {
    return interfaces.stream().filter(i -> !i.sandbox().isEmpty()).toList();
  }

  /**
   * The host-side interfaces (no sandbox): the bridge and the host end of a veth, for the bridge
   * plugin.
   */
  public List<Interface> hostInterfaces() {
    return interfaces.stream().filter(i -> i.sandbox().isEmpty()).toList();
  }

  /** Parses a result; {@code source} names it in errors (the plugin and network). */
  public static CniResult parse(byte[] json, String source) throws SpecException {
    String version = "";
    List<Interface> ifs = new ArrayList<>();
    List<IpConfig> ips = new ArrayList<>();
    List<Route> routes = new ArrayList<>();
    Dns dns = Dns.NONE;
    try (JsonReader r = JsonReader.of(json, source)) {
      if (!r.beginObject()) throw r.error("expected a result object, got null");
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "cniVersion" -> version = r.string();
          case "interfaces" -> {
            if (r.beginArray()) {
              while (r.nextElement()) ifs.add(readInterface(r));
            }
          }
          case "ips" -> {
            if (r.beginArray()) {
              while (r.nextElement()) ips.add(readIp(r));
            }
          }
          case "routes" -> {
            if (r.beginArray()) {
              while (r.nextElement()) routes.add(readRoute(r));
            }
          }
          case "dns" -> dns = readDns(r);
          case "ip4", "ip6" ->
              throw r.error(
                  "results of CNI 0.1.0/0.2.0 are not supported (cniVersion " + version + ")");
          default -> r.skip();
        }
      }
      r.end();
    }
    return new CniResult(version, ifs, ips, routes, dns, json);
  }

  private static Interface readInterface(JsonReader r) throws SpecException {
    String name = "";
    String mac = "";
    String sandbox = "";
    if (!r.beginObject()) return new Interface(name, mac, sandbox);
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "name" -> name = r.string();
        case "mac" -> mac = r.string();
        case "sandbox" -> sandbox = r.string();
        default -> r.skip();
      }
    }
    return new Interface(name, mac, sandbox);
  }

  private static IpConfig readIp(JsonReader r) throws SpecException {
    String address = "";
    String gateway = "";
    int index = -1;
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "address" -> address = r.string();
          case "gateway" -> gateway = r.string();
          case "interface" -> {
            Integer i = r.optInt32();
            index = i == null ? -1 : i;
          }
          default -> r.skip(); // "version" of 0.3.x/0.4.0
        }
      }
    }
    if (address.isEmpty()) throw r.error("an ips entry without an address");
    return new IpConfig(address, gateway, index);
  }

  private static Route readRoute(JsonReader r) throws SpecException {
    String dst = "";
    String gw = "";
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "dst" -> dst = r.string();
          case "gw" -> gw = r.string();
          default -> r.skip();
        }
      }
    }
    return new Route(dst, gw);
  }

  private static Dns readDns(JsonReader r) throws SpecException {
    List<String> ns = List.of();
    String domain = "";
    List<String> search = List.of();
    List<String> options = List.of();
    if (!r.beginObject()) return Dns.NONE;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "nameservers" -> ns = r.strings();
        case "domain" -> domain = r.string();
        case "search" -> search = r.strings();
        case "options" -> options = r.strings();
        default -> r.skip();
      }
    }
    return new Dns(ns, domain, search, options);
  }
}
