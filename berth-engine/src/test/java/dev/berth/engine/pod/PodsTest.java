package dev.berth.engine.pod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.engine.EngineTestSupport;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.pod.PodConfig.Mode;
import dev.berth.engine.pod.PodConfig.NamespaceOptions;
import dev.berth.engine.pod.PodRecord.State;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.monitor.CriLog;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.CgroupTree;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * Pod sandboxes end to end: namespaces pinned without a process, CNI (Debian's plugins, run in a
 * network namespace this test makes, as the engine's network tests do), containers of the test
 * busybox image joining them; and nothing left after stop and remove, or after a failed run.
 */
@RequiresRoot
class PodsTest {
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
        for (PodRecord p : engine.pods().list(PodRecord.Filter.ALL)) engine.pods().remove(p.id());
        for (ContainerRecord r : engine.containers().list().containers())
          engine.remove(r.id(), true, true);
        engine.close();
        assertClean();
      }
    } finally {
      for (String dir : List.of("netns", "podns")) {
        Path pins = runRoot == null ? null : runRoot.resolve(dir);
        if (pins != null && Files.isDirectory(pins)) {
          try (Stream<Path> s = Files.list(pins)) {
            for (Path p : s.toList()) Exec.run("umount", "-l", p.toString());
          }
          Exec.run("umount", "-l", pins.toString());
        }
      }
      if (ns != null) Exec.run("ip", "netns", "del", ns).ok();
    }
  }

  Exec.Result inNs(String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=" + nsPath, "--"));
    c.addAll(List.of(command));
    return Exec.run(c);
  }

  /** Nothing of any pod or container is left: network, pins, mounts, cgroups, files. */
  void assertClean() throws Exception {
    assertEquals("", inNs("ip", "-o", "link", "show", "type", "veth").ok().stdout(), "veths left");
    assertEquals(
        List.of(),
        inNs("iptables-save")
            .ok()
            .stdout()
            .lines()
            .filter(l -> l.startsWith("-A ") && (l.contains(" id: ") || l.startsWith("-A CNI-DN-")))
            .toList(),
        "iptables rules left");
    assertEquals(List.of(), files(root.resolve("cni/ipam"), "[0-9.]+"), "leases left");
    assertEquals(List.of(), files(root.resolve("cni/cache/results"), ".*"), "CNI cache left");
    assertEquals(List.of(), files(runRoot.resolve("netns"), ".*"), "network pins left");
    assertEquals(List.of(), files(runRoot.resolve("podns"), ".*"), "ipc/uts pins left");
    assertEquals(List.of(), entries(root.resolve("pods"), "[0-9a-f]{64}"), "pod records left");
    List<String> mounts = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String target = line.split(" ")[4];
      if (target.startsWith(tmp.toString())
          && !target.equals(runRoot.resolve("netns").toString())
          && !target.equals(runRoot.resolve("podns").toString())) mounts.add(target);
    }
    assertEquals(List.of(), mounts, "mounts left");
    assertEquals(
        List.of(),
        CgroupTree.named(Path.of("/sys/fs/cgroup/memory"), 6, n -> n.startsWith("berth-pod-")),
        "pod cgroups left");
  }

  static List<String> files(Path dir, String pattern) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches(pattern))
          .sorted()
          .toList();
    }
  }

  static List<String> entries(Path dir, String pattern) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches(pattern)).toList();
    }
  }

  static PodConfig pod(
      String name, NamespaceOptions namespaces, List<PodConfig.PortMapping> ports) {
    return new PodConfig(
        name,
        "uid-" + name,
        "default",
        0,
        name + "-host",
        null,
        null,
        ports,
        Map.of("app", name),
        Map.of("note", "kept"),
        null,
        Map.of(),
        namespaces,
        null,
        null,
        null);
  }

  static ContainerOptions.Builder opts(String... command) {
    return new ContainerOptions.Builder(IMAGE).command(List.of(command));
  }

  ContainerRecord start(PodRecord p, ContainerOptions o, Mode pid) throws BerthException {
    ContainerRecord r = engine.pods().createContainer(p.id(), o, pid);
    return engine.start(r.id(), Engine.StartListener.NONE);
  }

  String logText(ContainerRecord r) throws IOException {
    StringBuilder b = new StringBuilder();
    for (CriLog.Entry e : CriLog.read(engine.layout(r.id()).log(), null, -1)) {
      b.append(new String(e.text(), StandardCharsets.UTF_8));
      if (!e.partial()) b.append('\n');
    }
    return b.toString();
  }

  String output(PodRecord p, ContainerOptions o, Mode pid) throws Exception {
    ContainerRecord r = start(p, o, pid);
    int code = engine.await(r.id());
    String out = logText(engine.inspect(r.id()));
    assertEquals(0, code, out);
    return out;
  }

  /** The /proc stat lines of {@code parent}'s children (zombies too). */
  static List<String> children(int parent) {
    List<String> found = new java.util.ArrayList<>();
    try (var dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path d : dirs) {
        String stat;
        try {
          stat = Files.readString(d.resolve("stat"));
        } catch (IOException gone) {
          continue;
        }
        // pid (comm) state ppid ...: comm may hold spaces, so read after its last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        if (Integer.parseInt(f[1]) == parent) found.add(stat.strip());
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return found;
  }

  /** Whether {@code condition} holds within 5 seconds. */
  static boolean waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) return false;
      Thread.sleep(20);
    }
    return true;
  }

  static String nsLink(int pid, String type) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + type)).toString();
  }

  @Test
  void twoContainersOfAPodShareItsNetworkIpcAndUtsNamespaces() throws Exception {
    PodRecord p = engine.pods().run(pod("web", NamespaceOptions.POD, List.of()));
    assertEquals(State.READY, p.state());
    assertFalse(p.ip().isEmpty(), "an address from the default network");
    ContainerRecord server =
        start(
            p,
            opts(
                    "sh",
                    "-c",
                    "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 127.0.0.1:80 -h /www")
                .build(),
            null);
    int pid = server.state().pid();
    String out =
        output(
            p,
            opts(
                    "sh",
                    "-c",
                    "until wget -q -O - http://127.0.0.1/index.html; do sleep 0.1; done;"
                        + " hostname; cat /etc/hostname; readlink /proc/self/ns/ipc;"
                        + " readlink /proc/self/ns/uts; ip -o -4 addr show eth0")
                .build(),
            null);
    List<String> lines = out.lines().toList();
    assertEquals("hello", lines.get(0), out);
    assertEquals("web-host", lines.get(1), out);
    assertEquals("web-host", lines.get(2), out);
    assertEquals(nsLink(pid, "ipc"), lines.get(3));
    assertEquals(nsLink(pid, "uts"), lines.get(4));
    assertTrue(lines.get(5).contains(" " + p.ip() + "/"), out);
    assertEquals(2, engine.pods().containers(p.id()).size());
    assertEquals(
        List.of(p.id()),
        engine.pods().list(new PodRecord.Filter(null, State.READY, Map.of("app", "web"))).stream()
            .map(PodRecord::id)
            .toList());
    assertEquals(
        List.of(), engine.pods().list(new PodRecord.Filter(null, null, Map.of("app", "other"))));
  }

  @Test
  void aCriContainerConfigBecomesTheContainersSpec() throws Exception {
    Path logs = tmp.resolve("logs");
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("file"), "from the host\n");
    PodConfig base = pod("cri", NamespaceOptions.POD, List.of());
    PodConfig c =
        new PodConfig(
            base.name(),
            base.uid(),
            base.namespace(),
            1,
            base.hostname(),
            logs.toString(),
            new PodConfig.Dns(List.of("10.9.8.7"), List.of("svc.example"), List.of("ndots:5")),
            List.of(),
            base.labels(),
            base.annotations(),
            null,
            Map.of("net.ipv4.ip_unprivileged_port_start", "80", "kernel.shmmni", "4000"),
            base.namespaces(),
            null,
            null,
            null);
    PodRecord p = engine.pods().run(c);
    PodContainerConfig cc =
        new PodContainerConfig(
            "app",
            0,
            IMAGE,
            List.of("sh", "-c"),
            List.of(
                "id; cat /proc/self/oom_score_adj; grep NoNewPrivs /proc/self/status;"
                    + " touch /x 2>/dev/null || echo read-only; cat /data/file; ls /dev/mynull;"
                    + " echo $GREETING; cat /etc/resolv.conf;"
                    + " cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni;"
                    + " cat /sys/fs/cgroup/memory/memory.limit_in_bytes"),
            null,
            List.of("GREETING=hi"),
            List.of(
                new PodContainerConfig.Mount(
                    "/data",
                    data.toString(),
                    true,
                    PodContainerConfig.Propagation.HOST_TO_CONTAINER)),
            List.of(new PodContainerConfig.Device("/dev/mynull", "/dev/null", "rw")),
            Map.of("tier", "front"),
            Map.of("io.example/note", "yes"),
            "app/0.log",
            false,
            false,
            false,
            new PodContainerConfig.Security(
                1000L,
                1000L,
                null,
                List.of(1234L),
                null,
                null,
                false,
                true,
                true,
                null,
                null,
                null,
                null),
            new PodContainerConfig.Resources(
                100_000, 50_000, 512, null, null, 64L << 20, 0, 500, null, null));
    ContainerRecord r = engine.pods().createContainer(p.id(), cc);
    // containerd's name: the container's attempt (0), not the pod's (1)
    assertEquals("k8s_app_cri_default_uid-cri_0", r.name());
    engine.start(r.id(), Engine.StartListener.NONE);
    int code = engine.await(r.id());
    Path log = logs.resolve("app/0.log");
    assertTrue(Files.exists(log), "the log is at log_directory/log_path");
    StringBuilder out = new StringBuilder();
    for (CriLog.Entry e : CriLog.read(log, null, -1))
      out.append(new String(e.text(), StandardCharsets.UTF_8)).append('\n');
    assertEquals(0, code, out.toString());
    List<String> lines = out.toString().lines().toList();
    assertEquals("uid=1000 gid=1000 groups=1000,1234", lines.get(0), out.toString());
    assertEquals("500", lines.get(1));
    assertEquals("NoNewPrivs:\t1", lines.get(2));
    assertEquals("read-only", lines.get(3));
    assertEquals("from the host", lines.get(4));
    assertEquals("/dev/mynull", lines.get(5));
    assertEquals("hi", lines.get(6));
    assertTrue(out.toString().contains("nameserver 10.9.8.7\n"), out.toString());
    assertTrue(out.toString().contains("search svc.example\n"), out.toString());
    assertTrue(out.toString().contains("80\n4000\n"), out.toString());
    assertTrue(out.toString().endsWith((64L << 20) + "\n"), out.toString());
    assertEquals(
        Map.of(
            "tier",
            "front",
            Pods.POD_LABEL,
            p.id(),
            PodContainerConfig.NAME_LABEL,
            "app",
            PodContainerConfig.ATTEMPT_LABEL,
            "0"),
        engine.inspect(r.id()).options().labels());

    BerthException e =
        assertThrows(
            BerthException.class,
            () ->
                engine
                    .pods()
                    .createContainer(p.id(), PodContainerConfig.of("", IMAGE, List.of("true"))));
    assertEquals("container config: metadata.name is required", e.getMessage());
    engine.pods().stop(p.id());
    BerthException notReady =
        assertThrows(
            BerthException.class,
            () ->
                engine
                    .pods()
                    .createContainer(
                        p.id(), PodContainerConfig.of("late", IMAGE, List.of("true"))));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, notReady.category());
  }

  @Test
  void containersOfAPodSharingItsPidNamespaceSeeEachOther() throws Exception {
    PodRecord p =
        engine
            .pods()
            .run(pod("pids", new NamespaceOptions(Mode.POD, Mode.POD, Mode.POD), List.of()));
    // The first container's shell leaves an orphan: it becomes a child of the pod's init (its
    // container's processes have parents outside the namespace), which reaps it when it ends.
    start(p, opts("sh", "-c", "(sleep 1.5 &); exec sleep 1000").build(), null);
    String out = output(p, opts("ps", "-o", "pid,args").build(), null);
    assertTrue(out.contains("sleep 1000"), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("\\s*1\\s+.*berth-monitor pause")), out);
    assertTrue(waitFor(() -> !children(p.pausePid()).isEmpty()), "the orphan reached the init");
    assertTrue(
        waitFor(() -> children(p.pausePid()).isEmpty()),
        () -> "orphans reaped by the pod's init: " + children(p.pausePid()));
    // A container of its own pid namespace in the same pod sees only itself.
    String own = output(p, opts("ps", "-o", "pid,args").build(), Mode.CONTAINER);
    assertFalse(own.contains("sleep"), own);
  }

  @Test
  void aHostNetworkPodHasTheHostsNetworkAndUtsNamespaces() throws Exception {
    PodRecord p =
        engine
            .pods()
            .run(
                pod(
                    "hostnet",
                    new NamespaceOptions(Mode.NODE, Mode.CONTAINER, Mode.POD),
                    List.of()));
    assertEquals("", p.ip());
    assertEquals(null, p.netns());
    String out = output(p, opts("sh", "-c", "readlink /proc/self/ns/net; hostname").build(), null);
    String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    assertEquals(
        Files.readSymbolicLink(Path.of("/proc/self/ns/net")) + "\n" + hostname + "\n", out);
    assertEquals(List.of(), files(runRoot.resolve("netns"), ".*"), "no network pin");
  }

  @Test
  void aPortMappingsHostIpMustBeAnAddress() throws Exception {
    for (String bad : List.of("localhost", "1.2.3.4 -j ACCEPT", "10.0.0.1\n")) {
      BerthException e =
          assertThrows(
              BerthException.class,
              () ->
                  engine
                      .pods()
                      .run(
                          pod(
                              "badip",
                              NamespaceOptions.POD,
                              List.of(new PodConfig.PortMapping("tcp", 80, 8080, bad)))));
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
      assertTrue(e.getMessage().contains("host_ip"), e.getMessage());
    }
    assertEquals(List.of(), engine.pods().list(PodRecord.Filter.ALL), "nothing made");
  }

  @Test
  void aPortMappingIsReachableOnTheHostsLoopback() throws Exception {
    PodRecord p =
        engine
            .pods()
            .run(
                pod(
                    "ports",
                    NamespaceOptions.POD,
                    List.of(new PodConfig.PortMapping("tcp", 80, 8080, ""))));
    start(
        p,
        opts(
                "sh",
                "-c",
                "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www")
            .build(),
        null);
    Exec.Result last = null;
    for (int i = 0; i < 50; i++) {
      last =
          inNs(
              "timeout",
              "5",
              "busybox",
              "wget",
              "-q",
              "-O",
              "-",
              "http://127.0.0.1:8080/index.html");
      if (last.exitCode() == 0) break;
      TimeUnit.MILLISECONDS.sleep(100);
    }
    assertEquals("hello\n", last.stdout(), last.toString());
  }

  @Test
  void stopThenRemoveLeaveNothingAndAreIdempotent() throws Exception {
    PodRecord p =
        engine
            .pods()
            .run(pod("gone", new NamespaceOptions(Mode.POD, Mode.POD, Mode.POD), List.of()));
    ContainerRecord c = start(p, opts("sleep", "1000").build(), null);
    String cgroup = "berth-pod-" + p.shortId();

    PodRecord stopped = engine.pods().stop(p.id());
    assertEquals(State.NOTREADY, stopped.state());
    assertNotEquals(
        dev.berth.engine.store.ContainerState.Status.RUNNING,
        engine.inspect(c.id()).state().status());
    assertEquals("", inNs("ip", "-o", "link", "show", "type", "veth").ok().stdout(), "veth gone");
    assertEquals(List.of(), files(root.resolve("cni/ipam"), "[0-9.]+"), "lease released");
    assertEquals(List.of(), files(runRoot.resolve("netns"), ".*"), "network pin gone");
    assertFalse(PausePid.alive(p.pausePid(), p.id()), "the pause process is gone");
    assertEquals(State.NOTREADY, engine.pods().stop(p.id()).state(), "stop again is fine");
    assertEquals(State.NOTREADY, engine.pods().status(p.id()).state());

    engine.pods().remove(p.id());
    engine.pods().remove(p.id()); // again: fine
    assertEquals(List.of(), engine.containers().list().containers(), "its containers removed");
    BerthException unknown = assertThrows(BerthException.class, () -> engine.pods().status(p.id()));
    assertEquals(ErrorCategory.NOT_FOUND, unknown.category());
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> engine.pods().stop(p.id())).category());
    assertClean();
    try (Stream<Path> s = Files.walk(Path.of("/sys/fs/cgroup/memory"), 6)) {
      assertTrue(
          s.noneMatch(x -> x.getFileName() != null && x.getFileName().toString().equals(cgroup)));
    }
  }

  @Test
  void aReopenedEngineSeesThePodAndARebootMakesItNotReady() throws Exception {
    PodRecord p = engine.pods().run(pod("kept", NamespaceOptions.POD, List.of()));
    engine.close();
    engine = Engine.open(config());
    PodRecord again = engine.pods().status(p.id().substring(0, 12));
    assertEquals(State.READY, again.state());
    assertEquals(p.netns(), again.netns());
    assertEquals(p.ip(), again.ip());
    assertEquals(Map.of("note", "kept"), again.config().annotations());

    // A reboot: the run root's pins are gone.
    for (String dir : List.of("netns", "podns")) {
      try (Stream<Path> s = Files.list(runRoot.resolve(dir))) {
        for (Path pin : s.toList()) Exec.run("umount", "-l", pin.toString()).ok();
      }
    }
    assertEquals(State.NOTREADY, engine.pods().status(p.id()).state());
    engine.pods().remove(p.id());
  }

  @Test
  void aRunThatFailsAtCniLeavesNothing() throws Exception {
    Path noPlugins = Files.createDirectories(tmp.resolve("no-plugins"));
    engine.close();
    engine = Engine.open(config().withCniPluginDirs(List.of(noPlugins)));
    BerthException e =
        assertThrows(
            BerthException.class,
            () ->
                engine
                    .pods()
                    .run(
                        pod(
                            "broken",
                            new NamespaceOptions(Mode.POD, Mode.POD, Mode.POD),
                            List.of())));
    assertTrue(e.getMessage().contains("bridge"), e.getMessage());
    assertEquals(List.of(), engine.pods().list(PodRecord.Filter.ALL));
    assertClean();

    BerthException bad =
        assertThrows(
            BerthException.class, () -> engine.pods().run(PodConfig.of("", "u", "default")));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, bad.category());
    assertEquals("pod config: metadata.name is required", bad.getMessage());
  }
}
