package dev.berth.api.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.registry.LocalRegistry;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's docker-py (python3-docker 5) against the API served in-process ({@link NetnsDaemon}):
 * the script {@code docker_py_checks.py} runs what a user's script does (foreground and detached
 * runs, exec with demux and a terminal, archives both ways, stats, wait, logs followed live, an
 * attach socket, live and past events with filters, volumes, networks with an alias, a push and a
 * pull through Debian's docker-registry) and checks each answer; dockerd 20.10 passes it too.
 * Before, a foreground run returned None (the log driver's name), a named volume was refused
 * ("Duplicate mount point") and wait's body had no Error.
 */
@RequiresCommand({"python3", "docker-registry", "busybox"})
@org.junit.jupiter.api.Timeout(300)
class DockerPyInteropTest {
  @TempDir Path tmp;

  @Test
  void aUsersScriptRunsAsAgainstDockerd() throws Exception {
    // Debian's python3 with python3-docker (what scripts/test.sh installs), before any other
    // python3
    // on the PATH, which may carry another docker-py or none.
    String python =
        Files.isExecutable(Path.of("/usr/bin/python3"))
                && Exec.run("/usr/bin/python3", "-c", "import docker").exitCode() == 0
            ? "/usr/bin/python3"
            : "python3";
    assumeTrue(
        Exec.run(python, "-c", "import docker").exitCode() == 0, "python3-docker not installed");
    Path script = tmp.resolve("docker_py_checks.py");
    try (InputStream in = getClass().getResourceAsStream("docker_py_checks.py")) {
      Files.write(script, in.readAllBytes());
    }
    try (LocalRegistry registry = LocalRegistry.anonymous();
        NetnsDaemon daemon = new NetnsDaemon(tmp.resolve("daemon"))) {
      Exec.Result r =
          daemon.client(
              tmp,
              null,
              Map.of(),
              "env",
              "REGISTRY=" + registry.address(),
              python,
              script.toString());
      assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
      List<String> ok = r.stdout().lines().filter(l -> l.startsWith("ok ")).toList();
      assertTrue(ok.contains("ok left volumes"), r.stdout());
      assertEquals(33, ok.size(), r.stdout());
    }
  }
}
