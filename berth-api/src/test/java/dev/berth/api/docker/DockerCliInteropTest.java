package dev.berth.api.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.registry.LocalRegistry;
import java.io.IOException;
import java.io.OutputStream;
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
 * The real docker CLI (28.x) against the API served in-process on a temporary store: system, image,
 * volume and network verbs, with a pull and push through Debian's docker-registry.
 */
@RequiresCommand({"docker", "docker-registry", "busybox"})
@org.junit.jupiter.api.Timeout(300)
class DockerCliInteropTest {
  @TempDir Path tmp;
  Engine engine;
  DockerApiServer server;
  Map<String, String> env;

  @BeforeEach
  void start() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    DaemonInfo info = new DaemonInfo("0.1.0-test", "test");
    Path socket = tmp.resolve("docker.sock");
    server =
        DockerApiServer.start(
            new DockerApiServer.Options(socket, null, info.serverHeader(), 0, 0, null),
            DockerApi.router(engine, info));
    Files.createDirectories(tmp.resolve("docker-config"));
    env =
        Map.of(
            "DOCKER_HOST",
            "unix://" + socket,
            "DOCKER_CONFIG",
            tmp.resolve("docker-config").toString());
  }

  @AfterEach
  void stop() {
    if (server != null) server.close();
    if (engine != null) engine.close();
    // Networking pins namespaces under a bind mount of its own directory (NetnsPins): undo it, and
    // prove nothing else is left mounted under the store.
    Path netns = tmp.resolve("run/netns");
    Exec.run("sh", "-c", "! mountpoint -q " + netns + " || umount " + netns).ok();
    assertFalse(
        Exec.run("cat", "/proc/self/mountinfo").ok().stdout().contains(tmp.toString()),
        "nothing stays mounted under the test's directory");
  }

  private Exec.Result docker(String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(List.of(args));
    return Exec.run(cmd, null, env, null, 120);
  }

  private Exec.Result sh(String script) {
    return Exec.run(List.of("sh", "-c", script), null, env, null, 120);
  }

  @Test
  void versionAndInfo() {
    String v = docker("version").ok().stdout();
    assertTrue(v.contains("API version:      1.44 (minimum version 1.24)"), v);
    assertTrue(v.contains("Server: Berth"), v);
    String info = docker("info").ok().stdout();
    assertTrue(info.contains("Containers: 0"), info);
    assertTrue(info.contains("Docker Root Dir: " + tmp.resolve("root")), info);
    assertEquals(
        "0.1.0-test", docker("version", "--format", "{{.Server.Version}}").ok().stdout().strip());
  }

  @Test
  void imagesThroughARegistryAndAnArchive() throws IOException {
    Path rootfs = tmp.resolve("rootfs.tar");
    try (OutputStream out = Files.newOutputStream(rootfs)) {
      new LayerTar().busybox().writeTo(out);
    }
    try (LocalRegistry registry = LocalRegistry.anonymous()) {
      String ref = registry.address() + "/test/bb:1";
      String id = docker("import", rootfs.toString(), "bb:1").ok().stdout().strip();
      assertTrue(id.startsWith("sha256:"), id);
      assertTrue(
          docker("images").ok().stdout().contains("bb           1"), docker("images").stdout());
      docker("tag", "bb:1", ref).ok();
      String push = docker("push", ref).ok().stdout();
      assertTrue(
          push.contains("The push refers to repository [" + registry.address() + "/test/bb]"),
          push);
      assertTrue(push.matches("(?s).*1: digest: sha256:[0-9a-f]{64} size: \\d+.*"), push);
      docker("rmi", ref).ok();
      assertEquals(1, docker("images", "-q").ok().stdout().strip().lines().count());
      String pull = docker("pull", ref).ok().stdout();
      assertTrue(pull.contains("Status: Downloaded newer image for " + ref), pull);
      assertTrue(
          docker("images", "--format", "{{.Repository}}:{{.Tag}}").ok().stdout().contains(ref));
      String inspect = docker("image", "inspect", "--format", "{{.Id}}", ref).ok().stdout().strip();
      assertEquals(id, inspect);
      Exec.Result missing = docker("pull", registry.address() + "/test/none:1");
      assertFalse(missing.exitCode() == 0, missing.toString());

      sh("docker save bb:1 " + ref + " > " + tmp.resolve("saved.tar")).ok();
      docker("rmi", "bb:1", ref).ok();
      assertEquals("", docker("images", "-q").ok().stdout().strip());
      String loaded = sh("docker load < " + tmp.resolve("saved.tar")).ok().stdout();
      assertTrue(loaded.contains("Loaded image: bb:1"), loaded);
      assertTrue(loaded.contains("Loaded image: " + ref), loaded);
      docker("rmi", "bb:1", ref).ok();
    }
    Exec.Result gone = docker("image", "inspect", "bb:1");
    assertEquals(1, gone.exitCode());
    assertTrue(gone.stderr().contains("No such image: bb:1"), gone.stderr());
  }

  @Test
  void volumesNetworksAndDiskUsage() {
    docker("volume", "create", "--label", "k=v", "v1").ok();
    assertTrue(docker("volume", "ls", "-q").ok().stdout().lines().anyMatch("v1"::equals));
    assertEquals(
        "map[k:v]",
        docker("volume", "inspect", "--format", "{{.Labels}}", "v1").ok().stdout().strip());
    docker("volume", "rm", "v1").ok();
    Exec.Result noVolume = docker("volume", "inspect", "v1");
    assertEquals(1, noVolume.exitCode());

    String id = docker("network", "create", "--label", "a=b", "n1").ok().stdout().strip();
    assertEquals(64, id.length(), id);
    assertTrue(
        docker("network", "ls", "--format", "{{.Name}}")
            .ok()
            .stdout()
            .lines()
            .anyMatch("n1"::equals));
    assertEquals(
        "n1",
        docker("network", "inspect", "--format", "{{.Name}}", id.substring(0, 12))
            .ok()
            .stdout()
            .strip());
    docker("network", "rm", "n1").ok();
    assertEquals(1, docker("network", "inspect", "n1").exitCode());

    String df = docker("system", "df").ok().stdout();
    assertTrue(df.contains("Local Volumes"), df);
  }
}
