package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker's {@code --health-*} flags of {@code berth run/create} and podman's {@code berth
 * healthcheck run}: a probe now, exit 0 healthy and 1 unhealthy; {@code inspect} and {@code ps}
 * show the health as docker does (in this JVM, {@link BerthCli}).
 */
@RequiresRoot
class BerthHealthCliTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  BerthCli berth;
  String runRoot;

  @BeforeEach
  void importBusybox() throws Exception {
    berth = new BerthCli(tmp.resolve("root"));
    runRoot = tmp.resolve("run").toString();
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    cli("import", tar.toString(), IMAGE).ok();
  }

  @AfterEach
  void removeContainers() {
    for (String id : cli("ps", "-aq", "--no-trunc").ok().lines()) cli("rm", "-f", id);
    assertEquals(
        List.of(), Processes.awaitNoneMentioning(tmp, java.time.Duration.ofSeconds(20)), "left");
  }

  BerthCli.Result cli(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--runroot";
    all[1] = runRoot;
    System.arraycopy(args, 0, all, 2, args.length);
    return berth.run(all);
  }

  @Test
  void healthcheckRunProbesNowAndPsAndInspectShowTheHealth() {
    cli(
            "run",
            "-d",
            "--name",
            "web",
            "--network",
            "none",
            "--health-cmd",
            "test -f /tmp/ok || { echo not yet; exit 1; }",
            "--health-interval",
            "1m30s",
            "--health-timeout",
            "5s",
            "--health-retries",
            "1",
            IMAGE,
            "sleep",
            "1000")
        .ok();
    assertEquals(
        "{\"Test\":[\"CMD-SHELL\",\"test -f /tmp/ok || { echo not yet; exit 1; }\"],"
            + "\"Interval\":90000000000,\"Timeout\":5000000000,\"Retries\":1}\n",
        cli("inspect", "-f", "{{json .Config.Healthcheck}}", "web").ok().stdout());
    assertEquals(
        "starting\n", cli("inspect", "-f", "{{.State.Health.Status}}", "web").ok().stdout());
    assertTrue(
        cli("ps", "--format", "{{.Status}}").ok().stdout().endsWith("(health: starting)\n"),
        cli("ps").stdout());

    BerthCli.Result failed = cli("healthcheck", "run", "web");
    assertEquals(1, failed.exitCode(), failed.toString());
    assertEquals("unhealthy\n", failed.stdout());
    assertEquals("not yet\n", failed.stderr(), "the probe's output");
    assertTrue(
        cli("ps", "--format", "{{.Status}}").ok().stdout().endsWith("(unhealthy)\n"),
        cli("ps").stdout());
    assertEquals(
        "web\n", cli("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}").ok().stdout());

    cli("exec", "web", "touch", "/tmp/ok").ok();
    BerthCli.Result passed = cli("healthcheck", "run", "web");
    assertEquals(0, passed.exitCode(), passed.toString());
    assertEquals("", passed.stdout());
    assertEquals(
        "healthy 0 2\n",
        cli(
                "inspect",
                "-f",
                "{{.State.Health.Status}} {{.State.Health.FailingStreak}}"
                    + " {{len .State.Health.Log}}",
                "web")
            .ok()
            .stdout());
    assertTrue(
        cli("ps", "--format", "{{.Status}}").ok().stdout().endsWith("(healthy)\n"),
        cli("ps").stdout());
    assertEquals(
        "", cli("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}").ok().stdout());

    // commit keeps it in the image's config, which image inspect shows and a new container takes
    cli("commit", "web", "localhost/healthy:1").ok();
    String image =
        cli("image", "inspect", "localhost/healthy:1").ok().stdout().replaceAll("\\s", "");
    assertTrue(
        image.contains(
            "\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"test-f/tmp/ok||{echonotyet;exit1;}\"],"
                + "\"Interval\":90000000000,\"Timeout\":5000000000,\"Retries\":1}"),
        image);
    cli(
            "run",
            "-d",
            "--name",
            "child",
            "--network",
            "none",
            "--health-retries",
            "4",
            "localhost/healthy:1",
            "sleep",
            "1000")
        .ok();
    assertEquals(
        "{\"Test\":[\"CMD-SHELL\",\"test -f /tmp/ok || { echo not yet; exit 1; }\"],"
            + "\"Interval\":90000000000,\"Timeout\":5000000000,\"Retries\":4}\n",
        cli("inspect", "-f", "{{json .Config.Healthcheck}}", "child").ok().stdout());
    assertEquals(0, cli("healthcheck", "run", "child").exitCode(), "/tmp/ok came with the commit");
  }

  @Test
  void noHealthcheckAndBadFlagsAreRefusedAsDockerRefusesThem() {
    cli("create", "--name", "plain", "--network", "none", "--no-healthcheck", IMAGE, "true").ok();
    assertEquals(
        "{\"Test\":[\"NONE\"]}\n",
        cli("inspect", "-f", "{{json .Config.Healthcheck}}", "plain").ok().stdout());
    String state = cli("inspect", "-f", "{{json .State}}", "plain").ok().stdout();
    assertTrue(!state.contains("Health"), "no State.Health, as docker: " + state);

    BerthCli.Result conflict =
        cli("create", "--no-healthcheck", "--health-cmd", "true", IMAGE, "true");
    conflict.fails();
    assertEquals("--no-healthcheck conflicts with --health-* options", conflict.error());
    BerthCli.Result negative = cli("create", "--health-retries", "-1", IMAGE, "true");
    negative.fails();
    assertEquals("--health-retries cannot be negative", negative.error());
    BerthCli.Result tooShort =
        cli("create", "--health-cmd", "true", "--health-interval", "10us", IMAGE, "true");
    tooShort.fails();
    assertTrue(tooShort.error().contains("Interval"), tooShort.toString());
    assertEquals(
        "plain\n", cli("ps", "-a", "--format", "{{.Names}}").ok().stdout(), "nothing made");

    // a container without a healthcheck: a precondition error of berth (125), not "unhealthy"
    cli("run", "-d", "--name", "up", "--network", "none", IMAGE, "sleep", "1000").ok();
    BerthCli.Result none = cli("healthcheck", "run", "up");
    none.fails();
    assertTrue(none.error().contains("has no healthcheck"), none.toString());
  }
}
