package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The network verbs and flags through the real {@code bin/berth}, its network side in a namespace
 * this test creates (the hidden {@code --cni-launcher} global flag, passed on to the monitors'
 * cleanup too): docker's outputs for {@code network create/ls/inspect/rm}, {@code -p} reachable
 * from that namespace's loopback, {@code port} and the PORTS column, names on a user network (the
 * DNS responder the CLI starts detached, one for racing CLIs, gone with the last container), and
 * nothing left after {@code rm}.
 */
@RequiresRoot
class BerthNetworkCliTest {
  @TempDir Path tmp;
  String ns;
  String global;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/lib/cni/bridge")),
        "containernetworking-plugins not installed");
    BerthCli.launcher();
    ns = "berth-test-" + UUID.randomUUID().toString().substring(0, 8);
    Exec.run("ip", "netns", "add", ns).ok();
    inNs("ip", "link", "set", "lo", "up").ok();
    global =
        "--root "
            + tmp.resolve("store")
            + " --runroot "
            + tmp.resolve("run")
            + " --cni-launcher 'nsenter --net=/run/netns/"
            + ns
            + " --'";
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tmp.resolve("bb.tar").toString(), ".").ok();
    berth("import " + tmp.resolve("bb.tar") + " localhost/busybox").ok();
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (global != null) {
        for (String id : berth("ps -aq --no-trunc").stdout().lines().toList()) berth("rm -f " + id);
        assertEquals(
            List.of(),
            Processes.awaitNoneMentioning(tmp, java.time.Duration.ofSeconds(20)),
            "processes left");
        assertEquals(
            "", inNs("ip", "-o", "link", "show", "type", "veth").ok().stdout(), "veths left");
        assertFalse(
            inNs("iptables-save").ok().stdout().contains(" id: "), "per-container rules left");
        Path pins = tmp.resolve("run/netns");
        if (Files.isDirectory(pins)) {
          try (Stream<Path> s = Files.list(pins)) {
            assertEquals(List.of(), s.toList(), "pins left");
          }
          Exec.run("umount", "-l", pins.toString());
        }
      }
    } finally {
      if (ns != null) Exec.run("ip", "netns", "del", ns).ok();
    }
  }

  private Exec.Result berth(String shell) {
    return BerthCli.process(Map.of(), global + " " + shell);
  }

  private Exec.Result inNs(String... command) {
    List<String> c = new java.util.ArrayList<>(List.of("nsenter", "--net=/run/netns/" + ns, "--"));
    c.addAll(List.of(command));
    return Exec.run(c);
  }

  private String fetch(String url) throws Exception {
    Exec.Result last = null;
    for (int i = 0; i < 50; i++) {
      last = inNs("timeout", "5", "busybox", "wget", "-q", "-O", "-", url);
      if (last.exitCode() == 0) return last.stdout();
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new AssertionError("wget " + url + ": " + last);
  }

  @Test
  void networkVerbsPrintWhatDockersDo() {
    String id =
        berth("network create --subnet 10.98.1.0/24 --label team=a mynet").ok().stdout().strip();
    assertTrue(id.matches("[0-9a-f]{64}"), id);
    List<String> ls = berth("network ls").ok().stdout().lines().toList();
    assertEquals(
        List.of("NETWORK ID", "NAME", "DRIVER", "SCOPE"), List.of(ls.get(0).split("\\s{2,}")));
    assertTrue(
        ls.stream().anyMatch(l -> l.matches(id.substring(0, 12) + "\\s+mynet\\s+bridge\\s+local")),
        ls.toString());
    assertTrue(
        ls.stream().anyMatch(l -> l.matches("[0-9a-f]{12}\\s+berth\\s+bridge\\s+local")),
        ls.toString());
    assertEquals(
        "mynet\n", berth("network ls --filter label=team=a --format '{{.Name}}'").ok().stdout());
    String inspect = berth("network inspect mynet").ok().stdout();
    assertTrue(
        inspect.contains("\"Subnet\": \"10.98.1.0/24\"")
            && inspect.contains("\"Gateway\": \"10.98.1.1\""),
        inspect);
    assertEquals(
        "mynet " + id + "\n", berth("network inspect -f '{{.Name}} {{.Id}}' mynet").ok().stdout());
    Exec.Result dup = berth("network create mynet");
    assertEquals("Error: network with name mynet already exists\n", dup.stderr());
    Exec.Result missing = berth("network inspect nosuch");
    assertEquals(1, missing.exitCode());
    assertEquals("[]\n", missing.stdout());
    assertEquals("Error: No such network: nosuch\n", missing.stderr());
    assertEquals("mynet\n", berth("network rm mynet").ok().stdout());
    assertEquals("Error: network mynet not found\n", berth("network rm mynet").stderr());
  }

  @Test
  void aPublishedPortAnswersAndPortAndPsShowIt() throws Exception {
    // The build's tests default to --network none (BERTH_DEFAULT_NETWORK): docker's default is
    // asked for.
    String id =
        berth(
                "run -d --network bridge -p 8080:80 -p 90 --name web localhost/busybox sh -c "
                    + "'mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www'")
            .ok()
            .stdout()
            .strip();
    assertEquals("hello\n", fetch("http://127.0.0.1:8080/index.html"));
    List<String> port = berth("port web").ok().stdout().lines().toList();
    assertEquals("80/tcp -> 0.0.0.0:8080", port.get(0));
    assertTrue(port.get(1).matches("90/tcp -> 0\\.0\\.0\\.0:\\d+"), port.toString());
    assertEquals("0.0.0.0:8080\n", berth("port web 80").ok().stdout());
    assertEquals(1, berth("port web 81").exitCode());
    String ps = berth("ps --format '{{.Ports}}'").ok().stdout();
    assertTrue(ps.startsWith("0.0.0.0:8080->80/tcp, 0.0.0.0:"), ps);
    String ip = berth("inspect -f '{{.NetworkSettings.IPAddress}}' " + id).ok().stdout().strip();
    assertTrue(ip.startsWith("10."), ip);
    berth("rm -f web").ok();
    assertEquals(
        "",
        inNs("sh", "-c", "iptables-save -t nat | grep -e '--dport 8080' || true").ok().stdout());
  }

  @Test
  void containersOnAUserNetworkResolveEachOtherByNameThroughOneDetachedResponder()
      throws Exception {
    berth("network create app").ok();
    berth("network create other").ok();
    berth("network create --disable-dns quiet").ok();
    berth("run -d --network app --network-alias cache --name first localhost/busybox sleep 100")
        .ok();
    long pid = responderPid();
    String cmd = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
    assertTrue(cmd.contains("network dns-serve --run-dir " + tmp.resolve("run/dns")), cmd);
    Exec.Result second =
        berth(
            "run --rm --network app localhost/busybox sh -c 'nslookup first && nslookup cache"
                + " && ping -c1 -W5 first && ping -c1 -W5 cache'");
    assertEquals(0, second.exitCode(), second.toString());
    Exec.Result stranger =
        berth("run --rm --network other localhost/busybox sh -c 'nslookup first'");
    assertEquals(1, stranger.exitCode(), stranger.toString());
    // podman's --disable-dns: the host's resolvers, no responder address
    Exec.Result quiet = berth("run --rm --network quiet localhost/busybox cat /etc/resolv.conf");
    assertFalse(quiet.ok().stdout().contains("nameserver 10.91."), quiet.stdout());
    assertEquals(pid, responderPid(), "one responder for all of it");

    Exec.Result inUse = berth("network rm app");
    assertEquals(1, inUse.exitCode());
    assertTrue(
        inUse
            .stderr()
            .matches(
                "Error: error while removing network: network app id [0-9a-f]{64} has active"
                    + " endpoints\n"),
        inUse.stderr());
    berth("rm -f first").ok();
    berth("network rm app other quiet").ok();
    // no container on a DNS network: the responder ended by itself
    assertTrue(gone(pid), "responder " + pid + " still runs");
  }

  @Test
  void twoCliesRacingOnAUserNetworkStartOneResponder() throws Exception {
    berth("network create app").ok();
    List<java.util.concurrent.CompletableFuture<Exec.Result>> runs = new java.util.ArrayList<>();
    for (String name : List.of("alpha", "beta")) {
      runs.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> berth("run -d --network app --name " + name + " localhost/busybox sleep 100")));
    }
    for (var r : runs) r.join().ok();
    long pid = responderPid();
    List<Long> responders =
        ProcessHandle.allProcesses()
            .filter(
                h ->
                    String.join(" ", h.info().arguments().orElse(new String[0]))
                        .contains("dns-serve --run-dir " + tmp.resolve("run/dns")))
            .map(ProcessHandle::pid)
            .toList();
    assertEquals(List.of(pid), responders);
    Exec.Result both =
        berth("run --rm --network app localhost/busybox sh -c 'nslookup alpha && nslookup beta'");
    assertEquals(0, both.exitCode(), both.toString());
    // its memory, for the record
    String status = Files.readString(Path.of("/proc/" + pid + "/status"));
    System.out.println(
        "DNS responder "
            + status.lines().filter(l -> l.startsWith("VmRSS")).findFirst().orElse("VmRSS ?"));
    berth("rm -f alpha beta").ok();
    assertTrue(gone(pid), "responder " + pid + " still runs");
  }

  private long responderPid() throws Exception {
    return Long.parseLong(Files.readString(tmp.resolve("run/dns/responder.pid")).strip());
  }

  /**
   * Waits (bounded) until {@code pid} has ended: it exits right after answering its last reload.
   */
  private static boolean gone(long pid) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) return true;
      TimeUnit.MILLISECONDS.sleep(50);
    }
    return false;
  }
}
