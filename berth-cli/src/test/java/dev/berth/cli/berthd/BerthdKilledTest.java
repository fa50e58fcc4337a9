package dev.berth.cli.berthd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/**
 * The built {@code bin/berthd} as a process, killed with SIGKILL while the containers the docker
 * CLI ran through it still run: their ends are then reconciled by their monitors' exit command (no
 * berthd watches any more), so an {@code --rm} container is removed and an {@code on-failure} one
 * restarted with nobody calling berth, as while berthd ran.
 */
@RequiresRoot
@RequiresCommand("docker")
@Timeout(120)
class BerthdKilledTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  Process berthd;

  static Path top() {
    Path top = Path.of("").toAbsolutePath();
    while (top != null && !Files.exists(top.resolve("bin/berthd"))) top = top.getParent();
    if (top == null || !Files.isDirectory(top.resolve("build/runtime-berthd"))) {
      throw new TestAbortedException("berthd is not built: run scripts/build.sh");
    }
    return top;
  }

  Exec.Result berth(String... args) {
    List<String> c = new ArrayList<>(List.of(top().resolve("bin/berth").toString()));
    c.addAll(List.of("--root", tmp.resolve("root").toString()));
    c.addAll(List.of("--runroot", tmp.resolve("run").toString()));
    c.addAll(List.of(args));
    return Exec.run(c, null, Map.of(), null, 60);
  }

  Exec.Result docker(String... args) {
    List<String> c = new ArrayList<>(List.of("docker"));
    c.addAll(List.of(args));
    return Exec.run(
        c,
        null,
        Map.of("DOCKER_HOST", "unix://" + tmp.resolve("d.sock"), "HOME", tmp.toString()),
        null,
        60);
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (berthd != null) berthd.destroyForcibly().waitFor();
    for (String id : berth("ps", "-aq", "--no-trunc").stdout().lines().toList())
      berth("rm", "-f", id);
    // A removed container's monitor still runs its exit command (a CLI on this store): wait for
    // it, or the temporary directory is deleted under its feet.
    assertEquals(
        List.of(), Processes.awaitNoneMentioning(tmp, Duration.ofSeconds(30)), "processes left");
    List<String> mounts = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      if (line.split(" ")[4].startsWith(tmp.toString())) mounts.add(line);
    }
    assertEquals(List.of(), mounts, "mounts left behind");
  }

  @Test
  void containersThatEndAfterBerthdWasKilledAreReleasedAndRestartedByTheirPolicy()
      throws Exception {
    Path tar = tmp.resolve("busybox.tar");
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    berth("import", tar.toString(), IMAGE).ok();
    berthd =
        new ProcessBuilder(
                top().resolve("bin/berthd").toString(),
                "--root",
                tmp.resolve("root").toString(),
                "--runroot",
                tmp.resolve("run").toString(),
                "-H",
                "unix://" + tmp.resolve("d.sock"),
                "--cri",
                "")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("berthd.log").toFile())
            .start();
    for (int i = 0; i < 300 && docker("version").exitCode() != 0; i++) Thread.sleep(100);
    String restarts =
        docker(
                "run",
                "-d",
                "--restart",
                "on-failure:1",
                "--network",
                "none",
                IMAGE,
                "sh",
                "-c",
                "sleep 2; exit 3")
            .ok()
            .stdout()
            .strip();
    String removed =
        docker("run", "-d", "--rm", "--network", "none", IMAGE, "sh", "-c", "sleep 2")
            .ok()
            .stdout()
            .strip();
    berthd.destroyForcibly().waitFor(); // SIGKILL: its exit watcher's lock goes with it
    berthd = null;
    // Read from the store's files, not through berth (whose reads would reconcile them).
    Path records = tmp.resolve("root/containers");
    Path restarted = records.resolve(restarts).resolve("container.json");
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() < deadline
        && (Files.exists(records.resolve(removed)) || !restartCounted(restarted))) {
      Thread.sleep(100);
    }
    assertFalse(Files.exists(records.resolve(removed)), "the --rm container was not removed");
    assertTrue(restartCounted(restarted), "not restarted: " + Files.readString(restarted));
    assertEquals("1\n", berth("inspect", "-f", "{{.RestartCount}}", restarts).ok().stdout());
  }

  private static boolean restartCounted(Path record) throws IOException {
    return Files.readString(record).contains("\"restartCount\":1");
  }
}
