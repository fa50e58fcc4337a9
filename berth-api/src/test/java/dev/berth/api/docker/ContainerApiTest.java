package dev.berth.api.docker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.spec.json.JsonReader;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container and exec routes on the wire, with a hand-written client: hijacked attach and exec
 * streams and their frames, wait conditions answering headers first, docker's status codes for a
 * missing container and a running one removed without force, and a client leaving a followed log.
 */
@RequiresRoot
@org.junit.jupiter.api.Timeout(120)
class ContainerApiTest {
  static final String IMAGE = "localhost/busybox:latest";
  static final Map<String, String> UPGRADE = Map.of("Connection", "Upgrade", "Upgrade", "tcp");

  @TempDir Path tmp;
  Engine engine;
  DockerApiServer server;
  Path socket;

  @BeforeEach
  void start() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, IMAGE, null);
    DaemonInfo info = new DaemonInfo("0.1.0-test", "test");
    socket = tmp.resolve("docker.sock");
    server =
        DockerApiServer.start(
            new DockerApiServer.Options(socket, null, info.serverHeader(), 0, 0, null),
            DockerApi.router(engine, info));
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) server.close();
    if (engine != null) {
      for (var r : engine.list()) engine.remove(r.id(), true, true);
      engine.close();
    }
    assertFalse(
        Exec.run("cat", "/proc/self/mountinfo").ok().stdout().contains(tmp.toString()),
        "nothing stays mounted under the test's directory");
  }

  private String create(UnixHttp c, String body) throws Exception {
    UnixHttp.Response r =
        c.call("POST", "/v1.44/containers/create", Map.of(), body.getBytes(StandardCharsets.UTF_8));
    assertEquals(201, r.status(), r.text());
    return field(r.body(), "Id");
  }

  private static String field(byte[] json, String name) throws Exception {
    try (JsonReader j = JsonReader.of(json, "answer")) {
      j.beginObject();
      for (String f; (f = j.nextField()) != null; ) {
        if (f.equals(name)) return j.isObject() ? "object" : numberOrString(j);
        j.skip();
      }
    }
    return null;
  }

  private static String numberOrString(JsonReader j) throws Exception {
    try {
      return Long.toString(j.int64());
    } catch (dev.berth.spec.json.SpecException notNumber) {
      return j.string();
    }
  }

  /** Reads docker's frames until the stream ends: each payload tagged by its stream. */
  private static String frames(java.io.InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    while (true) {
      byte[] h = in.readNBytes(8);
      if (h.length < 8) return b.toString();
      assertArrayEquals(new byte[] {0, 0, 0}, new byte[] {h[1], h[2], h[3]}, "header padding");
      int n = ((h[4] & 0xff) << 24) | ((h[5] & 0xff) << 16) | ((h[6] & 0xff) << 8) | (h[7] & 0xff);
      b.append(h[0] == 1 ? "out:" : "err:")
          .append(new String(in.readNBytes(n), StandardCharsets.UTF_8));
    }
  }

  @Test
  void attachBeforeStartGetsEveryFramedLineAndWaitAnswersItsExitCode() throws Exception {
    String id;
    try (UnixHttp c = new UnixHttp(socket)) {
      id =
          create(
              c,
              "{\"Image\":\""
                  + IMAGE
                  + "\",\"Cmd\":[\"sh\",\"-c\",\"echo one; echo two >&2; exit 3\"],"
                  + "\"HostConfig\":{\"NetworkMode\":\"none\"}}");
    }
    try (UnixHttp attach = new UnixHttp(socket);
        UnixHttp await = new UnixHttp(socket);
        UnixHttp start = new UnixHttp(socket)) {
      attach.send(
          "POST", "/v1.44/containers/" + id + "/attach?stream=1&stdout=1&stderr=1", UPGRADE, null);
      UnixHttp.Response up = attach.head();
      assertEquals(101, up.status());
      assertEquals("application/vnd.docker.multiplexed-stream", up.header("Content-Type"));
      await.send("POST", "/v1.44/containers/" + id + "/wait?condition=next-exit", null, null);
      UnixHttp.Response headers = await.head(); // before the start: headers come at once
      assertEquals(200, headers.status());
      assertEquals(204, start.call("POST", "/v1.44/containers/" + id + "/start").status());
      assertEquals("out:one\nerr:two\n", frames(attach.in));
      byte[] body = await.chunk();
      assertEquals("3", field(body, "StatusCode"));
    }
  }

  @Test
  void execStreamsAreFramedOrRawAndInspectTellsTheExitCode() throws Exception {
    try (UnixHttp c = new UnixHttp(socket)) {
      String id =
          create(
              c,
              "{\"Image\":\""
                  + IMAGE
                  + "\",\"Cmd\":[\"sleep\",\"1000\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}");
      assertEquals(204, c.call("POST", "/containers/" + id + "/start").status());
      UnixHttp.Response e =
          c.call(
              "POST",
              "/containers/" + id + "/exec",
              Map.of(),
              ("{\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,"
                      + "\"Cmd\":[\"sh\",\"-c\",\"read x; echo got $x; echo bad >&2; exit 9\"]}")
                  .getBytes());
      assertEquals(201, e.status(), e.text());
      String exec = field(e.body(), "Id");
      try (UnixHttp s = new UnixHttp(socket)) {
        s.send("POST", "/exec/" + exec + "/start", UPGRADE, "{\"Detach\":false}".getBytes());
        assertEquals(101, s.head().status());
        s.out.write("hello\n".getBytes());
        s.out.flush();
        s.channel.shutdownOutput(); // stdin ends
        // Two pipes: the streams' frames keep their own order, not each other's.
        String got = frames(s.in);
        assertTrue(
            got.equals("out:got hello\nerr:bad\n") || got.equals("err:bad\nout:got hello\n"), got);
      }
      UnixHttp.Response info = c.call("GET", "/exec/" + exec + "/json");
      assertEquals("9", field(info.body(), "ExitCode"), info.text());
      assertEquals(404, c.call("GET", "/exec/nothere/json").status());

      // With a terminal: raw bytes, a plain POST without an upgrade.
      e =
          c.call(
              "POST",
              "/containers/" + id + "/exec",
              Map.of(),
              "{\"AttachStdout\":true,\"Tty\":true,\"Cmd\":[\"sh\",\"-c\",\"tty\"]}".getBytes());
      exec = field(e.body(), "Id");
      try (UnixHttp s = new UnixHttp(socket)) {
        s.send("POST", "/exec/" + exec + "/start", Map.of(), "{}".getBytes());
        UnixHttp.Response h = s.head();
        assertEquals(200, h.status());
        assertEquals("application/vnd.docker.raw-stream", h.header("Content-Type"));
        String out = new String(s.in.readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(out.startsWith("/dev/pts/"), out);
      }
    }
  }

  /**
   * HostConfig limits are applied (CpuPeriod, CpuQuota, CpusetMems, MemoryReservation,
   * MemorySwappiness, OomKillDisable, MaskedPaths, ReadonlyPaths) or answered as dockerd answers
   * what its kernel lacks, a warning per limitation discarded; a GPU request fails in dockerd's
   * words and makes nothing. None is dropped without a word.
   */
  @Test
  void hostConfigLimitsAreAppliedOrReportedNeverDroppedSilently() throws Exception {
    try (UnixHttp c = new UnixHttp(socket)) {
      String id =
          create(
              c,
              "{\"Image\":\""
                  + IMAGE
                  + "\",\"Cmd\":[\"sleep\",\"1000\"],\"HostConfig\":{\"NetworkMode\":\"none\","
                  + "\"CpuPeriod\":100000,\"CpuQuota\":50000,\"CpusetMems\":\"0\","
                  + "\"MaskedPaths\":[\"/proc/cpuinfo\"],\"ReadonlyPaths\":[\"/tmp\"],"
                  + "\"Memory\":67108864,\"MemoryReservation\":33554432,\"BlkioWeight\":0,"
                  + "\"DeviceCgroupRules\":null,\"DeviceRequests\":null,\"OomKillDisable\":true,"
                  + "\"MemorySwappiness\":10}}");
      assertEquals(204, c.call("POST", "/containers/" + id + "/start").status());
      int pid = engine.inspect(id).state().pid();
      String cpu = cgroupOf(pid, "cpu");
      Path dir = Path.of("/sys/fs/cgroup/cpu,cpuacct" + cpu);
      if (!java.nio.file.Files.isDirectory(dir)) dir = Path.of("/sys/fs/cgroup/cpu" + cpu);
      assertEquals(
          "50000", java.nio.file.Files.readString(dir.resolve("cpu.cfs_quota_us")).strip());
      assertEquals(
          "100000", java.nio.file.Files.readString(dir.resolve("cpu.cfs_period_us")).strip());
      Path mem = Path.of("/sys/fs/cgroup/memory" + cgroupOf(pid, "memory"));
      assertEquals(
          "33554432",
          java.nio.file.Files.readString(mem.resolve("memory.soft_limit_in_bytes")).strip());
      assertEquals("10", java.nio.file.Files.readString(mem.resolve("memory.swappiness")).strip());
      assertTrue(
          java.nio.file.Files.readString(mem.resolve("memory.oom_control"))
              .contains("oom_kill_disable 1"));
      // docker update: a new reservation applied, a limit berth does not set said
      UnixHttp.Response update =
          c.call(
              "POST",
              "/containers/" + id + "/update",
              Map.of(),
              "{\"MemoryReservation\":16777216,\"BlkioWeight\":500}"
                  .getBytes(StandardCharsets.UTF_8));
      assertEquals(200, update.status(), update.text());
      assertTrue(
          update.text().contains("HostConfig.BlkioWeight (500) is not supported by berth"),
          update.text());
      assertEquals(
          "16777216",
          java.nio.file.Files.readString(mem.resolve("memory.soft_limit_in_bytes")).strip());
      assertEquals("10", java.nio.file.Files.readString(mem.resolve("memory.swappiness")).strip());
      String inspect = c.call("GET", "/containers/" + id + "/json").text();
      assertTrue(
          inspect.contains("\"MemoryReservation\":16777216")
              && inspect.contains("\"MemorySwappiness\":10")
              && inspect.contains("\"OomKillDisable\":true"),
          inspect);
      var host = engine.inspect(id).options().host();
      assertEquals(java.util.List.of("/proc/cpuinfo"), host.maskedPaths());
      assertEquals(java.util.List.of("/tmp"), host.readonlyPaths());
      assertEquals("0", engine.inspect(id).options().resources().cpusetMems());

      UnixHttp.Response warned =
          c.call(
              "POST",
              "/v1.44/containers/create",
              Map.of(),
              ("{\"Image\":\""
                      + IMAGE
                      + "\",\"Cmd\":[\"true\"],\"HostConfig\":{\"KernelMemory\":1048576,\"BlkioWeight\":300,"
                      + "\"DeviceCgroupRules\":[\"c 1:3 r\"]}}")
                  .getBytes(StandardCharsets.UTF_8));
      assertEquals(201, warned.status(), warned.text());
      assertTrue(
          warned
              .text()
              .contains(
                  "HostConfig.KernelMemory (1048576) is not supported by berth: limitation"
                      + " discarded."),
          warned.text());
      assertTrue(warned.text().contains("HostConfig.BlkioWeight (300)"), warned.text());
      assertTrue(warned.text().contains("HostConfig.DeviceCgroupRules (1 entry)"), warned.text());

      int before = engine.list().size();
      UnixHttp.Response gpu =
          c.call(
              "POST",
              "/v1.44/containers/create",
              Map.of(),
              ("{\"Image\":\""
                      + IMAGE
                      + "\",\"Cmd\":[\"true\"],\"HostConfig\":{\"DeviceRequests\":[{\"Driver\":\"\",\"Count\":-1,"
                      + "\"Capabilities\":[[\"gpu\"]]}]}}")
                  .getBytes(StandardCharsets.UTF_8));
      assertEquals(400, gpu.status(), gpu.text());
      assertTrue(
          gpu.text().contains("could not select device driver \\\"\\\" with capabilities: [[gpu]]"),
          gpu.text());
      assertEquals(before, engine.list().size(), "nothing made");
    }
  }

  /**
   * The create body's other fields are applied, refused in dockerd's words, or said in Warnings:
   * Annotations reach the OCI spec, NetworkDisabled is network none, Links are a warning, and
   * StorageOpt, a user namespace mode other than host, an isolation other than default, a volume
   * plugin and another container's cgroup are refused, making nothing; a Domainname is set. Their
   * empty values (what the docker CLI sends) are fine.
   */
  @Test
  void otherCreateFieldsAreAppliedRefusedOrReported() throws Exception {
    try (UnixHttp c = new UnixHttp(socket)) {
      UnixHttp.Response made =
          c.call(
              "POST",
              "/v1.44/containers/create",
              Map.of(),
              ("{\"Image\":\""
                      + IMAGE
                      + "\",\"Cmd\":[\"true\"],\"NetworkDisabled\":true,"
                      + "\"Domainname\":\"example.org\","
                      + "\"HostConfig\":{\"Annotations\":{\"org.example.team\":\"a\"},"
                      + "\"Links\":[\"db:database\"],\"UsernsMode\":\"\",\"Isolation\":\"\","
                      + "\"VolumeDriver\":\"\",\"Cgroup\":\"\",\"StorageOpt\":null}}")
                  .getBytes(StandardCharsets.UTF_8));
      assertEquals(201, made.status(), made.text());
      assertTrue(made.text().contains("HostConfig.Links is not supported by berth"), made.text());
      String id = made.text().replaceAll("(?s).*\"Id\":\"([0-9a-f]{64})\".*", "$1");
      var o = engine.inspect(id).options();
      assertEquals(Map.of("org.example.team", "a"), o.host().annotations());
      assertEquals("none", o.network());
      assertEquals("example.org", o.host().domainname());
      int before = engine.list().size();
      Map<String, String> refused =
          Map.of(
              "\"HostConfig\":{\"StorageOpt\":{\"size\":\"10G\"}}",
                  "--storage-opt is not supported by berth",
              "\"HostConfig\":{\"UsernsMode\":\"private\"}", "invalid USER mode: private",
              "\"HostConfig\":{\"Isolation\":\"hyperv\"}", "Invalid isolation",
              "\"HostConfig\":{\"VolumeDriver\":\"convoy\"}",
                  "error looking up volume plugin convoy: plugin not found",
              "\"HostConfig\":{\"Cgroup\":\"container:x\"}", "another container's cgroup",
              "\"Domainname\":\"bad domain\"", "invalid hostname format");
      for (var e : refused.entrySet()) {
        UnixHttp.Response r =
            c.call(
                "POST",
                "/v1.44/containers/create",
                Map.of(),
                ("{\"Image\":\"" + IMAGE + "\",\"Cmd\":[\"true\"]," + e.getKey() + "}")
                    .getBytes(StandardCharsets.UTF_8));
        assertTrue(r.status() == 400 || r.status() == 404, e.getKey() + " " + r.status());
        assertTrue(r.text().contains(e.getValue()), r.text());
      }
      assertEquals(before, engine.list().size(), "nothing made");
    }
  }

  /** The cgroup v1 path of {@code pid} in the hierarchy of {@code controller}. */
  private static String cgroupOf(int pid, String controller) throws IOException {
    for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
      String[] parts = line.split(":", 3);
      if (java.util.Arrays.asList(parts[1].split(",")).contains(controller)) return parts[2];
    }
    throw new AssertionError("no " + controller + " cgroup for " + pid);
  }

  @Test
  void missingAndBusyContainersGetDockersStatusCodes() throws Exception {
    try (UnixHttp c = new UnixHttp(socket)) {
      UnixHttp.Response missing = c.call("GET", "/v1.44/containers/nothere/json");
      assertEquals(404, missing.status());
      assertTrue(missing.text().contains("No such container"), missing.text());
      assertEquals(404, c.call("POST", "/containers/nothere/start").status());
      assertEquals(404, c.call("DELETE", "/containers/nothere?force=1").status());
      UnixHttp.Response noImage =
          c.call("POST", "/containers/create", Map.of(), "{\"Image\":\"none:1\"}".getBytes());
      assertEquals(404, noImage.status());
      assertTrue(noImage.text().contains("No such image: none:1"), noImage.text());
      assertEquals(
          400, c.call("POST", "/containers/create", Map.of(), "{\"Image\":".getBytes()).status());
      String id =
          create(
              c,
              "{\"Image\":\""
                  + IMAGE
                  + "\",\"Cmd\":[\"sleep\",\"1000\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}");
      assertEquals(204, c.call("POST", "/containers/" + id + "/start").status());
      assertEquals(304, c.call("POST", "/containers/" + id + "/start").status());
      UnixHttp.Response busy = c.call("DELETE", "/containers/" + id);
      assertEquals(409, busy.status());
      assertTrue(busy.text().contains("cannot remove a running container"), busy.text());
      UnixHttp.Response wait = c.call("POST", "/containers/" + id + "/wait?condition=sometime");
      assertEquals(400, wait.status());
      assertEquals(204, c.call("DELETE", "/containers/" + id + "?force=1").status());
      assertEquals(404, c.call("GET", "/containers/" + id + "/json").status());
    }
  }

  @Test
  void aClientLeavingAFollowedLogEndsItAndTheDaemonKeepsServing() throws Exception {
    String id;
    try (UnixHttp c = new UnixHttp(socket)) {
      id =
          create(
              c,
              "{\"Image\":\""
                  + IMAGE
                  + "\",\"Cmd\":[\"sh\",\"-c\",\"echo first; exec sleep 1000\"],"
                  + "\"HostConfig\":{\"NetworkMode\":\"none\"}}");
      assertEquals(204, c.call("POST", "/containers/" + id + "/start").status());
    }
    try (UnixHttp logs = new UnixHttp(socket)) {
      logs.send("GET", "/containers/" + id + "/logs?follow=1&stdout=1&stderr=1", null, null);
      assertEquals(200, logs.head().status());
      byte[] chunk = logs.chunk();
      assertEquals("first\n", new String(chunk, 8, chunk.length - 8, StandardCharsets.UTF_8));
    }
    try (UnixHttp c = new UnixHttp(socket)) {
      UnixHttp.Response r = c.call("GET", "/containers/" + id + "/logs?stdout=1&timestamps=1");
      assertEquals(200, r.status());
      String text = new String(r.body(), 8, r.body().length - 8, StandardCharsets.UTF_8);
      assertTrue(text.matches("\\d{4}-\\d\\d-\\d\\dT\\S+ first\n"), text);
      assertEquals(204, c.call("POST", "/containers/" + id + "/kill").status());
      UnixHttp.Response w = c.call("POST", "/containers/" + id + "/wait");
      assertEquals("137", field(w.body(), "StatusCode"));
      try (UnixHttp removed = new UnixHttp(socket)) {
        removed.send("POST", "/containers/" + id + "/wait?condition=removed", null, null);
        assertEquals(200, removed.head().status());
        assertEquals(204, c.call("DELETE", "/containers/" + id).status());
        assertEquals("137", field(removed.chunk(), "StatusCode"));
      }
    }
  }
}
