package dev.berth.engine.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.network.cni.CniResult;
import dev.berth.engine.network.cni.NetworkConfigList;
import dev.berth.engine.network.cni.RuntimeConf;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@RequiresRoot
class NetworkCleanupTest {
  TestNetwork net;

  @BeforeEach
  void setUp() throws Exception {
    net = new TestNetwork();
  }

  @AfterEach
  void tearDown() throws Exception {
    net.close(); // asserts that nothing is left in the test namespace
  }

  private CniResult attach(NetworkConfigList list, String id) throws Exception {
    return net.cni.add(list, RuntimeConf.of(id, net.pins.create(id).toString(), "eth0"));
  }

  @Test
  void recoveryDeletesTheAttachmentsAndPinsOfContainersThatAreGone() throws Exception {
    NetworkConfigList list = net.store.configList(net.store.defaultNetwork().name());
    attach(list, "dead");
    attach(list, "alive");
    NetworkCleanup.Report r = net.cleanup.recover(Set.of("alive"));
    assertEquals(List.of("berth/dead/eth0"), r.attachments());
    assertEquals(List.of("dead"), r.pins());
    assertEquals(List.of(), r.errors());
    assertEquals(List.of(), r.leases(), "the DEL released the lease");
    assertEquals(1, net.leases().size(), "alive keeps its lease");
    assertEquals(1, net.veths().size(), "and its veth");
    assertTrue(net.cleanup.recover(Set.of("alive")).isEmpty(), "a second scan finds nothing");
    net.cleanup.teardown("alive");
  }

  @Test
  void recoveryRemovesWhatACrashLeftWithoutACacheEntry() throws Exception {
    // An older berth's chain: the per-container rules of the bridge (ipMasq) and firewall plugins
    NetworkConfigList list = net.olderBerthList(net.store.defaultNetwork());
    CniResult crashed = attach(list, "crashed");
    attach(list, "alive");
    String ip = crashed.ips().get(0).ip();
    String veth = crashed.hostInterfaces().get(1).name();
    // The worst crash: no cache entry (written by hand, say), and something still holds the
    // namespace, so its veth
    // outlives the pin.
    net.cni.cache().remove("berth", "crashed", "eth0");
    Path holder = net.dir.resolve("holder");
    Files.createFile(holder);
    Exec.run("mount", "--bind", net.pins.path("crashed").toString(), holder.toString()).ok();
    try {
      NetworkCleanup.Report r = net.cleanup.recover(Set.of("alive"));
      assertEquals(List.of(), r.errors());
      assertEquals(List.of(), r.attachments());
      assertEquals(List.of("crashed"), r.pins());
      assertEquals(List.of("berth/" + ip + " (crashed)"), r.leases());
      assertEquals(List.of(veth + " (on berth0)"), r.links());
      assertTrue(
          r.rules().stream().anyMatch(x -> x.startsWith("nat chain CNI-")), r.rules().toString());
      assertTrue(
          r.rules().stream()
              .anyMatch(x -> x.startsWith("filter -A CNI-FORWARD") && x.contains(ip + "/32")),
          r.rules().toString());
      assertTrue(
          net.containerRules().stream()
              .noneMatch(x -> x.contains("crashed") || x.contains(ip + "/32")),
          net.containerRules().toString());
      assertEquals(1, net.veths().size(), "alive keeps its veth");
    } finally {
      Exec.run("umount", holder.toString()).ok();
    }
    net.cleanup.teardown("alive");
  }
}
