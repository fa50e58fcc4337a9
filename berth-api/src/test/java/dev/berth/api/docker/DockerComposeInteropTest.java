package dev.berth.api.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's docker-compose (1.29, on docker-py 5) against the API served in-process, its containers
 * on networks in a namespace of the test's ({@link NetnsDaemon}). The same commands against dockerd
 * 20.10 print what is asserted here; before, berthd refused a service with a named volume
 * ("Duplicate mount point"), made compose recreate its network on every later up (the network's
 * Options), crashed compose's recreate (no ContainerConfig in image inspect), showed no logs (the
 * log driver's name) and ignored volumes_from.
 */
@RequiresCommand({"docker-compose", "docker", "busybox"})
@org.junit.jupiter.api.Timeout(300)
class DockerComposeInteropTest {
  @TempDir Path tmp;
  NetnsDaemon daemon;
  Path project;

  @BeforeEach
  void start() throws Exception {
    daemon = new NetnsDaemon(tmp);
    project = Files.createDirectories(tmp.resolve("project"));
  }

  @AfterEach
  void stop() throws Exception {
    if (daemon != null) daemon.close();
  }

  private Exec.Result compose(String... args) {
    return compose(Map.of(), args);
  }

  private Exec.Result compose(Map<String, String> env, String... args) {
    List<String> c = new ArrayList<>(List.of("docker-compose", "--ansi", "never", "-p", "t"));
    c.addAll(List.of(args));
    return daemon.client(project, null, env, c.toArray(String[]::new));
  }

  /** Output lines of a compose command, stdout and stderr (where compose reports progress). */
  private static String all(Exec.Result r) {
    return r.stdout() + r.stderr();
  }

  @Test
  void aWebServiceAndItsClientsThroughTheirLifecycle() throws Exception {
    Files.writeString(
        project.resolve("docker-compose.yml"),
        """
        version: "2.4"
        services:
          web:
            image: localhost/busybox:latest
            command: sh -c 'echo hello-$$GREETING > /www/index.html && exec httpd -f -p 80 -h /www'
            environment:
              GREETING: berth
            labels:
              tier: front
            ports: ["8080:80"]
            volumes: ["data:/www", "/scratch"]
            networks:
              app:
                aliases: [www]
            healthcheck:
              test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://localhost/"]
              interval: 1s
              retries: 30
          client:
            image: localhost/busybox:latest
            command: sh -c 'wget -q -O- http://web/ && wget -q -O- http://www/ && echo "mode=$$MODE"'
            environment: [MODE=test]
            depends_on:
              web:
                condition: service_healthy
            networks: [app]
          side:
            image: localhost/busybox:latest
            command: cat /www/index.html
            volumes_from: [web]
            network_mode: none
            depends_on:
              web:
                condition: service_healthy
        volumes:
          data:
        networks:
          app:
        """);
    Exec.Result up = compose("up", "-d");
    assertEquals(0, up.exitCode(), all(up));
    assertTrue(all(up).contains("Creating t_client_1 ... done"), all(up));
    assertEquals(0, compose("exec", "-T", "web", "test", "-d", "/scratch").exitCode());
    assertEquals(3, compose("ps", "-q").ok().stdout().lines().count());

    // compose reads logs only from drivers it knows keep them
    String clientLogs = compose("logs", "--no-color", "client").ok().stdout();
    assertTrue(clientLogs.contains("client_1  | mode=test"), clientLogs);
    assertEquals(2, clientLogs.lines().filter(l -> l.endsWith("| hello-berth")).count());
    String sideLogs = compose("logs", "--no-color", "side").ok().stdout();
    assertTrue(sideLogs.contains("side_1    | hello-berth"), "volumes_from: " + sideLogs);

    assertEquals(5, compose("exec", "-T", "web", "sh", "-c", "exit 5").exitCode());
    // compose's run and exec go through the docker CLI (start --attach --interactive, exec).
    Exec.Result run = compose("run", "--rm", "-T", "client", "wget", "-q", "-O-", "http://www/");
    assertEquals("hello-berth\n", run.stdout(), all(run));
    // Without the CLI, compose attaches through docker-py, one socket per stream, only after the
    // start and without the logs (dockerpty's lazy map): output written before that is lost
    // against dockerd too, so this command waits before it writes.
    Exec.Result pty =
        compose(
            Map.of("COMPOSE_INTERACTIVE_NO_CLI", "1"),
            "run",
            "--rm",
            "-T",
            "client",
            "sh",
            "-c",
            "sleep 3; wget -q -O- http://www/; echo to-stderr >&2; exit 4");
    assertEquals(4, pty.exitCode(), all(pty));
    assertEquals("hello-berth\n", pty.stdout(), all(pty));
    assertTrue(pty.stderr().contains("to-stderr"), all(pty));
    assertEquals(
        "hello-berth\n", daemon.inNs("wget", "-q", "-O-", "http://127.0.0.1:8080/").ok().stdout());

    // A second up finds everything as it left it (the network's Options included).
    Exec.Result again = compose("up", "-d", "web");
    assertEquals(0, again.exitCode(), all(again));
    assertTrue(all(again).contains("t_web_1 is up-to-date"), all(again));
    // Recreating reads the image's ContainerConfig and keeps the named volume's content.
    Exec.Result recreate = compose("up", "-d", "--force-recreate", "--no-deps", "web");
    assertEquals(0, recreate.exitCode(), all(recreate));
    assertTrue(all(recreate).contains("Recreating t_web_1 ... done"), all(recreate));
    assertEquals(
        "hello-berth\n", compose("exec", "-T", "web", "cat", "/www/index.html").ok().stdout());

    Exec.Result scaled = compose("up", "-d", "--no-recreate", "--scale", "client=2");
    assertEquals(0, scaled.exitCode(), all(scaled));
    assertEquals(4, compose("ps", "-q").ok().stdout().lines().count());
    assertEquals(0, compose("stop", "-t", "1").exitCode());
    String ps = compose("ps", "web").ok().stdout();
    assertTrue(ps.contains("Exit 137") || ps.contains("Exit 143"), ps);
    Exec.Result down = compose("down", "-v");
    assertEquals(0, down.exitCode(), all(down));
    assertEquals(List.of(), daemon.leftovers(), "down -v removed the project");
  }

  @Test
  void upInTheForegroundShowsTheOutputUntilTheServicesEnd() throws Exception {
    Files.writeString(
        project.resolve("docker-compose.yml"),
        """
        version: "2.4"
        services:
          a:
            image: localhost/busybox:latest
            command: sh -c 'echo a-out; echo a-err >&2'
            network_mode: none
          b:
            image: localhost/busybox:latest
            command: sh -c 'echo b-out; exit 3'
            network_mode: none
          i:
            image: localhost/busybox:latest
            command: cat /proc/1/comm
            init: true
            network_mode: none
        """);
    Exec.Result up = compose("up");
    assertEquals(0, up.exitCode(), all(up));
    for (String line :
        List.of(
            "a_1  | a-out",
            "a_1  | a-err",
            "b_1  | b-out",
            "t_a_1 exited with code 0",
            "i_1  | docker-init",
            "t_b_1 exited with code 3")) {
      assertTrue(up.stdout().contains(line), line + " in " + all(up));
    }
    Exec.Result exitCode = compose("up", "--exit-code-from", "b", "b");
    assertEquals(3, exitCode.exitCode(), all(exitCode));
    assertTrue(exitCode.stdout().contains("b_1  | b-out"), all(exitCode));
    assertEquals(0, compose("down", "-v").exitCode());
    assertEquals(List.of(), daemon.leftovers(), "down -v removed the project");
  }
}
