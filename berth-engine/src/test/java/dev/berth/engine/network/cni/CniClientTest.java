package dev.berth.engine.network.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.network.Network;
import dev.berth.engine.network.NetworkStore;
import dev.berth.engine.network.Subnet;
import dev.berth.engine.network.TestNetwork;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.testkit.RequiresRoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@RequiresRoot
class CniClientTest {
  TestNetwork net;

  @BeforeEach
  void setUp() throws Exception {
    net = new TestNetwork();
  }

  @AfterEach
  void tearDown() throws Exception {
    net.close(); // asserts that nothing is left in the test namespace
  }

  private RuntimeConf container(String id) throws Exception {
    return RuntimeConf.of(id, net.pins.create(id).toString(), "eth0");
  }

  @Test
  void addOfTheDefaultNetworkGivesAnAddressInItsSubnetAndADefaultRoute() throws Exception {
    Network n = net.store.defaultNetwork();
    NetworkConfigList list = net.olderBerthList(n);
    RuntimeConf rt = container("c1");
    CniResult r = net.cni.add(list, rt);

    assertEquals("1.0.0", r.cniVersion());
    assertEquals(1, r.ips().size(), r.ips().toString());
    CniResult.IpConfig ip = r.ips().get(0);
    assertTrue(
        Subnet.parse(n.subnet()).contains(Subnet.parseAddress(ip.ip())), ip + " in " + n.subnet());
    assertEquals(n.gateway(), ip.gateway());
    assertEquals("eth0", r.containerInterfaces().get(0).name());
    assertEquals(rt.netns(), r.containerInterfaces().get(0).sandbox());
    assertTrue(
        r.routes().stream().anyMatch(x -> x.dst().equals("0.0.0.0/0")), r.routes().toString());
    // What the container sees: its address on eth0 and the default route through the bridge.
    String addr =
        net.inPin(Path.of(rt.netns()), "ip", "-4", "-o", "addr", "show", "dev", "eth0")
            .ok()
            .stdout();
    assertTrue(addr.contains(ip.address()), addr);
    String route = net.inPin(Path.of(rt.netns()), "ip", "route", "show", "default").ok().stdout();
    assertTrue(route.contains("default via " + n.gateway() + " dev eth0"), route);
    // The bridge and (an older berth's chain) the per-container masquerade live in the test
    // namespace.
    assertTrue(
        net.inNs("ip", "-o", "link", "show", NetworkStore.DEFAULT_BRIDGE)
            .ok()
            .stdout()
            .contains("berth0"));
    assertTrue(net.inNs("iptables-save", "-t", "nat").ok().stdout().contains("id: \\\"c1\\\""));
    assertEquals(1, net.veths().size());

    net.cni.check(list, rt); // CHECK against the cached result passes
    net.cni.del(list, rt);
    net.pins.remove("c1");
  }

  @Test
  void twoContainersPingEachOther() throws Exception {
    NetworkConfigList list = net.store.configList(net.store.defaultNetwork().name());
    RuntimeConf a = container("a");
    RuntimeConf b = container("b");
    CniResult ra = net.cni.add(list, a);
    CniResult rb = net.cni.add(list, b);
    assertNotEquals(ra.ips().get(0).ip(), rb.ips().get(0).ip());
    net.inPin(Path.of(a.netns()), "busybox", "ping", "-c1", "-W5", rb.ips().get(0).ip()).ok();
    net.inPin(Path.of(b.netns()), "busybox", "ping", "-c1", "-W5", ra.ips().get(0).ip()).ok();
    net.cleanup.teardown("a");
    net.cleanup.teardown("b");
  }

  @Test
  void delRemovesTheVethAndFreesTheLeaseWithNoLeakOverFiftyCycles() throws Exception {
    NetworkConfigList list = net.store.configList(net.store.defaultNetwork().name());
    RuntimeConf rt = container("cycle");
    String first = net.cni.add(list, rt).ips().get(0).ip();
    assertEquals(List.of(first), net.leases());
    net.cni.del(list, rt);
    assertEquals(List.of(), net.veths());
    assertEquals(List.of(), net.leases());
    assertEquals(List.of(), net.containerRules());
    int last = Subnet.parseAddress(first);
    for (int i = 0; i < 50; i++) {
      String ip = net.cni.add(list, rt).ips().get(0).ip();
      // host-local hands out the next address after the last one (round robin), never a held one
      assertTrue(Subnet.parseAddress(ip) - last <= 1, ip + " after " + Subnet.format(last));
      last = Subnet.parseAddress(ip);
      assertEquals(List.of(ip), net.leases());
      assertEquals(1, net.veths().size());
      net.cni.del(list, rt);
    }
    net.pins.remove("cycle");
  }

  @Test
  void delIsIdempotentAndWorksAfterTheNamespaceIsGone() throws Exception {
    NetworkConfigList list = net.olderBerthList(net.store.defaultNetwork());
    RuntimeConf rt = container("idem");
    net.cni.add(list, rt);
    net.cni.del(list, rt);
    net.cni.del(list, rt); // a second DEL: no error
    net.cni.add(list, rt);
    net.pins.remove(
        "idem"); // the namespace (and with it the veth) is gone, as after a reboot or a crash
    ResultCache.Entry cached = net.cni.cache().get(list.name(), "idem", "eth0");
    net.cni.del(list, rt.withNetns(""));
    net.cni.del(list, rt.withNetns(""));
    assertEquals(List.of(), net.leases());
    // The bridge plugin (1.1.1) learns the addresses to unmasquerade from the namespace: without
    // it, its rules stay
    // (a reboot takes them; a crash does not). The teardown removes them by their comment.
    assertEquals(3, net.containerRules().size(), net.containerRules().toString());
    net.cni.cache().put(cached);
    net.cleanup.teardown("idem");
  }

  @Test
  void theCacheSurvivesANewClientSoDelAfterARestartGetsTheAddResult() throws Exception {
    // Attached by an older berth (per-container masquerade and firewall rules), detached by this
    // one: the DEL runs the cached config of the ADD, not the network's current conflist.
    NetworkConfigList list = net.olderBerthList(net.store.defaultNetwork());
    RuntimeConf rt = container("restart");
    CniResult r = net.cni.add(list, rt);
    String ip = r.ips().get(0).ip();
    assertTrue(
        net.containerRules().stream().anyMatch(l -> l.contains(ip + "/32")), "firewall rules made");

    CniClient fresh =
        new CniClient(List.of(TestNetwork.PLUGINS), net.store.cacheDir(), net.launcher);
    ResultCache.Entry cached = fresh.cache().get(list.name(), "restart", "eth0");
    assertEquals(ip, cached.result().ips().get(0).ip());
    assertEquals(
        new String(list.bytes(), StandardCharsets.UTF_8),
        new String(cached.config(), StandardCharsets.UTF_8));
    // The firewall plugin finds the rules to remove only in prevResult: they go only if the cache
    // was used (close() asserts that none is left).
    fresh.del(net.store.configList(list.name()), rt);
    assertNull(fresh.cache().get(list.name(), "restart", "eth0"));
    net.pins.remove("restart");
  }

  @Test
  void aPluginErrorIsOneLineNamingThePluginAndTheNetworkAndTheAddIsRolledBack() throws Exception {
    byte[] conf =
        ("{\"cniVersion\":\"1.0.0\",\"name\":\"broken\",\"plugins\":[{\"type\":\"bridge\","
                + "\"bridge\":\"brk0\","
                + "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\""
                + net.store.ipamDir()
                + "\","
                + "\"ranges\":[[{\"subnet\":\"10.77.0.0/33\"}]]}}]}")
            .getBytes(StandardCharsets.UTF_8);
    NetworkConfigList list = NetworkConfigList.parse(conf, "broken.conflist");
    RuntimeConf rt = container("err");
    CniException e = assertThrows(CniException.class, () -> net.cni.add(list, rt));
    assertEquals("bridge", e.plugin());
    assertEquals("broken", e.network());
    assertTrue(e.getMessage().startsWith("network broken: plugin bridge ADD: "), e.getMessage());
    assertTrue(e.getMessage().contains("10.77.0.0/33"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.code() > 0, "the plugin's code: " + e.code());
    assertEquals(List.of(), net.cacheEntries());
    net.pins.remove("err");
  }

  @Test
  void aMissingPluginIsNamedAndWhatTheChainMadeBeforeItIsUndone() throws Exception {
    Network n = net.store.defaultNetwork();
    String conf =
        new String(net.store.configList(n.name()).bytes(), StandardCharsets.UTF_8)
            .replace("\"type\": \"portmap\"", "\"type\": \"nosuch\"");
    NetworkConfigList list = NetworkConfigList.parse(conf.getBytes(StandardCharsets.UTF_8), "x");
    RuntimeConf rt = container("missing");
    CniException e = assertThrows(CniException.class, () -> net.cni.add(list, rt));
    assertEquals(
        "network berth: plugin nosuch not found in [/usr/lib/cni] (install containernetworking-plugins)",
        e.getMessage());
    assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
    net.pins.remove("missing");
    // close() asserts: the bridge's veth and lease: rolled back
  }

  @Test
  void aCrashOrAHangOfAPluginIsOneLineAndAHungOneIsKilledAtTheDeadline() throws Exception {
    Path bin = net.dir.resolve("plugins");
    Files.createDirectories(bin);
    script(
        bin.resolve("crash"),
        "#!/bin/sh\necho 'panic: runtime error: index out of range' >&2\n"
            + "echo 'goroutine 1 [running]:' >&2\nkill -SEGV $$\n");
    script(bin.resolve("hang"), "#!/bin/sh\ncat >/dev/null\nexec sleep 60\n");
    CniClient client =
        new CniClient(
            List.of(bin),
            net.store.cacheDir(),
            new Launcher(net.launcher.prefix(), Duration.ofMillis(500)));
    RuntimeConf rt = container("bad");
    NetworkConfigList crash =
        NetworkConfigList.parse(
            "{\"cniVersion\":\"1.0.0\",\"name\":\"n1\",\"type\":\"crash\"}"
                .getBytes(StandardCharsets.UTF_8),
            "x");
    CniException e = assertThrows(CniException.class, () -> client.add(crash, rt));
    assertEquals(
        "network n1: plugin crash ADD: killed by SIGSEGV: goroutine 1 [running]:", e.getMessage());
    NetworkConfigList hang =
        NetworkConfigList.parse(
            "{\"cniVersion\":\"1.0.0\",\"name\":\"n2\",\"type\":\"hang\"}"
                .getBytes(StandardCharsets.UTF_8),
            "x");
    var t = assertThrows(dev.berth.spec.error.BerthException.class, () -> client.check(hang, rt));
    assertEquals(
        ErrorCategory.FAILED_PRECONDITION, t.category(), "no cached result to check against");
    CniException d = assertThrows(CniException.class, () -> client.del(hang, rt));
    assertEquals(ErrorCategory.DEADLINE_EXCEEDED, d.category());
    assertEquals(
        "network n2: plugin hang DEL: timed out after 500ms and was killed", d.getMessage());
    net.pins.remove("bad");
  }

  @Test
  void versionIsReadAndGcAndStatusRunNothingOnPluginsThatDoNotSpeak110() throws Exception {
    List<String> v = net.cni.version("bridge");
    assertTrue(v.contains("1.0.0") && v.contains("0.4.0"), v.toString());
    assertFalse(v.contains("1.1.0"), "Debian's plugins 1.1.1 have no GC or STATUS: " + v);
    NetworkConfigList list =
        NetworkConfigList.parse(
            ("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"plugins\":"
                    + "[{\"type\":\"bridge\"},{\"type\":\"portmap\"}]}")
                .getBytes(StandardCharsets.UTF_8),
            "x");
    assertEquals(
        List.of("bridge", "portmap"),
        net.cni.gc(list, List.of(new CniClient.Attachment("c", "eth0"))));
    assertEquals(List.of("bridge", "portmap"), net.cni.status(list));
    NetworkConfigList old =
        NetworkConfigList.parse(
            "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\"}"
                .getBytes(StandardCharsets.UTF_8),
            "x");
    assertEquals(List.of("bridge"), net.cni.gc(old, List.of()), "a 1.0.0 list has no GC");
  }

  @Test
  void portMappingsReachPortmapAsRuntimeConfig() throws Exception {
    NetworkConfigList list = net.store.configList(net.store.defaultNetwork().name());
    RuntimeConf rt =
        container("ports")
            .withPortMappings(List.of(RuntimeConf.portMapping(8080, 80, "tcp", null)));
    CniResult r = net.cni.add(list, rt);
    String nat = net.inNs("iptables-save", "-t", "nat").ok().stdout();
    assertTrue(nat.contains("--dport 8080") && nat.contains(r.ips().get(0).ip() + ":80"), nat);
    net.cleanup.teardown("ports");
  }

  private static void script(Path p, String text) throws Exception {
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
