package dev.berth.api.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.engine.health.HealthScheduler;
import dev.berth.engine.network.Network;
import dev.berth.engine.network.NetworkStore;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.volume.Volume;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * berthd's Docker API served in-process for a real client (docker-compose, docker-py) whose
 * containers need the network: the engine's CNI plugins run in a network namespace made for the
 * test ({@code nsenter --net=<ns> --}), and so do the clients ({@link #client}), so bridges, veths,
 * iptables rules and published ports are that namespace's, never the host's. Busybox is imported as
 * {@value #IMAGE} with the applets a web service and its client need. {@link #close} removes what
 * the clients left, then proves nothing of it stays: no container, volume or user network in the
 * stores, no veth in the namespace, no namespace pin, nothing mounted under the test's directory;
 * and deletes the namespace.
 */
final class NetnsDaemon implements AutoCloseable {
  static final String IMAGE = "localhost/busybox:latest";

  final Path dir;
  final String ns;
  final Engine engine;
  final DockerApiServer server;
  final HealthScheduler probes;
  final Path socket;
  private final List<String> leftByClient = new ArrayList<>();

  NetnsDaemon(Path dir) throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/lib/cni/bridge")),
        "containernetworking-plugins not installed");
    this.dir = dir;
    ns = "berth-test-" + UUID.randomUUID().toString().substring(0, 8);
    Exec.run("ip", "netns", "add", ns).ok();
    Engine e = null;
    DockerApiServer s = null;
    try {
      inNs("ip", "link", "set", "lo", "up").ok();
      e =
          Engine.open(
              EngineConfig.at(dir.resolve("root"), dir.resolve("run"))
                  .withCniLauncher(List.of("/usr/bin/nsenter", "--net=/run/netns/" + ns, "--")));
      Path rootfs = Busybox.rootfs(dir.resolve("rootfs"));
      for (String applet : List.of("wget", "nslookup")) {
        Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
      }
      Path tar = dir.resolve("busybox.tar");
      Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
      e.images().importRootfs(tar, IMAGE, null);
      DaemonInfo info = new DaemonInfo("0.1.0-test", "test");
      socket = dir.resolve("docker.sock");
      s =
          DockerApiServer.start(
              new DockerApiServer.Options(socket, null, info.serverHeader(), 0, 0, null),
              DockerApi.router(e, info));
    } catch (Exception | Error x) {
      if (s != null) s.close();
      if (e != null) e.close();
      Exec.run("ip", "netns", "del", ns);
      throw x;
    }
    engine = e;
    server = s;
    probes = HealthScheduler.start(engine, 2, m -> {});
  }

  Exec.Result inNs(String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + ns, "--"));
    c.addAll(List.of(command));
    return Exec.run(c);
  }

  /**
   * {@code command} in the namespace, in {@code cwd}, with DOCKER_HOST on this daemon and {@code
   * extraEnv}.
   */
  Exec.Result client(Path cwd, String stdin, Map<String, String> extraEnv, String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + ns, "--"));
    c.addAll(List.of(command));
    Map<String, String> env = new HashMap<>();
    env.put("DOCKER_HOST", "unix://" + socket);
    env.put("HOME", dir.toString());
    env.putAll(extraEnv);
    return Exec.run(c, cwd, env, stdin, 120);
  }

  /** What a client left behind (its own cleanup failed): listed by {@link #close}'s assertion. */
  List<String> leftovers() throws Exception {
    List<String> left = new ArrayList<>();
    for (ContainerRecord r : engine.list()) left.add("container " + r.name());
    for (Volume v : engine.volumes().list().volumes()) left.add("volume " + v.name());
    for (Network n : engine.networks().list(null)) {
      if (!n.name().equals(NetworkStore.DEFAULT_NETWORK)) left.add("network " + n.name());
    }
    return left;
  }

  @Override
  public void close() throws Exception {
    try {
      leftByClient.addAll(leftovers());
      for (ContainerRecord r : engine.list()) engine.remove(r.id(), true, true);
      for (Network n : engine.networks().list(null)) {
        if (!n.name().equals(NetworkStore.DEFAULT_NETWORK)) engine.removeNetwork(n.name());
      }
      for (Volume v : engine.volumes().list().volumes()) engine.volumes().remove(v.name(), true);
      server.close();
      probes.close();
      engine.close();
      assertEquals("", inNs("ip", "-o", "link", "show", "type", "veth").ok().stdout(), "veths");
      Path pins = dir.resolve("run/netns");
      if (Files.isDirectory(pins)) {
        try (Stream<Path> s = Files.list(pins)) {
          assertEquals(List.of(), s.toList(), "namespace pins left");
        }
        Exec.run("umount", "-l", pins.toString());
      }
      assertFalse(
          Exec.run("cat", "/proc/self/mountinfo").ok().stdout().contains(dir.toString()),
          "nothing stays mounted under the test's directory");
    } finally {
      Exec.run("ip", "netns", "del", ns).ok();
    }
    assertEquals(List.of(), leftByClient, "the client's own cleanup left these");
  }
}
