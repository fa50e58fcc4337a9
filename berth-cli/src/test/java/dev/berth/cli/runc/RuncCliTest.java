package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.CgroupTree;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berth-runc as containerd, podman and scripts use it: verbs, output formats, exit codes, errors,
 * leftovers.
 */
@RequiresRoot
class RuncCliTest {
  @TempDir Path tmp;
  String berth;
  Path root;
  Bundle bundle;
  String id;

  @BeforeEach
  void setUp() {
    berth = BerthRunc.launcher().toString();
    root = tmp.resolve("state");
    bundle = Bundle.busybox(tmp.resolve("bundle"));
    id = "cli" + ProcessHandle.current().pid();
  }

  @AfterEach
  void tearDown() {
    cmd("delete", "--force", id);
  }

  private Exec.Result cmd(String... args) {
    return BerthRunc.runWithRoot(berth, bundle.dir(), root, args);
  }

  @Test
  void runPrintsFromInsideAndReturnsTheExitCode() {
    bundle.sh("echo hello from $(hostname); exit 3").write();
    Exec.Result r = cmd("run", id);
    assertEquals(3, r.exitCode(), r.toString());
    assertEquals("hello from runc\n", r.stdout());
  }

  @Test
  void createStartStateListKillDelete() {
    bundle.sh("sleep 30").write();
    Path pidFile = tmp.resolve("pid");
    // Detached containers keep our pipes open: give the container no stdio of ours.
    bundle.process().put("args", java.util.List.of("sleep", "30"));
    bundle.write();
    Exec.Result r =
        Exec.run(
            java.util.List.of(
                "sh",
                "-c",
                berth
                    + " --root "
                    + root
                    + " create --pid-file "
                    + pidFile
                    + " "
                    + id
                    + " </dev/null >/dev/null 2>"
                    + tmp.resolve("err")),
            bundle.dir(),
            java.util.Map.of(),
            null,
            30);
    assertEquals(0, r.exitCode(), r + read(tmp.resolve("err")));
    String state = cmd("state", id).ok().stdout();
    assertTrue(state.contains("\"status\": \"created\""), state);
    assertTrue(
        state.contains("\"pid\": " + read(pidFile).strip()),
        state + " vs pid file " + read(pidFile));
    assertTrue(
        cmd("list")
            .ok()
            .stdout()
            .lines()
            .anyMatch(l -> l.startsWith(id + " ") && l.contains("created")));
    assertEquals(id + "\n", cmd("list", "-q").ok().stdout());
    cmd("start", id).ok();
    assertTrue(cmd("state", id).ok().stdout().contains("\"status\": \"running\""));
    assertTrue(
        cmd("ps", "--format", "json", id).ok().stdout().startsWith("[" + read(pidFile).strip()));
    Exec.Result del = cmd("delete", id);
    assertEquals(1, del.exitCode());
    assertTrue(del.stderr().contains("is not stopped"), del.stderr());
    Exec.Result bad = cmd("kill", id, "NOSUCHSIGNAL");
    assertEquals(1, bad.exitCode());
    assertTrue(bad.stderr().contains("NOSUCHSIGNAL"), bad.stderr());
    cmd("kill", id, "KILL").ok();
    for (int i = 0; i < 100 && !cmd("state", id).stdout().contains("stopped"); i++) sleep(20);
    assertTrue(cmd("state", id).ok().stdout().contains("\"status\": \"stopped\""));
    cmd("delete", id).ok();
    assertFalse(Files.exists(root.resolve(id)));
    Exec.Result gone = cmd("state", id);
    assertEquals(1, gone.exitCode());
    assertTrue(gone.stderr().contains("does not exist"), gone.stderr());
  }

  @Test
  void execRunsInTheContainerWithRuncsFlags() {
    bundle.args("sleep", "30").write();
    Exec.Result r =
        Exec.run(
            java.util.List.of(
                "sh",
                "-c",
                berth + " --root " + root + " run -d " + id + " </dev/null >/dev/null 2>&1"),
            bundle.dir(),
            java.util.Map.of(),
            null,
            30);
    assertEquals(0, r.exitCode(), r.toString());
    Exec.Result e =
        cmd(
            "exec",
            "-e",
            "FOO=bar",
            "--cwd",
            "/tmp",
            "-u",
            "1000:1001",
            id,
            "sh",
            "-c",
            "echo $FOO; pwd; id; hostname; exit 4");
    assertEquals(4, e.exitCode(), e.toString());
    assertEquals("bar\n/tmp\nuid=1000 gid=1001\nrunc\n", e.stdout());
    // As runc: a failed exec exits 255, never a status its process could have returned.
    Exec.Result none = cmd("exec", id);
    assertEquals(255, none.exitCode());
    assertTrue(none.stderr().contains("exec failed: process args cannot be empty"), none.stderr());
  }

  @Test
  void preservedFdsReachTheContainer() throws IOException {
    Path file = tmp.resolve("fd3.txt");
    bundle.sh("echo through-fd-3 >&3").write();
    Exec.Result r =
        Exec.run(
            java.util.List.of(
                "sh",
                "-c",
                "exec 3>"
                    + file
                    + "; "
                    + berth
                    + " --root "
                    + root
                    + " run --preserve-fds 1 "
                    + id),
            bundle.dir(),
            java.util.Map.of(),
            null,
            30);
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals("through-fd-3\n", read(file));
  }

  @Test
  void errorsGoToTheLogFileAsJsonWhenAsked() throws IOException {
    Path log = tmp.resolve("log.json");
    Exec.Result r =
        BerthRunc.run(
            berth,
            bundle.dir(),
            "--root",
            root.toString(),
            "--log",
            log.toString(),
            "--log-format",
            "json",
            "state",
            "nope");
    assertEquals(1, r.exitCode());
    String line = read(log).strip();
    assertTrue(
        line.startsWith("{\"level\":\"error\",\"msg\":\"") && line.contains("does not exist"),
        line);
  }

  @Test
  void badInputGetsAClearErrorAndLeavesNothing() throws IOException {
    Files.writeString(
        bundle.dir().resolve("config.json"),
        "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": 5}}");
    assertFails("root.path", "create", id);

    bundle.write();
    Files.delete(bundle.rootfs().resolve("bin/sh"));
    assertFails("sh", "create", id);

    bundle.sh("true");
    bundle.config().put("root", Bundle.map("path", "nope"));
    bundle.write();
    assertFails("nope", "create", id);

    bundle.config().put("root", Bundle.map("path", "rootfs"));
    bundle.namespace("ipc", "/proc/self/ns/nope").write();
    assertFails("/proc/self/ns/nope", "create", id);

    Files.writeString(tmp.resolve("file"), "x");
    Exec.Result r =
        BerthRunc.run(
            berth, bundle.dir(), "--root", tmp.resolve("file/sub").toString(), "create", id);
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains("file/sub"), r.stderr());
  }

  private void assertFails(String mention, String... args) throws IOException {
    Exec.Result r = cmd(args);
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains(mention), "error should mention " + mention + ": " + r.stderr());
    assertFalse(Files.exists(root.resolve(id)), "state dir left behind");
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
      assertTrue(lines.noneMatch(l -> l.contains(bundle.dir().toString())), "mount left behind");
    }
    assertTrue(
        CgroupTree.named(Path.of("/sys/fs/cgroup/pids"), 2, id::equals).isEmpty(),
        "cgroup left behind");
  }

  @Test
  void specIsRuncsDefault() {
    Path a = tmp.resolve("a"), b = tmp.resolve("b");
    a.toFile().mkdirs();
    b.toFile().mkdirs();
    if (dev.berth.testkit.PrivilegeCondition.Host.which("runc") == null) return;
    BerthRunc.run("runc", a, "spec").ok();
    BerthRunc.run(berth, b, "spec").ok();
    assertEquals(read(a.resolve("config.json")), read(b.resolve("config.json")));
    Exec.Result again = BerthRunc.run(berth, b, "spec");
    assertEquals(1, again.exitCode());
    assertTrue(again.stderr().contains("exists"), again.stderr());
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "<" + e + ">";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
