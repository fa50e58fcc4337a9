package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real engines drive berth-runc as their OCI runtime: conmon as CRI-O uses it, podman with
 * --runtime, and containerd's runc shim with ctr's --runc-binary. Each fails if the peer is unhappy
 * with what berth-runc does.
 */
class EngineInteropTest {
  @TempDir Path tmp;

  private static void waitFor(Path p, int seconds) throws InterruptedException {
    for (int i = 0; i < seconds * 50 && !Files.exists(p); i++) Thread.sleep(20);
    assertTrue(Files.exists(p), p + " never appeared");
  }

  @Test
  @RequiresCommand("conmon")
  void conmonLaunchesBerthRuncAndRecordsExitAndLog() throws Exception {
    String berth = BerthRunc.launcher().toString();
    Bundle bundle =
        Bundle.busybox(tmp.resolve("bundle")).sh("echo out-line; echo err-line >&2; exit 3");
    bundle.write();
    Path root = tmp.resolve("root"), exitDir = Files.createDirectories(tmp.resolve("exit"));
    Path log = tmp.resolve("ctr.log"), pid = tmp.resolve("pid");
    Files.createDirectories(tmp.resolve("sock"));
    String id = "conmon" + ProcessHandle.current().pid();
    try {
      // conmon daemonises: the command returns once its monitor runs, which then calls "berth-runc
      // create".
      Exec.run(
              List.of(
                  "conmon",
                  "--api-version",
                  "1",
                  "-c",
                  id,
                  "-u",
                  id,
                  "-n",
                  id,
                  "-r",
                  berth,
                  "-b",
                  bundle.dir().toString(),
                  "-p",
                  pid.toString(),
                  "--exit-dir",
                  exitDir.toString(),
                  "--socket-dir-path",
                  tmp.resolve("sock").toString(),
                  "-l",
                  "k8s-file:" + log,
                  "--runtime-arg",
                  "--root",
                  "--runtime-arg",
                  root.toString()),
              tmp,
              Map.of(),
              null,
              30)
          .ok();
      waitFor(pid, 20);
      String state =
          BerthRunc.run(berth, tmp, "--root", root.toString(), "state", id).ok().stdout();
      assertTrue(state.contains("\"status\": \"created\""), state);
      BerthRunc.run(berth, tmp, "--root", root.toString(), "start", id).ok();
      waitFor(exitDir.resolve(id), 20);
      assertEquals("3", Files.readString(exitDir.resolve(id)).strip());
      List<String> lines = Files.readAllLines(log);
      assertTrue(lines.stream().anyMatch(l -> l.endsWith(" stdout F out-line")), lines.toString());
      assertTrue(lines.stream().anyMatch(l -> l.endsWith(" stderr F err-line")), lines.toString());
    } finally {
      BerthRunc.run(berth, tmp, "--root", root.toString(), "delete", "--force", id);
    }
    assertFalse(Files.exists(root.resolve(id)));
  }

  @Test
  @RequiresCommand("podman")
  void podmanRunsExecsLogsStopsAndRemoves() throws Exception {
    String berth = BerthRunc.launcher().toString();
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    List<String> podman =
        List.of(
            "podman",
            "--root",
            tmp.resolve("storage").toString(),
            "--runroot",
            tmp.resolve("run").toString(),
            "--storage-driver",
            "vfs",
            "--cgroup-manager",
            "cgroupfs",
            "--events-backend",
            "file",
            "--runtime",
            berth);
    // This host refuses rlimits above its hard limits, and podman's defaults ask for more: give
    // them explicitly.
    List<String> limits =
        List.of("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--net", "none");
    // podman's cgroupfs manager puts containers under /libpod_parent in every hierarchy: remove it
    // after if we made it.
    boolean hadParent = Files.exists(Path.of("/sys/fs/cgroup/pids/libpod_parent"));
    try {
      run(podman, "import", tar.toString(), "localhost/berth-busybox:test").ok();
      Exec.Result fg =
          run(
              podman,
              concat(
                  List.of("run", "--rm"),
                  limits,
                  List.of(
                      "localhost/berth-busybox:test",
                      "sh",
                      "-c",
                      "echo hello from podman; exit 4")));
      assertEquals(4, fg.exitCode(), fg.toString());
      assertTrue(fg.stdout().contains("hello from podman"), fg.toString());
      String id =
          run(
                  podman,
                  concat(
                      List.of("run", "-d"),
                      limits,
                      List.of(
                          "localhost/berth-busybox:test",
                          "sh",
                          "-c",
                          "echo started; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done")))
              .ok()
              .stdout()
              .strip();
      Exec.Result ex =
          run(podman, List.of("exec", id, "sh", "-c", "echo in-exec; cat /proc/1/cmdline"));
      assertEquals(0, ex.exitCode(), ex.toString());
      assertTrue(ex.stdout().startsWith("in-exec\n"), ex.toString());
      run(podman, List.of("stop", "-t", "10", id)).ok();
      String logs = run(podman, List.of("logs", id)).ok().stdout();
      assertEquals("started\nbye\n", logs);
      run(podman, List.of("rm", id)).ok();
      assertEquals("", run(podman, List.of("ps", "-aq")).ok().stdout().strip());
    } finally {
      run(podman, List.of("rm", "-af"));
      if (!hadParent) removeCgroupTree("libpod_parent");
    }
  }

  @Test
  @RequiresCommand("podman")
  void podmanTmpfsStartsWithWhatTheImageHasThere() throws Exception {
    // podman gives tmpcopyup to every --tmpfs and --mount type=tmpfs unless notmpcopyup: the
    // image's /etc (passwd, group, a file of our own) must be there, under podman's own binds.
    String berth = BerthRunc.launcher().toString();
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Files.writeString(rootfs.resolve("etc/berth-marker"), "from the image\n");
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    List<String> podman =
        List.of(
            "podman",
            "--root",
            tmp.resolve("storage").toString(),
            "--runroot",
            tmp.resolve("run").toString(),
            "--storage-driver",
            "vfs",
            "--cgroup-manager",
            "cgroupfs",
            "--events-backend",
            "file",
            "--runtime",
            berth);
    List<String> limits =
        List.of("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--net", "none");
    boolean hadParent = Files.exists(Path.of("/sys/fs/cgroup/pids/libpod_parent"));
    String probe =
        "cat /etc/berth-marker; grep -c ^root: /etc/passwd; grep -c ' /etc .* - tmpfs '"
            + " /proc/self/mountinfo";
    try {
      run(podman, "import", tar.toString(), "localhost/berth-busybox:test").ok();
      for (String opt : List.of("--tmpfs=/etc", "--mount=type=tmpfs,destination=/etc")) {
        Exec.Result r =
            run(
                podman,
                concat(
                    List.of("run", "--rm", opt),
                    limits,
                    List.of("localhost/berth-busybox:test", "sh", "-c", probe)));
        assertEquals(0, r.exitCode(), opt + ": " + r);
        assertEquals("from the image\n1\n1\n", r.stdout(), opt + ": " + r);
      }
      Exec.Result empty =
          run(
              podman,
              concat(
                  List.of("run", "--rm", "--tmpfs=/etc:notmpcopyup"),
                  limits,
                  List.of(
                      "localhost/berth-busybox:test",
                      "sh",
                      "-c",
                      "test -e /etc/berth-marker && echo copied; ls /etc | wc -l")));
      assertEquals(0, empty.exitCode(), empty.toString());
      assertFalse(empty.stdout().contains("copied"), empty.toString());
    } finally {
      run(podman, List.of("rm", "-af"));
      if (!hadParent) removeCgroupTree("libpod_parent");
    }
  }

  @Test
  @RequiresCommand({"containerd", "ctr", "containerd-shim-runc-v2", "podman"})
  void containerdRunsExecsAndKillsThroughItsRuncShim() throws Exception {
    String berth = BerthRunc.launcher().toString();
    Path dir = tmp.resolve("containerd");
    Files.createDirectories(dir);
    Path sock = dir.resolve("containerd.sock");
    Files.writeString(
        dir.resolve("config.toml"),
        """
        version = 2
        root = "%s/root"
        state = "%s/state"
        [grpc]
          address = "%s"
        [plugins."io.containerd.grpc.v1.cri"]
          restrict_oom_score_adj = true
        """
            .formatted(dir, dir, sock));
    // An image to run: podman writes an OCI archive of a busybox rootfs, ctr imports it.
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    List<String> podman =
        List.of(
            "podman",
            "--root",
            tmp.resolve("storage").toString(),
            "--runroot",
            tmp.resolve("run").toString(),
            "--storage-driver",
            "vfs",
            "--events-backend",
            "file");
    run(podman, List.of("import", tar.toString(), "localhost/berth-busybox:test")).ok();
    Path archive = tmp.resolve("oci.tar");
    run(
            podman,
            List.of(
                "save",
                "--format",
                "oci-archive",
                "-o",
                archive.toString(),
                "localhost/berth-busybox:test"))
        .ok();

    Process daemon =
        new ProcessBuilder("containerd", "--config", dir.resolve("config.toml").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("containerd.log").toFile())
            .start();
    List<String> ctr = List.of("ctr", "--address", sock.toString(), "-n", "berth-test");
    String id = "ctr" + ProcessHandle.current().pid();
    try {
      for (int i = 0; i < 250 && !Files.exists(sock); i++) Thread.sleep(20);
      run(
              ctr,
              List.of(
                  "image", "import", "--base-name", "localhost/berth-busybox", archive.toString()))
          .ok();
      Exec.Result fg =
          run(
              ctr,
              List.of(
                  "run",
                  "--rm",
                  "--runc-binary",
                  berth,
                  "localhost/berth-busybox:test",
                  id + "a",
                  "sh",
                  "-c",
                  "echo hello from containerd; exit 6"));
      assertEquals(6, fg.exitCode(), fg.toString());
      assertTrue(fg.stdout().contains("hello from containerd"), fg.toString());

      run(
              ctr,
              List.of(
                  "run",
                  "-d",
                  "--runc-binary",
                  berth,
                  "localhost/berth-busybox:test",
                  id,
                  "sleep",
                  "60"))
          .ok();
      Exec.Result ex =
          run(
              ctr,
              List.of("task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo in-exec; exit 2"));
      assertEquals(2, ex.exitCode(), ex.toString());
      assertTrue(ex.stdout().contains("in-exec"), ex.toString());
      run(ctr, List.of("task", "kill", "-s", "SIGKILL", id)).ok();
      for (int i = 0; i < 100 && !run(ctr, List.of("task", "ls")).stdout().contains("STOPPED"); i++)
        Thread.sleep(50);
      assertTrue(run(ctr, List.of("task", "ls")).stdout().contains("STOPPED"));
      run(ctr, List.of("task", "delete", id)).ok();
      run(ctr, List.of("container", "delete", id)).ok();
    } finally {
      run(ctr, List.of("task", "kill", "-s", "SIGKILL", id));
      run(ctr, List.of("task", "delete", id));
      run(ctr, List.of("container", "delete", id));
      daemon.destroy();
      daemon.waitFor();
      // containerd names the cgroups /<namespace>/<id>, as runc would leave them: remove the
      // namespace's parents.
      removeCgroupTree("berth-test");
    }
  }

  /**
   * Removes the (empty) cgroup directory {@code name} and its empty children at the root of every
   * hierarchy.
   */
  private static void removeCgroupTree(String name) {
    try (var hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
      for (Path h : hierarchies.toList()) {
        Path top = h.resolve(name);
        if (!Files.isDirectory(top)) continue;
        try (var tree = Files.walk(top)) {
          for (Path d :
              tree.filter(Files::isDirectory)
                  .sorted(java.util.Comparator.reverseOrder())
                  .toList()) {
            Files.deleteIfExists(d);
          }
        }
      }
    } catch (IOException e) {
      // a cgroup that still holds a process is not ours to force
    }
  }

  private static Exec.Result run(List<String> base, String... args) {
    return run(base, List.of(args));
  }

  private static Exec.Result run(List<String> base, List<String> args) {
    List<String> cmd = new ArrayList<>(base);
    cmd.addAll(args);
    return Exec.run(cmd, null, Map.of(), null, 120);
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> out = new ArrayList<>();
    for (List<String> p : parts) out.addAll(p);
    return out;
  }
}
