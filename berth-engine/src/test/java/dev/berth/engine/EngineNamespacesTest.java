package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.monitor.CriLog;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
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
 * Namespace modes ({@code --pid/--ipc/--uts host|container:NAME|ns:PATH}, {@code --network
 * ns:PATH}), sysctls, a container's own cgroup parent and log path, on the real kernel with
 * containers of the test busybox image.
 */
@RequiresRoot
class EngineNamespacesTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  Path root;
  Path runRoot;
  Engine engine;
  final List<String> netnsToDelete = new ArrayList<>();
  final List<String> cgroupsToDelete = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    root = tmp.resolve("root");
    runRoot = tmp.resolve("run");
    engine = Engine.open(EngineConfig.at(root, runRoot));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("busybox.tar"), IMAGE);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      for (ContainerRecord r : engine.containers().list().containers()) {
        try {
          engine.remove(r.id(), true, true);
        } catch (BerthException e) {
          // gone
        }
      }
      engine.close();
      assertEquals(List.of(), EngineTest.mountsUnder(tmp), "mounts left behind");
    } finally {
      for (String ns : netnsToDelete) Exec.run("ip", "netns", "del", ns);
      for (String cg : cgroupsToDelete) removeCgroupEverywhere(cg);
    }
  }

  static ContainerOptions.Builder opts(String... command) {
    return new ContainerOptions.Builder(IMAGE).network("none").command(List.of(command));
  }

  ContainerRecord run(ContainerOptions o) throws BerthException {
    return engine.start(engine.create(o).id(), Engine.StartListener.NONE);
  }

  String logText(ContainerRecord r) throws IOException {
    StringBuilder b = new StringBuilder();
    Path log = Engine.logPath(r, engine.layout(r.id()));
    for (CriLog.Entry e : CriLog.read(log, null, -1)) {
      b.append(new String(e.text(), StandardCharsets.UTF_8));
      if (!e.partial()) b.append('\n');
    }
    return b.toString();
  }

  /** Runs {@code o} to its end and returns its output; it must exit 0. */
  String output(ContainerOptions o) throws Exception {
    ContainerRecord r = run(o);
    assertEquals(0, engine.await(r.id()), () -> "exit status; output: " + safeLog(r));
    return logText(engine.inspect(r.id()));
  }

  private String safeLog(ContainerRecord r) {
    try {
      return logText(r);
    } catch (IOException e) {
      return e.toString();
    }
  }

  static String nsLink(int pid, String type) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + type)).toString();
  }

  static String ownNsLink(String type) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/self/ns/" + type)).toString();
  }

  @Test
  void aContainerJoiningAnothersPidNamespaceSeesItsProcesses() throws Exception {
    ContainerRecord a = run(opts("sleep", "1000").build());
    String out =
        output(
            opts("sh", "-c", "ps -o pid,args; readlink /proc/self/ns/pid")
                .host(HostOptions.NONE.withPidMode("container:" + a.name()))
                .build());
    assertTrue(out.contains("sleep 1000"), out);
    assertTrue(out.contains(nsLink(a.state().pid(), "pid")), out);
    // Its init is the other's: pid 1 in there is the sleep.
    assertTrue(out.lines().anyMatch(l -> l.matches("\\s*1\\s+sleep 1000")), out);
  }

  @Test
  void ipcAndUtsOfAnotherContainerAndOfTheHost() throws Exception {
    ContainerRecord a = run(opts("sleep", "1000").hostname("alpha").build());
    int pid = a.state().pid();
    String out =
        output(
            opts(
                    "sh",
                    "-c",
                    "hostname; cat /etc/hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts")
                .host(
                    HostOptions.NONE
                        .withIpcMode("container:" + a.id())
                        .withUtsMode("container:" + a.name()))
                .build());
    assertEquals("alpha\nalpha\n" + nsLink(pid, "ipc") + "\n" + nsLink(pid, "uts") + "\n", out);

    String host =
        output(
            opts("sh", "-c", "hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts")
                .host(HostOptions.NONE.withIpcMode("host").withUtsMode("host"))
                .build());
    String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    assertEquals(hostname + "\n" + ownNsLink("ipc") + "\n" + ownNsLink("uts") + "\n", host);

    ContainerRecord r =
        engine.create(opts("true").host(HostOptions.NONE.withUtsMode("host")).build());
    @SuppressWarnings("unchecked")
    Map<String, Object> hc =
        (Map<String, Object>)
            ContainerViews.inspect(engine.inspect(r.id()), engine.layout(r.id())).get("HostConfig");
    assertEquals("host", hc.get("UTSMode"));
    assertEquals("", hc.get("PidMode"));
    assertEquals("private", hc.get("IpcMode"));
  }

  @Test
  void aUtsNamespaceFileGivesItsNameUnlessTheContainerAsksForOne() throws Exception {
    ContainerRecord a = run(opts("sleep", "1000").hostname("alpha").build());
    String file = "/proc/" + a.state().pid() + "/ns/uts";
    String script = "hostname; cat /etc/hostname; echo $HOSTNAME";
    assertEquals(
        "alpha\nalpha\nalpha\n",
        output(opts("sh", "-c", script).host(HostOptions.NONE.withUtsMode("ns:" + file)).build()));
    // Asked for (as the CRI's pods do): the files and the environment say it, the joined namespace
    // keeps its own name.
    assertEquals(
        "alpha\nbeta\nbeta\n",
        output(
            opts("sh", "-c", script)
                .hostname("beta")
                .host(HostOptions.NONE.withUtsMode("ns:" + file))
                .build()));
  }

  @Test
  void pidHostSeesTheHostsPidOne() throws Exception {
    String out =
        output(
            opts("sh", "-c", "cat /proc/1/comm; readlink /proc/self/ns/pid")
                .host(HostOptions.NONE.withPidMode("host"))
                .build());
    assertEquals(
        Files.readString(Path.of("/proc/1/comm")).strip() + "\n" + ownNsLink("pid") + "\n", out);
  }

  @Test
  void aNetworkNamespaceFileIsJoinedWithoutCniOrPin() throws Exception {
    String ns = "berth-test-" + UUID.randomUUID().toString().substring(0, 8);
    Exec.run("ip", "netns", "add", ns).ok();
    netnsToDelete.add(ns);
    Exec.run(
            "ip", "netns", "exec", ns, "ip", "link", "add", "mark0", "type", "veth", "peer", "name",
            "mark1")
        .ok();
    Path file = Path.of("/run/netns", ns);
    String out =
        output(
            opts("sh", "-c", "ls /sys/class/net; readlink /proc/self/ns/net")
                .network("ns:" + file)
                .build());
    assertTrue(out.contains("mark0\n"), out);
    String expected =
        Exec.run("ip", "netns", "exec", ns, "readlink", "/proc/self/ns/net").ok().stdout();
    assertTrue(out.endsWith(expected), out + " / " + expected);
    assertEquals(List.of(), dirEntries(runRoot.resolve("netns")), "no pin of the engine's");
  }

  @Test
  void badModesAreRefusedNamingTheFlagAndLeaveNothing() throws Exception {
    record Bad(HostOptions host, String network, String message, ErrorCategory category) {}
    List<Bad> bad =
        List.of(
            new Bad(
                HostOptions.NONE.withPidMode("bogus"),
                "none",
                "invalid --pid \"bogus\": want host, container:NAME or ns:PATH",
                ErrorCategory.INVALID_ARGUMENT),
            new Bad(
                HostOptions.NONE.withIpcMode("container:nosuch"),
                "none",
                "--ipc container:nosuch: ",
                ErrorCategory.NOT_FOUND),
            new Bad(
                HostOptions.NONE.withUtsMode("ns:relative/path"),
                "none",
                "invalid --uts \"ns:relative/path\": the path must be absolute",
                ErrorCategory.INVALID_ARGUMENT),
            new Bad(
                HostOptions.NONE.withPidMode("ns:" + tmp),
                "none",
                "invalid --pid \"ns:" + tmp + "\": " + tmp + " is not a namespace file",
                ErrorCategory.INVALID_ARGUMENT),
            new Bad(
                HostOptions.NONE.withCgroupnsMode("container:x"),
                "none",
                "invalid --cgroupns \"container:x\": want host or private",
                ErrorCategory.INVALID_ARGUMENT),
            new Bad(
                HostOptions.NONE,
                "ns:/nonexistent",
                "invalid --network \"ns:/nonexistent\": ",
                ErrorCategory.INVALID_ARGUMENT),
            new Bad(
                HostOptions.NONE.withSysctls(Map.of("net.ipv4.ip_forward", "1")),
                "host",
                "invalid --sysctl net.ipv4.ip_forward=1: not allowed in the host's network"
                    + " namespace",
                ErrorCategory.INVALID_ARGUMENT),
            new Bad(
                HostOptions.NONE.withSysctls(Map.of("kernel.shmmax", "1")).withIpcMode("host"),
                "none",
                "invalid --sysctl kernel.shmmax=1: not allowed in the host's IPC namespace",
                ErrorCategory.INVALID_ARGUMENT),
            new Bad(
                HostOptions.NONE.withSysctls(Map.of("vm.swappiness", "1")),
                "none",
                "invalid --sysctl vm.swappiness=1: not a namespaced sysctl",
                ErrorCategory.INVALID_ARGUMENT));
    for (Bad b : bad) {
      BerthException e =
          assertThrows(
              BerthException.class,
              () -> engine.create(opts("true").network(b.network()).host(b.host()).build()),
              b.message());
      assertTrue(e.getMessage().startsWith(b.message()), e.getMessage());
      assertEquals(b.category(), e.category(), e.getMessage());
    }
    assertEquals(List.of(), engine.containers().list().containers());
    assertEquals(List.of(), dirEntries(root.resolve("containers")));

    // A container to join that does not run: refused at start, the joiner's run undone.
    ContainerRecord stopped = engine.create(opts("true").build());
    ContainerRecord joiner =
        engine.create(
            opts("true").host(HostOptions.NONE.withPidMode("container:" + stopped.id())).build());
    BerthException e =
        assertThrows(
            BerthException.class, () -> engine.start(joiner.id(), Engine.StartListener.NONE));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
    assertEquals(
        "cannot join the pid namespace of container " + stopped.shortId() + ": it is not running",
        e.getMessage());
    assertEquals(List.of(), EngineTest.mountsUnder(runRoot));
  }

  @Test
  void aSysctlIsWrittenInTheContainersOwnNetworkNamespace() throws Exception {
    String hostValue = Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip();
    String want = hostValue.equals("1") ? "0" : "1";
    String out =
        output(
            opts("cat", "/proc/sys/net/ipv4/ip_forward")
                .host(HostOptions.NONE.withSysctls(Map.of("net.ipv4.ip_forward", want)))
                .build());
    assertEquals(want + "\n", out);
    assertEquals(hostValue, Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip());
  }

  @Test
  void aContainersOwnCgroupParentAndLogPathAreUsed() throws Exception {
    String own = ownCgroup("memory");
    String parent =
        (own.equals("/") ? "" : own)
            + "/berth-test-"
            + UUID.randomUUID().toString().substring(0, 8);
    cgroupsToDelete.add(parent);
    Path log = tmp.resolve("logs/pod/ctr_0.log");
    ContainerRecord r =
        run(
            opts("sh", "-c", "echo logged; sleep 1000")
                .host(HostOptions.NONE.withCgroupParent(parent).withLogPath(log.toString()))
                .build());
    String memory =
        Files.readAllLines(Path.of("/proc/" + r.state().pid() + "/cgroup")).stream()
            .filter(l -> l.split(":")[1].equals("memory"))
            .findFirst()
            .orElseThrow();
    assertEquals(parent + "/berth-" + r.id().substring(0, 12), memory.split(":", 3)[2]);
    for (int i = 0; i < 100 && !Files.exists(log); i++) TimeUnit.MILLISECONDS.sleep(50);
    for (int i = 0; i < 100 && !logText(r).equals("logged\n"); i++) TimeUnit.MILLISECONDS.sleep(50);
    assertEquals("logged\n", logText(r));
    assertEquals(log, engine.inspect(r.id()).logPath());
    engine.remove(r.id(), true, true);
    assertFalse(
        Files.exists(
            Path.of("/sys/fs/cgroup/memory" + parent + "/berth-" + r.id().substring(0, 12))),
        "the container's cgroup is gone");
  }

  static String ownCgroup(String controller) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
      String[] f = l.split(":", 3);
      if (List.of(f[1].split(",")).contains(controller)) return f[2];
    }
    return "/";
  }

  static void removeCgroupEverywhere(String path) throws IOException {
    try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
      for (Path h : hierarchies.toList()) {
        Path dir = Path.of(h + path);
        if (!Files.isDirectory(dir)) continue;
        try (Stream<Path> s = Files.walk(dir)) {
          for (Path p : s.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList())
            Exec.run("rmdir", p.toString());
        }
      }
    }
  }

  static List<String> dirEntries(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }
}
