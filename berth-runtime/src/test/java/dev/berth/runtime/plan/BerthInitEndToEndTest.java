package dev.berth.runtime.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berth-init executing real plans as root: namespaces, the rootfs, pivot_root, identity, hooks, the
 * exec fifo, the pty and errors, driven by src/test/c/drive-init.c in place of the Java runtime.
 * Every container here exits by itself and its mounts live only in its own mount namespace.
 */
@RequiresRoot
class BerthInitEndToEndTest {
  static final long MS_RDONLY = 1,
      MS_NOSUID = 2,
      MS_NODEV = 4,
      MS_NOEXEC = 8,
      MS_BIND = 4096,
      MS_REC = 16384,
      MS_SLAVE = 1 << 19;
  static final long NEWNS = 0x00020000L,
      NEWUTS = 0x04000000L,
      NEWPID = 0x20000000L,
      NEWUSER = 0x10000000L;
  static final List<String> ENV = List.of("PATH=/bin");

  @TempDir Path tmp;
  Path rootfs;

  @BeforeEach
  void rootfs() {
    rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
  }

  /**
   * Clone into new namespaces, bind the rootfs, proc and a tmpfs /dev with a null device: the usual
   * prefix.
   */
  List<Op> container(long cloneFlags, boolean devices) {
    List<Op> ops = new ArrayList<>();
    ops.add(new Op.Clone(cloneFlags));
    ops.add(new Op.WaitGo());
    ops.add(new Op.Mount(false, false, "", "/", "", MS_SLAVE | MS_REC, ""));
    ops.add(
        new Op.Mount(false, false, rootfs.toString(), rootfs.toString(), "", MS_BIND | MS_REC, ""));
    ops.add(new Op.SetRoot(rootfs.toString()));
    ops.add(new Op.Mkdirs("/proc", 0755));
    ops.add(
        new Op.Mount(false, true, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""));
    ops.add(new Op.Mkdirs("/dev", 0755));
    ops.add(new Op.Mount(false, true, "tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755"));
    if (devices) ops.add(new Op.Mknod("/dev/null", 0020666, 1, 3, 0, 0));
    return ops;
  }

  /** Ends a plan with a shell script run as the container process. */
  static Plan shell(List<Op> ops, String script) {
    List<Op> all = new ArrayList<>(ops);
    all.add(new Op.ResolveExec(List.of("/usr/bin/sh", "/bin/sh")));
    all.add(new Op.Exec(List.of("sh", "-c", script), ENV));
    return new Plan(all);
  }

  static int indexOf(Plan plan, Op op) {
    int i = plan.ops().indexOf(op);
    assertTrue(i >= 0, "op in plan: " + op);
    return i;
  }

  @Test
  void runsAShellInNewNamespacesUnderPivotRoot() throws IOException {
    String hostHostname = Files.readAllLines(Path.of("/proc/sys/kernel/hostname")).get(0);
    List<Op> ops = container(NEWNS | NEWUTS | NEWPID, true);
    ops.add(new Op.PivotRoot(false));
    ops.add(new Op.Sethostname("berth-test"));
    ops.add(new Op.CloseFds(3));
    Plan plan = shell(ops, "hostname; id; echo pid=$$; echo root:; ls /");

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());

    assertNull(r.error(), r.toString());
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.transcript().get(0).matches("PID \\d+"), r.toString());
    assertTrue(r.transcript().containsAll(List.of("EOF", "INIT-EXIT 0", "EXIT 0")), r.toString());
    List<String> out = r.stdout().lines().toList();
    assertEquals("berth-test", out.get(0), r.toString());
    assertTrue(out.get(1).startsWith("uid=0(root) gid=0(root)"), r.toString());
    assertEquals("pid=1", out.get(2), "the shell is pid 1 of its pid namespace\n" + r);
    assertTrue(r.stdout().contains("root:\nbin\ndev\netc\nproc\n"), "ls / shows the rootfs\n" + r);
    assertEquals(
        hostHostname,
        Files.readAllLines(Path.of("/proc/sys/kernel/hostname")).get(0),
        "host hostname kept");
  }

  @Test
  void failedMountReportsItsOpIndexAndErrno() {
    List<Op> ops = container(NEWNS | NEWPID, false);
    Op bad = new Op.Mount(false, true, "tmpfs", "/missing/dir", "tmpfs", 0, "");
    ops.add(bad);
    ops.add(new Op.PivotRoot(false));
    Plan plan = shell(ops, "echo should not run");

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());

    SyncMessages.InitError e = r.error();
    assertNotNull(e, r.toString());
    assertEquals(indexOf(plan, bad), e.opIndex(), r.toString());
    assertEquals(2, e.errno(), "ENOENT\n" + r);
    assertEquals("target /missing/dir", e.detail());
    assertEquals("mount tmpfs on /missing/dir", plan.describe(e.opIndex()));
    assertEquals(127, r.exitCode(), r.toString());
    assertFalse(r.stdout().contains("should not run"));
  }

  @Test
  void copyTreeCopiesOnlyIntoANewMountAndOnlyFromASource() throws IOException {
    // Without a mount between them, source and target are one directory: never copied into itself.
    Files.createDirectories(rootfs.resolve("etc"));
    Files.writeString(rootfs.resolve("etc/f"), "x");
    List<String> before = List.of(rootfs.resolve("etc").toFile().list());
    List<Op> ops = container(NEWNS | NEWPID, false);
    ops.add(new Op.CopySource("/etc"));
    Op same = new Op.CopyTree("/etc");
    ops.add(same);
    Plan plan = shell(ops, "echo should not run");
    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());
    assertNotNull(r.error(), r.toString());
    assertEquals(indexOf(plan, same), r.error().opIndex(), r.toString());
    assertEquals(22, r.error().errno(), "EINVAL\n" + r);
    assertEquals("/etc: nothing new is mounted there to copy into", r.error().detail());

    // No source kept: EBADF, nothing copied.
    ops = container(NEWNS | NEWPID, false);
    ops.add(new Op.Mount(false, true, "tmpfs", "/etc", "tmpfs", 0, ""));
    Op alone = new Op.CopyTree("/etc");
    ops.add(alone);
    plan = shell(ops, "echo should not run");
    r = new InitDriver(tmp).run(plan, List.of());
    assertNotNull(r.error(), r.toString());
    assertEquals(indexOf(plan, alone), r.error().opIndex(), r.toString());
    assertEquals(9, r.error().errno(), "EBADF\n" + r);
    assertEquals(before, List.of(rootfs.resolve("etc").toFile().list()));
  }

  @Test
  void symlinksInTheRootfsCannotLeadOutOfIt() throws IOException {
    // An image may hold links that point anywhere: absolute, or with more ".." than the root has.
    Files.createSymbolicLink(rootfs.resolve("escape"), Path.of("/../../etc"));
    Files.createSymbolicLink(rootfs.resolve("up"), Path.of("../../../../../../tmp"));
    String marker = "berth-marker-" + UUID.randomUUID();
    List<Op> ops = container(NEWNS | NEWPID, false);
    ops.add(new Op.Mkfile("/escape/" + marker, 0644));
    ops.add(new Op.Mkdirs("/up/" + marker + "/sub", 0755));
    ops.add(new Op.Mount(false, true, "tmpfs", "/escape", "tmpfs", 0, ""));
    ops.add(new Op.PivotRoot(false));
    Plan plan = shell(ops, "ls -a /etc; echo mounts:; grep -c ' /etc ' /proc/self/mountinfo");

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());

    assertNull(r.error(), r.toString());
    assertTrue(Files.exists(rootfs.resolve("etc").resolve(marker)), "created in the rootfs's /etc");
    assertFalse(
        Files.exists(Path.of("/etc", marker), LinkOption.NOFOLLOW_LINKS), "not in the host's /etc");
    assertTrue(
        Files.isDirectory(rootfs.resolve("tmp").resolve(marker).resolve("sub")),
        "in the rootfs's /tmp");
    assertFalse(
        Files.exists(Path.of("/tmp", marker), LinkOption.NOFOLLOW_LINKS), "not in the host's /tmp");
    assertEquals(
        List.of(".", "..", "mounts:", "1"),
        r.stdout().lines().toList(),
        "the tmpfs covers the rootfs's /etc\n" + r);
  }

  @Test
  void malformedPlanIsRefusedBeforeAnyOpRuns() throws IOException {
    Path made = tmp.resolve("made");
    Plan plan =
        new Plan(
            List.of(
                new Op.SetRoot(tmp.toString()), new Op.Mkdirs("/made", 0755), new Op.Umask(022)));
    byte[] bytes = plan.encode();
    bytes[bytes.length - 12] = 99; // the opcode of the last op (opcode, length, u32 mask)
    Path file = Files.write(tmp.resolve("bad-plan.bin"), bytes);

    InitDriver.Result r = new InitDriver(tmp).run(file, List.of());

    assertEquals(
        new SyncMessages.InitError(
            Plan.NO_OP, 22, "plan: op 2 (unknown opcode 99): not an op of protocol version 1"),
        r.error(),
        r.toString());
    assertEquals(1, r.exitCode(), r.toString());
    assertFalse(Files.exists(made), "no op ran");

    byte[] truncated = Arrays.copyOf(plan.encode(), plan.encode().length - 1);
    r = new InitDriver(tmp).run(Files.write(tmp.resolve("short-plan.bin"), truncated), List.of());
    assertEquals(
        "plan: op 2 (umask): payload runs past the plan", r.error().detail(), r.toString());
    assertFalse(Files.exists(made), "no op ran");
  }

  @Test
  void withoutCloneBerthInitRunsThePlanItself() throws IOException {
    Plan plan =
        new Plan(
            List.of(
                new Op.SetRoot(tmp.toString()),
                new Op.Mkdirs("/a/b", 0750),
                new Op.Mkfile("/a/b/f", 0600),
                new Op.Symlink("b/f", "/a/link")));

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());

    assertEquals(List.of("EOF", "INIT-EXIT 0"), r.transcript(), r.toString());
    assertTrue(Files.isRegularFile(tmp.resolve("a/b/f")));
    assertEquals(
        "rwxr-x---",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(tmp.resolve("a/b"))),
        "plan modes are exact (umask 0)");
    assertEquals(Path.of("b/f"), Files.readSymbolicLink(tmp.resolve("a/link")));
  }

  @Test
  void hooksGetTheirBlobAndFailuresAreReported() throws IOException {
    Path got = tmp.resolve("state.json");
    byte[] state = "{\"ociVersion\":\"1.2.0\",\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);
    Op.RunHook reads =
        new Op.RunHook(0, 5000, "/bin/sh", List.of("sh", "-c", "cat > " + got), List.of());
    Op.RunHook fails =
        new Op.RunHook(Op.RunHook.NO_BLOB, 0, "/bin/sh", List.of("sh", "-c", "exit 3"), List.of());
    Plan plan =
        new Plan(
            List.of(
                new Op.Clone(0),
                new Op.WaitGo(),
                new Op.SyncHooks(),
                reads,
                fails,
                new Op.Exec(List.of("/bin/true"), List.of())));

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of(state));

    assertEquals("HOOKS", r.transcript().get(1), r.toString());
    assertEquals(new String(state, StandardCharsets.UTF_8), Files.readString(got));
    assertEquals(
        new SyncMessages.InitError(4, 0, "hook /bin/sh exited with status 3"),
        r.error(),
        r.toString());
    assertEquals(127, r.exitCode());
  }

  @Test
  void largeStateReachesAHookThatReadsItAndDoesNotBlockOneThatDoesNot() throws IOException {
    Path count = tmp.resolve("count");
    byte[] big = new byte[1 << 20]; // far more than a pipe holds
    Arrays.fill(big, (byte) 'x');
    Plan plan =
        new Plan(
            List.of(
                new Op.Clone(0),
                new Op.WaitGo(),
                new Op.RunHook(
                    0, 10_000, "/bin/sh", List.of("sh", "-c", "wc -c > " + count), List.of()),
                new Op.RunHook(0, 10_000, "/bin/true", List.of("true"), List.of()),
                new Op.Exec(List.of("/bin/true"), List.of())));

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of(big));

    assertNull(r.error(), r.toString());
    assertEquals(String.valueOf(big.length), Files.readString(count).strip());
  }

  @Test
  void hookThatOutlivesItsTimeoutIsKilled() {
    Op.RunHook slow = new Op.RunHook(0, 300, "/bin/sh", List.of("sh", "-c", "sleep 20"), List.of());
    Plan plan =
        new Plan(
            List.of(
                new Op.Clone(0),
                new Op.WaitGo(),
                slow,
                new Op.Exec(List.of("/bin/true"), List.of())));
    long start = System.nanoTime();

    InitDriver.Result r =
        new InitDriver(tmp).run(plan, List.of("{}".getBytes(StandardCharsets.UTF_8)));

    assertEquals(
        new SyncMessages.InitError(2, 110, "hook /bin/sh timed out after 300ms"),
        r.error(),
        r.toString());
    assertTrue(System.nanoTime() - start < 10_000_000_000L, "did not wait for the hook");
  }

  @Test
  void execWaitsForStartOnTheFifo() throws IOException {
    Path fifo = tmp.resolve("exec.fifo");
    Exec.run("mkfifo", fifo.toString()).ok();
    Plan plan =
        new Plan(
            List.of(
                new Op.Clone(0),
                new Op.WaitGo(),
                new Op.OpenFifo(fifo.toString()),
                new Op.Ready(),
                new Op.WaitFifo(),
                new Op.Exec(List.of("/bin/sh", "-c", "echo started"), List.of())));

    InitDriver.Result r = new InitDriver(tmp).startVia(fifo).run(plan, List.of());

    assertNull(r.error(), r.toString());
    assertEquals(List.of("READY", "EOF"), r.transcript().subList(1, 3), r.toString());
    assertEquals("started\n", r.stdout());
  }

  @Test
  void dropsToAnUnprivilegedIdentity() throws IOException {
    // Not Files.readString: sysctl files answer only the first read (it returns "4" of "40").
    int lastCap =
        Integer.parseInt(
            Files.readAllLines(Path.of("/proc/sys/kernel/cap_last_cap")).get(0).strip());
    List<Op> ops = container(NEWNS | NEWPID, true);
    ops.add(new Op.PivotRoot(false));
    ops.add(new Op.Setrlimit(7, 1024, 2048));
    ops.add(new Op.CloseFds(3));
    ops.add(new Op.CapsBounding(1L << 1, lastCap)); // keep CAP_DAC_OVERRIDE only
    ops.add(new Op.Keepcaps(true));
    ops.add(new Op.Setgroups(List.of(10)));
    ops.add(new Op.Setresgid(65534));
    ops.add(new Op.Setresuid(65534));
    ops.add(new Op.Keepcaps(false));
    ops.add(new Op.Capset(1L << 1, 1L << 1, 1L << 1));
    ops.add(new Op.Ambient(1L << 1)); // a non-root exec keeps only ambient capabilities
    ops.add(new Op.Chdir("/tmp"));
    ops.add(new Op.Umask(027));
    ops.add(new Op.NoNewPrivs());
    Plan plan =
        shell(
            ops,
            "id; grep -E '^(CapBnd|CapEff|CapAmb|NoNewPrivs)' /proc/self/status; ulimit -n; umask; pwd");

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());

    assertNull(r.error(), r.toString());
    assertEquals(
        List.of(
            "uid=65534(nobody) gid=65534(nogroup) groups=10",
            "CapEff:\t0000000000000002",
            "CapBnd:\t0000000000000002",
            "CapAmb:\t0000000000000002",
            "NoNewPrivs:\t1",
            "1024",
            "0027",
            "/tmp"),
        r.stdout().lines().toList(),
        r.toString());
  }

  @Test
  void onlyPreservedFdsReachTheContainer() throws IOException {
    Path file = Files.writeString(tmp.resolve("preserved.txt"), "");
    String script = "echo through-fd-3 >&3; ls /proc/self/fd | tr '\\n' ' '";
    List<Op> ops = container(NEWNS | NEWPID, false);
    ops.add(new Op.PivotRoot(false));
    ops.add(new Op.CloseFds(4));

    InitDriver.Result r = new InitDriver(tmp).preserve(file).run(shell(ops, script), List.of());

    assertNull(r.error(), r.toString());
    assertEquals("through-fd-3\n", Files.readString(file));
    // ls opens the directory as fd 4 itself; fd 50 is the driver's leaked fd and the sync socket
    // was at 4.
    assertEquals("0 1 2 3 4 ", r.stdout(), r.toString());

    // The same plan without CLOSE_FDS shows the leak, so the check above can fail.
    List<Op> leaky = container(NEWNS | NEWPID, false);
    leaky.add(new Op.PivotRoot(false));
    r = new InitDriver(tmp).preserve(file).run(shell(leaky, script), List.of());
    assertTrue(r.stdout().contains(" 50 "), r.toString());
  }

  @Test
  void masksReadonlyPathsAndSysctls() throws IOException {
    Files.createDirectories(rootfs.resolve("secret"));
    Files.writeString(rootfs.resolve("secret/key"), "hidden");
    Files.writeString(rootfs.resolve("etc/token"), "hidden");
    List<Op> ops = container(NEWNS | NEWPID | NEWUTS, true);
    ops.add(new Op.PivotRoot(false));
    ops.add(new Op.WriteFile("/proc/sys/kernel/domainname", "berth.example"));
    ops.add(new Op.Readonly("/proc/sys"));
    ops.add(new Op.Mask("/secret"));
    ops.add(new Op.Mask("/etc/token"));
    ops.add(new Op.Mask("/does/not/exist"));
    Plan plan =
        shell(
            ops,
            "cat /proc/sys/kernel/domainname; ls /secret | wc -l; cat /etc/token | wc -c; "
                + "grep ' /proc/sys ' /proc/self/mountinfo | cut -d' ' -f6; touch /secret/x 2>/dev/null || echo ro-tmpfs");

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());

    assertNull(r.error(), r.toString());
    List<String> out = r.stdout().lines().map(String::strip).toList();
    assertEquals("berth.example", out.get(0), r.toString());
    assertEquals("0", out.get(1), "masked directory is empty\n" + r);
    assertEquals("0", out.get(2), "masked file reads as /dev/null\n" + r);
    assertTrue(out.get(3).startsWith("ro,"), "/proc/sys is read-only\n" + r);
    assertTrue(
        out.get(3).contains("nosuid")
            && out.get(3).contains("nodev")
            && out.get(3).contains("noexec"),
        "the remount kept proc's locked flags\n" + r);
    assertEquals("ro-tmpfs", out.get(4), r.toString());
    assertEquals(
        "hidden", Files.readString(rootfs.resolve("secret/key")), "the host's file is untouched");
  }

  @Test
  void maskRefusesAReplacedDevNull() {
    List<Op> ops = container(NEWNS | NEWPID, false);
    ops.add(new Op.Mkfile("/dev/null", 0666)); // a regular file where the null device should be
    ops.add(new Op.PivotRoot(false));
    Op mask = new Op.Mask("/etc/passwd");
    ops.add(mask);
    Plan plan = shell(ops, "true");

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());

    assertEquals(
        new SyncMessages.InitError(indexOf(plan, mask), 1, "/dev/null is not the null device"),
        r.error(),
        r.toString());
  }

  @Test
  void readOnlyBindIsRemountedReadOnly() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("data"));
    List<Op> ops = container(NEWNS | NEWPID, false);
    ops.add(new Op.Mkdirs("/data", 0755));
    ops.add(new Op.Mount(false, true, data.toString(), "/data", "", MS_BIND | MS_REC, ""));
    ops.add(new Op.Remount(true, "/data", MS_BIND | 32 | MS_RDONLY | MS_NOEXEC));
    ops.add(new Op.PivotRoot(false));
    Plan plan =
        shell(
            ops,
            "touch /data/f 2>/dev/null || echo read-only; grep ' /data ' /proc/self/mountinfo "
                + "| cut -d' ' -f6");

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());

    assertNull(r.error(), r.toString());
    List<String> out = r.stdout().lines().toList();
    assertEquals("read-only", out.get(0), r.toString());
    assertTrue(out.get(1).startsWith("ro,") && out.get(1).contains("noexec"), r.toString());
    assertFalse(Files.exists(data.resolve("f")));
  }

  @Test
  void seccompNotifyFdIsHandedOverBeforeTheProcessGoesOn() throws Exception {
    var profile =
        new dev.berth.spec.runtime.Seccomp(
            "SCMP_ACT_ALLOW",
            null,
            List.of(),
            List.of(),
            "/run/agent.sock",
            "",
            List.of(
                new dev.berth.spec.runtime.SeccompSyscall(
                    List.of("mkdir", "mkdirat"), "SCMP_ACT_NOTIFY", null, List.of())));
    var filter = dev.berth.runtime.seccomp.SeccompCompiler.compile(profile);
    List<Op> ops = container(NEWNS | NEWPID, true);
    ops.add(new Op.PivotRoot(false));
    ops.add(new Op.NoNewPrivs());
    ops.add(new Op.Seccomp(filter.flags(), filter.bpf()));
    Plan plan = shell(ops, "mkdir /x 2>&1; echo mkdir=$?");

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());

    assertNull(r.error(), r.toString());
    assertEquals("SECCOMP", r.transcript().get(1), "the fd came with the message\n" + r);
    // The driver closes the fd: with no listener left the kernel fails notified syscalls with
    // ENOSYS.
    assertTrue(r.stdout().contains("Function not implemented"), r.toString());
    assertTrue(r.stdout().contains("mkdir=1"), r.toString());
  }

  @Test
  void consolePtyBecomesTheControllingTerminal() {
    List<Op> ops = container(NEWNS | NEWPID, true);
    ops.add(new Op.Mkdirs("/dev/pts", 0755));
    ops.add(
        new Op.Mount(
            false,
            true,
            "devpts",
            "/dev/pts",
            "devpts",
            MS_NOSUID | MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=0620"));
    ops.add(new Op.Symlink("pts/ptmx", "/dev/ptmx"));
    ops.add(new Op.PivotRoot(false));
    ops.add(new Op.Setsid());
    ops.add(new Op.OpenPty());
    Plan plan =
        shell(
            ops, "test -t 0 && test -t 1 && test -t 2 && echo on-a-tty; readlink /proc/self/fd/0");

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());

    assertNull(r.error(), r.toString());
    assertTrue(r.transcript().contains("PTY"), r.toString());
    assertTrue(r.stdout().contains("on-a-tty"), r.toString());
    assertTrue(r.stdout().contains("/dev/pts/0"), r.toString());
  }

  @Test
  void userNamespaceWithMapsWrittenAfterClone() throws IOException {
    // Root of the namespace is host uid 100000: it must be able to reach the rootfs.
    Files.setPosixFilePermissions(
        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    List<Op> ops = container(NEWUSER | NEWNS | NEWPID | NEWUTS, false);
    // Until it sets its ids, the process is the unmapped host root (overflow uid) in its namespace.
    ops.addAll(2, List.of(new Op.Setresgid(0), new Op.Setresuid(0)));
    ops.add(new Op.PivotRoot(false));
    ops.add(new Op.Sethostname("in-userns"));
    Plan plan = shell(ops, "id -u; hostname; cat /proc/self/uid_map");

    InitDriver.Result r = new InitDriver(tmp).idMap("0 100000 65536").run(plan, List.of());

    assertNull(r.error(), r.toString());
    List<String> out = r.stdout().lines().map(s -> s.strip().replaceAll("\\s+", " ")).toList();
    assertEquals(List.of("0", "in-userns", "0 100000 65536"), out, r.toString());
  }

  @Test
  void execCandidatesAreCheckedBeforeExec() throws IOException {
    Files.writeString(rootfs.resolve("bin/not-executable"), "#!/bin/sh\n");
    List<Op> ops = container(NEWNS | NEWPID, false);
    ops.add(new Op.PivotRoot(false));
    Op missing = new Op.ResolveExec(List.of("/nope/app", "/bin/app"));
    Plan plan = new Plan(concat(ops, missing, new Op.Exec(List.of("app"), ENV)));

    InitDriver.Result r = new InitDriver(tmp).run(plan, List.of());
    assertEquals(
        new SyncMessages.InitError(indexOf(plan, missing), 2, "/nope/app"),
        r.error(),
        r.toString());

    Op.Exec direct =
        new Op.Exec(List.of("/bin/app"), ENV); // without RESOLVE_EXEC: execve's own error
    plan = new Plan(concat(ops, direct));
    r = new InitDriver(tmp).run(plan, List.of());
    assertEquals(
        new SyncMessages.InitError(indexOf(plan, direct), 2, "/bin/app"), r.error(), r.toString());

    Op denied = new Op.ResolveExec(List.of("/bin/not-executable"));
    plan = new Plan(concat(ops, denied, new Op.Exec(List.of("not-executable"), ENV)));
    r = new InitDriver(tmp).run(plan, List.of());
    assertEquals(
        new SyncMessages.InitError(indexOf(plan, denied), 13, "/bin/not-executable"),
        r.error(),
        r.toString());
  }

  private static List<Op> concat(List<Op> ops, Op... more) {
    List<Op> all = new ArrayList<>(ops);
    all.addAll(List.of(more));
    return all;
  }
}
