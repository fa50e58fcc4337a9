package dev.berth.engine.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.network.cni.NetworkConfigList;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetworkStoreTest {
  @TempDir Path root;
  final Map<String, List<String>> users = new HashMap<>();
  final List<Subnet> routes = new ArrayList<>();
  NetworkStore store;

  @BeforeEach
  void open() throws Exception {
    store = NetworkStore.open(root, () -> users, () -> routes);
  }

  @Test
  void theDefaultNetworkIsMadeOnFirstUseAndSkipsRoutedSubnets() throws Exception {
    routes.add(Subnet.parse("10.87.3.0/24")); // e.g. a VPN's route inside 10.87/16
    Network n = store.defaultNetwork();
    assertEquals("berth", n.name());
    assertEquals("berth0", n.bridge());
    assertEquals("10.86.0.0/16", n.subnet());
    assertEquals("10.86.0.1", n.gateway());
    assertEquals(n, store.defaultNetwork(), "made once");
    NetworkConfigList list = store.configList("berth");
    assertEquals("1.0.0", list.cniVersion());
    // Masquerade and forwarding are the network's own rules (NetworkFirewall), not per container.
    assertEquals(
        List.of("bridge", "portmap"),
        list.plugins().stream().map(NetworkConfigList.PluginConfig::type).toList());
    Map<String, Object> bridge = list.plugins().get(0).config();
    assertEquals(null, bridge.get("ipMasq"));
    assertEquals(true, bridge.get("isGateway"));
    @SuppressWarnings("unchecked")
    Map<String, Object> ipam = (Map<String, Object>) bridge.get("ipam");
    assertEquals(
        store.ipamDir().toString(),
        ipam.get("dataDir"),
        "leases under the engine root, not /var/lib/cni");
    assertTrue(list.plugins().get(1).hasCapability("portMappings"));
    // A container without published ports is attached by the bridge plugin alone.
    assertEquals(
        List.of("bridge"),
        store.attachConfig(n, false).plugins().stream()
            .map(NetworkConfigList.PluginConfig::type)
            .toList());
    assertEquals(
        List.of("bridge", "portmap"),
        store.attachConfig(n, true).plugins().stream()
            .map(NetworkConfigList.PluginConfig::type)
            .toList());
    assertEquals(
        ErrorCategory.FAILED_PRECONDITION,
        assertThrows(BerthException.class, () -> store.remove("berth")).category());
  }

  @Test
  void userNetworksGetTheNextFreeSubnetOrTheirOwnAndDockersErrors() throws Exception {
    routes.add(Subnet.parse("10.91.0.0/24"));
    // "x", not "a": names are looked up before id prefixes, but once "a" is gone another
    // network's hex id may start with it, and the lookups after the removal would find that one.
    Network a =
        store.create(new NetworkStore.CreateRequest("x", null, null, Map.of("team", "x"), false));
    assertEquals("10.91.1.0/24", a.subnet(), "the pool's first /24 is routed on the host");
    assertEquals("berth1", a.bridge());
    assertEquals(Map.of("team", "x"), a.labels());
    assertTrue(a.id().matches("[0-9a-f]{64}"));
    Network b = store.create(NetworkStore.CreateRequest.named("b"));
    assertEquals("10.91.2.0/24", b.subnet());
    assertEquals("berth2", b.bridge());
    Network c =
        store.create(
            new NetworkStore.CreateRequest(
                "c", "192.168.50.0/24", "192.168.50.254", Map.of(), true));
    assertEquals("192.168.50.254", c.gateway());
    assertTrue(c.internal());
    @SuppressWarnings("unchecked")
    List<Object> cRoutes =
        (List<Object>)
            ((Map<String, Object>) store.configList("c").plugins().get(0).config().get("ipam"))
                .get("routes");
    assertEquals(List.of(), cRoutes, "an internal network has no default route");

    assertEquals(a, store.get("x"));
    assertEquals(a, store.get(a.id()));
    assertEquals(a, store.get(a.id().substring(0, 12)));
    assertEquals(
        a,
        NetworkStore.open(root, () -> users, () -> routes).get("x"),
        "another process reads the same");
    assertEquals(List.of("b", "c", "x"), store.list(null).stream().map(Network::name).toList());

    assertEquals(
        "network with name x already exists",
        assertThrows(
                BerthException.class, () -> store.create(NetworkStore.CreateRequest.named("x")))
            .getMessage());
    BerthException overlap =
        assertThrows(
            BerthException.class,
            () ->
                store.create(
                    new NetworkStore.CreateRequest("d", "10.91.2.128/25", "", Map.of(), false)));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, overlap.category());
    assertEquals(
        "subnet 10.91.2.128/25 overlaps 10.91.2.0/24, used by the host or another network",
        overlap.getMessage());
    assertEquals(
        ErrorCategory.INVALID_ARGUMENT,
        assertThrows(
                BerthException.class,
                () ->
                    store.create(
                        new NetworkStore.CreateRequest(
                            "d", "10.5.0.0/24", "10.6.0.1", Map.of(), false)))
            .category());
    assertEquals(
        ErrorCategory.INVALID_ARGUMENT,
        assertThrows(
                BerthException.class,
                () ->
                    store.create(
                        new NetworkStore.CreateRequest("d", "10.5.0.0/33", "", Map.of(), false)))
            .category());
    assertEquals(
        ErrorCategory.INVALID_ARGUMENT,
        assertThrows(
                BerthException.class,
                () -> store.create(NetworkStore.CreateRequest.named("bad/name")))
            .category());
    assertFalse(
        Files.exists(store.confDir().resolve("d.conflist")), "refused creates leave nothing");

    users.put("x", List.of("c0ffee"));
    BerthException inUse = assertThrows(BerthException.class, () -> store.remove("x"));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, inUse.category());
    assertEquals(
        "error while removing network: network x id " + a.id() + " has active endpoints",
        inUse.getMessage());
    users.clear();
    store.remove("x");
    BerthException gone = assertThrows(BerthException.class, () -> store.get("x"));
    assertEquals(ErrorCategory.NOT_FOUND, gone.category());
    assertEquals("network x not found", gone.getMessage());
    assertEquals(
        "network x not found",
        assertThrows(BerthException.class, () -> store.remove("x")).getMessage());
    assertEquals(
        "berth1",
        store.create(NetworkStore.CreateRequest.named("e")).bridge(),
        "a freed bridge is reused");
  }

  @Test
  void hostRoutesAreReadFromProcNetRoute() {
    String table =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            + "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
            + "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
    assertEquals(
        List.of(Subnet.parse("192.0.2.0/24")),
        HostRoutes.parse(table),
        "the default route is not a subnet");
  }

  /**
   * Network names name files of the store: climbing, absolute, NUL, newline and long names are
   * refused at create with a one-line error, and looked up they are "not found", nothing outside
   * the store read or made.
   */
  @Test
  void hostileNamesAreRefusedOnOneLineAndFindNothingOutsideTheStore() throws Exception {
    Files.writeString(root.resolve("escaped.conflist"), "{}");
    for (String bad :
        List.of(
            "../escaped",
            "/etc/x",
            "..",
            "a/../../b",
            "a\nb",
            "a\0b",
            "a\u001b[2J",
            "x".repeat(129),
            "y".repeat(100_000))) {
      BerthException e =
          assertThrows(
              BerthException.class, () -> store.create(NetworkStore.CreateRequest.named(bad)), bad);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), bad);
      assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\0"), e.getMessage());
      assertFalse(e.getMessage().contains("\u001b"), e.getMessage());
      assertTrue(e.getMessage().length() < 400, e.getMessage().length() + " chars");
      e = assertThrows(BerthException.class, () -> store.get(bad), bad);
      assertEquals(ErrorCategory.NOT_FOUND, e.category(), bad + ": " + e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
      assertTrue(e.getMessage().length() < 400, e.getMessage().length() + " chars");
      e = assertThrows(BerthException.class, () -> store.remove(bad), bad);
      assertEquals(ErrorCategory.NOT_FOUND, e.category(), bad + ": " + e.getMessage());
    }
    assertEquals("{}", Files.readString(root.resolve("escaped.conflist")));
  }
}
