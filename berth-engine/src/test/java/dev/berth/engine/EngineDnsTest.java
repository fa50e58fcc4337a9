package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.NetworkOptions;
import dev.berth.engine.network.Network;
import dev.berth.engine.network.NetworkStore;
import dev.berth.engine.network.dns.DnsMessage;
import dev.berth.engine.network.dns.DnsRunDir;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState;
import dev.berth.spec.error.BerthException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Name resolution between containers, end to end: busybox's nslookup and ping in containers on user
 * networks, against the engine's DNS responder started detached (a JVM of its own, as the CLI
 * starts it) inside the namespace this test made for the engine's network side, forwarding other
 * names to a fake upstream server the test runs on 127.0.0.1:53 of that namespace.
 */
@RequiresRoot
class EngineDnsTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  Path root;
  Path runRoot;
  String ns;
  Path nsPath;
  Path upstreamConf;
  Engine engine;
  DatagramSocket upstream;
  Thread upstreamThread;

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
    upstreamConf = tmp.resolve("upstream-resolv.conf");
    Files.writeString(upstreamConf, "nameserver 127.0.0.1\n");
    startUpstream();
    engine = Engine.open(config());
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("busybox.tar"), IMAGE);
  }

  /** The responder as the CLI runs it: a process of its own, here a JVM on the test class path. */
  EngineConfig config() {
    List<String> responder =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-Xmx16m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path")));
    String nativeDir = System.getProperty("berth.native.dir");
    if (nativeDir != null) responder.add(1, "-Dberth.native.dir=" + nativeDir);
    responder.addAll(
        List.of(
            "dev.berth.engine.network.dns.DnsResponderMain",
            "--resolv-conf",
            upstreamConf.toString()));
    return EngineConfig.at(root, runRoot)
        .withCniLauncher(List.of("/usr/bin/nsenter", "--net=" + nsPath, "--"))
        .withDnsResponder(responder);
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
        assertFalse(Files.exists(dns().pid()), "a responder still runs");
      }
    } finally {
      if (upstream != null) upstream.close();
      if (upstreamThread != null) upstreamThread.join();
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

  DnsRunDir dns() {
    return new DnsRunDir(runRoot.resolve("dns"));
  }

  Exec.Result inNs(String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=" + nsPath, "--"));
    c.addAll(List.of(command));
    return Exec.run(c);
  }

  /** A fake upstream on 127.0.0.1:53 of the test namespace: A 192.0.2.1 for *.example.org. */
  void startUpstream() throws Exception {
    upstream = fakeUpstream("127.0.0.1", 0xc0000201);
    upstreamThread = serve(upstream, 0xc0000201);
  }

  /** A socket on {@code address}:53 of the test namespace. */
  DatagramSocket fakeUpstream(String address, int answer) throws Exception {
    CompletableFuture<DatagramSocket> socket = new CompletableFuture<>();
    Thread.ofPlatform()
        .start(
            () -> {
              try (Fd fd = Linux.open(nsPath.toString(), LinuxConstants.O_RDONLY, 0)) {
                Linux.setns(fd, LinuxConstants.CLONE_NEWNET);
                socket.complete(new DatagramSocket(new InetSocketAddress(address, 53)));
              } catch (Exception e) {
                socket.completeExceptionally(e);
              }
            })
        .join();
    return socket.get();
  }

  /** Answers A {@code answer} for *.example.org on {@code upstream} until it is closed. */
  static Thread serve(DatagramSocket upstream, int answer) {
    return Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              byte[] buf = new byte[2048];
              while (!upstream.isClosed()) {
                try {
                  DatagramPacket p = new DatagramPacket(buf, buf.length);
                  upstream.receive(p);
                  DnsMessage q = DnsMessage.parse(java.util.Arrays.copyOf(buf, p.getLength()));
                  String name = q.questions().get(0).name();
                  boolean known =
                      name.endsWith("example.org")
                          && q.questions().get(0).type() == DnsMessage.TYPE_A;
                  DnsMessage a =
                      DnsMessage.reply(
                          q,
                          name.endsWith("example.org") ? 0 : DnsMessage.RCODE_NXDOMAIN,
                          0,
                          known ? List.of(DnsMessage.a(name, 5, answer)) : List.of(),
                          false);
                  byte[] out = a.encode();
                  upstream.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                } catch (Exception e) {
                  // closed, or unreadable
                }
              }
            });
  }

  ContainerRecord run(String network, String name, List<String> aliases, String script)
      throws BerthException {
    ContainerOptions o =
        new ContainerOptions.Builder(IMAGE)
            .network(network)
            .name(name)
            .networking(
                new NetworkOptions(null, aliases, null, null, null, null, null, null, false))
            .command(List.of("sh", "-c", script))
            .build();
    ContainerRecord r = engine.create(o);
    return engine.start(r.id(), Engine.StartListener.NONE);
  }

  /** Runs {@code script} in a new container on {@code network}; its exit status, log on failure. */
  int check(String network, String script) throws Exception {
    ContainerRecord r = run(network, null, List.of(), script);
    int status = engine.await(r.id());
    if (status != 0)
      System.err.println(script + ":\n" + Files.readString(engine.layout(r.id()).log()));
    engine.remove(r.id(), true, true);
    return status;
  }

  String ip(ContainerRecord r) throws BerthException {
    return ContainerViews.endpoints(engine.inspect(r.id())).get(0).ip();
  }

  long responderPid() throws Exception {
    return Long.parseLong(Files.readString(dns().pid()).strip());
  }

  /** Waits (bounded) until {@code pid} is no more: it exits by itself right after its lock. */
  static boolean gone(long pid) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) return true;
      TimeUnit.MILLISECONDS.sleep(50);
    }
    return false;
  }

  @Test
  void containersResolveNamesOfTheirNetworkOnlyUntilTheyGo() throws Exception {
    Network app = engine.networks().create(NetworkStore.CreateRequest.named("app"));
    engine.networks().create(NetworkStore.CreateRequest.named("other"));
    ContainerRecord web = run("app", "web", List.of("db"), "exec sleep 1000");
    String ip = ip(web);
    long pid = responderPid();
    assertTrue(ProcessHandle.of(pid).isPresent(), "the responder runs");
    String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
    assertTrue(cmdline.contains("DnsResponderMain"), cmdline);

    // by name, short id and alias, with nslookup (DNS only) and ping; the nameserver is the gateway
    assertEquals(
        0,
        check(
            "app",
            "grep -qx 'nameserver "
                + app.gateway()
                + "' /etc/resolv.conf && ! grep -q web /etc/hosts"
                + " && nslookup web | grep -q 'Address: "
                + ip
                + "' && nslookup "
                + web.shortId()
                + " | grep -q "
                + ip
                + " && nslookup db | grep -q "
                + ip
                + " && ping -c1 -W5 web"));
    // other names go to the upstream server
    assertEquals(0, check("app", "nslookup www.example.org | grep -q 'Address: 192.0.2.1'"));
    // a container on another network resolves none of app's names
    assertNotEquals(0, check("other", "nslookup web"));
    // not even by asking app's gateway, which the host routes to from any bridge
    assertNotEquals(0, check("other", "nslookup web " + app.gateway()));
    assertEquals(0, check("app", "nslookup web " + app.gateway()));
    assertNotEquals(0, check("other", "ping -c1 -W2 web"));
    assertEquals(pid, responderPid(), "one responder all along");

    // the name goes with the container
    engine.remove(web.id(), true, true);
    assertNotEquals(0, check("app", "nslookup web"));
    // nothing runs on a DNS network any more: the responder is gone, by itself
    assertTrue(gone(pid), "responder " + pid + " still runs");
    assertFalse(Files.exists(dns().pid()));
    assertEquals(List.of(), files(dns().networks()));
  }

  /**
   * docker's --dns on a network with names (compose's dns:): the container's queries for other
   * names go to its own servers, and its peers' names still resolve (the gateway stays its
   * nameserver, as docker's embedded DNS stays). Before, its resolv.conf had only its servers.
   */
  @Test
  void ownDnsServersGetTheOtherNamesAndPeersStillResolve() throws Exception {
    Network app = engine.networks().create(NetworkStore.CreateRequest.named("app"));
    ContainerRecord web = run("app", "web", List.of(), "exec sleep 1000");
    DatagramSocket own = fakeUpstream("127.0.0.2", 0xc0000202);
    Thread ownThread = serve(own, 0xc0000202);
    try {
      ContainerOptions o =
          new ContainerOptions.Builder(IMAGE)
              .network("app")
              .networking(
                  new NetworkOptions(
                      null, null, null, null, List.of("127.0.0.2"), null, null, null, false))
              .command(
                  List.of(
                      "sh",
                      "-c",
                      "grep -qx 'nameserver "
                          + app.gateway()
                          + "' /etc/resolv.conf && nslookup web | grep -q 'Address: "
                          + ip(web)
                          + "' && nslookup www.example.org | grep -q 'Address: 192.0.2.2'"
                          + " && echo checked && exec sleep 1000"))
              .build();
      ContainerRecord asker = engine.start(engine.create(o).id(), Engine.StartListener.NONE);
      Path log = engine.layout(asker.id()).log();
      // its checks pass (it sleeps), or fail (it ends)
      for (int i = 0; i < 400; i++) {
        if ((Files.exists(log) && Files.readString(log).contains("checked"))
            || engine.inspect(asker.id()).state().status() != ContainerState.Status.RUNNING) break;
        TimeUnit.MILLISECONDS.sleep(50);
      }
      assertTrue(Files.readString(log).contains("checked"), Files.readString(log));
      Path servers = dns().upstreams(asker.id());
      assertEquals("nameserver 127.0.0.2\n", Files.readString(servers));
      engine.kill(asker.id(), 9);
      assertEquals(137, engine.await(asker.id()));
      assertFalse(Files.exists(servers), "its servers go with its network");
      engine.remove(asker.id(), true, true);
      // the others still get the host's
      assertEquals(0, check("app", "nslookup www.example.org | grep -q 'Address: 192.0.2.1'"));
    } finally {
      own.close();
      ownThread.join();
    }
  }

  @Test
  void aNetworkWithoutDnsListsPeersInHostsAndKeepsTheHostsResolvers() throws Exception {
    Network quiet =
        engine.networks().create(NetworkStore.CreateRequest.named("quiet").withDisableDns(true));
    assertFalse(quiet.dnsEnabled());
    assertFalse(engine.network("quiet").dnsEnabled());
    ContainerRecord web = run("quiet", "web", List.of(), "exec sleep 1000");
    String ip = ip(web);
    assertEquals(
        0,
        check(
            "quiet",
            "! grep -q 'nameserver "
                + quiet.gateway()
                + "' /etc/resolv.conf && grep -q '"
                + ip
                + ".*web' /etc/hosts && ping -c1 -W5 web"));
    assertFalse(Files.exists(dns().pid()), "no responder for a network without DNS");
  }

  @Test
  void twoEnginesStartingContainersAtOnceStartOneResponder() throws Exception {
    engine.networks().create(NetworkStore.CreateRequest.named("app"));
    try (Engine second = Engine.open(config())) {
      CompletableFuture<ContainerRecord> a =
          CompletableFuture.supplyAsync(() -> start(engine, "alpha"));
      CompletableFuture<ContainerRecord> b =
          CompletableFuture.supplyAsync(() -> start(second, "beta"));
      a.join();
      b.join();
    }
    long pid = responderPid();
    List<Long> responders = new ArrayList<>();
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      for (ProcessHandle h : all.toList()) {
        String cmd = String.join(" ", h.info().arguments().orElse(new String[0]));
        if (cmd.contains("DnsResponderMain") && cmd.contains(dns().dir().toString()))
          responders.add(h.pid());
      }
    }
    assertEquals(List.of(pid), responders);
    assertEquals(0, check("app", "nslookup alpha && nslookup beta"));
    for (ContainerRecord r : engine.containers().list().containers())
      engine.remove(r.id(), true, true);
    assertTrue(gone(pid), "responder " + pid + " still runs");
  }

  static ContainerRecord start(Engine e, String name) {
    try {
      ContainerRecord r =
          e.create(
              new ContainerOptions.Builder(IMAGE)
                  .network("app")
                  .name(name)
                  .command(List.of("sleep", "1000"))
                  .build());
      return e.start(r.id(), Engine.StartListener.NONE);
    } catch (BerthException x) {
      throw new IllegalStateException(x);
    }
  }

  static List<String> files(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
