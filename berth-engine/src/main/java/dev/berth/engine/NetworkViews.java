package dev.berth.engine;

import dev.berth.engine.network.Endpoint;
import dev.berth.engine.network.Network;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.spec.json.Rfc3339;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * docker's views of networks, shared by {@code berth network inspect} and the Docker API ({@code
 * /networks}).
 */
public final class NetworkViews {
  private NetworkViews() {}

  /**
   * docker network inspect's object, fields in docker's order; running containers under Containers.
   */
  public static Map<String, Object> inspect(Network n, List<ContainerRecord> containers) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Name", n.name());
    m.put("Id", n.id());
    m.put("Created", Rfc3339.format(n.created()));
    m.put("Scope", "local");
    m.put("Driver", n.driver());
    m.put("EnableIPv6", false);
    Map<String, Object> ipam = new LinkedHashMap<>();
    ipam.put("Driver", "default");
    ipam.put("Options", Map.of());
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("Subnet", n.subnet());
    config.put("Gateway", n.gateway());
    ipam.put("Config", List.of(config));
    m.put("IPAM", ipam);
    m.put("Internal", n.internal());
    m.put("Attachable", false);
    m.put("Ingress", false);
    m.put("ConfigFrom", Map.of("Network", ""));
    m.put("ConfigOnly", false);
    Map<String, Object> attached = new TreeMap<>();
    for (ContainerRecord r : containers) {
      for (Endpoint e : ContainerViews.endpoints(r)) {
        if (!e.network().equals(n.name())) continue;
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("Name", r.name());
        x.put("EndpointID", ContainerViews.endpointId(r, e));
        x.put("MacAddress", e.mac());
        x.put("IPv4Address", e.ip() + "/" + e.prefix());
        x.put("IPv6Address", "");
        attached.put(r.id(), x);
      }
    }
    m.put("Containers", attached);
    m.put("Options", Map.of("com.docker.network.bridge.name", n.bridge()));
    m.put("Labels", new TreeMap<>(n.labels()));
    return m;
  }
}
