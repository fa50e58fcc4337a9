package dev.berth.engine;

import dev.berth.engine.network.Network;
import dev.berth.engine.network.cni.CniResult;
import dev.berth.engine.network.cni.RuntimeConf;
import dev.berth.engine.network.netns.NetnsPins;
import dev.berth.engine.pod.PodConfig;
import dev.berth.engine.pod.PodNetwork;
import dev.berth.image.dirs.LockFile;
import dev.berth.spec.error.BerthException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link PodNetwork} on the engine's {@link ContainerNetworking}: its pins, CNI client and lock.
 */
final class PodNetworking implements PodNetwork {
  private final ContainerNetworking networking;

  PodNetworking(ContainerNetworking networking) {
    this.networking = networking;
  }

  @Override
  public Path pin(String podId, Path from, NetnsPins.Inside inside) throws BerthException {
    try (LockFile held = networking.lock()) {
      networking.cleanup().teardown(podId);
      return from == null
          ? networking.pins().create(podId, "net", inside)
          : networking.pins().adopt(podId, "net", from, inside);
    } catch (IOException e) {
      throw EngineException.internal("pin the network namespace of pod " + podId, e);
    }
  }

  @Override
  public Attachment attach(
      String podId, String network, Map<String, String> args, List<PodConfig.PortMapping> ports)
      throws BerthException {
    try (LockFile held = networking.lock()) {
      Network net = networking.resolve(network == null ? "bridge" : network);
      Map<String, String> cniArgs = new LinkedHashMap<>();
      cniArgs.put("IgnoreUnknown", "1");
      cniArgs.putAll(args);
      RuntimeConf rt =
          new RuntimeConf(
              podId, networking.pins().path(podId).toString(), "eth0", cniArgs, Map.of());
      if (!ports.isEmpty()) {
        List<Map<String, Object>> mappings = new ArrayList<>();
        for (PodConfig.PortMapping p : ports) {
          mappings.add(
              RuntimeConf.portMapping(p.hostPort(), p.containerPort(), p.protocol(), p.hostIp()));
        }
        rt = rt.withPortMappings(mappings);
      }
      CniResult res = networking.cni().add(networking.store().configList(net.name()), rt);
      if (res.ips().isEmpty()) return new Attachment(net.name(), "", 0, "");
      CniResult.IpConfig c = res.ips().get(0);
      int slash = c.address().indexOf('/');
      int prefix = slash < 0 ? 32 : Integer.parseInt(c.address().substring(slash + 1));
      return new Attachment(net.name(), c.ip(), prefix, c.gateway());
    } catch (IOException e) {
      throw EngineException.internal("attach pod " + podId + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void teardown(String podId) throws BerthException {
    try (LockFile held = networking.lock()) {
      networking.cleanup().teardown(podId);
    } catch (IOException e) {
      throw EngineException.internal("detach pod " + podId + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean pinned(String podId) throws BerthException {
    return networking.pins().exists(podId);
  }
}
