package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.NetworkOptions;
import dev.berth.engine.container.PortSpecs;
import dev.berth.engine.network.Endpoint;
import dev.berth.engine.network.NetworkStore;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.Linux;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Containers on networks, end to end on the real kernel with Debian's CNI plugins. The engine's
 * network side runs in a namespace this test creates (its CNI launcher is {@code nsenter --net=<ns>
 * --}): bridges, veths and iptables rules are that namespace's, and "the host" a user would curl
 * from is that namespace too. Each test ends by asserting that nothing of a container is left
 * there: no veth, lease, pin, per-container rule or CNI cache entry.
 */
@RequiresRoot
class EngineNetworkTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  Path root;
  Path runRoot;
  String ns;
  Path nsPath;
  Engine engine;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/lib/cni/bridge")),
        "containernetworking-plugins not installed");
    ns = "berth-test-" + UUID.randomUUID().toString().substring(0, 8);
    Exec.run("ip", "netns", "add", ns).ok();
    nsPath = Path.of("/run/netns", ns);
    inNs("ip", "link", "set", "lo", "up").ok();
    root = tmp.resolve("root");
    runRoot = tmp.resolve("run");
    engine = Engine.open(config());
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("busybox.tar"), IMAGE);
  }

  EngineConfig config() {
    return EngineConfig.at(root, runRoot)
        .withCniLauncher(List.of("/usr/bin/nsenter", "--net=" + nsPath, "--"));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (engine != null) {
        for (ContainerRecord r : engine.containers().list().containers()) {
          try {
            engine.remove(r.id(), true, true);
          } catch (BerthException e) {
            // gone
          }
        }
        engine.close();
        assertClean();
      }
    } finally {
      Path pins = runRoot == null ? null : runRoot.resolve("netns");
      if (pins != null && Files.isDirectory(pins)) {
        try (Stream<Path> s = Files.list(pins)) {
          for (Path p : s.toList()) Exec.run("umount", "-l", p.toString());
        }
        Exec.run("umount", "-l", pins.toString());
      }
      if (ns != null) Exec.run("ip", "netns", "del", ns).ok();
    }
  }

  Exec.Result inNs(String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=" + nsPath, "--"));
    c.addAll(List.of(command));
    return Exec.run(c);
  }

  /** Nothing of any container is left in the test namespace or the stores. */
  void assertClean() throws Exception {
    assertEquals("", inNs("ip", "-o", "link", "show", "type", "veth").ok().stdout(), "veths left");
    List<String> rules =
        inNs("iptables-save")
            .ok()
            .stdout()
            .lines()
            .filter(
                l ->
                    l.startsWith("-A ")
                        && (l.contains(" id: ")
                            || l.matches("-A CNI-FORWARD .*/32.*")
                            || l.startsWith("-A CNI-DN-")))
            .toList();
    assertEquals(List.of(), rules, "iptables rules left");
    // The networks' own rules (berth's chains) name only bridges of networks that still exist.
    java.util.Set<String> bridges = new java.util.HashSet<>();
    for (var n : engine.networks().list(null)) bridges.add(n.bridge());
    List<String> stale =
        berthRules().stream()
            .filter(l -> l.startsWith("-A BERTH-"))
            .filter(l -> bridgeOf(l) != null && !bridges.contains(bridgeOf(l)))
            .toList();
    assertEquals(List.of(), stale, "rules of removed networks left");
    assertEquals(List.of(), files(root.resolve("cni/ipam"), "[0-9.]+"), "leases left");
    assertEquals(
        List.of(), files(root.resolve("cni/cache/results"), ".*"), "CNI cache entries left");
    assertEquals(List.of(), files(runRoot.resolve("netns"), ".*"), "pins left");
  }

  /** The lines of iptables-save in the test namespace that name berth's chains. */
  List<String> berthRules() {
    return inNs("iptables-save").ok().stdout().lines().filter(l -> l.contains("BERTH-")).toList();
  }

  /** The interface of a rule's first -i or -o: the bridge a network's rule belongs to. */
  static String bridgeOf(String rule) {
    String[] w = rule.split(" ");
    for (int i = 0; i + 1 < w.length; i++)
      if (w[i].equals("-i") || w[i].equals("-o")) return w[i + 1];
    return null;
  }

  /**
   * A peer beyond the engine's bridges: a namespace of its own behind a veth of the test's "host"
   * namespace ({@value #HOST_SIDE} there, {@value #PEER} in it), with no route to any container
   * subnet, as a machine on the host's LAN. Closing it removes both (and so the veth).
   */
  final class Outside implements AutoCloseable {
    static final String HOST_SIDE = "192.168.213.1";
    static final String PEER = "192.168.213.2";
    final String name = "berth-out-" + UUID.randomUUID().toString().substring(0, 8);

    Outside() {
      Exec.run("ip", "netns", "add", name).ok();
      try {
        inNs("ip", "link", "add", "bout0", "type", "veth", "peer", "name", "bpeer0").ok();
        inNs("ip", "link", "set", "bpeer0", "netns", name).ok();
        inNs("ip", "addr", "add", HOST_SIDE + "/24", "dev", "bout0").ok();
        inNs("ip", "link", "set", "bout0", "up").ok();
        in("ip", "addr", "add", PEER + "/24", "dev", "bpeer0").ok();
        in("ip", "link", "set", "bpeer0", "up").ok();
        in("ip", "link", "set", "lo", "up").ok();
      } catch (RuntimeException | Error e) {
        close();
        throw e;
      }
    }

    Exec.Result in(String... command) {
      List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + name, "--"));
      c.addAll(List.of(command));
      return Exec.run(c);
    }

    String fetch(String url) throws Exception {
      Exec.Result last = null;
      for (int i = 0; i < 50; i++) {
        last = in("timeout", "5", "busybox", "wget", "-q", "-O", "-", url);
        if (last.exitCode() == 0) return last.stdout();
        TimeUnit.MILLISECONDS.sleep(100);
      }
      throw new AssertionError("wget " + url + " from outside: " + last);
    }

    @Override
    public void close() {
      inNs("ip", "link", "del", "bout0"); // and its peer (a namespace goes asynchronously)
      Exec.run("ip", "netns", "del", name).ok();
    }
  }

  static List<String> files(Path dir, String pattern) throws Exception {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches(pattern))
          .sorted()
          .toList();
    }
  }

  static ContainerOptions.Builder opts(String network, String... command) {
    return new ContainerOptions.Builder(IMAGE).network(network).command(List.of(command));
  }

  ContainerRecord run(ContainerOptions o) throws BerthException {
    ContainerRecord r = engine.create(o);
    return engine.start(r.id(), Engine.StartListener.NONE);
  }

  /**
   * busybox wget from the test namespace (the engine's "host"), a few tries while the server
   * starts.
   */
  String fetch(String url) throws Exception {
    Exec.Result last = null;
    for (int i = 0; i < 50; i++) {
      // Debian's busybox 1.35 wget crashes on -T: timeout(1) bounds it instead.
      last = inNs("timeout", "5", "busybox", "wget", "-q", "-O", "-", url);
      if (last.exitCode() == 0) return last.stdout();
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new AssertionError("wget " + url + ": " + last);
  }

  static final String HTTPD =
      "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www";

  @Test
  void twoHundredRunsOnASmallSubnetReleaseEveryLeaseVethAndPin() throws Exception {
    // 13 addresses for containers: a run that kept its lease would exhaust them within 13 runs.
    engine
        .networks()
        .create(new NetworkStore.CreateRequest("tiny", "10.99.7.0/28", "", Map.of(), false, true));
    int runs = Integer.getInteger("berth.test.leaseCycles", 200);
    for (int i = 0; i < runs; i++) {
      ContainerRecord r = run(opts("tiny", "true").build());
      assertEquals(0, engine.await(r.id()), "run " + i);
      engine.remove(r.id(), true, true);
    }
    assertClean();
    engine.removeNetwork("tiny");
    assertEquals(List.of(), berthRules(), "with the last network, berth's chains went");
  }

  @Test
  void containersOnAUserNetworkReachEachOtherByNameAndAliasAndLeaveNothingBehind()
      throws Exception {
    engine.networks().create(NetworkStore.CreateRequest.named("app"));
    // alpha starts first and waits until beta's name resolves (the engine's DNS responder, run in
    // this process here), then pings it by name.
    ContainerRecord alpha =
        run(
            opts(
                    "app",
                    "sh",
                    "-c",
                    "while ! nslookup beta >/dev/null 2>&1; do sleep 0.1; done; ping -c1 -W5 beta && sleep 100")
                .name("alpha")
                .networking(
                    new NetworkOptions(
                        null, List.of("db"), null, null, null, null, null, null, false))
                .build());
    // beta stays a while: alpha pings it once its name resolves, which is as soon as it starts.
    ContainerRecord beta =
        run(
            opts("app", "sh", "-c", "ping -c1 -W5 alpha && ping -c1 -W5 db && sleep 3")
                .name("beta")
                .build());
    assertEquals(0, engine.await(beta.id()), "beta pinged alpha by name and alias");

    assertEquals(
        Status.RUNNING, engine.inspect(alpha.id()).state().status(), "alpha pinged beta by name");
    Endpoint a = ContainerViews.endpoints(engine.inspect(alpha.id())).get(0);
    assertEquals("app", a.network());
    assertEquals("eth0", a.ifName());
    assertEquals(List.of("db"), a.aliases());
    String hosts = Files.readString(engine.layout(alpha.id()).dir().resolve("hosts"));
    assertTrue(hosts.contains(a.ip() + "\t" + alpha.shortId() + " alpha db\n"), hosts);
    // beta exited: its name left the network's DNS records (peers are never in hosts files on a
    // DNS network), and its networking is gone.
    assertFalse(hosts.contains("beta"), hosts);
    String records = Files.readString(runRoot.resolve("dns/networks/app"));
    assertTrue(records.contains(" alpha "), records);
    assertFalse(records.contains("beta"), records);
    assertEquals(List.of(), ContainerViews.endpoints(engine.inspect(beta.id())));

    Map<String, Object> inspect =
        ContainerViews.inspect(engine.inspect(alpha.id()), engine.layout(alpha.id()));
    @SuppressWarnings("unchecked")
    Map<String, Object> settings = (Map<String, Object>) inspect.get("NetworkSettings");
    assertEquals(a.ip(), settings.get("IPAddress"));
    assertEquals(engine.networks().get("app").gateway(), settings.get("Gateway"));
    @SuppressWarnings("unchecked")
    Map<String, Object> app =
        (Map<String, Object>) ((Map<String, Object>) settings.get("Networks")).get("app");
    assertEquals(engine.networks().get("app").id(), app.get("NetworkID"));
    assertEquals(List.of("db"), app.get("Aliases"));

    // In use: docker's refusal; once alpha is gone, the network can go.
    BerthException inUse =
        assertThrows(BerthException.class, () -> engine.networks().remove("app"));
    assertEquals(
        "error while removing network: network app id "
            + engine.networks().get("app").id()
            + " has active endpoints",
        inUse.getMessage());
    engine.remove(alpha.id(), true, false);
    engine.removeNetwork("app");
    assertEquals("", inNs("ip", "-o", "link", "show", "type", "veth").ok().stdout());
    assertNotEquals(
        0, inNs("ip", "link", "show", "berth1").exitCode(), "the network's bridge is gone");
    assertFalse(
        inNs("iptables-save").ok().stdout().contains("berth1"), "rules naming its bridge are gone");
    assertEquals(List.of(), berthRules(), "with the last network, berth's chains went");
  }

  @Test
  void aHostForwardPolicyOfDropStillLetsContainersOutAndPublishedPortsIn() throws Exception {
    inNs("iptables", "-w", "-P", "FORWARD", "DROP").ok(); // as docker sets it
    try (Outside out = new Outside()) {
      ContainerRecord web =
          run(
              opts("bridge", "sh", "-c", HTTPD)
                  .networking(
                      new NetworkOptions(
                          null,
                          null,
                          null,
                          null,
                          null,
                          null,
                          null,
                          PortSpecs.parse("8080:80"),
                          false))
                  .build());
      // Out, masqueraded (the peer has no route back to the container's subnet), and in through
      // the published port.
      ContainerRecord probe =
          run(opts("bridge", "sh", "-c", "ping -c1 -W5 " + Outside.PEER).build());
      assertEquals(0, engine.await(probe.id()), "a container reaches a peer beyond its bridge");
      assertEquals("hello\n", out.fetch("http://" + Outside.HOST_SIDE + ":8080/index.html"));
      engine.stop(web.id(), 1);

      // A firewall reload flushes every rule: the next start makes the network's again, once.
      inNs("iptables", "-w", "-F").ok();
      inNs("iptables", "-w", "-t", "nat", "-F").ok();
      ContainerRecord again =
          run(opts("bridge", "sh", "-c", "ping -c1 -W5 " + Outside.PEER).build());
      assertEquals(0, engine.await(again.id()), "out again after the flush");
      List<String> rules = berthRules();
      assertEquals(rules.stream().distinct().toList(), rules, "no rule twice");
      assertTrue(rules.contains("-A FORWARD -j BERTH-FORWARD"), rules.toString());
    }
  }

  @Test
  void anInternalNetworkHasNoWayOutButItsContainersReachEachOther() throws Exception {
    engine.networks().create(new NetworkStore.CreateRequest("shut", "", "", Map.of(), true));
    try (Outside out = new Outside()) {
      run(opts("shut", "sleep", "100").name("peer").build());
      ContainerRecord probe =
          run(
              opts(
                      "shut",
                      "sh",
                      "-c",
                      "ping -c1 -W2 peer || exit 3; ping -c1 -W2 "
                          + Outside.PEER
                          + " && exit 4; ping -c1 -W2 "
                          + Outside.HOST_SIDE
                          + " && exit 5; exit 0")
                  .build());
      assertEquals(0, engine.await(probe.id()), "3: no peer, 4: reached out, 5: reached the host");
      assertTrue(
          berthRules().contains("-A BERTH-FORWARD -i berth1 -j DROP"), berthRules().toString());
      assertFalse(
          berthRules().stream().anyMatch(l -> l.contains("MASQUERADE")), berthRules().toString());
    }
  }

  @Test
  void twoEnginesStartingContainersOnANewNetworkAtOnceLeaveOneSetOfRules() throws Exception {
    engine.networks().create(NetworkStore.CreateRequest.named("app").withDisableDns(true));
    Engine second = Engine.open(config());
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(2);
      List<java.util.concurrent.Future<Integer>> exits = new ArrayList<>();
      for (Engine e : List.of(engine, second)) {
        ContainerRecord c = e.create(opts("app", "true").build());
        exits.add(
            pool.submit(
                () -> {
                  go.await();
                  e.start(c.id(), Engine.StartListener.NONE);
                  return e.await(c.id());
                }));
      }
      for (var f : exits) assertEquals(0, f.get());
    } finally {
      pool.shutdown();
      second.close();
    }
    List<String> rules = berthRules();
    assertEquals(rules.stream().distinct().toList(), rules, "no rule twice");
    assertEquals(1, rules.stream().filter(l -> l.equals("-A FORWARD -j BERTH-FORWARD")).count());
    assertEquals(
        1, rules.stream().filter(l -> l.equals("-A BERTH-FORWARD -i berth1 -j ACCEPT")).count());
  }

  @Test
  void twoUserNetworksAreIsolatedAndAContainerOnBothReachesEach() throws Exception {
    engine.networks().create(NetworkStore.CreateRequest.named("red"));
    engine.networks().create(NetworkStore.CreateRequest.named("blue"));
    ContainerRecord r = run(opts("red", "sleep", "100").name("rr").build());
    ContainerRecord b = run(opts("blue", "sleep", "100").name("bb").build());
    String rIp = ContainerViews.endpoints(engine.inspect(r.id())).get(0).ip();
    String bIp = ContainerViews.endpoints(engine.inspect(b.id())).get(0).ip();
    // Different networks: no name, no route between their bridges' containers (the networks'
    // isolation rules).
    ContainerRecord probe = run(opts("red", "sh", "-c", "ping -c1 -W2 " + bIp).build());
    assertNotEquals(0, engine.await(probe.id()));
    ContainerRecord both =
        run(
            opts("red", "sh", "-c", "ping -c1 -W5 rr && ping -c1 -W5 bb && ip -o addr show eth1")
                .networking(
                    new NetworkOptions(
                        List.of("blue"), null, null, null, null, null, null, null, false))
                .build());
    assertEquals(0, engine.await(both.id()));
    assertNotEquals(rIp, bIp);
  }

  @Test
  void aPublishedPortAnswersOnTheHostsLoopbackAndAFreeOneIsChosenForAContainerPortAlone()
      throws Exception {
    ContainerRecord web =
        run(
            opts("bridge", "sh", "-c", HTTPD)
                .name("web")
                .networking(
                    new NetworkOptions(
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        List.of(PortSpecs.parse("8080:80").get(0), PortSpecs.parse("80").get(0)),
                        false))
                .build());
    List<Endpoint.Port> ports = ContainerViews.ports(engine.inspect(web.id()));
    assertEquals(2, ports.size(), ports.toString());
    assertEquals(new Endpoint.Port("", 8080, 80, "tcp"), ports.get(0));
    int free = ports.get(1).hostPort();
    assertTrue(
        free >= ContainerNetworking.FIRST_FREE_PORT && free <= ContainerNetworking.LAST_FREE_PORT,
        "" + free);
    assertEquals(
        "0.0.0.0:8080->80/tcp, 0.0.0.0:" + free + "->80/tcp",
        ContainerViews.portsText(engine.inspect(web.id())));

    assertEquals("hello\n", fetch("http://127.0.0.1:8080/index.html"));
    assertEquals("hello\n", fetch("http://127.0.0.1:" + free + "/index.html"));
    String gateway = ContainerViews.endpoints(engine.inspect(web.id())).get(0).gateway();
    assertEquals("hello\n", fetch("http://" + gateway + ":8080/index.html"));

    // The same host port again: docker's error, and the failed start leaves nothing of its own.
    ContainerRecord clash =
        engine.create(
            opts("bridge", "sleep", "100")
                .networking(
                    new NetworkOptions(
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        PortSpecs.parse("8080:80"),
                        false))
                .build());
    BerthException e =
        assertThrows(
            BerthException.class, () -> engine.start(clash.id(), Engine.StartListener.NONE));
    assertTrue(
        e.getMessage().endsWith("Bind for 0.0.0.0:8080 failed: port is already allocated"),
        e.getMessage());
    assertEquals(
        1,
        Integer.parseInt(
            inNs("sh", "-c", "ip -o link show type veth | wc -l").ok().stdout().strip()));

    engine.stop(web.id(), 1);
    assertEquals(List.of(), ContainerViews.ports(engine.inspect(web.id())));
    assertEquals(
        "",
        inNs("sh", "-c", "iptables-save -t nat | grep -e '--dport 8080' || true").ok().stdout());
  }

  @Test
  @SuppressWarnings("unchecked")
  void publishAllPublishesTheExposedPortsAndInspectListsThem() throws Exception {
    List<String> expose = new java.util.ArrayList<>(PortSpecs.expose("8000-8001"));
    expose.addAll(PortSpecs.expose("53/udp"));
    ContainerRecord all =
        run(
            opts("bridge", "sh", "-c", HTTPD.replace("-p 80", "-p 8001"))
                .networking(
                    new NetworkOptions(
                        null, null, null, null, null, null, null, null, true, expose, null))
                .build());
    List<Endpoint.Port> ports = ContainerViews.ports(engine.inspect(all.id()));
    assertEquals(
        List.of("53/udp", "8000/tcp", "8001/tcp"),
        ports.stream().map(p -> p.containerPort() + "/" + p.protocol()).sorted().toList());
    int web = ports.stream().filter(p -> p.containerPort() == 8001).findFirst().get().hostPort();
    assertEquals("hello\n", fetch("http://127.0.0.1:" + web + "/index.html"));

    // Exposed, not published: inspect lists them, with no binding, as docker does.
    ContainerRecord quiet =
        run(
            opts("bridge", "sleep", "100")
                .networking(
                    new NetworkOptions(
                        null, null, null, null, null, null, null, null, false, expose, null))
                .build());
    Map<String, Object> view =
        ContainerViews.inspect(engine.inspect(quiet.id()), engine.layout(quiet.id()));
    Map<String, Object> config = (Map<String, Object>) view.get("Config");
    assertEquals(
        List.of("53/udp", "8000/tcp", "8001/tcp"),
        List.copyOf(((Map<String, Object>) config.get("ExposedPorts")).keySet()));
    Map<String, Object> settingsPorts =
        (Map<String, Object>) ((Map<String, Object>) view.get("NetworkSettings")).get("Ports");
    assertTrue(settingsPorts.containsKey("8000/tcp"), settingsPorts.toString());
    assertNull(settingsPorts.get("8000/tcp"));
    assertEquals(List.of(), ContainerViews.ports(engine.inspect(quiet.id())));

    BerthException bad = assertThrows(BerthException.class, () -> PortSpecs.expose("80/icmp"));
    assertTrue(bad.getMessage().contains("80/icmp"), bad.getMessage());
  }

  @Test
  void aMacAddressGivenIsTheContainersOnItsFirstNetwork() throws Exception {
    ContainerRecord r =
        run(
            opts(
                    "bridge",
                    "sh",
                    "-c",
                    "test $(cat /sys/class/net/eth0/address) = 02:42:ac:11:00:99")
                .networking(
                    new NetworkOptions(
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        false,
                        null,
                        "02:42:AC:11:00:99"))
                .build());
    assertEquals(0, engine.await(r.id()), "the interface has the address given");
    for (String bad : List.of("02:42:ac:11:00", "03:42:ac:11:00:99", "zz:42:ac:11:00:99")) {
      BerthException e =
          assertThrows(
              BerthException.class,
              () ->
                  engine.create(
                      opts("bridge", "true")
                          .networking(
                              new NetworkOptions(
                                  null, null, null, null, null, null, null, null, false, null, bad))
                          .build()));
      assertTrue(e.getMessage().startsWith("invalid MAC address: " + bad), e.getMessage());
    }
    BerthException none =
        assertThrows(
            BerthException.class,
            () ->
                engine.create(
                    opts("none", "true")
                        .networking(
                            new NetworkOptions(
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                false,
                                null,
                                "02:42:ac:11:00:99"))
                        .build()));
    assertTrue(none.getMessage().contains("mac-address"), none.getMessage());
  }

  @Test
  void noneHasOnlyItsLoopbackAndHostSharesTheEnginesNamespace() throws Exception {
    ContainerRecord none = run(opts("none", "sh", "-c", "test $(ip -o link | wc -l) = 1").build());
    assertEquals(0, engine.await(none.id()));
    String mine = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    ContainerRecord host =
        run(
            opts("host", "sh", "-c", "test \"$(readlink /proc/self/ns/net)\" = '" + mine + "'")
                .build());
    assertEquals(0, engine.await(host.id()));
  }

  @Test
  void aContainerJoinsAnothersNamespaceAndSeesItsAddress() throws Exception {
    ContainerRecord web = run(opts("bridge", "sh", "-c", HTTPD).name("web").build());
    String ip = ContainerViews.endpoints(engine.inspect(web.id())).get(0).ip();
    ContainerRecord side =
        run(
            opts(
                    "container:web",
                    "sh",
                    "-c",
                    "ip -o addr show eth0 | grep -q ' "
                        + ip
                        + "/' && wget -q -O - http://127.0.0.1/index.html")
                .build());
    assertEquals(0, engine.await(side.id()));
  }

  @Test
  void dnsAndAddHostFlagsWriteTheContainersFiles() throws Exception {
    ContainerRecord r =
        engine.create(
            opts("bridge", "true")
                .hostname("box")
                .networking(
                    new NetworkOptions(
                        null,
                        null,
                        null,
                        List.of("db.local:10.1.2.3"),
                        List.of("10.0.0.53"),
                        List.of("example.org"),
                        List.of("ndots:2"),
                        null,
                        false))
                .build());
    engine.start(r.id(), Engine.StartListener.NONE);
    engine.await(r.id());
    Path dir = engine.layout(r.id()).dir();
    assertEquals(
        "search example.org\nnameserver 10.0.0.53\noptions ndots:2\n",
        Files.readString(dir.resolve("resolv.conf")));
    assertTrue(Files.readString(dir.resolve("hosts")).contains("10.1.2.3\tdb.local\n"));
  }

  @Test
  void badNetworkRequestsAreRefusedAtCreateWithDockersErrors() throws Exception {
    BerthException missing =
        assertThrows(BerthException.class, () -> engine.create(opts("nosuch", "true").build()));
    assertEquals(ErrorCategory.NOT_FOUND, missing.category());
    assertEquals("network nosuch not found", missing.getMessage());
    BerthException ip =
        assertThrows(
            BerthException.class,
            () ->
                engine.create(
                    opts("bridge", "true")
                        .networking(
                            new NetworkOptions(
                                null, null, "10.87.0.9", null, null, null, null, null, false))
                        .build()));
    assertEquals(
        "user specified IP address is supported on user defined networks only", ip.getMessage());
    BerthException ports =
        assertThrows(BerthException.class, () -> PortSpecs.parse("8080:80/sctp"));
    assertEquals("invalid proto: sctp", ports.getMessage());
    assertEquals(List.of(), engine.containers().list().containers());
  }

  @Test
  void anAddressGivenWithIpIsTheContainers() throws Exception {
    engine
        .networks()
        .create(new NetworkStore.CreateRequest("fixed", "10.99.7.0/24", "", Map.of(), false));
    ContainerRecord r =
        run(
            opts("fixed", "sleep", "100")
                .networking(
                    new NetworkOptions(
                        null, null, "10.99.7.42", null, null, null, null, null, false))
                .build());
    assertEquals("10.99.7.42", ContainerViews.endpoints(engine.inspect(r.id())).get(0).ip());
  }

  @Test
  void hostGatewayInAddHostIsTheDefaultNetworksGateway() throws Exception {
    // docker's `--add-host host.docker.internal:host-gateway`: the host as containers reach it.
    List<String> extra = List.of("host.docker.internal:host-gateway", "other:10.1.2.3");
    ContainerRecord onBridge =
        run(
            opts("bridge", "sleep", "100")
                .networking(
                    new NetworkOptions(null, null, null, extra, null, null, null, null, false))
                .build());
    ContainerRecord alone =
        run(
            opts("none", "sleep", "100")
                .networking(
                    new NetworkOptions(null, null, null, extra, null, null, null, null, false))
                .build());
    String gw = engine.networks().defaultNetwork().gateway();
    assertFalse(gw.isEmpty());
    for (ContainerRecord r : List.of(onBridge, alone)) {
      String hosts = Files.readString(engine.layout(r.id()).dir().resolve("hosts"));
      assertTrue(hosts.contains(gw + "\thost.docker.internal\n"), hosts);
      assertTrue(hosts.contains("10.1.2.3\tother\n"), hosts);
      assertFalse(hosts.contains("host-gateway"), hosts);
    }
    assertEquals(
        extra, engine.inspect(alone.id()).options().networking().extraHosts(), "kept as given");
  }

  @Test
  void connectAndDisconnectARunningContainer() throws Exception {
    // without DNS: peers are listed in each other's /etc/hosts
    engine.networks().create(NetworkStore.CreateRequest.named("extra").withDisableDns(true));
    ContainerRecord peer = run(opts("extra", "sleep", "100").name("peer").build());
    ContainerRecord r = run(opts("bridge", "sleep", "100").name("joiner").build());
    engine.connect("extra", "joiner", List.of("j"), null);
    List<Endpoint> eps = ContainerViews.endpoints(engine.inspect(r.id()));
    assertEquals(List.of("berth", "extra"), eps.stream().map(Endpoint::network).toList());
    assertEquals("eth1", eps.get(1).ifName());
    assertTrue(
        Files.readString(engine.layout(peer.id()).dir().resolve("hosts")).contains("\tjoiner "));
    BerthException twice =
        assertThrows(
            BerthException.class, () -> engine.connect("extra", "joiner", List.of(), null));
    assertEquals("endpoint with name joiner already exists in network extra", twice.getMessage());
    engine.disconnect("extra", "joiner");
    assertEquals(
        List.of("berth"),
        ContainerViews.endpoints(engine.inspect(r.id())).stream().map(Endpoint::network).toList());
    assertFalse(
        Files.readString(engine.layout(peer.id()).dir().resolve("hosts")).contains("joiner"));
    assertEquals(
        2,
        Integer.parseInt(
            inNs("sh", "-c", "ip -o link show type veth | wc -l").ok().stdout().strip()));
  }

  @Test
  void aKilledMonitorAndContainerAreTornDownAtTheNextLook() throws Exception {
    ContainerRecord r = run(opts("bridge", "sleep", "100").build());
    Linux.kill(r.state().monitorPid(), 9);
    Linux.kill(r.state().pid(), 9);
    for (int i = 0; i < 100 && Files.exists(Path.of("/proc/" + r.state().pid())); i++) {
      TimeUnit.MILLISECONDS.sleep(20);
    }
    assertEquals(Status.EXITED, engine.inspect(r.id()).state().status());
    assertClean();
  }

  @Test
  void aRebootSimulationIsRecoveredAtTheNextOpen() throws Exception {
    engine.networks().create(NetworkStore.CreateRequest.named("app"));
    ContainerRecord r =
        run(
            opts("app", "sleep", "100")
                .name("aa")
                .networking(
                    new NetworkOptions(
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        PortSpecs.parse("8081:80"),
                        false))
                .build());
    // Every process gone (the monitor first, so nobody records the exit), the run root emptied; the
    // test
    // namespace keeps its bridge and rules as a crash would, while the pins' namespaces (and veths)
    // go.
    Linux.kill(r.state().monitorPid(), 9);
    Linux.kill(r.state().pid(), 9);
    engine.close();
    for (int i = 0; i < 100 && Files.exists(Path.of("/proc/" + r.state().pid())); i++) {
      TimeUnit.MILLISECONDS.sleep(20);
    }
    Exec.run("umount", "-l", runRoot.resolve("netns").resolve(r.id()).toString()).ok();
    Exec.run("umount", "-l", runRoot.resolve("netns").toString()).ok();
    for (String m : EngineTest.mountsUnder(runRoot)) Exec.run("umount", "-l", m);
    Exec.run("rm", "-rf", runRoot.toString()).ok();
    assertFalse(files(root.resolve("cni/ipam"), "[0-9.]+").isEmpty(), "a lease to recover");

    engine = Engine.open(config());
    assertClean();
    assertEquals(Status.EXITED, engine.containers().get(r.id()).state().status());
    // and it starts again on its network
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(1, ContainerViews.endpoints(engine.inspect(r.id())).size());
  }
}
