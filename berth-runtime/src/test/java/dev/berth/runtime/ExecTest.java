package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.state.Status;
import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.User;
import dev.berth.testkit.Bundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * exec joins the running container: its namespaces, cgroup, root and limits, with the process's own
 * identity.
 */
@ContainerTest(id = "x", writableOut = true)
class ExecTest {
  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  @BeforeEach
  void setUp() throws Exception {
    bundle.config().put("hostname", "exec-box");
    bundle
        .sh(
            "for n in pid mnt net; do readlink /proc/self/ns/$n; done > /out/init-ns; echo > /out/ready; exec sleep 60")
        .write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    // Wait until the init is alone (no readlink of its loop still running): tests compare process
    // lists.
    for (int i = 0;
        i < 500 && !(Files.exists(out.resolve("ready")) && rt.pids(id).size() == 1);
        i++) Thread.sleep(10);
  }

  private Process process(String script, int uid) throws ContainerException {
    Process base = rt.configuredProcess(id);
    return new Process(
        false,
        null,
        new User(uid, uid, null, List.of(), ""),
        List.of("sh", "-c", script),
        "",
        base.env(),
        "/",
        base.capabilities(),
        base.rlimits(),
        base.noNewPrivileges(),
        "",
        null,
        "");
  }

  private int exec(String script, int uid) throws ContainerException {
    return rt.exec(id, new ExecOptions(process(script, uid), null, null, 0, false, false), null);
  }

  @Test
  void joinsEveryNamespaceAndTheCgroupAndReturnsTheExitStatus() throws Exception {
    int code =
        exec(
            "(for n in pid mnt net; do readlink /proc/self/ns/$n; done; hostname; id;"
                + " grep pids /proc/self/cgroup; ls /bin/busybox) > /out/exec 2>&1; exit 5",
            0);
    assertEquals(5, code);
    String seen = Files.readString(out.resolve("exec"));
    String initNs = Files.readString(out.resolve("init-ns"));
    assertTrue(
        initNs.startsWith("pid:[") && initNs.contains("mnt:[") && initNs.contains("net:["), initNs);
    assertTrue(seen.startsWith(initNs), seen);
    assertTrue(seen.contains("exec-box\n"), seen);
    assertTrue(seen.contains("uid=0(root)"), seen);
    assertTrue(seen.contains("/" + id + "\n"), "in the container's pids cgroup: " + seen);
    assertTrue(seen.contains("/bin/busybox"), "sees the container's root: " + seen);
  }

  @Test
  void runsAsTheGivenUser() throws Exception {
    assertEquals(0, exec("id > /out/id", 1000));
    assertTrue(Files.readString(out.resolve("id")).startsWith("uid=1000 gid=1000"));
  }

  @Test
  void detachedExecWritesItsPidAndKeepsRunning() throws Exception {
    Path pidFile = tmp.resolve("exec.pid");
    rt.exec(id, new ExecOptions(process("sleep 30", 0), null, pidFile, 0, true, false), null);
    int pid = Integer.parseInt(Files.readString(pidFile).strip());
    assertTrue(rt.pids(id).contains(pid), rt.pids(id) + " should contain " + pid);
  }

  @Test
  void aMissingExecutableIsAClearErrorAndLeavesNoProcess() throws Exception {
    List<Integer> before = rt.pids(id);
    Process base = process("true", 0);
    Process bad =
        new Process(
            false,
            null,
            base.user(),
            List.of("/bin/nope"),
            "",
            base.env(),
            "/",
            base.capabilities(),
            base.rlimits(),
            base.noNewPrivileges(),
            "",
            null,
            "");
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> rt.exec(id, new ExecOptions(bad, null, null, 0, false, false), null));
    assertTrue(e.getMessage().contains("/bin/nope"), e.getMessage());
    assertEquals(before, rt.pids(id));
  }

  @Test
  void execIntoAStoppedContainerIsRefused() throws Exception {
    rt.kill(id, 9, false);
    for (int i = 0; i < 200 && rt.state(id).status() != Status.STOPPED; i++) Thread.sleep(10);
    ContainerException e = assertThrows(ContainerException.class, () -> exec("true", 0));
    assertTrue(e.getMessage().contains("stopped"), e.getMessage());
  }

  @Test
  void execIntoAPausedContainerIsRefusedUnlessIgnored() throws Exception {
    rt.pause(id);
    try {
      ContainerException e = assertThrows(ContainerException.class, () -> exec("true", 0));
      assertTrue(e.getMessage().contains("paused"), e.getMessage());
      assertEquals(List.of(rt.state(id).pid()), rt.pids(id), "no process left by the refused exec");
    } finally {
      rt.resume(id);
    }
  }

  @Test
  void aConsoleSocketThatDoesNotExistIsAClearError() throws Exception {
    Process p = process("true", 0);
    Process tty =
        new Process(
            true,
            null,
            p.user(),
            p.args(),
            "",
            p.env(),
            "/",
            p.capabilities(),
            p.rlimits(),
            p.noNewPrivileges(),
            "",
            null,
            "");
    Path missing = tmp.resolve("no-such.sock");
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> rt.exec(id, new ExecOptions(tty, missing, null, 0, true, false), null));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertEquals(List.of(rt.state(id).pid()), rt.pids(id));
  }

  /** The container's cgroup directories on the host, from its init's /proc/<pid>/cgroup. */
  private List<Path> containerCgroups() throws Exception {
    List<Path> dirs = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/" + rt.state(id).pid() + "/cgroup"))) {
      String[] f = line.split(":", 3);
      String mount =
          f[1].isEmpty() ? "unified" : f[1].startsWith("name=") ? f[1].substring(5) : f[1];
      Path dir = Path.of("/sys/fs/cgroup", mount, f[2]);
      if (Files.isDirectory(dir)) dirs.add(dir);
    }
    return dirs;
  }

  @Test
  void execRunsInAnExistingSubCgroupAsRuncsCgroupFlag() throws Exception {
    List<Path> subs = new java.util.ArrayList<>();
    for (Path dir : containerCgroups()) {
      Path sub = Files.createDirectories(dir.resolve("sub"));
      subs.add(sub);
      // A v1 cpuset starts empty, and nothing can join it: set up as a user of --cgroup must.
      for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
        if (Files.exists(sub.resolve(f)))
          Files.writeString(sub.resolve(f), Files.readString(dir.resolve(f)).trim());
      }
    }
    try {
      int code =
          rt.exec(
              id,
              new ExecOptions(
                      process("cat /proc/self/cgroup > /out/sub", 0), null, null, 0, false, false)
                  .withSubCgroups(java.util.Map.of("", "sub")),
              null);
      assertEquals(0, code);
      List<String> lines = Files.readAllLines(out.resolve("sub"));
      assertTrue(
          lines.stream().filter(l -> l.endsWith("/" + id + "/sub")).count() >= subs.size() - 1,
          lines.toString());
      // Only the controllers named: memory's sub-cgroup, the rest the container's own.
      code =
          rt.exec(
              id,
              new ExecOptions(
                      process("cat /proc/self/cgroup > /out/memory", 0),
                      null,
                      null,
                      0,
                      false,
                      false)
                  .withSubCgroups(java.util.Map.of("memory", "sub")),
              null);
      assertEquals(0, code);
      for (String l : Files.readAllLines(out.resolve("memory"))) {
        assertTrue(
            l.contains(":memory:") ? l.endsWith("/" + id + "/sub") : l.endsWith("/" + id), l);
      }
      // Never out of the container's cgroup, and never a sub-cgroup that is not there.
      for (String bad : List.of("../..", "sub/../../other", "missing")) {
        ContainerException e =
            assertThrows(
                ContainerException.class,
                () ->
                    rt.exec(
                        id,
                        new ExecOptions(process("true", 0), null, null, 0, false, false)
                            .withSubCgroups(java.util.Map.of("", bad)),
                        null));
        assertTrue(e.getMessage().startsWith("--cgroup: "), e.getMessage());
      }
    } finally {
      for (int i = 0; i < 200 && rt.pids(id).size() > 1; i++) Thread.sleep(10);
      for (Path sub : subs) Files.deleteIfExists(sub);
    }
  }

  @Test
  void theConsoleSizeOfAnExecdProcessIsItsPtysSize() throws Exception {
    // exec -p process.json with consoleSize and a console socket: the master arrives sized, as from
    // runc.
    Process p = process("sleep 5", 0);
    Process tty =
        new Process(
            true,
            new dev.berth.spec.runtime.ConsoleSize(19, 83),
            p.user(),
            p.args(),
            "",
            p.env(),
            "/",
            p.capabilities(),
            p.rlimits(),
            p.noNewPrivileges(),
            "",
            null,
            "");
    Path sock = tmp.resolve("console.sock");
    try (var listener =
        dev.berth.sys.Linux.listenUnix(
            sock.toString(), dev.berth.sys.LinuxConstants.SOCK_STREAM, 1)) {
      rt.exec(id, new ExecOptions(tty, sock, null, 0, true, false), null);
      try (var conn = dev.berth.sys.Linux.accept(listener, 0)) {
        var got = dev.berth.sys.Linux.recvmsg(conn, java.nio.ByteBuffer.allocateDirect(64), 1);
        try (var master = new dev.berth.sys.Fd(got.fds()[0])) {
          int[] size = dev.berth.sys.Linux.getWinsize(master);
          assertEquals(List.of(19, 83), List.of(size[0], size[1]));
        }
      }
    }
  }
}
