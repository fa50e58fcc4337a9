package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Received;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What runc 1.2-1.4's own integration tests (tests/integration/*.bats) expect of a runtime and
 * berth-runc once did otherwise: the words callers match, flags (--pidfd-socket), and mounts made
 * in the order and through the links the spec gives.
 */
@RequiresRoot
class RuncNewerBehaviourTest {
  @TempDir Path tmp;
  private Path runtime;
  private Path root;
  private Bundle bundle;
  private final String id = "newer" + ProcessHandle.current().pid();

  @BeforeEach
  void setUp() {
    runtime = BerthRunc.launcher();
    root = tmp.resolve("state");
    bundle = Bundle.busybox(tmp.resolve("bundle"));
  }

  @AfterEach
  void tearDown() {
    cli("delete", "-f", id);
    // Nothing of the container is left: no state, no cgroup named after it.
    assertFalse(Files.exists(root.resolve(id)));
    assertFalse(Files.exists(Path.of("/sys/fs/cgroup/pids", id)));
  }

  private Exec.Result cli(String... args) {
    return BerthRunc.runWithRoot(runtime.toString(), bundle.dir(), root, args);
  }

  /** A verb that leaves a container running: its stdio goes nowhere, so no pipe is held open. */
  private Exec.Result detached(String verb) throws IOException {
    Path err = tmp.resolve("detached.err");
    Exec.Result r =
        Exec.run(
            List.of(
                "sh",
                "-c",
                runtime + " --root " + root + " " + verb + " </dev/null >/dev/null 2>" + err),
            bundle.dir(),
            Map.of(),
            null,
            60);
    return new Exec.Result(r.command(), r.exitCode(), "", Files.readString(err));
  }

  private String state() {
    Exec.Result r = cli("state", id);
    return r.exitCode() == 0 ? r.stdout() : "gone";
  }

  @Test
  void aFailedExecveIsOneLineInTheProcesssOwnWords() throws IOException {
    Path script = bundle.rootfs().resolve("run.sh");
    Files.writeString(script, "#!/mmnnttbb foo bar\nsh\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    bundle.args("/run.sh");
    bundle.write();
    Exec.Result r = cli("run", id);
    assertNotEquals(0, r.exitCode());
    // As runc: no log line around it, no errno name; the container is gone.
    assertEquals("exec /run.sh: no such file or directory\n", r.stdout() + r.stderr());
    assertEquals("gone", state());
  }

  @Test
  void execCgroupRefusalsUseRuncsWords() throws IOException {
    bundle.args("sleep", "1000");
    bundle.linux().put("cgroupsPath", "/" + id);
    bundle.write();
    assertEquals(0, detached("run -d " + id).exitCode());
    Exec.Result parent = cli("exec", "--cgroup", "..", id, "true");
    assertEquals(255, parent.exitCode());
    assertTrue(parent.stderr().contains("bad sub cgroup path: .."), parent.stderr());
    Exec.Result unknown = cli("exec", "--cgroup", "whaaat:/", id, "true");
    assertTrue(unknown.stderr().contains("unknown controller whaaat"), unknown.stderr());
    Exec.Result missing = cli("exec", "--cgroup", "nonexistent", id, "true");
    assertTrue(
        missing.stderr().matches("(?s).* adding pid .*o such file or directory.*"),
        missing.stderr());
    // An existing sub-cgroup is joined.
    Path sub = Path.of("/sys/fs/cgroup/pids", id, "sub");
    Files.createDirectory(sub);
    try {
      Exec.Result in = cli("exec", "--cgroup", "pids:sub", id, "cat", "/proc/self/cgroup");
      assertEquals(0, in.exitCode(), in.stderr());
      assertTrue(in.stdout().matches("(?s).*:pids:/(.*/)?sub\n.*"), in.stdout());
    } finally {
      Files.deleteIfExists(sub);
      cli("delete", "-f", id);
    }
  }

  @Test
  void pidfdSocketReceivesTheInitOfACreatedContainer() throws Exception {
    bundle.args("sleep", "1000");
    bundle.write();
    Path sock = tmp.resolve("pidfd.sock");
    try (Fd listener = Linux.listenUnix(sock.toString(), LinuxConstants.SOCK_STREAM, 1)) {
      // The connection waits in the backlog: create need not wait for our accept.
      Exec.Result r = detached("create --pidfd-socket " + sock + " " + id);
      assertEquals(0, r.exitCode(), r.stderr());
      assertTrue(state().contains("\"status\": \"created\""), state());
      try (Fd conn = Linux.accept(listener, 0)) {
        Received got = Linux.recvmsg(conn, ByteBuffer.allocate(64), 1);
        assertEquals(1, got.fds().length);
        // A created container's init dies of SIGTERM, as runc's does, though it is the init of
        // its pid namespace.
        try (Fd pidfd = new Fd(got.fds()[0])) {
          Linux.pidfdSendSignal(pidfd, 15);
        }
      }
    }
    for (int i = 0; i < 100 && !state().contains("\"status\": \"stopped\""); i++) Thread.sleep(50);
    assertTrue(state().contains("\"status\": \"stopped\""), state());
  }

  @Test
  void startContainerHookWithoutEnvGetsTheProcesssEnv() {
    bundle.args("true");
    bundle.process().put("env", Bundle.list("ONE=two", "PATH=/bin"));
    bundle.hook(
        "startContainer", "/bin/sh", List.of("sh", "-c", "test \"$ONE\" = two"), List.of(), null);
    bundle.write();
    Exec.Result r = cli("run", id);
    assertEquals(0, r.exitCode(), r.stderr());
  }

  @Test
  void anAmbientCapabilityOutsideTheInheritableSetIsAWarning() {
    bundle.args("sh", "-c", "grep CapAmb /proc/self/status");
    @SuppressWarnings("unchecked")
    Map<String, Object> caps = (Map<String, Object>) bundle.process().get("capabilities");
    caps.put("inheritable", Bundle.list("CAP_KILL"));
    caps.put("ambient", Bundle.list("CAP_KILL", "CAP_CHOWN"));
    bundle.write();
    Exec.Result r = cli("run", id);
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(
        r.stderr().contains("can't raise ambient capability CAP_CHOWN: operation not permitted"),
        r.stderr());
    assertTrue(r.stdout().contains("CapAmb:\t0000000000000020"), r.stdout());
  }

  @Test
  void bindSourcesInsideTheRootfsAreTakenAfterTheMountsBeforeThem() throws IOException {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("x"));
    Files.writeString(src.resolve("x/file"), "from src\n");
    Path rootfs = bundle.rootfs();
    Files.createDirectories(rootfs.resolve("mnt"));
    Files.createDirectories(rootfs.resolve("final"));
    bundle.bind(src, "/mnt");
    // The source exists only once /mnt is bound; the destination spells out the rootfs's host path.
    bundle.bind(rootfs.resolve("mnt/x"), rootfs.resolve("final").toString());
    bundle.args("cat", "/final/file");
    bundle.write();
    Exec.Result r = cli("run", id);
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals("from src\n", r.stdout());
  }

  @Test
  void aBindThroughADanglingLinkLandsWhereTheLinkPoints() throws IOException {
    Path rootfs = bundle.rootfs();
    Files.deleteIfExists(rootfs.resolve("etc/hosts"));
    Files.createSymbolicLink(rootfs.resolve("etc/hosts"), Path.of("/tmp/foo/hosts"));
    Path file = tmp.resolve("hosts");
    Files.writeString(file, "bound\n");
    bundle.bind(file, "/etc/hosts");
    bundle.args("cat", "/tmp/foo/hosts");
    bundle.write();
    Exec.Result r = cli("run", id);
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals("bound\n", r.stdout());
  }

  @Test
  void aDeviceNodeOfTheRootfsIsKeptOnlyWhenItIsTheOneAskedFor() throws IOException {
    bundle
        .linux()
        .put(
            "devices",
            Bundle.list(Bundle.map("path", "/data/conflict", "type", "c", "major", 1, "minor", 3)));
    bundle.args("true");
    bundle.write();
    Files.createDirectories(bundle.rootfs().resolve("data"));
    Path file = Files.createFile(bundle.rootfs().resolve("data/conflict"));
    Exec.Result r = cli("run", id);
    assertNotEquals(0, r.exitCode());
    assertTrue(r.stderr().contains("/data/conflict has incorrect ftype"), r.stderr());
    // The image's file is still there: never removed to make room for the node.
    assertTrue(Files.isRegularFile(file));
    Files.delete(file);
    Exec.Result mknod =
        Exec.run("mknod", bundle.rootfs().resolve("data/conflict").toString(), "c", "1", "5");
    assertEquals(0, mknod.exitCode(), mknod.stderr());
    r = cli("run", id);
    assertNotEquals(0, r.exitCode());
    assertTrue(
        r.stderr()
            .contains("/data/conflict has incorrect major:minor: 1:5 doesn't match expected 1:3"),
        r.stderr());
    // The right device is kept, with the spec's permissions rather than the image's wider ones.
    Files.delete(bundle.rootfs().resolve("data/conflict"));
    Exec.run(
            "mknod",
            "-m",
            "0666",
            bundle.rootfs().resolve("data/conflict").toString(),
            "c",
            "1",
            "3")
        .ok();
    bundle
        .linux()
        .put(
            "devices",
            Bundle.list(
                Bundle.map(
                    "path",
                    "/data/conflict",
                    "type",
                    "c",
                    "major",
                    1,
                    "minor",
                    3,
                    "fileMode",
                    0600)));
    bundle.args("stat", "-c", "%a %t:%T", "/data/conflict");
    bundle.write();
    r = cli("run", id);
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals("600 1:3\n", r.stdout());
  }

  @Test
  void updateSetsCpuIdle() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.exists(Path.of("/sys/fs/cgroup/cpu/cpu.idle")), "needs a cgroup v1 cpu.idle");
    bundle.args("sleep", "1000");
    bundle.linux().put("cgroupsPath", "/" + id);
    bundle.write();
    assertEquals(0, detached("run -d " + id).exitCode());
    Exec.Result r = cli("update", "--cpu-idle", "1", id);
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals("1\n", Files.readString(Path.of("/sys/fs/cgroup/cpu", id, "cpu.idle")));
    assertNotEquals(0, cli("update", "--cpu-idle", "2", id).exitCode());
    assertEquals("1\n", Files.readString(Path.of("/sys/fs/cgroup/cpu", id, "cpu.idle")));
  }

  @Test
  void debugOutputNamesTheStagesRuncsTestsLookFor() {
    bundle.args("true");
    bundle.write();
    Exec.Result r = cli("--debug", "run", id);
    assertEquals(0, r.exitCode(), r.stderr());
    // runc 1.2+'s debug.bats looks for "nsexec started" and "child process in init()".
    assertTrue(r.stderr().contains("nsexec started"), r.stderr());
    assertTrue(r.stderr().contains("child process in init()"), r.stderr());
  }

  @Test
  void maskedDirectoriesShareOneReadOnlyTmpfs() throws IOException {
    Files.createDirectories(bundle.rootfs().resolve("m1"));
    Files.createDirectories(bundle.rootfs().resolve("m2"));
    Files.writeString(bundle.rootfs().resolve("m2/secret"), "x");
    bundle.linux().put("maskedPaths", Bundle.list("/m1", "/m2"));
    bundle.args("sh", "-c", "stat -c %d /m1 /m2; ls /m2; touch /m2/f 2>/dev/null || echo ro");
    bundle.write();
    Exec.Result r = cli("run", id);
    assertEquals(0, r.exitCode(), r.stderr());
    List<String> lines = r.stdout().lines().toList();
    assertEquals(3, lines.size(), r.stdout());
    assertEquals(lines.get(0), lines.get(1), "one device for both: " + r.stdout());
    assertEquals("ro", lines.get(2));
  }

  @Test
  void aSharedRootfsPropagationMakesTheNewRootShared() {
    bundle.linux().put("rootfsPropagation", "shared");
    bundle.args("sh", "-c", "awk '$5 == \"/\" { print $7 }' /proc/self/mountinfo");
    bundle.write();
    Exec.Result r = cli("run", id);
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(r.stdout().startsWith("shared:"), r.stdout());
  }

  /**
   * runc's exec-wait-fifo.bats: with --exec-wait-fifo, exec -d returns (pid file written) while the
   * process waits before its execve; it runs once the fifo is opened for reading. A path that is
   * not a fifo, or not there, is refused in runc's words.
   */
  @Test
  void execWaitFifoHoldsTheProcessBeforeItsExecveUntilTheFifoIsRead() throws Exception {
    Path out = Files.createDirectory(tmp.resolve("out"));
    bundle.args("sleep", "1000");
    bundle.bind(out, "/out");
    bundle.write();
    assertEquals(0, detached("run -d " + id).exitCode());
    Path fifo = tmp.resolve("exec-wait.fifo");
    assertEquals(
        0, Exec.run(List.of("mkfifo", fifo.toString()), tmp, Map.of(), null, 10).exitCode());
    Path pidFile = tmp.resolve("exec.pid");
    Exec.Result r =
        detached(
            "exec -d --pid-file "
                + pidFile
                + " --exec-wait-fifo "
                + fifo
                + " "
                + id
                + " sh -c 'echo ran > /out/marker'");
    assertEquals(0, r.exitCode(), r.stderr());
    int pid = Integer.parseInt(Files.readString(pidFile).trim());
    Thread.sleep(300);
    assertFalse(Files.exists(out.resolve("marker")), "the process ran before the fifo was read");
    assertTrue(Files.exists(Path.of("/proc/" + pid)), "the waiting process is gone");
    // Opening the read end lets it go on: it execs its program, then the fifo reads to its end.
    try (var in = Files.newInputStream(fifo)) {
      in.readAllBytes();
    }
    // The shell makes the file, then writes it: wait for the whole line, not the file alone.
    Path marker = out.resolve("marker");
    for (int i = 0; i < 100; i++) {
      if (Files.exists(marker) && Files.readString(marker).equals("ran\n")) break;
      Thread.sleep(50);
    }
    assertEquals("ran\n", Files.readString(marker));

    Path notFifo = Files.writeString(tmp.resolve("not-a-fifo"), "");
    Exec.Result refused = cli("exec", "--exec-wait-fifo", notFifo.toString(), id, "true");
    assertNotEquals(0, refused.exitCode());
    assertTrue(refused.stderr().contains("is not a fifo"), refused.stderr());
    Exec.Result missing =
        cli("exec", "--exec-wait-fifo", tmp.resolve("none.fifo").toString(), id, "true");
    assertNotEquals(0, missing.exitCode());
    assertTrue(missing.stderr().contains("failed to open exec wait fifo"), missing.stderr());
  }

  /**
   * A wait fifo the process's user may not open for writing fails a foreground exec with the
   * reason, as any other step of the exec does: not a silent exit after the process was ready.
   */
  @Test
  void aWaitFifoTheProcessMayNotOpenFailsTheExecNamingWhy() throws Exception {
    bundle.args("sleep", "1000");
    bundle.write();
    assertEquals(0, detached("run -d " + id).exitCode());
    Path fifo = tmp.resolve("root-only.fifo");
    assertEquals(
        0,
        Exec.run(List.of("mkfifo", "-m", "0644", fifo.toString()), tmp, Map.of(), null, 10)
            .exitCode());
    Exec.Result r =
        cli("exec", "--user", "1000:1000", "--exec-wait-fifo", fifo.toString(), id, "true");
    // The runtime's own error (exit 255, "exec failed: ..."), not the process's dying words.
    assertEquals(255, r.exitCode(), r.stderr());
    assertTrue(
        r.stderr().contains("exec failed") && r.stderr().contains("permission denied"), r.stderr());
    // Nothing of the refused exec is left in the container: its only process is the init.
    java.util.regex.Matcher pid =
        java.util.regex.Pattern.compile("\"pid\": (\\d+)").matcher(state());
    assertTrue(pid.find(), state());
    assertEquals("[" + pid.group(1) + "]", cli("ps", "--format", "json", id).stdout().trim());
  }
}
