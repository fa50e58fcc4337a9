package dev.berth.api.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long streams against berthd's bounded pool of workers: no number of open event, log, wait or
 * attach streams starves short calls (a compose project with many services, or a hostile local
 * client, must not take the daemon down), idle event and log streams hold no thread, and a terminal
 * exec whose client left holds none once it ended.
 */
@RequiresRoot
@org.junit.jupiter.api.Timeout(240)
class DockerStreamsTest {
  static final String IMAGE = "localhost/busybox:latest";
  static final Map<String, String> JSON = Map.of("Content-Type", "application/json");
  static final Map<String, String> UPGRADE = Map.of("Connection", "Upgrade", "Upgrade", "tcp");

  @TempDir Path tmp;
  Engine engine;
  DockerApiServer server;
  Path socket;
  final List<UnixHttp> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, IMAGE, null);
  }

  /** A server whose pool of short calls holds {@code maxWorkers} threads. */
  private void serve(int maxWorkers) throws IOException {
    DaemonInfo info = new DaemonInfo("0.1.0-test", "test");
    socket = tmp.resolve("docker.sock");
    server =
        DockerApiServer.start(
            new DockerApiServer.Options(socket, null, info.serverHeader(), 0, maxWorkers, null),
            DockerApi.router(engine, info));
  }

  @AfterEach
  void stop() throws Exception {
    for (UnixHttp c : clients) c.close();
    if (server != null) server.close();
    if (engine != null) {
      for (var r : engine.list()) engine.remove(r.id(), true, true);
      engine.close();
    }
    assertFalse(
        Exec.run("cat", "/proc/self/mountinfo").ok().stdout().contains(tmp.toString()),
        "nothing stays mounted under the test's directory");
  }

  private UnixHttp.Response call(String method, String path, String body) throws IOException {
    try (UnixHttp c = new UnixHttp(socket)) {
      return c.call(
          method, path, JSON, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** A stream left open: its request sent and its answer's head read. */
  private UnixHttp open(String method, String path) throws IOException {
    UnixHttp c = new UnixHttp(socket);
    clients.add(c);
    c.send(method, path, JSON, null);
    UnixHttp.Response head = c.head();
    assertEquals(200, head.status(), method + " " + path);
    return c;
  }

  private String run(String... cmd) throws IOException {
    StringBuilder b = new StringBuilder();
    for (String s : cmd) b.append(b.isEmpty() ? "" : ",").append('"').append(s).append('"');
    UnixHttp.Response made =
        call(
            "POST",
            "/v1.44/containers/create",
            "{\"Image\":\""
                + IMAGE
                + "\",\"Cmd\":["
                + b
                + "],\"HostConfig\":{\"NetworkMode\":\"none\"}}");
    assertEquals(201, made.status(), made.text());
    String id = made.text().trim().replaceAll(".*\"Id\":\"([0-9a-f]+)\".*", "$1");
    assertEquals(204, call("POST", "/v1.44/containers/" + id + "/start", null).status());
    return id;
  }

  @Test
  void aThousandIdleEventStreamsAndLogFollowersStarveNothingAndHoldNoThread() throws Exception {
    serve(0); // the default pool: 256 workers
    String ticking = run("sh", "-c", "while :; do echo tick; sleep 0.3; done");
    assertEquals(200, call("GET", "/_ping", null).status()); // the pool's first threads
    System.gc();
    long threads = threads();
    long rss = rssKiB();
    int events = 1000;
    int logs = 100;
    List<UnixHttp> subscribers = new ArrayList<>();
    for (int i = 0; i < events; i++) subscribers.add(open("GET", "/v1.44/events"));
    List<UnixHttp> followers = new ArrayList<>();
    for (int i = 0; i < logs; i++) {
      followers.add(open("GET", "/v1.44/containers/" + ticking + "/logs?follow=1&stdout=1"));
    }
    // Every stream is caught up and idle: none holds a thread.
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (threads() > threads + 2 && System.nanoTime() < deadline) Thread.sleep(100);
    System.gc();
    long held = threads() - threads;
    long grown = rssKiB() - rss;
    System.out.printf(
        "%d idle event streams and %d log followers: %d threads more, RSS %+d KiB (%d B each)%n",
        events, logs, held, grown, grown * 1024 / (events + logs));
    assertTrue(held <= 2, "threads held by idle streams: " + held + ": " + names());
    // Short calls are served at once, over the 256 streams that used to take every worker.
    long t0 = System.nanoTime();
    assertEquals(200, call("GET", "/_ping", null).status());
    assertEquals(200, call("GET", "/v1.44/containers/json", null).status());
    UnixHttp.Response v = call("POST", "/v1.44/volumes/create", "{\"Name\":\"starved-not\"}");
    assertEquals(201, v.status(), v.text());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms < 10_000, "short calls took " + ms + " ms");
    // Every subscriber is alive: the volume's event reaches each one.
    for (UnixHttp s : subscribers) {
      String e = new String(s.chunk(), StandardCharsets.UTF_8);
      assertTrue(e.contains("\"Type\":\"volume\"") && e.contains("starved-not"), e);
    }
    // Every follower gets the container's output as it comes, and its end when it stops.
    for (UnixHttp f : followers) {
      String tick = new String(f.chunk(), StandardCharsets.ISO_8859_1);
      assertTrue(tick.endsWith("tick\n"), tick);
    }
    assertEquals(204, call("POST", "/v1.44/containers/" + ticking + "/kill", null).status());
    for (UnixHttp f : followers) {
      while (f.chunk() != null) {
        // ticks written before the kill
      }
    }
    // Clients that leave are let go: the ticker ends with its last stream.
    for (UnixHttp s : subscribers) s.close();
    deadline = System.nanoTime() + 20_000_000_000L;
    while (server.ticker().size() > 0 && System.nanoTime() < deadline) Thread.sleep(100);
    assertEquals(0, server.ticker().size(), "streams looked at after their clients left");
  }

  @Test
  void streamsThatHoldAThreadDoNotTakeTheShortCallsPool() throws Exception {
    serve(4);
    String sleeper = run("sleep", "1000");
    // More waits and attaches than the short calls' pool has threads: each holds one of its own.
    List<UnixHttp> held = new ArrayList<>();
    for (int i = 0; i < 6; i++)
      held.add(open("POST", "/v1.44/containers/" + sleeper + "/wait?condition=not-running"));
    for (int i = 0; i < 6; i++) {
      UnixHttp a = new UnixHttp(socket);
      clients.add(a);
      a.send("POST", "/v1.44/containers/" + sleeper + "/attach?stream=1&stdout=1", UPGRADE, null);
      assertEquals(101, a.head().status());
      held.add(a);
    }
    for (int i = 0; i < 10; i++) {
      assertEquals(200, call("GET", "/_ping", null).status(), "ping " + i);
      assertEquals(200, call("GET", "/v1.44/containers/" + sleeper + "/json", null).status());
    }
    assertEquals(204, call("POST", "/v1.44/containers/" + sleeper + "/kill", null).status());
    for (int i = 0; i < 6; i++) {
      String body = new String(held.get(i).chunk(), StandardCharsets.UTF_8);
      assertTrue(body.contains("\"StatusCode\":137"), body);
    }
  }

  @Test
  void aTerminalExecWhoseClientLeftAtOnceEndsToo() throws Exception {
    serve(0);
    String sleeper = run("sleep", "1000");
    for (int i = 0; i < 5; i++) {
      String e = exec(sleeper);
      try (UnixHttp s = new UnixHttp(socket)) {
        s.send("POST", "/exec/" + e + "/start", UPGRADE, "{\"Tty\":true}".getBytes());
        assertEquals(101, s.head().status());
      } // hung up before the shell has made the terminal its own, or just after
      awaitEnded(e);
    }
  }

  @Test
  void aTerminalExecWhoseClientLeftHoldsNoThread() throws Exception {
    serve(0);
    String sleeper = run("sleep", "1000");
    // An interactive shell on a terminal: it reads its input until the client hangs up.
    String first = exec(sleeper);
    startAndHangUp(first);
    awaitEnded(first); // the hangup ends the shell, as a terminal's does
    long threads = threads();
    for (int i = 0; i < 10; i++) awaitEnded(startAndHangUp(exec(sleeper)));
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (threads() > threads && System.nanoTime() < deadline) Thread.sleep(100);
    assertTrue(threads() <= threads, "threads: " + threads() + " > " + threads + ": " + names());
    var top = engine.top(sleeper, List.of());
    assertEquals(1, top.processes().size(), "only the container's init runs: " + top);
  }

  @Test
  void aRunIsFramedByNetworkEventsAsDockerds() throws Exception {
    serve(0);
    long since = java.time.Instant.now().getEpochSecond() - 1;
    String id = run("true");
    // berthd records an end when it looks at the container: a client's wait does
    assertEquals(200, call("POST", "/v1.44/containers/" + id + "/wait", null).status());
    long until = java.time.Instant.now().getEpochSecond() + 1;
    UnixHttp events =
        open(
            "GET",
            "/v1.44/events?since="
                + since
                + "&until="
                + until
                + "&filters=%7B%22type%22%3A%5B%22network%22%2C%22container%22%5D%7D");
    List<String> seen = new ArrayList<>();
    for (byte[] chunk; (chunk = events.chunk()) != null; ) {
      String e = new String(chunk, StandardCharsets.UTF_8);
      String type = e.replaceAll("(?s).*\"Type\":\"([a-z]+)\".*", "$1");
      String action = e.replaceAll("(?s).*\"Action\":\"([a-z]+)\".*", "$1");
      if (type.equals("network")) {
        // dockerd's actor: the network, the container an attribute; "none" is of type "null"
        assertTrue(e.contains("\"container\":\"" + id + "\""), e);
        assertTrue(e.contains("\"name\":\"none\"") && e.contains("\"type\":\"null\""), e);
        String none =
            call("GET", "/v1.44/networks/none", null)
                .text()
                .replaceAll("(?s).*\"Id\":\"([0-9a-f]+)\".*", "$1");
        assertTrue(e.contains("\"Actor\":{\"ID\":\"" + none + "\""), e);
      }
      seen.add(type + " " + action);
    }
    assertEquals(
        List.of(
            "container create",
            "network connect",
            "container start",
            "container die",
            "network disconnect"),
        seen);
  }

  private String exec(String container) throws IOException {
    UnixHttp.Response r =
        call(
            "POST",
            "/v1.44/containers/" + container + "/exec",
            "{\"Cmd\":[\"sh\"],\"Tty\":true,\"AttachStdin\":true,\"AttachStdout\":true,"
                + "\"AttachStderr\":true}");
    assertEquals(201, r.status(), r.text());
    return r.text().trim().replaceAll(".*\"Id\":\"([0-9a-f]+)\".*", "$1");
  }

  private String startAndHangUp(String exec) throws IOException {
    try (UnixHttp s = new UnixHttp(socket)) {
      s.send("POST", "/exec/" + exec + "/start", UPGRADE, "{\"Tty\":true}".getBytes());
      assertEquals(101, s.head().status());
      // What the shell prints, not the terminal's echo of what was typed (which comes first).
      s.out.write("echo $((40 + 2))\n".getBytes());
      s.out.flush();
      StringBuilder seen = new StringBuilder();
      while (!seen.toString().contains("42\r\n")) {
        int c = s.in.read();
        assertTrue(c >= 0, "the shell's output: " + seen);
        seen.append((char) c);
      }
    } // the client hangs up, the shell still waiting for input
    return exec;
  }

  private void awaitEnded(String exec) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    String json = "";
    while (System.nanoTime() < deadline) {
      json = call("GET", "/exec/" + exec + "/json", null).text();
      if (json.contains("\"Running\":false")) return;
      Thread.sleep(50);
    }
    assertNull(json, "the exec still runs after its client hung up");
  }

  private static long threads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).count()
        - idleWorkers();
  }

  /** Pool threads waiting for work (they go after 30 s idle). */
  private static long idleWorkers() {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(
            e ->
                Stream.of(e.getValue())
                    .anyMatch(f -> f.getClassName().contains("SynchronousQueue")))
        .count();
  }

  private static List<String> names() {
    return Thread.getAllStackTraces().entrySet().stream()
        .map(e -> e.getKey().getName() + "@" + (e.getValue().length > 2 ? e.getValue()[2] : ""))
        .sorted()
        .toList();
  }

  private static long rssKiB() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
    }
    return -1;
  }
}
