package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.state.Status;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.Bundle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Spec features checked from inside the container (and the kernel objects from outside). */
@ContainerTest(id = "f")
class ContainerFeaturesTest {
  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;
  String other;

  @BeforeEach
  void setUp() {
    other = id + "-b";
  }

  @AfterEach
  void tearDown() throws Exception {
    rt.delete(other, true);
  }

  private String probe(String script) throws Exception {
    bundle.sh("(" + script + ") >/out/probe 2>&1").write();
    int code = rt.run(id, CreateOptions.of(bundle.dir()), false, false, null);
    String probe = Files.readString(out.resolve("probe"));
    assertEquals(0, code, probe);
    return probe;
  }

  @Test
  void joinsANamespaceByPath() throws Exception {
    bundle.args("sleep", "60").write();
    rt.create(other, CreateOptions.of(bundle.dir()));
    int pid = rt.state(other).pid();
    String netns = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net")).toString();
    bundle.namespace("network", "/proc/" + pid + "/ns/net");
    String probe = probe("readlink /proc/self/ns/net");
    assertEquals(netns + "\n", probe);
  }

  @Test
  void devicesSysctlDomainnameAndOomScore() throws Exception {
    bundle
        .linux()
        .put(
            "devices",
            Bundle.list(
                Bundle.map(
                    "type",
                    "c",
                    "path",
                    "/dev/fuse2",
                    "major",
                    10,
                    "minor",
                    229,
                    "fileMode",
                    0640,
                    "uid",
                    7,
                    "gid",
                    8)));
    bundle
        .linux()
        .put("sysctl", Bundle.map("kernel.domainname", "from-sysctl", "net.ipv4.ip_forward", "1"));
    bundle.process().put("oomScoreAdj", 500);
    String probe =
        probe(
            "stat -c '%A %t:%T %u:%g' /dev/fuse2; cat /proc/sys/kernel/domainname;"
                + " cat /proc/sys/net/ipv4/ip_forward; cat /proc/self/oom_score_adj");
    assertEquals("crw-r----- a:e5 7:8\nfrom-sysctl\n1\n500\n", probe);
  }

  @Test
  void memoryAndPidsLimitsAreInTheContainersCgroup() throws Exception {
    bundle
        .linux()
        .put(
            "resources",
            Bundle.map(
                "devices", Bundle.list(Bundle.map("allow", false, "access", "rwm")),
                "memory", Bundle.map("limit", 64L * 1024 * 1024),
                "pids", Bundle.map("limit", 42)));
    String probe =
        probe("cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max");
    assertEquals("67108864\n42\n", probe);
  }

  @Test
  void theProcessStartsInEveryCgroupOfItsOwnEvenWithAPidsLimitOfOne() throws Exception {
    // berth-init joins the cgroups and forks the process inside them; the pids limit is written
    // once berth-init has
    // exited, so a limit of 1 leaves room for that fork. Shell builtins only: the process may not
    // fork.
    bundle.linux().put("resources", Bundle.map("pids", Bundle.map("limit", 1)));
    bundle
        .sh(
            "while read -r l; do echo \"$l\"; done </proc/self/cgroup >/out/probe;"
                + " read -r m </sys/fs/cgroup/pids/pids.max; echo \"max $m\" >>/out/probe")
        .write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    List<String> lines = Files.readAllLines(out.resolve("probe"));
    assertEquals("max 1", lines.getLast(), lines.toString());
    for (String line : lines.subList(0, lines.size() - 1)) {
      assertTrue(line.endsWith("/" + id), "every hierarchy, cgroup2 included: " + lines);
    }
  }

  @Test
  void aNewCgroupNamespaceIsRootedAtTheContainersCgroups() throws Exception {
    // As under runc: the process is born in its cgroups, so its cgroup namespace shows them as the
    // root.
    bundle.namespace("cgroup", null);
    String probe = probe("cat /proc/self/cgroup");
    for (String line : probe.split("\n")) assertTrue(line.endsWith(":/"), probe);
  }

  @Test
  void startContainerHookRunsInsideBeforeTheProcess() throws Exception {
    bundle.hook(
        "startContainer",
        "/bin/sh",
        List.of("sh", "-c", "cat > /out/start-state; hostname > /out/start-host"),
        List.of(),
        5);
    bundle.config().put("hostname", "inside");
    String probe = probe("cat /out/start-host; echo process");
    assertEquals("inside\nprocess\n", probe);
    assertTrue(Files.readString(out.resolve("start-state")).contains("\"id\":\"" + id + "\""));
  }

  @Test
  void aFailingHookFailsCreateAndLeavesNothing() throws Exception {
    bundle.hook("createRuntime", "/bin/sh", List.of("sh", "-c", "exit 3"), List.of(), 5);
    bundle.sh("true").write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(
        e.getMessage()
            .contains(
                "error running hook #0: error running createRuntime hook #0: /bin/sh: exited with"
                    + " status 3"),
        e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)));
    assertTrue(rt.list().isEmpty());
  }

  @Test
  void aFailingStartContainerHookFailsRunAndLeavesNothing() throws Exception {
    // It fails in the container after the release, where run (holding the init's socket) still
    // hears of it.
    bundle.hook("startContainer", "/bin/true", List.of("true"), List.of(), 5);
    bundle.hook("startContainer", "/bin/sh", List.of("sh", "-c", "exit 3"), List.of(), 5);
    bundle.sh("echo ran > /out/ran").write();
    for (boolean detach : List.of(false, true)) {
      ContainerException e =
          assertThrows(
              ContainerException.class,
              () -> rt.run(id, CreateOptions.of(bundle.dir()), detach, false, null));
      assertEquals(
          "error running hook #1: error running startContainer hook #1: /bin/sh exited with"
              + " status 3",
          e.getMessage());
      assertFalse(Files.exists(out.resolve("ran")), "the process ran");
      assertFalse(Files.exists(rt.root().resolve(id)));
      assertTrue(rt.list().isEmpty());
    }
  }

  @Test
  void aHookThatOutlivesItsTimeoutIsKilled() throws Exception {
    bundle.hook("prestart", "/bin/sh", List.of("sh", "-c", "sleep 30"), List.of(), 1);
    bundle.sh("true").write();
    long t0 = System.nanoTime();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("timed out"), e.getMessage());
    assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
    assertFalse(Files.exists(rt.root().resolve(id)));
  }

  @Test
  void terminalMasterGoesToTheConsoleSocket() throws Exception {
    Path sock = tmp.resolve("console.sock");
    bundle.process().put("terminal", true);
    bundle.process().put("consoleSize", Bundle.map("height", 21, "width", 77));
    bundle.sh("tty; echo hello-tty").write();
    try (Fd listener = Linux.listenUnix(sock.toString(), LinuxConstants.SOCK_STREAM, 1)) {
      rt.create(id, new CreateOptions(bundle.dir(), null, sock, false, false, 0));
      try (Fd conn = Linux.accept(listener, 0)) {
        var got = Linux.recvmsg(conn, ByteBuffer.allocateDirect(64), 1);
        assertEquals(1, got.fds().length, "one fd, the pty master");
        try (Fd master = new Fd(got.fds()[0])) {
          // process.consoleSize is the pty's size before the receiver sees it, as with runc.
          assertEquals(
              List.of(21, 77), java.util.Arrays.stream(Linux.getWinsize(master)).boxed().toList());
          rt.start(id);
          StringBuilder text = new StringBuilder();
          ByteBuffer buf = ByteBuffer.allocateDirect(4096);
          while (!text.toString().contains("hello-tty")) {
            buf.clear();
            int n;
            try {
              n = Linux.read(master, buf);
            } catch (IOException eio) {
              break; // EIO once the slave side is closed
            }
            if (n <= 0) break;
            buf.flip();
            byte[] b = new byte[n];
            buf.get(b);
            text.append(new String(b, StandardCharsets.UTF_8));
          }
          assertTrue(text.toString().contains("/dev/pts/0"), text.toString());
          assertTrue(text.toString().contains("hello-tty"), text.toString());
        }
      }
    }
    for (int i = 0; i < 200 && rt.state(id).status() != Status.STOPPED; i++) Thread.sleep(10);
  }

  @Test
  void terminalWithoutConsoleSocketIsRefused() throws Exception {
    bundle.process().put("terminal", true);
    bundle.write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("console socket"), e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)));
  }

  @Test
  void containerGetsItsOwnSessionKeyringUnlessAskedNotTo() throws Exception {
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    assertTrue(
        Files.readString(Path.of("/proc/keys")).contains("_ses." + id + "\n")
            || Files.readString(Path.of("/proc/keys")).contains("_ses." + id + ":"),
        "keyring _ses." + id);
    rt.create(other, new CreateOptions(bundle.dir(), null, null, false, true, 0));
    assertFalse(
        Files.readString(Path.of("/proc/keys")).contains("_ses." + other), "--no-new-keyring");
  }

  @Test
  void noPivotRunsInAChroot() throws Exception {
    bundle.sh("(ls /; hostname) > /out/probe 2>&1").write();
    int code =
        rt.run(id, new CreateOptions(bundle.dir(), null, null, true, false, 0), false, false, null);
    assertEquals(0, code);
    assertTrue(Files.readString(out.resolve("probe")).contains("bin\n"));
  }

  @Test
  void killAllReachesEveryProcessAndDeleteForceEndsARunningContainer() throws Exception {
    bundle.sh("sleep 60 & sleep 60 & echo up > /out/up; wait").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    for (int i = 0; i < 500 && !Files.exists(out.resolve("up")); i++) Thread.sleep(10);
    assertEquals(3, rt.pids(id).size(), rt.pids(id).toString());
    ContainerException notStopped =
        assertThrows(ContainerException.class, () -> rt.delete(id, false));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, notStopped.category());
    List<Integer> pids = rt.pids(id);
    rt.delete(id, true);
    for (int p : pids)
      assertFalse(
          Files.exists(Path.of("/proc/" + p)) && !isZombie(p), "process " + p + " survived");
    assertFalse(Files.exists(rt.root().resolve(id)));
  }

  private static boolean isZombie(int pid) {
    var st = dev.berth.runtime.process.ProcStat.of(pid);
    return st == null || st.isGone();
  }
}
