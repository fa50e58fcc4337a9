package dev.berth.engine.network.cni;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one attachment of a container to a network is run with (libcni's RuntimeConf): the
 * container's id, its network namespace (a pin's path; empty on a DEL whose namespace is gone), the
 * interface name inside it, {@code CNI_ARGS} pairs, and the capability arguments that plugins
 * declaring the capability get as {@code runtimeConfig} (e.g. {@code portMappings} for portmap).
 */
public record RuntimeConf(
    String containerId,
    String netns,
    String ifName,
    Map<String, String> args,
    Map<String, Object> capabilityArgs) {
  public RuntimeConf {
    args = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(args));
    capabilityArgs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(capabilityArgs));
  }

  public static RuntimeConf of(String containerId, String netns, String ifName) {
    return new RuntimeConf(containerId, netns, ifName, Map.of(), Map.of());
  }

  public RuntimeConf withNetns(String path) {
    return new RuntimeConf(containerId, path, ifName, args, capabilityArgs);
  }

  public RuntimeConf withCapability(String name, Object value) {
    Map<String, Object> caps = new LinkedHashMap<>(capabilityArgs);
    caps.put(name, value);
    return new RuntimeConf(containerId, netns, ifName, args, caps);
  }

  /** {@code CNI_ARGS}: {@code K=V;K2=V2}. */
  public String cniArgs() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : args.entrySet()) {
      if (!sb.isEmpty()) sb.append(';');
      sb.append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.toString();
  }

  /** A port mapping as portmap's {@code runtimeConfig.portMappings} entries are. */
  public static Map<String, Object> portMapping(
      int hostPort, int containerPort, String protocol, String hostIp) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("hostPort", (long) hostPort);
    m.put("containerPort", (long) containerPort);
    m.put("protocol", protocol);
    if (hostIp != null && !hostIp.isEmpty()) m.put("hostIP", hostIp);
    return m;
  }

  /** Convenience for {@code withCapability("portMappings", ...)}. */
  public RuntimeConf withPortMappings(List<Map<String, Object>> mappings) {
    return withCapability("portMappings", List.copyOf(mappings));
  }
}
