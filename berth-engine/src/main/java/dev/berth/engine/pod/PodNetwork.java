package dev.berth.engine.pod;

import dev.berth.engine.network.netns.NetnsPins;
import dev.berth.spec.error.BerthException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@link Pods} needs of the engine's networking: the network namespace pins (the containers'
 * own directory of them), CNI ADD through the engine's client on one of its networks, and the
 * teardown that leaves nothing (CNI DEL with the cached result, even after a restart, then the
 * pin). All of it under the engine's network lock, so pods and containers see each other's host
 * ports.
 */
public interface PodNetwork {
  /**
   * A network namespace pinned for {@code podId} (lo up), {@code inside} run in it first: a new
   * one, or with {@code from} the one that file names (a namespace the pod's user namespace owns,
   * made by its holder process); what a crashed earlier run left under that id goes before.
   */
  Path pin(String podId, Path from, NetnsPins.Inside inside) throws BerthException;

  /**
   * CNI ADD of the pod's namespace to {@code network} (null: the default network) as eth0, with
   * {@code args} as CNI_ARGS and {@code ports} through portmap. A host port in use is
   * FAILED_PRECONDITION.
   */
  Attachment attach(
      String podId, String network, Map<String, String> args, List<PodConfig.PortMapping> ports)
      throws BerthException;

  /** CNI DEL of the pod's attachments, then its pin goes. Idempotent. */
  void teardown(String podId) throws BerthException;

  /** Whether {@code podId} has a mounted network namespace pin. */
  boolean pinned(String podId) throws BerthException;

  /** The address the pod got. */
  record Attachment(String network, String ip, int prefixLength, String gateway) {}
}
