package dev.berth.api.docker.networks;

import dev.berth.api.docker.ApiError;
import dev.berth.api.docker.Exchange;
import dev.berth.api.docker.Filters;
import dev.berth.api.docker.Router;
import dev.berth.engine.Engine;
import dev.berth.engine.NetworkViews;
import dev.berth.engine.network.Network;
import dev.berth.engine.network.NetworkStore;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code /networks}: create (bridge networks), list, inspect, connect, disconnect, remove, prune.
 */
public final class NetworkRoutes {
  private final Engine engine;

  public NetworkRoutes(Engine engine) {
    this.engine = engine;
  }

  public void register(Router r) {
    r.post("/networks/create", this::create);
    r.get("/networks", this::list);
    r.post("/networks/prune", this::prune);
    r.get("/networks/{id}", this::inspect);
    r.post("/networks/{id}/connect", this::connect);
    r.post("/networks/{id}/disconnect", this::disconnect);
    r.delete("/networks/{id}", this::remove);
  }

  private Network get(String ref) throws BerthException {
    try {
      return engine.network(ref);
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND || e.category() == ErrorCategory.INVALID_ARGUMENT)
        throw new BerthException(ErrorCategory.NOT_FOUND, "network " + ref + " not found");
      throw e;
    }
  }

  private void create(Exchange x) throws Exception {
    String name = "";
    String driver = "bridge";
    boolean internal = false;
    String subnet = "";
    String gateway = "";
    Map<String, String> labels = Map.of();
    Map<String, String> options = Map.of();
    JsonReader r = x.json();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "Name" -> name = r.string();
          case "Driver" -> driver = r.string();
          case "Internal" -> internal = r.bool();
          case "Labels" -> labels = r.stringMap();
          case "Options" -> options = r.stringMap();
          case "EnableIPv6" -> {
            if (r.bool()) throw ApiError.badRequest("EnableIPv6: IPv6 networks are not supported");
          }
          case "IPAM" -> {
            if (!r.beginObject()) break;
            for (String g; (g = r.nextField()) != null; ) {
              if (!g.equals("Config") || !r.beginArray()) {
                r.skip();
                continue;
              }
              while (r.nextElement()) {
                if (!r.beginObject()) continue;
                for (String c; (c = r.nextField()) != null; ) {
                  switch (c) {
                    case "Subnet" -> subnet = subnet.isEmpty() ? r.string() : skipString(r, subnet);
                    case "Gateway" ->
                        gateway = gateway.isEmpty() ? r.string() : skipString(r, gateway);
                    default -> r.skip();
                  }
                }
              }
            }
          }
          default -> r.skip();
        }
      }
    }
    if (name.isEmpty()) throw ApiError.badRequest("Name: a network needs a name");
    if (!driver.isEmpty() && !driver.equals("bridge")) {
      throw new BerthException(
          ErrorCategory.NOT_FOUND,
          "plugin \"" + driver + "\" not found: only bridge networks exist");
    }
    String warning = bridgeOptions(options);
    Network n =
        engine
            .networks()
            .create(new NetworkStore.CreateRequest(name, subnet, gateway, labels, internal));
    x.json(201, Map.of("Id", n.id(), "Warning", warning));
  }

  /**
   * The bridge driver's options: one that would make the network more closed than berth makes it
   * (containers of the network kept apart, no masquerading, published ports bound to one address)
   * is refused, since running without it would expose what it asked to keep in; any other is
   * ignored and said so in the answer's Warning, as its defaults are berth's.
   */
  private static String bridgeOptions(Map<String, String> options) throws ApiError {
    List<String> ignored = new ArrayList<>();
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(options).entrySet()) {
      String k = e.getKey();
      String v = e.getValue();
      // null: not one of those; else whether the value is what berth does anyway
      Boolean berths =
          switch (k) {
            case "com.docker.network.bridge.enable_icc",
                "com.docker.network.bridge.enable_ip_masquerade" ->
                v.equalsIgnoreCase("true");
            case "com.docker.network.bridge.host_binding_ipv4" ->
                v.isEmpty() || v.equals("0.0.0.0");
            default -> null;
          };
      if (berths == null) ignored.add(k + "=" + v);
      else if (!berths)
        throw ApiError.badRequest("Options: " + k + "=" + v + " is not supported by berth");
    }
    return ignored.isEmpty()
        ? ""
        : "options not supported by berth, ignored: " + String.join(", ", ignored);
  }

  private static String skipString(JsonReader r, String keep) throws Exception {
    r.string();
    return keep;
  }

  private void list(Exchange x) throws Exception {
    Filters f =
        x.filters()
            .only(List.of("name", "id", "label", "label!", "driver", "type", "scope", "dangling"));
    // dockerd always lists its "bridge"; the engine makes its default network on first use.
    engine.network(BridgeName.BRIDGE);
    List<ContainerRecord> containers = engine.list();
    Map<String, List<String>> users = engine.networkUsers();
    List<Object> out = new ArrayList<>();
    for (Network n : engine.networks().list(null)) {
      if (!f.labelsMatch(n.labels())) continue;
      String name = BridgeName.of(n.name());
      if (f.has("name")
          && f.get("name").stream().noneMatch(v -> name.contains(v) || n.name().contains(v)))
        continue;
      if (f.has("id") && f.get("id").stream().noneMatch(v -> n.id().startsWith(v))) continue;
      if (f.has("driver") && !f.get("driver").contains(n.driver())) continue;
      if (f.has("scope") && !f.get("scope").contains("local")) continue;
      boolean builtin = n.name().equals(NetworkStore.DEFAULT_NETWORK);
      if (f.has("type") && !f.get("type").contains(builtin ? "builtin" : "custom")) continue;
      if (f.has("dangling")) {
        boolean dangling = !builtin && users.getOrDefault(n.name(), List.of()).isEmpty();
        String want = f.get("dangling").get(0);
        if (dangling != (want.equals("true") || want.equals("1"))) continue;
      }
      out.add(BridgeName.inNetworkView(NetworkViews.inspect(n, containers)));
    }
    for (String name : PseudoNetworks.NAMES) {
      String id = PseudoNetworks.id(name);
      if (f.has("name") && f.get("name").stream().noneMatch(name::contains)) continue;
      if (f.has("id") && f.get("id").stream().noneMatch(id::startsWith)) continue;
      if (f.has("driver") && !f.get("driver").contains(PseudoNetworks.driver(name))) continue;
      if (f.has("scope") && !f.get("scope").contains("local")) continue;
      if (f.has("type") && !f.get("type").contains("builtin")) continue;
      if (f.has("dangling") || !f.labelsMatch(Map.of())) continue; // built in, no labels
      out.add(PseudoNetworks.view(name));
    }
    x.json(200, out);
  }

  private void inspect(Exchange x) throws Exception {
    String pseudo = pseudo(x.param("id"));
    if (pseudo != null) {
      x.json(200, PseudoNetworks.view(pseudo));
      return;
    }
    x.json(200, BridgeName.inNetworkView(NetworkViews.inspect(get(x.param("id")), engine.list())));
  }

  /**
   * The pseudo-network (host, none) {@code ref} names when no network of the engine is so named.
   */
  private String pseudo(String ref) throws BerthException {
    String name = PseudoNetworks.resolve(ref);
    if (name == null) return null;
    try {
      engine.network(ref);
      return null;
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND || e.category() == ErrorCategory.INVALID_ARGUMENT)
        return name;
      throw e;
    }
  }

  private void connect(Exchange x) throws Exception {
    Network n = get(x.param("id"));
    String container = "";
    List<String> aliases = List.of();
    String ip = null;
    JsonReader r = x.json();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "Container" -> container = r.string();
          case "EndpointConfig" -> {
            if (!r.beginObject()) break;
            for (String e; (e = r.nextField()) != null; ) {
              switch (e) {
                case "Aliases" -> aliases = r.strings();
                case "IPAMConfig" -> {
                  if (!r.beginObject()) break;
                  for (String i; (i = r.nextField()) != null; ) {
                    if (i.equals("IPv4Address")) ip = r.string();
                    else r.skip();
                  }
                }
                default -> r.skip();
              }
            }
          }
          default -> r.skip();
        }
      }
    }
    if (container.isEmpty()) throw ApiError.badRequest("Container: required");
    engine.inspect(container);
    engine.connect(n.name(), container, aliases, ip == null || ip.isEmpty() ? null : ip);
    x.respond(200);
  }

  private void disconnect(Exchange x) throws Exception {
    Network n = get(x.param("id"));
    String container = "";
    JsonReader r = x.json();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        if (f.equals("Container")) container = r.string();
        else r.skip();
      }
    }
    if (container.isEmpty()) throw ApiError.badRequest("Container: required");
    engine.disconnect(n.name(), container);
    x.respond(200);
  }

  private void remove(Exchange x) throws Exception {
    String pseudo = pseudo(x.param("id"));
    if (pseudo != null)
      throw new ApiError(403, pseudo + " is a pre-defined network and cannot be removed");
    Network n = get(x.param("id"));
    if (n.name().equals(NetworkStore.DEFAULT_NETWORK)) {
      throw new ApiError(403, n.name() + " is a pre-defined network and cannot be removed");
    }
    engine.removeNetwork(n.name());
    x.respond(204);
  }

  private void prune(Exchange x) throws Exception {
    Filters f = x.filters().only(List.of("label", "label!", "until"));
    List<String> removed = engine.pruneNetworks(n -> f.labelsMatch(n.labels()));
    x.json(200, Map.of("NetworksDeleted", removed));
  }
}
