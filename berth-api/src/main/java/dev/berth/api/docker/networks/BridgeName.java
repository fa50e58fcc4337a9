package dev.berth.api.docker.networks;

import dev.berth.engine.network.NetworkStore;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The engine's default network as docker's clients know it: "bridge". The engine and the berth CLI
 * call it {@value NetworkStore#DEFAULT_NETWORK} (as podman calls its own "podman"); a docker client
 * reads {@code .NetworkSettings.Networks.bridge.IPAddress} and lists a network named "bridge", so
 * the Docker API's views use that name, and requests already take it for the default.
 */
public final class BridgeName {
  public static final String BRIDGE = "bridge";

  private BridgeName() {}

  /** {@code name} as a docker client sees it. */
  public static String of(String name) {
    return NetworkStore.DEFAULT_NETWORK.equals(name) ? BRIDGE : name;
  }

  /**
   * Renames the default network in a network view (its Name). A network a client created shows the
   * driver options it was created with, as docker's do, and create takes none: its Options are
   * empty (docker-compose recreates a network whose Options differ from its file's driver_opts).
   */
  public static Map<String, Object> inNetworkView(Map<String, Object> view) {
    String name = (String) view.get("Name");
    if (!NetworkStore.DEFAULT_NETWORK.equals(name)) view.put("Options", Map.of());
    view.put("Name", of(name));
    return view;
  }

  /**
   * Renames the default network among a container view's {@code NetworkSettings.Networks} (an
   * inspect or a list entry), keeping the order.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> inContainerView(Map<String, Object> view) {
    if (!(view.get("NetworkSettings") instanceof Map<?, ?> settings)) return view;
    if (!(settings.get("Networks") instanceof Map<?, ?> networks)) return view;
    if (!networks.containsKey(NetworkStore.DEFAULT_NETWORK)) return view;
    Map<String, Object> renamed = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : networks.entrySet())
      renamed.put(of((String) e.getKey()), e.getValue());
    ((Map<String, Object>) settings).put("Networks", renamed);
    return view;
  }
}
