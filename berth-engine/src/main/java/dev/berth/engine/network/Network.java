package dev.berth.engine.network;

import java.time.Instant;
import java.util.Map;

/**
 * A network as berth keeps it, beside its CNI conflist: docker's fields ({@code network inspect})
 * and the bridge it uses. Only the "bridge" driver so far; {@code internal} networks get no default
 * route and no masquerade. {@code dnsEnabled}: its containers resolve each other by name through
 * the engine's DNS responder (podman's {@code --disable-dns} turns it off; the default network
 * never has it, as docker's bridge).
 */
public record Network(
    String name,
    String id,
    Instant created,
    String driver,
    String subnet,
    String gateway,
    String bridge,
    boolean internal,
    Map<String, String> labels,
    boolean dnsEnabled) {
  public static final String BRIDGE = "bridge";

  public Network {
    labels = Map.copyOf(labels);
  }
}
