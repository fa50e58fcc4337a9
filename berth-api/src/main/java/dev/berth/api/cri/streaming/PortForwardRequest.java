package dev.berth.api.cri.streaming;

import java.util.List;

/**
 * What a CRI {@code PortForward} call asks: connections to ports of a pod sandbox's network
 * namespace. An empty port list allows any port the client names (as kubelet, which passes none
 * through from the API server); otherwise only the listed ones.
 */
public record PortForwardRequest(String podSandboxId, List<Integer> ports) {
  public PortForwardRequest {
    if (podSandboxId == null || podSandboxId.isEmpty()) {
      throw new IllegalArgumentException("podSandboxId: required");
    }
    ports = ports == null ? List.of() : List.copyOf(ports);
    for (int p : ports) {
      if (p < 1 || p > 65535) throw new IllegalArgumentException("ports: " + p + " out of range");
    }
  }

  /** Whether a client may forward {@code port}. */
  public boolean allows(int port) {
    return port >= 1 && port <= 65535 && (ports.isEmpty() || ports.contains(port));
  }
}
