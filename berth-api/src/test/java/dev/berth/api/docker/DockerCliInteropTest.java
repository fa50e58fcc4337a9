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
    // The docker release whose API berthd speaks, as clients compare it; berth's own version is the
    // Engine component's.
    assertEquals(
        "25.0.0", docker("version", "--format", "{{.Server.Version}}").ok().stdout().strip());
    assertTrue(
        docker("version", "--format", "{{range .Server.Components}}{{.Version}}{{end}}")
            .ok()
            .stdout()
            .contains("0.1.0-test"),
        v);
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

  /**
   * {@code --log-driver}/{@code --log-opt}: json-file's rotation options kept and shown by inspect,
   * none keeps no log ({@code logs} says so in dockerd's words), a driver berth does not have is
   * refused, and an option json-file does not know too.
   */
  @Test
  void logDriversAndTheirOptions() throws IOException {
    importBusybox();
    docker(
            "run",
            "--name",
            "rot",
            "--network",
            "none",
            "--log-opt",
            "max-size=1k",
            "--log-opt",
            "max-file=2",
            "bb:1",
            "echo",
            "kept")
        .ok();
    assertEquals(
        "{json-file map[max-file:2 max-size:1k]}",
        docker("inspect", "--format", "{{.HostConfig.LogConfig}}", "rot").ok().stdout().strip());
    assertEquals("kept\n", docker("logs", "rot").ok().stdout());
    docker("run", "--name", "quiet", "--network", "none", "--log-driver", "none", "bb:1", "true")
        .ok();
    Exec.Result none = docker("logs", "quiet");
    assertEquals(1, none.exitCode(), none.toString());
    assertTrue(
        none.stderr().contains("configured logging driver does not support reading"),
        none.stderr());
    Exec.Result syslog = docker("run", "--log-driver", "syslog", "bb:1", "true");
    assertEquals(125, syslog.exitCode(), syslog.toString());
    assertTrue(
        syslog.stderr().contains("log driver syslog is not supported by berth"), syslog.stderr());
    Exec.Result opt = docker("create", "--log-opt", "max-bytes=1", "bb:1", "true");
    assertEquals(1, opt.exitCode(), opt.toString());
    assertTrue(
        opt.stderr().contains("unknown log opt 'max-bytes' for json-file log driver"),
        opt.stderr());
    docker("rm", "rot", "quiet").ok();
  }

  /**
   * The local driver's options: a tmpfs volume by {@code volume create --opt} and one a {@code
   * --mount}'s volume-opt makes (quoted, as its o= holds a comma), each mounted in the container
   * with its options; an option docker does not know is refused in its words.
   */
  @Test
  void localVolumeDriverOptions() throws IOException {
    importBusybox();
    docker(
            "volume",
            "create",
            "--opt",
            "type=tmpfs",
            "--opt",
            "device=tmpfs",
            "--opt",
            "o=size=2m,uid=1000",
            "tv")
        .ok();
    assertEquals(
        "map[device:tmpfs o:size=2m,uid=1000 type:tmpfs]",
        docker("volume", "inspect", "--format", "{{.Options}}", "tv").ok().stdout().strip());
    String mounts =
        docker(
                "run",
                "--rm",
                "--network",
                "none",
                "-v",
                "tv:/data",
                "bb:1",
                "grep",
                "/data",
                "/proc/mounts")
            .ok()
            .stdout();
    assertTrue(
        mounts.contains("tmpfs /data tmpfs")
            && mounts.contains("size=2048k")
            && mounts.contains("uid=1000"),
        mounts);
    String made =
        docker(
                "run",
                "--rm",
                "--network",
                "none",
                "--mount",
                "type=volume,src=tv2,dst=/data,volume-opt=type=tmpfs,volume-opt=device=tmpfs,"
                    + "\"volume-opt=o=size=3m,mode=0700\"",
                "bb:1",
                "grep",
                "/data",
                "/proc/mounts")
            .ok()
            .stdout();
    assertTrue(made.contains("size=3072k") && made.contains("mode=700"), made);
    Exec.Result bad = docker("volume", "create", "--opt", "foo=bar", "bad");
    assertEquals(1, bad.exitCode(), bad.toString());
    assertTrue(bad.stderr().contains("invalid option: \"foo\""), bad.stderr());
    docker("volume", "rm", "tv", "tv2").ok();
  }

  @Test
  void volumesNetworksAndDiskUsage() {
    // dockerd's three, before any container made the default one
    assertEquals(
        "bridge\nhost\nnone\n",
        docker("network", "ls", "--format", "{{.Name}}").ok().stdout(),
        "a fresh daemon's networks");
    docker("volume", "create", "--label", "k=v", "v1").ok();
    assertTrue(docker("volume", "ls", "-q").ok().stdout().lines().anyMatch("v1"::equals));
    assertEquals(
        "map[k:v]",
        docker("volume", "inspect", "--format", "{{.Labels}}", "v1").ok().stdout().strip());
    docker("volume", "rm", "v1").ok();
    Exec.Result noVolume = docker("volume", "inspect", "v1");
    assertEquals(1, noVolume.exitCode());

    // an option berth does not apply and that closes nothing is accepted (ignored, said in the
    // answer's Warning); one that would keep the network's containers apart is refused
    String id =
        docker(
                "network",
                "create",
                "--label",
                "a=b",
                "-o",
                "com.docker.network.driver.mtu=1400",
                "n1")
            .ok()
            .stdout()
            .strip();
    Exec.Result icc =
        docker("network", "create", "-o", "com.docker.network.bridge.enable_icc=false", "n3");
    assertEquals(1, icc.exitCode(), icc.toString());
    assertTrue(
        icc.stderr()
            .contains("com.docker.network.bridge.enable_icc=false is not supported by berth"),
        icc.stderr());
    assertEquals(1, docker("network", "inspect", "n3").exitCode());
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
    // docker's volume and network events, filtered by type
    assertEquals("create v1\ndestroy v1\n", events("type=volume", "{{.Action}} {{.Actor.ID}}"));
    assertEquals(
        "create n1 " + id + "\ndestroy n1 " + id + "\n",
        events("type=network", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.ID}}"));
  }

  /** The events so far (docker events --since 0 --until now) that {@code filter} lets through. */
  private String events(String filter, String format) {
    return docker(
            "events",
            "--since",
            "0",
            "--until",
            Long.toString(java.time.Instant.now().getEpochSecond() + 1),
            "--filter",
            filter,
            "--format",
            format)
        .ok()
        .stdout();
  }

  /**
   * What dockerd shows of a created container on its default network (the same commands against
   * dockerd 20.10 give these lines): published ports, anonymous and named volumes, DNS settings,
   * zero values of settings berth has no flag for, and the default network named "bridge" (the
   * engine calls it berth) in inspect, ps and network ls. Created only: nothing touches the host's
   * network.
   */
  @Test
  void aCreatedContainerInspectsAsDockerdShowsIt() throws IOException {
    importBusybox();
    docker(
            "create",
            "--name",
            "shape",
            "--network",
            "bridge",
            "-p",
            "8080:80",
            "-p",
            "9000",
            "-v",
            "/data",
            "-v",
            "named:/named",
            "--dns",
            "10.0.0.9",
            "--add-host",
            "h:10.0.0.8",
            "bb:1",
            "sleep",
            "1")
        .ok();
    assertEquals(
        "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}],"
            + "\"9000/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}"
            + "|{\"/data\":{}}|[\"named:/named\"]|bridge |0 0|[\"10.0.0.9\"]|[\"h:10.0.0.8\"]",
        docker(
                "inspect",
                "--format",
                "{{json .HostConfig.PortBindings}}|{{json .Config.Volumes}}"
                    + "|{{json .HostConfig.Binds}}"
                    + "|{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}"
                    + "|{{.HostConfig.CpuQuota}} {{.HostConfig.BlkioWeight}}"
                    + "|{{json .HostConfig.Dns}}|{{json .HostConfig.ExtraHosts}}",
                "shape")
            .ok()
            .stdout()
            .strip());
    assertEquals("bridge", docker("ps", "-a", "--format", "{{.Networks}}").ok().stdout().strip());
    assertEquals(
        "bridge",
        docker("network", "inspect", "--format", "{{.Name}}", "bridge").ok().stdout().strip());
    assertEquals(
        "bridge bridge\nhost host\nnone null\n",
        docker("network", "ls", "--format", "{{.Name}} {{.Driver}}").ok().stdout(),
        "docker's three built-in networks");
    assertEquals(
        "host",
        docker("network", "inspect", "--format", "{{.Driver}}", "host").ok().stdout().strip());
    assertTrue(
        docker("network", "rm", "none").stderr().contains("pre-defined network"),
        "the none network cannot be removed");
    docker("rm", "-v", "shape").ok();
    docker("volume", "rm", "named").ok();
    docker("tag", "bb:1", "bb:2").ok();
    docker("rmi", "bb:2").ok();
    assertEquals(
        "import bb:1\ntag bb:2\nuntag bb:2\n",
        events("type=image", "{{.Action}} {{.Actor.Attributes.name}}"));
    // an image's fields at their zero values, as dockerd prints an imported one
    assertEquals(
        "overlay false null",
        docker(
                "image",
                "inspect",
                "--format",
                "{{.GraphDriver.Name}} {{.Config.Tty}} {{json .Config.Labels}}",
                "bb:1")
            .ok()
            .stdout()
            .strip());
  }

  /** busybox imported through the API as {@code bb:1}. */
  private void importBusybox() throws IOException {
    Path rootfs = tmp.resolve("rootfs.tar");
    try (OutputStream out = Files.newOutputStream(rootfs)) {
      new LayerTar().busybox().writeTo(out);
    }
    docker("import", rootfs.toString(), "bb:1").ok();
  }

  /** docker inspect's health status of {@code name}. */
  private String health(String name) {
    return docker("inspect", "--format", "{{.State.Health.Status}}", name).ok().stdout().strip();
  }

  /** Waits for {@code name}'s health to become {@code status}, a minute at most. */
  private void awaitHealth(String name, String status) throws InterruptedException {
    for (int i = 0; i < 600 && !health(name).equals(status); i++) Thread.sleep(100);
    assertEquals(status, health(name));
  }

  @Test
  void healthchecksAsDockerRunsThem() throws Exception {
    importBusybox();
    try (dev.berth.engine.health.HealthScheduler probes =
        dev.berth.engine.health.HealthScheduler.start(engine, 2, m -> {})) {
      docker(
              "run",
              "-d",
              "--name",
              "web",
              "--network",
              "none",
              "--health-cmd",
              "test -f /tmp/ok",
              "--health-interval",
              "1s",
              "--health-retries",
              "2",
              "--health-start-period",
              "1ms",
              "bb:1",
              "sleep",
              "1000")
          .ok();
      String config =
          docker("inspect", "--format", "{{json .Config.Healthcheck}}", "web").ok().stdout();
      assertEquals(
          "{\"Test\":[\"CMD-SHELL\",\"test -f /tmp/ok\"],\"Interval\":1000000000,"
              + "\"StartPeriod\":1000000,\"Retries\":2}",
          config.strip());
      String ps = docker("ps", "--format", "{{.Names}} {{.Status}}").ok().stdout();
      assertTrue(
          ps.contains("(health: starting)") || ps.contains("(unhealthy)"), "starting first: " + ps);
      awaitHealth("web", "unhealthy");
      String streak =
          docker("inspect", "--format", "{{.State.Health.FailingStreak}}", "web")
              .ok()
              .stdout()
              .strip();
      assertTrue(Integer.parseInt(streak) >= 2, streak);
      assertTrue(docker("ps").ok().stdout().contains("(unhealthy)"), docker("ps").stdout());
      assertEquals(
          "web",
          docker("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}")
              .ok()
              .stdout()
              .strip());
      docker("exec", "web", "touch", "/tmp/ok").ok();
      awaitHealth("web", "healthy");
      assertTrue(docker("ps").ok().stdout().contains("(healthy)"), docker("ps").stdout());
      assertEquals(
          "",
          docker("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}")
              .ok()
              .stdout()
              .strip());
      String log =
          docker("inspect", "--format", "{{range .State.Health.Log}}{{.ExitCode}} {{end}}", "web")
              .ok()
              .stdout();
      assertTrue(log.strip().endsWith("0"), log);

      // --no-healthcheck: no State.Health, "none" for the filter
      docker(
              "run",
              "-d",
              "--name",
              "plain",
              "--network",
              "none",
              "--no-healthcheck",
              "bb:1",
              "sleep",
              "1000")
          .ok();
      assertEquals(
          "<nil>",
          docker("inspect", "--format", "{{.State.Health}}", "plain").ok().stdout().strip());
      assertEquals(
          "plain",
          docker("ps", "--filter", "health=none", "--format", "{{.Names}}").ok().stdout().strip());
      docker("rm", "-f", "web", "plain").ok();
    }
  }

  @Test
  void runsContainersInTheForegroundWithTheirOutputAndExitCodes() throws IOException {
    importBusybox();
    Exec.Result hi = docker("run", "--rm", "--network", "none", "bb:1", "echo", "hi");
    assertEquals(0, hi.exitCode(), hi.toString());
    assertEquals("hi\n", hi.stdout());
    Exec.Result three =
        docker(
            "run",
            "--name",
            "three",
            "--network",
            "none",
            "bb:1",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3");
    assertEquals(3, three.exitCode(), three.toString());
    assertEquals("out\n", three.stdout());
    assertEquals("err\n", three.stderr());
    assertEquals(
        "3", docker("inspect", "--format", "{{.State.ExitCode}}", "three").ok().stdout().strip());
    assertEquals("out\nerr\n", sh("docker logs three 2>&1").ok().stdout());
    docker("rm", "three").ok();
    assertEquals("", docker("ps", "-aq").ok().stdout(), "--rm removed the first one");
    // A command the image lacks: 127, and an --rm container whose start failed is removed (the
    // CLI waits for that removal: it hung before), as dockerd; without --rm it stays, created.
    Exec.Result missing = docker("run", "--rm", "--network", "none", "bb:1", "nosuchcmd");
    assertEquals(127, missing.exitCode(), missing.toString());
    assertTrue(missing.stderr().contains("nosuchcmd"), missing.toString());
    assertEquals("", docker("ps", "-aq").ok().stdout(), "the failed --rm container is gone");
    assertEquals(
        127, docker("run", "--name", "nf", "--network", "none", "bb:1", "nosuchcmd").exitCode());
    assertEquals(
        "created 127",
        docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "nf")
            .ok()
            .stdout()
            .strip());
    docker("rm", "nf").ok();
    Exec.Result in =
        Exec.run(
            List.of("docker", "run", "-i", "--rm", "--network", "none", "bb:1", "cat"),
            null,
            env,
            "typed\n",
            120);
    assertEquals("typed\n", in.stdout(), in.toString());
    Exec.Result pty =
        sh(
            "script -qec 'docker run -it --rm --network none bb:1 sh -c \"tty; exit 4\"' /dev/null < /dev/null");
    assertTrue(pty.stdout().contains("/dev/pts/"), pty.toString());
    assertEquals(4, pty.exitCode(), pty.toString());
  }

  /**
   * StdinOnce as docker's CLI sets it (attached -i: run, create; not run -d -i) and as dockerd acts
   * on it: without it an attach whose stdin ends just ends, and the next one reaches the same cat.
   */
  @Test
  void runDetachedWithIKeepsStdinOpenForOneAttachAfterAnother() throws Exception {
    importBusybox();
    docker("create", "-i", "--name", "created", "--network", "none", "bb:1", "cat").ok();
    docker(
            "run",
            "-d",
            "-i",
            "--name",
            "feed",
            "--network",
            "none",
            "bb:1",
            "sh",
            "-c",
            "cat; echo eof; exit 5")
        .ok();
    String format = "{{.Config.OpenStdin}} {{.Config.StdinOnce}}";
    assertEquals(
        "true true", docker("inspect", "--format", format, "created").ok().stdout().strip());
    assertEquals("true false", docker("inspect", "--format", format, "feed").ok().stdout().strip());
    List<Process> attaches = new ArrayList<>();
    try {
      for (String word : List.of("one", "two")) {
        ProcessBuilder pb = new ProcessBuilder("docker", "attach", "feed");
        pb.environment().putAll(env);
        Process a = pb.start();
        attaches.add(a);
        OutputStream in = a.getOutputStream();
        in.write((word + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        in.flush();
        java.io.BufferedReader out =
            new java.io.BufferedReader(
                new java.io.InputStreamReader(
                    a.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(word, out.readLine(), "this attach reached cat");
        in.close(); // its stdin ends: its attach ends, cat's stdin stays open for the next one
      }
      // docker attach waits for the container's exit once its streams ended.
      docker("kill", "feed").ok();
      for (Process a : attaches) {
        assertTrue(a.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(137, a.exitValue());
      }
    } finally {
      for (Process a : attaches) a.destroyForcibly();
    }
    assertEquals("one\ntwo\n", docker("logs", "feed").ok().stdout(), "cat never read EOF");
    docker("rm", "feed", "created").ok();
  }

  @Test
  void aDetachedContainerThroughItsLifecycle() throws IOException {
    importBusybox();
    String id =
        docker(
                "run",
                "-d",
                "--name",
                "web",
                "--network",
                "none",
                "-v",
                "vol:/data",
                "-e",
                "K=V",
                "--label",
                "app=web",
                "bb:1",
                "busybox",
                "httpd",
                "-f",
                "-p",
                "80")
            .ok()
            .stdout()
            .strip();
    assertEquals(64, id.length(), id);
    String ps = docker("ps", "--format", "{{.Names}} {{.Status}}").ok().stdout();
    assertTrue(ps.startsWith("web Up"), ps);
    assertEquals(
        "\"busybox httpd -f -p 80\"\n",
        docker("ps", "--no-trunc", "--format", "{{.Command}}").ok().stdout());
    assertEquals(
        "web\n",
        docker("ps", "-a", "--filter", "label=app=web", "--format", "{{.Names}}").ok().stdout());
    assertEquals("", docker("ps", "-a", "--filter", "label=app=db", "-q").ok().stdout());
    assertEquals(
        "true", docker("inspect", "--format", "{{.State.Running}}", "web").ok().stdout().strip());
    assertTrue(
        docker("inspect", "--format", "{{.Config.Env}}", "web").ok().stdout().contains("K=V"));
    String top = docker("top", "web").ok().stdout();
    assertTrue(top.contains("busybox httpd -f -p 80"), top);
    String stats =
        docker("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "web").ok().stdout();
    assertEquals("web 1\n", stats);
    docker("pause", "web").ok();
    assertEquals(
        "paused", docker("inspect", "--format", "{{.State.Status}}", "web").ok().stdout().strip());
    docker("unpause", "web").ok();
    docker("rename", "web", "web2").ok();
    assertEquals("/web2", docker("inspect", "--format", "{{.Name}}", id).ok().stdout().strip());
    docker("stop", "-t", "1", "web2").ok();
    assertEquals(
        "exited", docker("inspect", "--format", "{{.State.Status}}", "web2").ok().stdout().strip());
    docker("start", "web2").ok();
    docker("restart", "-t", "1", "web2").ok();
    assertEquals(
        "running",
        docker("inspect", "--format", "{{.State.Status}}", "web2").ok().stdout().strip());
    docker("kill", "web2").ok();
    assertEquals("137", docker("wait", "web2").ok().stdout().strip());
    Exec.Result missing = docker("inspect", "nothere");
    assertEquals(1, missing.exitCode());
    docker("start", "web2").ok();
    Exec.Result busy = docker("rm", "web2");
    assertFalse(busy.exitCode() == 0, busy.toString());
    assertTrue(busy.stderr().contains("cannot remove a running container"), busy.stderr());
    docker("rm", "-f", "-v", "web2").ok();
    assertEquals("", docker("ps", "-aq").ok().stdout());
    docker("run", "--network", "none", "bb:1", "true").ok();
    String pruned = docker("container", "prune", "-f").ok().stdout();
    assertTrue(pruned.contains("Deleted Containers:"), pruned);
    assertEquals("", docker("ps", "-aq").ok().stdout());
    docker("run", "--network", "none", "bb:1", "true").ok();
    docker("system", "prune", "-f").ok();
    assertEquals("", docker("ps", "-aq").ok().stdout());
  }

  @Test
  void execAndCopyInAndOut() throws IOException {
    importBusybox();
    docker(
            "run",
            "-d",
            "--name",
            "box",
            "--hostname",
            "boxhost",
            "--network",
            "none",
            "bb:1",
            "sleep",
            "1000")
        .ok();
    assertEquals("boxhost\n", docker("exec", "box", "cat", "/etc/hostname").ok().stdout());
    Exec.Result in =
        Exec.run(
            List.of("docker", "exec", "-i", "box", "sh", "-c", "cat > /tmp/f; wc -c < /tmp/f"),
            null,
            env,
            "12345",
            120);
    assertEquals("5\n", in.stdout(), in.toString());
    Exec.Result code = docker("exec", "box", "sh", "-c", "echo e >&2; exit 7");
    assertEquals(7, code.exitCode(), code.toString());
    assertEquals("e\n", code.stderr());
    // dockerd's exit code for an exec that could not start, a missing command too
    Exec.Result missing = docker("exec", "box", "nothere");
    assertEquals(126, missing.exitCode(), missing.toString());
    docker("exec", "-d", "box", "touch", "/tmp/detached").ok();
    Exec.Result pty =
        sh("script -qec 'docker exec -it box sh -c \"tty; exit 5\"' /dev/null < /dev/null");
    assertTrue(pty.stdout().contains("/dev/pts/"), pty.toString());
    assertEquals(5, pty.exitCode(), pty.toString());

    Path host = tmp.resolve("host.txt");
    Files.writeString(host, "from the host");
    docker("cp", host.toString(), "box:/tmp/").ok();
    assertEquals("from the host", docker("exec", "box", "cat", "/tmp/host.txt").ok().stdout());
    docker("cp", "box:/etc/hostname", tmp.resolve("out.txt").toString()).ok();
    assertEquals("boxhost\n", Files.readString(tmp.resolve("out.txt")));
    docker("create", "--name", "fresh", "--network", "none", "bb:1", "cat", "/in.txt").ok();
    docker("cp", host.toString(), "fresh:/in.txt").ok();
    assertEquals("from the host\n".strip(), sh("docker start -a fresh").ok().stdout().strip());
    assertTrue(
        docker("diff", "box").ok().stdout().lines().anyMatch("A /tmp/host.txt"::equals),
        "docker diff");
    assertEquals(
        "0 1234\n300\n",
        docker(
                "run",
                "--rm",
                "--network",
                "none",
                "--device",
                "/dev/null:/dev/mynull",
                "--group-add",
                "1234",
                "--oom-score-adj",
                "300",
                "bb:1",
                "sh",
                "-c",
                "test -c /dev/mynull && id -G && cat /proc/self/oom_score_adj")
            .ok()
            .stdout());
    docker("update", "--memory", "64m", "--restart", "unless-stopped", "box").ok();
    assertEquals(
        "67108864 unless-stopped\n",
        docker("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}", "box")
            .ok()
            .stdout());
    // Applied to the running container's cgroup (v1 memory controller on these hosts).
    String pid = docker("inspect", "-f", "{{.State.Pid}}", "box").ok().stdout().strip();
    String memoryCgroup =
        Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).stream()
            .filter(l -> l.split(":")[1].equals("memory"))
            .findFirst()
            .orElseThrow()
            .split(":")[2];
    assertEquals(
        "67108864",
        Files.readString(Path.of("/sys/fs/cgroup/memory" + memoryCgroup, "memory.limit_in_bytes"))
            .strip());
    sh("docker export box > " + tmp.resolve("box.tar")).ok();
    assertTrue(
        Exec.run("tar", "-tf", tmp.resolve("box.tar").toString())
            .ok()
            .stdout()
            .lines()
            .anyMatch("bin/busybox"::equals));
    String committed = docker("commit", "box", "bb:committed").ok().stdout().strip();
    assertTrue(committed.startsWith("sha256:"), committed);
    assertEquals(
        "from the host",
        docker("run", "--rm", "--network", "none", "bb:committed", "cat", "/tmp/host.txt")
            .ok()
            .stdout());
    docker("rm", "-f", "box", "fresh").ok();
  }
}
