package dev.berth.testcontainers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.HealthCheck;
import dev.berth.api.docker.DaemonInfo;
import dev.berth.api.docker.DockerApi;
import dev.berth.api.docker.DockerApiServer;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.engine.health.HealthScheduler;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.PullPolicy;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.ResourceReaper;

/**
 * testcontainers-java from Maven Central, unmodified, against the Docker API served in-process on a
 * temporary store: an HTTP server started with the default port wait and with a log-message wait,
 * exec, files copied in before the start and out after, two containers talking by alias on a
 * network, the API through the socket bind-mounted into a container, and the JVM-hook reaper's
 * label-filtered cleanup (Ryuk's image cannot be pulled here: the build sets
 * TESTCONTAINERS_RYUK_DISABLED).
 *
 * <p>Containers get the bridge network (the build sets BERTH_DEFAULT_NETWORK=bridge for this
 * module), so the whole test runs in a network namespace it creates: the engine's CNI plugins run
 * there (its CNI launcher is {@code nsenter --net=<ns> --}), and the test's thread joins it before
 * anything of Testcontainers starts, so the threads Testcontainers makes later (the port check's
 * pool) are in it too and reach published ports on that namespace's loopback, where portmap's rules
 * are. One daemon serves the whole class: Testcontainers keeps one client per JVM.
 */
@RequiresRoot
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@org.junit.jupiter.api.Timeout(120)
class TestcontainersOnBerthdTest {
  static final String IMAGE = "localhost/busybox:latest";
  static final String HTTPD = "busybox httpd -f -p 8080 -h /www";

  @TempDir static Path tmp;
  static String ns;
  static Fd hostNetns;
  static Engine engine;
  static DockerApiServer server;
  static HealthScheduler probes;
  static Path socket;
  static String userHome;

  @BeforeAll
  static void startDaemon() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/lib/cni/bridge")),
        "containernetworking-plugins not installed");
    ns = "berth-test-" + UUID.randomUUID().toString().substring(0, 8);
    Exec.run("ip", "netns", "add", ns).ok();
    inNs("ip", "link", "set", "lo", "up").ok();
    // Only this thread moves; the ones it starts from now on are born in the namespace.
    hostNetns = Linux.open("/proc/thread-self/ns/net", LinuxConstants.O_RDONLY, 0);
    try (Fd target = Linux.open("/run/netns/" + ns, LinuxConstants.O_RDONLY, 0)) {
      Linux.setns(target, LinuxConstants.CLONE_NEWNET);
    }

    engine =
        Engine.open(
            EngineConfig.at(tmp.resolve("root"), tmp.resolve("run"))
                .withCniLauncher(List.of("/usr/bin/nsenter", "--net=/run/netns/" + ns, "--")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    for (String applet : List.of("wget", "timeout", "ping")) {
      Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
    }
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, IMAGE, null);
    DaemonInfo info = new DaemonInfo("0.1.0-test", "test");
    socket = tmp.resolve("docker.sock");
    server =
        DockerApiServer.start(
            new DockerApiServer.Options(socket, null, info.serverHeader(), 0, 0, null),
            DockerApi.router(engine, info));
    probes = HealthScheduler.start(engine, 2, m -> {});

    // Testcontainers reads docker.host from ~/.testcontainers.properties: a home of the test's own,
    // so neither the process environment nor the user's files decide which daemon it talks to.
    Path home = Files.createDirectories(tmp.resolve("home"));
    // Testcontainers' checks stay on, as a user has them (the server's Version must be a docker
    // release of at least 1.6.0).
    Files.writeString(
        home.resolve(".testcontainers.properties"), "docker.host=unix://" + socket + "\n");
    userHome = System.getProperty("user.home");
    System.setProperty("user.home", home.toString());
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    try {
      if (userHome != null) System.setProperty("user.home", userHome);
      if (server != null) server.close();
      if (probes != null) probes.close();
      if (engine != null) {
        for (ContainerRecord r : engine.list()) engine.remove(r.id(), true, true);
        engine.close();
      }
      if (ns != null && engine != null) {
        assertEquals(
            "", inNs("ip", "-o", "link", "show", "type", "veth").ok().stdout(), "veths left");
      }
      Path pins = tmp == null ? null : tmp.resolve("run/netns");
      if (pins != null && Files.isDirectory(pins)) {
        try (Stream<Path> s = Files.list(pins)) {
          assertEquals(List.of(), s.toList(), "namespace pins left");
        }
        Exec.run("umount", "-l", pins.toString());
      }
      if (tmp != null) {
        assertFalse(
            Exec.run("cat", "/proc/self/mountinfo").ok().stdout().contains(tmp.toString()),
            "nothing stays mounted under the test's directory");
      }
    } finally {
      if (hostNetns != null) {
        Linux.setns(hostNetns, LinuxConstants.CLONE_NEWNET);
        hostNetns.close();
      }
      if (ns != null) Exec.run("ip", "netns", "del", ns).ok();
    }
  }

  static Exec.Result inNs(String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + ns, "--"));
    c.addAll(List.of(command));
    return Exec.run(c);
  }

  static GenericContainer<?> busybox(String shell) {
    return new GenericContainer<>(IMAGE)
        .withImagePullPolicy(PullPolicy.defaultPolicy())
        .withCommand("sh", "-c", shell);
  }

  static String get(String url) throws Exception {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setConnectTimeout(5000);
    c.setReadTimeout(5000);
    try (InputStream in = c.getInputStream()) {
      assertEquals(200, c.getResponseCode());
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      c.disconnect();
    }
  }

  static List<String> containerIds() throws Exception {
    return engine.list().stream().map(ContainerRecord::id).toList();
  }

  @Test
  @Order(1)
  void anHttpServerStartsWithTheDefaultPortWaitAndAnswersOnItsMappedPort() throws Exception {
    String id;
    try (GenericContainer<?> web =
        busybox(HTTPD)
            .withExposedPorts(8080)
            .withCopyToContainer(Transferable.of("hello from berth\n"), "/www/index.html")) {
      web.start();
      id = web.getContainerId();
      assertTrue(containerIds().contains(id), "started on berthd");
      String url = "http://" + web.getHost() + ":" + web.getMappedPort(8080) + "/index.html";
      assertEquals("hello from berth\n", get(url));

      ExecResult cat = web.execInContainer("cat", "/www/index.html");
      assertEquals(0, cat.getExitCode(), cat.toString());
      assertEquals("hello from berth\n", cat.getStdout());
      ExecResult fails = web.execInContainer("sh", "-c", "echo oops >&2; exit 3");
      assertEquals(3, fails.getExitCode());
      assertEquals("oops\n", fails.getStderr());

      web.execInContainer("sh", "-c", "echo made inside > /tmp/out.txt").getExitCode();
      Path out = tmp.resolve("out.txt");
      web.copyFileFromContainer("/tmp/out.txt", out.toString());
      assertEquals("made inside\n", Files.readString(out));
    }
    assertFalse(containerIds().contains(id), "stop removes the container");
  }

  @Test
  @Order(2)
  void aLogMessageWaitSeesTheLineAndTheLogsAreKept() throws Exception {
    try (GenericContainer<?> c =
        busybox("echo starting; sleep 0.2; echo ready to serve; exec sleep 1000")
            .waitingFor(Wait.forLogMessage(".*ready to serve.*\\n", 1))) {
      c.start();
      assertTrue(c.isRunning());
      assertEquals("starting\nready to serve\n", c.getLogs());
    }
  }

  @Test
  @Order(3)
  void twoContainersOnANetworkTalkByAlias() throws Exception {
    String networkId;
    try (Network network = Network.newNetwork();
        GenericContainer<?> web =
            busybox(HTTPD)
                .withNetwork(network)
                .withNetworkAliases("web")
                .withCopyToContainer(Transferable.of("by alias\n"), "/www/index.html")
                .waitingFor(Wait.forSuccessfulCommand("grep -qi ':1F90 ' /proc/net/tcp*"));
        GenericContainer<?> client = busybox("exec sleep 1000").withNetwork(network)) {
      web.start();
      client.start();
      networkId = network.getId();
      // Debian's busybox 1.35 wget crashes on -T: timeout bounds it instead.
      ExecResult fetched =
          client.execInContainer("timeout", "5", "wget", "-q", "-O", "-", "http://web:8080/");
      assertEquals(0, fetched.getExitCode(), fetched.toString());
      assertEquals("by alias\n", fetched.getStdout());
      ExecResult ping = client.execInContainer("timeout", "5", "ping", "-c", "1", "web");
      assertEquals(0, ping.getExitCode(), ping.toString());
      assertTrue(ping.getStdout().contains("1 packets received"), ping.getStdout());
    }
    DockerClient docker = DockerClientFactory.instance().client();
    assertTrue(
        docker.listNetworksCmd().exec().stream().noneMatch(n -> n.getId().equals(networkId)),
        "the network is removed when closed");
    assertEquals(List.of(), containerIds());
  }

  @Test
  @Order(4)
  void theApiAnswersThroughTheSocketBindMountedIntoAContainer() throws Exception {
    // busybox's nc has no -U: the host's curl, run by the host's dynamic loader from the host's
    // /usr
    // bound read-only, speaks HTTP over the Unix socket.
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
    try (GenericContainer<?> c =
        busybox("exec sleep 1000")
            .withFileSystemBind(socket.toString(), "/var/run/docker.sock", BindMode.READ_WRITE)
            .withFileSystemBind("/usr", "/host/usr", BindMode.READ_ONLY)) {
      c.start();
      ExecResult ps =
          c.execInContainer(
              "/host/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
              "--library-path",
              "/host/usr/lib/x86_64-linux-gnu",
              "/host/usr/bin/curl",
              "-sS",
              "--unix-socket",
              "/var/run/docker.sock",
              "http://localhost/v1.44/containers/json");
      assertEquals(0, ps.getExitCode(), ps.toString());
      assertTrue(ps.getStdout().contains("\"Id\":\"" + c.getContainerId() + "\""), ps.getStdout());
    }
  }

  @Test
  @Order(5)
  void aHealthcheckWaitWaitsForTheContainerToBecomeHealthy() throws Exception {
    HealthCheck check =
        new HealthCheck()
            .withTest(List.of("CMD-SHELL", "test -f /tmp/ready"))
            .withInterval(200_000_000L)
            .withRetries(100);
    try (GenericContainer<?> c =
        busybox("sleep 1; touch /tmp/ready; exec sleep 1000")
            .withCreateContainerCmdModifier(cmd -> cmd.withHealthcheck(check))
            .waitingFor(Wait.forHealthcheck())) {
      c.start();
      // started only once healthy: the file the check looks for is there
      assertEquals(0, c.execInContainer("test", "-f", "/tmp/ready").getExitCode());
      var state =
          DockerClientFactory.instance()
              .client()
              .inspectContainerCmd(c.getContainerId())
              .exec()
              .getState();
      assertEquals("healthy", state.getHealth().getStatus());
      assertEquals(0, state.getHealth().getLog().getLast().getExitCode());
    }
  }

  @Test
  @Order(6)
  void theJvmHookReaperRemovesWhatTheSessionLeftRunning() throws Exception {
    Network network = Network.newNetwork();
    GenericContainer<?> left = busybox("exec sleep 1000").withNetwork(network);
    left.start();
    String networkId = network.getId();
    assertTrue(containerIds().contains(left.getContainerId()));

    // What the shutdown hook does: containers by the session's label, then networks by prune.
    ResourceReaper.instance().performCleanup();

    assertEquals(List.of(), containerIds(), "containers of the session removed");
    DockerClient docker = DockerClientFactory.instance().client();
    assertTrue(
        docker.listNetworksCmd().exec().stream().noneMatch(n -> n.getId().equals(networkId)),
        "networks of the session pruned");
    assertTrue(
        docker.listImagesCmd().exec().stream()
            .anyMatch(i -> List.of(i.getRepoTags()).contains(IMAGE)),
        "the session's image is not the reaper's: it stays");
  }
}
