package dev.berth.engine.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.engine.network.cni.CniClient;
import dev.berth.engine.network.cni.Launcher;
import dev.berth.engine.network.cni.NetworkConfigList;
import dev.berth.engine.network.netns.NetnsPins;
import dev.berth.testkit.Exec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The network layer of one test, wholly inside a network namespace the test made ({@code ip netns
 * add}): the plugins run under {@code nsenter --net=} (the client's launcher prefix), so bridges,
 * veths and iptables rules are the test namespace's, never the host's. Engine root and run root are
 * temporary. {@link #close} asserts the namespace holds nothing of a container any more (no veth,
 * no per-container rule, no lease), then removes everything.
 */
public final class TestNetwork implements AutoCloseable {
  public static final Path PLUGINS = Path.of("/usr/lib/cni");

  public final String ns;
  public final Path nsPath;
  public final Path dir;
  public final Path root;
  public final Launcher launcher;
  public final NetworkStore store;
  public final NetnsPins pins;
  public final CniClient cni;
  public final NetworkFirewall firewall;
  public final NetworkCleanup cleanup;

  public TestNetwork() throws Exception {
    this(List.of(PLUGINS));
  }

  public TestNetwork(List<Path> pluginDirs) throws Exception {
    assumeTrue(
        Files.isExecutable(PLUGINS.resolve("bridge")), "containernetworking-plugins not installed");
    ns = "berth-test-" + UUID.randomUUID().toString().substring(0, 8);
    Exec.run("ip", "netns", "add", ns).ok();
    nsPath = Path.of("/run/netns", ns);
    dir = Files.createTempDirectory("berth-net-");
    root = dir.resolve("root");
    launcher =
        new Launcher(List.of("/usr/bin/nsenter", "--net=" + nsPath, "--"), Duration.ofSeconds(30));
    store =
        NetworkStore.open(
            root, Map::of, () -> HostRoutes.parse(inNs("cat", "/proc/net/route").ok().stdout()));
    pins = NetnsPins.open(dir.resolve("run/netns"));
    cni = new CniClient(pluginDirs, store.cacheDir(), launcher);
    firewall = new NetworkFirewall(launcher, dir.resolve("firewall.lock"));
    cleanup = new NetworkCleanup(cni, pins, store, firewall);
  }

  /**
   * The conflist an older berth wrote for {@code n}, podman's per-container chain: the bridge
   * plugin's ipMasq, portmap, the firewall plugin (same-bridge) and tuning, each making iptables
   * rules per container. Containers attached with it must still be torn down.
   */
  public NetworkConfigList olderBerthList(Network n) throws Exception {
    String json =
        "{\"cniVersion\":\"1.0.0\",\"name\":\""
            + n.name()
            + "\",\"plugins\":[{\"type\":\"bridge\",\"bridge\":\""
            + n.bridge()
            + "\",\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":true,"
            + "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\""
            + store.ipamDir()
            + "\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"ranges\":[[{\"subnet\":\""
            + n.subnet()
            + "\",\"gateway\":\""
            + n.gateway()
            + "\"}]]}},"
            + "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}},"
            + "{\"type\":\"firewall\",\"backend\":\"iptables\",\"ingressPolicy\":\"same-bridge\"},"
            + "{\"type\":\"tuning\"}]}";
    return NetworkConfigList.parse(json.getBytes(StandardCharsets.UTF_8), "older berth's conflist");
  }

  /** Runs a command in the test's "host" namespace. */
  public Exec.Result inNs(String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=" + nsPath, "--"));
    c.addAll(List.of(command));
    return Exec.run(c);
  }

  /** Runs a command in a pinned container namespace. */
  public Exec.Result inPin(Path pin, String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=" + pin, "--"));
    c.addAll(List.of(command));
    return Exec.run(c);
  }

  /** The veths of the test namespace. */
  public List<String> veths() {
    String out = inNs("ip", "-o", "link", "show", "type", "veth").ok().stdout();
    return out.lines().map(l -> l.split(":")[1].strip().split("@")[0]).toList();
  }

  /** host-local's lease files (addresses), all networks. */
  public List<String> leases() throws IOException {
    Path ipam = store.ipamDir();
    if (!Files.isDirectory(ipam)) return List.of();
    try (Stream<Path> s = Files.walk(ipam)) {
      return s.filter(Files::isRegularFile)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9.]+"))
          .sorted()
          .toList();
    }
  }

  /**
   * The rules of the plugins for containers: masquerade and DNAT (with ids), forward rules per
   * address.
   */
  public List<String> containerRules() {
    String all = inNs("iptables-save").ok().stdout();
    return all.lines()
        .filter(
            l ->
                l.startsWith("-A ")
                    && (l.contains(" id: ")
                        || l.matches("-A CNI-FORWARD .*/32.*")
                        || l.startsWith("-A CNI-DN-")
                        || l.startsWith(":CNI-DN-")))
        .toList();
  }

  public List<String> cacheEntries() throws IOException {
    try (Stream<Path> s = Files.list(cni.cache().dir())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Asserts that no container's networking is left. */
  public void assertClean() throws Exception {
    assertEquals(List.of(), veths(), "veths left");
    assertEquals(List.of(), containerRules(), "iptables rules left");
    assertEquals(List.of(), leases(), "leases left");
    assertEquals(List.of(), cacheEntries(), "cache entries left");
    assertEquals(List.of(), pins.list(), "pins left");
  }

  @Override
  public void close() throws Exception {
    try {
      assertClean();
    } finally {
      for (var p : pins.list()) pins.remove(p.id());
      Exec.run(
          "umount", pins.dir().toString()); // the shared bind mount NetnsPins made of its directory
      Exec.run("ip", "netns", "del", ns).ok();
      Exec.run("rm", "-rf", dir.toString()).ok();
    }
  }
}
