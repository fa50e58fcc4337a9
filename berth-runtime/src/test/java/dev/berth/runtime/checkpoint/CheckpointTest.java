package dev.berth.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.ContainerTest;
import dev.berth.runtime.CreateOptions;
import dev.berth.runtime.Fixture;
import dev.berth.runtime.state.Status;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.CgroupTree;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * checkpoint and restore of real containers. Debian's CRIU 3.17 cannot run on every kernel (on 6.18
 * it fails in its kernel probe, on the vDSO layout): then the test checks that CRIU's own error
 * reaches the caller and the container is unharmed, and skips the round trip with the reason.
 * berth's side of the round trip (what it asks CRIU, the notifications, the state it writes, the
 * cleanup) runs against a stand-in CRIU that speaks the real protocol through CRIU's own rpc_pb2
 * and Google's protobuf.
 */
@ContainerTest(id = "cr", out = false)
class CheckpointTest {
  @Fixture Path tmp;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  private int startSleeper() throws ContainerException {
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    return rt.state(id).pid();
  }

  /** Whether CRIU works on this kernel at all: {@code criu check} says so. */
  private static Exec.Result criuCheck() {
    return Exec.run(List.of("criu", "check"), Path.of("/"), Map.of(), null, 60);
  }

  @Test
  @RequiresCommand("criu")
  void criusOwnErrorIsReportedAndTheContainerKeepsRunning() throws Exception {
    Exec.Result check = criuCheck();
    Assumptions.assumeFalse(
        check.exitCode() == 0, "criu check passes here: the round trip test covers it");
    int pid = startSleeper();
    Path images = tmp.resolve("images");
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> new Checkpoints(rt).checkpoint(id, CheckpointOptions.of(images)));
    String m = e.getMessage();
    assertTrue(m.startsWith("criu failed: type DUMP"), m);
    // CRIU's first error line, as `criu check` prints it, and where the whole log is.
    String firstError =
        check.stderr().lines().filter(l -> l.startsWith("Error (")).findFirst().orElseThrow();
    assertTrue(m.contains(firstError), m + "\nvs criu check: " + check.stderr());
    assertTrue(m.endsWith("(log file: " + images.resolve("dump.log") + ")"), m);
    assertEquals(Status.RUNNING, rt.state(id).status());
    assertEquals(pid, rt.state(id).pid());
    // runc's descriptors.json: what the init's stdio are, for a restore to replace the pipes.
    List<String> fds = new ArrayList<>();
    for (int fd = 0; fd < 3; fd++)
      fds.add(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString());
    assertEquals(fds, Descriptors.read(images));
  }

  @Test
  @RequiresCommand("criu")
  void roundTripWhereCriuWorks() throws Exception {
    Exec.Result check = criuCheck();
    Assumptions.assumeTrue(
        check.exitCode() == 0, "CRIU does not work on this kernel: " + check.stderr().strip());
    startSleeper();
    Path images = tmp.resolve("images");
    new Checkpoints(rt).checkpoint(id, CheckpointOptions.of(images));
    assertThrows(ContainerException.class, () -> rt.state(id));
    RestoreResult r =
        new Checkpoints(rt).restore(id, bundle.dir(), RestoreOptions.of(images), null);
    assertEquals(Status.RUNNING, rt.state(id).status());
    assertEquals(r.pid(), rt.state(id).pid());
  }

  @Test
  void badCheckpointOptionsLeaveNothingAndTheContainerRunning() throws Exception {
    startSleeper();
    Path images = tmp.resolve("images");
    Checkpoints cp = new Checkpoints(rt);
    CheckpointOptions base = CheckpointOptions.of(images);
    record Case(CheckpointOptions o, String message) {}
    List<Case> cases =
        List.of(
            new Case(
                new CheckpointOptions(
                    images, null, "/abs", false, false, false, false, false, -1, null, false, true,
                    null, List.of(), false, "criu"),
                "--parent-path must be relative"),
            new Case(
                new CheckpointOptions(
                    images, null, "../prev", false, false, false, false, false, -1, null, false,
                    true, null, List.of(), false, "criu"),
                "invalid --parent-path: stat " + tmp.resolve("prev")),
            new Case(
                new CheckpointOptions(
                    images,
                    null,
                    null,
                    false,
                    false,
                    false,
                    false,
                    false,
                    -1,
                    null,
                    false,
                    false,
                    null,
                    List.of("pid"),
                    false,
                    "criu"),
                "namespace \"pid\" is not supported"),
            new Case(
                new CheckpointOptions(
                    images, null, null, false, false, false, false, true, 987, null, false, false,
                    null, List.of(), false, "criu"),
                "invalid --status-fd argument 987"),
            new Case(base.withCriu(tmp.resolve("no-criu").toString()), "no-criu"));
    for (Case c : cases) {
      ContainerException e =
          assertThrows(ContainerException.class, () -> cp.checkpoint(id, c.o()), c.message());
      assertTrue(e.getMessage().contains(c.message()), e.getMessage());
      assertFalse(Files.exists(images), "image directory left behind after: " + e.getMessage());
      assertEquals(Status.RUNNING, rt.state(id).status());
    }
    ContainerException none =
        assertThrows(ContainerException.class, () -> cp.checkpoint("nope", base));
    assertEquals(ErrorCategory.NOT_FOUND, none.category());
  }

  @Test
  void aCreatedContainerCannotBeCheckpointed() throws Exception {
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> new Checkpoints(rt).checkpoint(id, CheckpointOptions.of(tmp.resolve("images"))));
    assertTrue(e.getMessage().contains("created"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("images")));
  }

  @Test
  void badRestoresLeaveNothing() throws Exception {
    bundle.args("sleep", "60").write();
    Checkpoints cp = new Checkpoints(rt);
    Path images = tmp.resolve("images");
    ContainerException missing =
        assertThrows(
            ContainerException.class,
            () -> cp.restore(id, bundle.dir(), RestoreOptions.of(images), null));
    assertTrue(
        missing.getMessage().contains(images.resolve("descriptors.json").toString()),
        missing.getMessage());
    assertFalse(Files.exists(images), "restore must not make the image directory");
    assertFalse(Files.exists(rt.root().resolve(id)));
    ContainerException noBundle =
        assertThrows(
            ContainerException.class,
            () -> cp.restore(id, tmp.resolve("nobundle"), RestoreOptions.of(images), null));
    assertTrue(
        noBundle.getMessage().contains(tmp.resolve("nobundle").toString()), noBundle.getMessage());
    Files.createDirectories(images);
    Files.writeString(
        images.resolve("descriptors.json"), "[\"/dev/null\",\"/dev/null\",\"/dev/null\"]");
    RestoreOptions emptyPid =
        new RestoreOptions(
            images,
            null,
            false,
            false,
            false,
            false,
            null,
            true,
            null,
            false,
            false,
            List.of("pid"),
            false,
            false,
            null,
            null,
            null,
            null,
            "criu");
    ContainerException ns =
        assertThrows(ContainerException.class, () -> cp.restore(id, bundle.dir(), emptyPid, null));
    assertEquals("namespace \"pid\" is not supported", ns.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)));
    // An id in use: refused, and the running container is not touched.
    int pid = startSleeper();
    ContainerException dup =
        assertThrows(
            ContainerException.class,
            () -> cp.restore(id, bundle.dir(), RestoreOptions.of(images), null));
    assertEquals(ErrorCategory.ALREADY_EXISTS, dup.category());
    assertEquals(pid, rt.state(id).pid());
  }

  // --- berth's side against a stand-in CRIU speaking the real protocol ---

  /**
   * A CRIU stand-in: reads the request with CRIU's rpc_pb2, writes it as text beside itself, sends
   * the notifications CRIU sends, and answers. A restore forks {@code sleep} with CLONE_PARENT, as
   * CRIU's rst_sibling makes the restored init the caller's child; FAIL in the directory makes it
   * log a CRIU-style error and answer "not successful".
   */
  private Path fakeCriu() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("fake"));
    Path script = dir.resolve("criu");
    Files.writeString(
        script,
        """
        #!/usr/bin/python3
        import sys, os, socket, ctypes
        sys.path.insert(0, '/usr/lib/python3/dist-packages')
        import pycriu.rpc_pb2 as rpc
        from google.protobuf import text_format
        here = os.path.dirname(os.path.abspath(sys.argv[0]))
        assert sys.argv[1] == 'swrk'
        sk = socket.socket(fileno=int(sys.argv[2]))
        req = rpc.criu_req(); req.ParseFromString(sk.recv(1 << 20))
        open(os.path.join(here, 'request.txt'), 'w').write(text_format.MessageToString(req))
        work = '/proc/%d/fd/%d' % (os.getppid(), req.opts.work_dir_fd)
        def notify(script, pid=0):
            r = rpc.criu_resp(); r.type = rpc.NOTIFY; r.success = True; r.notify.script = script; r.notify.pid = pid
            sk.send(r.SerializeToString())
            a = rpc.criu_req(); a.ParseFromString(sk.recv(1 << 20))
            assert a.type == rpc.NOTIFY and a.notify_success
        resp = rpc.criu_resp(); resp.type = req.type; resp.success = True
        if os.path.exists(os.path.join(here, 'FAIL')):
            open(os.path.join(work, req.opts.log_file), 'w').write(
                '(00.000100) Version: 3.17.1\\n(00.000200) Error (criu/fake.c:12): fake: cannot do it\\n')
            resp.success = False
        elif req.type == rpc.DUMP:
            notify('pre-dump'); notify('post-dump')
        elif req.type == rpc.RESTORE:
            libc = ctypes.CDLL(None, use_errno=True)
            pid = libc.syscall(56, 0x8000 | 17, 0, 0, 0, 0)  # clone(CLONE_PARENT | SIGCHLD)
            if pid == 0:
                os.execv('/bin/sleep', ['sleep', '60'])
            notify('setup-namespaces', pid); notify('post-restore', pid)
            resp.restore.pid = pid
        sk.send(resp.SerializeToString())
        """);
    script.toFile().setExecutable(true);
    return script;
  }

  @Test
  @RequiresCommand({"criu", "python3"})
  void checkpointAsksCriuWhatRuncAsksAndDeletesTheContainerAfter() throws Exception {
    Path criu = fakeCriu();
    int pid = startSleeper();
    Path images = tmp.resolve("images");
    CheckpointResult r =
        new Checkpoints(rt).checkpoint(id, CheckpointOptions.of(images).withCriu(criu.toString()));
    assertFalse(r.running());
    String req = Files.readString(criu.resolveSibling("request.txt"));
    assertTrue(req.startsWith("type: DUMP\n"), req);
    for (String want :
        new String[] {
          "pid: " + pid,
          "root: \"" + bundle.rootfs() + "\"",
          "log_file: \"dump.log\"",
          "manage_cgroups: true",
          "notify_scripts: true",
          "orphan_pts_master: true",
          "leave_running: false",
          "empty_ns: 1073741824",
          "config_file: \"/etc/criu/runc.conf\"",
          "freeze_cgroup: \"/sys/fs/cgroup/"
        }) {
      assertTrue(req.contains(want), want + " in\n" + req);
    }
    // A masked file (/proc/keys is one in the default config) is /dev/null bound over it: external
    // to CRIU.
    assertTrue(req.contains("key: \"/proc/keys\"\n    val: \"/dev/null\""), req);
    assertTrue(Files.exists(images.resolve("descriptors.json")));
    // CRIU killed the tree; berth removed the state and cgroups, as delete does.
    assertThrows(ContainerException.class, () -> rt.state(id));
  }

  @Test
  @RequiresCommand({"criu", "python3"})
  void restoreRecordsARunningContainerInItsCgroups() throws Exception {
    Path criu = fakeCriu();
    bundle.args("sleep", "60").write();
    Path images = Files.createDirectories(tmp.resolve("images"));
    Files.writeString(
        images.resolve("descriptors.json"), "[\"/dev/null\",\"pipe:[4242]\",\"pipe:[4243]\"]");
    Path pidFile = tmp.resolve("pid");
    RestoreOptions o =
        new RestoreOptions(
            images,
            null,
            false,
            false,
            false,
            false,
            CgroupsMode.FULL,
            true,
            pidFile,
            false,
            false,
            List.of(),
            false,
            false,
            null,
            null,
            null,
            null,
            criu.toString());
    RestoreResult r = new Checkpoints(rt).restore(id, bundle.dir(), o, null);
    assertEquals(-1, r.exitCode());
    assertEquals(Status.RUNNING, rt.state(id).status());
    assertEquals(r.pid(), rt.state(id).pid());
    assertEquals(Integer.toString(r.pid()), Files.readString(pidFile));
    // Born in the container's cgroups: CRIU was moved there before it forked.
    String cgroups = Files.readString(Path.of("/proc/" + r.pid() + "/cgroup"));
    assertTrue(cgroups.contains("/" + id + "\n"), cgroups);
    String req = Files.readString(criu.resolveSibling("request.txt"));
    assertTrue(req.startsWith("type: RESTORE\n"), req);
    for (String want :
        new String[] {
          "rst_sibling: true",
          "root: \"" + rt.root().resolve(id).resolve("criu-root") + "\"",
          "manage_cgroups_mode: FULL",
          "log_file: \"restore.log\"",
          "key: \"pipe:[4242]\"\n    fd: 1",
          "key: \"pipe:[4243]\"\n    fd: 2",
          "cg_root {"
        }) {
      assertTrue(req.contains(want), want + " in\n" + req);
    }
    assertFalse(req.contains("pipe:[4242]\"\n    fd: 0"), req);
    // The rootfs bound for CRIU is gone from our mount table, and its mount point with it.
    assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains("criu-root"));
    assertFalse(Files.exists(rt.root().resolve(id).resolve("criu-root")));
    rt.delete(id, true);
    assertFalse(
        Files.exists(Path.of("/proc/" + r.pid() + "/stat"))
            && Files.readString(Path.of("/proc/" + r.pid() + "/stat")).contains("(sleep)")
            && !Files.readString(Path.of("/proc/" + r.pid() + "/stat")).contains(") Z"),
        "restored init survived delete");
  }

  @Test
  @RequiresCommand({"criu", "python3"})
  void aFailedRestoreNamesCriusErrorAndLeavesNothing() throws Exception {
    Path criu = fakeCriu();
    Files.writeString(criu.resolveSibling("FAIL"), "");
    bundle.args("sleep", "60").write();
    Path images = Files.createDirectories(tmp.resolve("images"));
    Files.writeString(
        images.resolve("descriptors.json"), "[\"/dev/null\",\"/dev/null\",\"/dev/null\"]");
    Path work = tmp.resolve("work");
    RestoreOptions o =
        new RestoreOptions(
            images,
            work,
            false,
            false,
            false,
            false,
            null,
            true,
            null,
            false,
            false,
            List.of(),
            false,
            false,
            null,
            null,
            null,
            null,
            criu.toString());
    ContainerException e =
        assertThrows(
            ContainerException.class, () -> new Checkpoints(rt).restore(id, bundle.dir(), o, null));
    assertEquals(
        "criu failed: type RESTORE: Error (criu/fake.c:12): fake: cannot do it (log file: "
            + work.resolve("restore.log")
            + ")",
        e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)), "state directory left behind");
    assertFalse(
        Files.readString(Path.of("/proc/self/mountinfo")).contains("criu-root"),
        "root mount left behind");
    assertTrue(CgroupTree.named(3, id::equals).isEmpty(), "cgroup left behind");
  }
}
