package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth --config FILE}: its runtime handlers are what {@code --runtime} names, and a bad
 * file fails the verbs that open the engine with its line, while the image verbs, which run no
 * container, work on.
 */
@RequiresRoot
@RequiresCommand("runc")
class BerthConfigCliTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;

  Exec.Result berth(Path config, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                BerthCli.launcher().toString(),
                "--root",
                tmp.resolve("root").toString(),
                "--runroot",
                tmp.resolve("run").toString(),
                "--config",
                config.toString()));
    all.addAll(List.of(args));
    return Exec.run(all, null, Map.of(), null, 60);
  }

  @Test
  void runUsesAConfiguredHandlerAndABadFileStopsOnlyTheEngineVerbs() throws Exception {
    Path state = tmp.resolve("fast-state");
    Path config = tmp.resolve("berth.toml");
    Files.writeString(config, "[runtimes.fast]\nruntime = \"runc\"\nroot = \"" + state + "\"\n");
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    berth(config, "import", tar.toString(), IMAGE).ok();

    Exec.Result run =
        berth(config, "run", "-d", "--name", "on-fast", "--runtime", "fast", IMAGE, "sleep", "100");
    assertEquals(0, run.exitCode(), run.toString());
    String id = run.stdout().strip();
    String state1 = Exec.run("runc", "--root", state.toString(), "state", id).ok().stdout();
    assertTrue(state1.contains("\"status\": \"running\""), state1);
    berth(config, "rm", "-f", "on-fast").ok();
    assertEquals(
        List.of(), Processes.awaitNoneMentioning(tmp, java.time.Duration.ofSeconds(20)), "left");

    Files.writeString(config, "[runtimes.fast]\nruntime = \"runc\"\nroots = \"/x\"\n");
    Exec.Result ps = berth(config, "ps", "-a");
    assertEquals(125, ps.exitCode(), ps.toString());
    assertEquals(
        "Error: " + config + ":3: unknown key \"runtimes.fast.roots\"", ps.stderr().strip());
    Exec.Result images = berth(config, "images", "-q");
    assertEquals(0, images.exitCode(), images.toString());
    assertEquals(1, images.stdout().lines().count(), images.toString());
  }
}
