package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berth-runc run by a real unprivileged user (nobody, through setpriv) on a bundle from {@code spec
 * --rootless}: a user namespace mapping only the caller's own ids, written without newuidmap, no
 * cgroups, state under $XDG_RUNTIME_DIR. Root is needed only to become nobody.
 */
@RequiresRoot
@RequiresCommand("setpriv")
class RootlessCliTest {
  static final int NOBODY = 65534;

  @TempDir Path tmp;
  Path work;
  Path bundle;
  Path xdg;
  String berth;
  String id;

  @BeforeEach
  void setUp() throws Exception {
    berth = BerthRunc.launcher().toString();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    work = Files.createDirectories(tmp.resolve("work"));
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
    bundle = Files.createDirectories(work.resolve("bundle"));
    Busybox.rootfs(bundle.resolve("rootfs"));
    xdg = Files.createDirectories(work.resolve("xdg"));
    Files.createDirectories(work.resolve("home"));
    assertEquals(
        0,
        Exec.run(
                "chown",
                "-R",
                NOBODY + ":" + NOBODY,
                bundle.toString(),
                xdg.toString(),
                work.resolve("home").toString())
            .exitCode());
    Files.setPosixFilePermissions(xdg, PosixFilePermissions.fromString("rwx------"));
    id = "rl" + ProcessHandle.current().pid();
  }

  @AfterEach
  void tearDown() {
    asNobody("delete", "--force", id);
  }

  private Exec.Result asNobody(String... args) {
    return nobodyRuns(berth, args);
  }

  private Exec.Result nobodyRuns(String runtime, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid",
                Integer.toString(NOBODY),
                "--regid",
                Integer.toString(NOBODY),
                "--clear-groups",
                "env",
                "HOME=" + work.resolve("home"),
                "XDG_RUNTIME_DIR=" + xdg,
                runtime));
    cmd.addAll(List.of(args));
    return Exec.run(cmd, bundle, Map.of(), null, 60);
  }

  /**
   * {@code spec --rootless} as nobody, then the process replaced by {@code script} without a
   * terminal.
   */
  private void rootlessSpec(String script) throws Exception {
    Exec.Result spec = asNobody("spec", "--rootless");
    assertEquals(0, spec.exitCode(), spec.stderr());
    Path config = bundle.resolve("config.json");
    String json = Files.readString(config);
    assertTrue(json.contains("\"hostID\": " + NOBODY), json);
    json =
        json.replace("\"terminal\": true", "\"terminal\": false")
            .replaceFirst(
                "\"args\": \\[\\s*\"sh\"\\s*\\]", "\"args\": [\"sh\", \"-c\", \"" + script + "\"]");
    Files.writeString(config, json);
  }

  @Test
  void nobodyRunsAContainerAsRootOfItsOwnUserNamespace() throws Exception {
    rootlessSpec(
        "id -u; cat /proc/self/uid_map /proc/self/setgroups | tr -s ' '; hostname;"
            + " grep -c ' /proc proc' /proc/mounts; test -d /sys/fs/cgroup && echo cgroup; echo x > /dev/null && echo null");
    Exec.Result r = asNobody("run", id);
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals("0\n 0 " + NOBODY + " 1\ndeny\nrunc\n1\ncgroup\nnull\n", r.stdout());
  }

  @Test
  void stateLivesUnderXdgRuntimeDirAndDeleteLeavesNothing() throws Exception {
    rootlessSpec("sleep 60");
    // A created container keeps the stdio it was given: not the pipes Exec reads to their end.
    Path err = work.resolve("create.err");
    Exec.Result c =
        Exec.run(
            List.of(
                "setpriv",
                "--reuid",
                Integer.toString(NOBODY),
                "--regid",
                Integer.toString(NOBODY),
                "--clear-groups",
                "sh",
                "-c",
                "XDG_RUNTIME_DIR="
                    + xdg
                    + " exec "
                    + berth
                    + " create "
                    + id
                    + " </dev/null >/dev/null 2>"
                    + err),
            bundle,
            Map.of(),
            null,
            60);
    assertEquals(0, c.exitCode(), Files.exists(err) ? Files.readString(err) : "");
    assertTrue(Files.isDirectory(xdg.resolve("berth-runc").resolve(id)));
    assertFalse(Files.exists(Path.of("/run/berth-runc", id)));
    Exec.Result s = asNobody("state", id);
    assertTrue(s.stdout().contains("\"status\": \"created\""), s.stdout() + s.stderr());
    int pid = Integer.parseInt(s.stdout().replaceAll("(?s).*\"pid\": (\\d+).*", "$1"));
    assertEquals(NOBODY, (int) Files.getAttribute(Path.of("/proc/" + pid), "unix:uid"));
    assertEquals(0, asNobody("start", id).exitCode());
    assertEquals(0, asNobody("delete", "--force", id).exitCode());
    assertFalse(Files.exists(xdg.resolve("berth-runc").resolve(id)));
    assertFalse(
        Files.exists(Path.of("/proc/" + pid))
            && Files.readString(Path.of("/proc/" + pid + "/cmdline")).contains("sleep"));
  }

  /** {@code create} as nobody with stdio away from the pipes Exec reads to their end. */
  private void createAsNobody(String runtime, String name) throws Exception {
    Path err = work.resolve("create.err");
    Exec.Result c =
        Exec.run(
            List.of(
                "setpriv",
                "--reuid",
                Integer.toString(NOBODY),
                "--regid",
                Integer.toString(NOBODY),
                "--clear-groups",
                "sh",
                "-c",
                "XDG_RUNTIME_DIR="
                    + xdg
                    + " exec "
                    + runtime
                    + " create "
                    + name
                    + " </dev/null >/dev/null 2>"
                    + err),
            bundle,
            Map.of(),
            null,
            60);
    assertEquals(0, c.exitCode(), Files.exists(err) ? Files.readString(err) : "");
  }

  @Test
  @RequiresCommand("runc")
  void execIntoACreatedContainerWorksAsWithRunc() throws Exception {
    // runc's init stays dumpable when it joins no namespace, so its caller may open the created
    // container's /proc/PID/ns files; berth-init was not, and exec failed with EACCES. What the
    // exec'd process finds in the waiting init's fds must not lead out of the container: its
    // /proc/self/fd is the container's own.
    rootlessSpec("echo started");
    String probe =
        "id -u; echo exec-ok; for f in /proc/1/fd/*; do readlink $f; done | grep -cx /proc/1/fd;"
            + " true";
    for (String runtime : List.of("runc", berth)) {
      String name = id + (runtime.equals("runc") ? "r" : "b");
      try {
        createAsNobody(runtime, name);
        Exec.Result ex = nobodyRuns(runtime, "exec", name, "sh", "-c", probe);
        assertEquals(0, ex.exitCode(), runtime + ": " + ex);
        assertTrue(ex.stdout().startsWith("0\nexec-ok\n"), runtime + ": " + ex);
        if (runtime.equals(berth)) assertEquals("0\nexec-ok\n1\n", ex.stdout());
        Exec.Result st = nobodyRuns(runtime, "state", name);
        assertTrue(st.stdout().contains("\"status\": \"created\""), runtime + ": " + st);
        assertEquals(0, nobodyRuns(runtime, "start", name).exitCode(), runtime);
      } finally {
        nobodyRuns(runtime, "delete", "--force", name);
      }
    }
  }

  @Test
  @RequiresCommand({"runc", "script"})
  void execWithATerminalGetsAPtyOfTheContainersDevptsAsWithRunc() throws Exception {
    // exec -t into a created container, in a real terminal (script's pty): the process's pty is
    // one of the container's own devpts instance (/dev/ptmx -> pts/ptmx), for runc and berth-runc.
    rootlessSpec("sleep 60");
    String probe =
        "tty; test $(stat -L -c %d /proc/self/fd/0) = $(stat -c %d /dev/pts/ptmx) && echo own-devpts";
    for (String runtime : List.of("runc", berth)) {
      String name = id + (runtime.equals("runc") ? "r" : "b");
      try {
        createAsNobody(runtime, name);
        String cmd =
            String.join(
                " ",
                "setpriv --reuid",
                Integer.toString(NOBODY),
                "--regid",
                Integer.toString(NOBODY),
                "--clear-groups env XDG_RUNTIME_DIR=" + xdg,
                runtime,
                "exec -t",
                name,
                "sh -c '" + probe + "'");
        Exec.Result r =
            Exec.run(List.of("script", "-qec", cmd, "/dev/null"), bundle, Map.of(), null, 60);
        String out = r.stdout().replace("\r", "");
        assertEquals(0, r.exitCode(), runtime + ": " + r);
        assertTrue(out.endsWith("/dev/pts/0\nown-devpts\n"), runtime + ": " + out);
      } finally {
        nobodyRuns(runtime, "delete", "--force", name);
      }
    }
  }

  @Test
  void rootsBusyCgroupOfTheSameNameDoesNotStopARootlessContainer() throws Exception {
    // Root's container of the same id holds /sys/fs/cgroup/pids/<id>: nobody could never use that
    // cgroup, and runs without cgroups, as runc does.
    Path busy = Path.of("/sys/fs/cgroup/pids", id);
    Files.createDirectory(busy);
    Process sleeper = new ProcessBuilder("sleep", "60").start();
    try {
      Files.writeString(busy.resolve("cgroup.procs"), Long.toString(sleeper.pid()));
      rootlessSpec("echo ran");
      Exec.Result r = asNobody("run", id);
      assertEquals(0, r.exitCode(), r.stderr());
      assertEquals("ran\n", r.stdout());
      // Root's cgroup is untouched.
      assertEquals(sleeper.pid() + "\n", Files.readString(busy.resolve("cgroup.procs")));
    } finally {
      sleeper.destroyForcibly().waitFor();
      Files.delete(busy);
    }
  }

  @Test
  void limitsOrACgroupsPathWithoutCgroupPermissionAreRefused() throws Exception {
    // As runc: without permission a rootless container may go without cgroups only when it asked
    // for none; a limit is never silently dropped.
    rootlessSpec("true");
    Path config = bundle.resolve("config.json");
    String json = Files.readString(config);
    Files.writeString(
        config,
        json.replaceFirst(
            "\"linux\": \\{", "\"linux\": {\"resources\": {\"pids\": {\"limit\": 10}},"));
    Exec.Result r = asNobody("run", id);
    assertEquals(1, r.exitCode(), r.stdout());
    assertTrue(r.stderr().contains("rootless needs no limits + no cgrouppath"), r.stderr());
    Files.writeString(
        config,
        json.replaceFirst("\"linux\": \\{", "\"linux\": {\"cgroupsPath\": \"/" + id + "\","));
    r = asNobody("run", id);
    assertEquals(1, r.exitCode(), r.stdout());
    assertTrue(r.stderr().contains("unable to apply cgroup configuration"), r.stderr());
    assertFalse(Files.exists(xdg.resolve("berth-runc").resolve(id)));
  }

  @Test
  void withRootlessFalseTheCgroupPermissionErrorIsReported() throws Exception {
    rootlessSpec("true");
    Exec.Result r = asNobody("--rootless", "false", "run", id);
    assertEquals(1, r.exitCode(), r.stdout());
    assertTrue(
        r.stderr().toLowerCase().contains("permission denied") || r.stderr().contains("EACCES"),
        r.stderr());
    assertFalse(Files.exists(xdg.resolve("berth-runc").resolve(id)));
  }
}
