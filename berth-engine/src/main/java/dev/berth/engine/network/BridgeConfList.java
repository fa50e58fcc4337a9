package dev.berth.engine.network;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The conflist of a bridge network: {@code bridge} (gateway, hairpin; host-local IPAM with its
 * leases under the engine root, not {@code /var/lib/cni}) and {@code portmap} (published ports
 * through {@code runtimeConfig.portMappings}). Masquerade, forwarding and isolation between
 * networks are the network's own rules ({@link NetworkFirewall}), made once per network: no {@code
 * ipMasq}, no {@code firewall} plugin, which made iptables runs for every container. A container
 * without published ports is attached with the bridge alone ({@link #write(Network, Path,
 * boolean)}). An internal network's bridge is no gateway: no default route. Berth's own metadata
 * rides in the top-level {@code "berth"} object, which libcni and our client ignore, so one file,
 * replaced atomically, is the whole network.
 */
public final class BridgeConfList {
  /** The spec version our conflists are run with: the newest Debian's plugins 1.1.1 speak. */
  public static final String CNI_VERSION = "1.0.0";

  static final String META = "berth";

  private BridgeConfList() {}

  /** The conflist for {@code n}, leases under {@code ipamDir}: the network's file. */
  public static byte[] write(Network n, Path ipamDir) {
    return write(n, ipamDir, true);
  }

  /**
   * The conflist for {@code n}, with {@code portmap} only when {@code portMappings} (a container
   * that publishes ports): each plugin run costs a process start on {@code berth run}'s path.
   */
  public static byte[] write(Network n, Path ipamDir, boolean portMappings) {
    JsonWriter w = new JsonWriter(JsonWriter.TWO_SPACES).beginObject();
    w.field("cniVersion", CNI_VERSION).field("name", n.name());
    w.name("plugins").beginArray();
    w.beginObject()
        .field("type", "bridge")
        .field("bridge", n.bridge())
        .field("isGateway", !n.internal())
        .field("hairpinMode", true);
    // --mac-address arrives as runtimeConfig.mac (the bridge plugin sets it on the container side).
    w.name("capabilities").beginObject().field("mac", true).endObject();
    w.name("ipam").beginObject().field("type", "host-local").field("dataDir", ipamDir.toString());
    w.name("routes").beginArray();
    if (!n.internal()) w.beginObject().field("dst", "0.0.0.0/0").endObject();
    w.endArray();
    w.name("ranges")
        .beginArray()
        .beginArray()
        .beginObject()
        .field("subnet", n.subnet())
        .field("gateway", n.gateway())
        .endObject()
        .endArray()
        .endArray();
    w.endObject(); // ipam
    w.endObject(); // bridge
    if (portMappings) {
      w.beginObject()
          .field("type", "portmap")
          .name("capabilities")
          .beginObject()
          .field("portMappings", true)
          .endObject()
          .endObject();
    }
    w.endArray();
    w.name(META)
        .beginObject()
        .field("id", n.id())
        .field("created", Rfc3339.format(n.created()))
        .field("driver", n.driver())
        .field("subnet", n.subnet())
        .field("gateway", n.gateway())
        .field("bridge", n.bridge())
        .field("internal", n.internal())
        .field("dnsEnabled", n.dnsEnabled());
    w.name("labels").beginObject();
    for (Map.Entry<String, String> l : n.labels().entrySet()) w.field(l.getKey(), l.getValue());
    w.endObject().endObject();
    return w.endObject().toByteArray();
  }

  /**
   * Berth's metadata of a conflist written by {@link #write}; errors name {@code source} and the
   * field.
   */
  public static Network read(byte[] json, String source) throws SpecException {
    String name = null;
    String id = "";
    Instant created = Instant.EPOCH;
    String driver = Network.BRIDGE;
    String subnet = "";
    String gateway = "";
    String bridge = "";
    boolean internal = false;
    boolean dns = true; // networks made before the responder had it
    Map<String, String> labels = new LinkedHashMap<>();
    boolean meta = false;
    try (JsonReader r = JsonReader.of(json, source)) {
      if (!r.beginObject()) throw r.error("expected object");
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "name" -> name = r.string();
          case META -> {
            if (!r.beginObject()) continue;
            meta = true;
            for (String m; (m = r.nextField()) != null; ) {
              switch (m) {
                case "id" -> id = r.string();
                case "created" -> {
                  try {
                    created = Rfc3339.parse(r.string());
                  } catch (RuntimeException e) {
                    throw r.error("invalid time");
                  }
                }
                case "driver" -> driver = r.string();
                case "subnet" -> subnet = r.string();
                case "gateway" -> gateway = r.string();
                case "bridge" -> bridge = r.string();
                case "internal" -> internal = r.bool();
                case "dnsEnabled" -> dns = r.bool();
                case "labels" -> labels.putAll(r.stringMap());
                default -> r.skip();
              }
            }
          }
          default -> r.skip();
        }
      }
    }
    if (name == null || name.isEmpty())
      throw new SpecException(source, "name", "missing network name");
    if (!meta) throw new SpecException(source, META, "not a berth network (no \"berth\" metadata)");
    return new Network(
        name,
        id,
        created,
        driver,
        subnet,
        gateway,
        bridge,
        internal,
        labels,
        dns && !name.equals(NetworkStore.DEFAULT_NETWORK));
  }
}
