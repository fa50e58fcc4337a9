package dev.berth.api.docker.networks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The network modes docker lists as networks beside its bridge: "host" (driver host) and "none"
 * (driver null). The engine has no such objects (they are modes of a container); the Docker API
 * shows them, with ids stable across restarts, so {@code docker network ls} and {@code docker
 * network inspect host} answer as dockerd's.
 */
final class PseudoNetworks {
  static final List<String> NAMES = List.of("host", "none");

  private PseudoNetworks() {}

  static String driver(String name) {
    return name.equals("host") ? "host" : "null";
  }

  static String id(String name) {
    return dev.berth.engine.network.NetworkStore.pseudoNetworkId(name);
  }

  /** The pseudo-network {@code ref} names (by name, id or id prefix), or null. */
  static String resolve(String ref) {
    for (String n : NAMES) {
      if (n.equals(ref) || (ref.length() >= 3 && id(n).startsWith(ref))) return n;
    }
    return null;
  }

  /** docker network inspect's object of the pseudo-network {@code name}. */
  static Map<String, Object> view(String name) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Name", name);
    m.put("Id", id(name));
    m.put("Created", "0001-01-01T00:00:00Z");
    m.put("Scope", "local");
    m.put("Driver", driver(name));
    m.put("EnableIPv6", false);
    Map<String, Object> ipam = new LinkedHashMap<>();
    ipam.put("Driver", "default");
    ipam.put("Options", null);
    ipam.put("Config", List.of());
    m.put("IPAM", ipam);
    m.put("Internal", false);
    m.put("Attachable", false);
    m.put("Ingress", false);
    m.put("ConfigFrom", Map.of("Network", ""));
    m.put("ConfigOnly", false);
    m.put("Containers", Map.of());
    m.put("Options", Map.of());
    m.put("Labels", Map.of());
    return m;
  }
}
