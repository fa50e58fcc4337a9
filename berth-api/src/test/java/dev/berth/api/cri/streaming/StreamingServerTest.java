package dev.berth.api.cri.streaming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.spec.error.BerthException;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming server on real engine containers, driven by a SPDY client speaking what client-go
 * speaks and by a WebSocket client: exec with and without a terminal (exit codes on v4's error
 * stream, resize), attach, port forwarding into a container's network namespace, and a client
 * leaving mid-exec leaving no process.
 */
@RequiresRoot
@Timeout(180)
class StreamingServerTest {
  static final String IMAGE = "localhost/busybox:latest";
  static final List<String> V4 = List.of("v4.channel.k8s.io", "v3.channel.k8s.io");

  @TempDir Path tmp;
  Engine engine;
  StreamingServer server;

  @BeforeEach
  void start() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("www"));
    Files.writeString(rootfs.resolve("www/index.html"), "hello from the pod\n");
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, IMAGE, null);
    server =
        StreamingServer.start(
            StreamingServer.Options.defaults(),
            new EngineStreamingRuntime(engine, this::netnsOfContainer));
  }

  /** The tests' pods are containers: the netns of the container's init. */
  private Path netnsOfContainer(String id) throws BerthException {
    return Path.of("/proc/" + engine.inspect(id).state().pid() + "/ns/net");
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

  private ContainerRecord running(boolean openStdin, String... command) throws BerthException {
    ContainerRecord r =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(List.of(command))
                .network("none")
                .openStdin(openStdin)
                .build());
    return engine.start(r.id(), Engine.StartListener.NONE);
  }

  @Test
  void execWithoutTerminalSeparatesStdoutAndStderrAndReportsTheExitCodeAsV4Does() throws Exception {
    ContainerRecord c = running(false, "sleep", "1000");
    String url =
        server.exec(
            new ExecRequest(
                c.id(),
                List.of("sh", "-c", "echo out; echo err >&2; exit 3"),
                false,
                false,
                true,
                true));
    assertTrue(url.startsWith("http://127.0.0.1:"), url);
    try (SpdyTestClient client = new SpdyTestClient(url, V4)) {
      assertEquals(101, client.status);
      assertEquals("v4.channel.k8s.io", client.headers.get("x-stream-protocol-version"));
      assertEquals("SPDY/3.1", client.headers.get("upgrade"));
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      SpdyTestClient.Stream err = client.open("streamtype", "stderr");
      assertTrue(client.awaitReply(error) && client.awaitReply(out) && client.awaitReply(err));
      assertEquals("out\n", client.readAll(out));
      assertEquals("err\n", client.readAll(err));
      String status = client.readAll(error);
      assertTrue(status.contains("\"status\":\"Failure\""), status);
      assertTrue(status.contains("\"reason\":\"NonZeroExitCode\""), status);
      assertTrue(
          status.contains("\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]"), status);
      assertTrue(client.awaitClosed(), "the server ends the connection after the status");
    }
    // 4 MiB of output to a client that, as client-go's, never opens its flow-control windows.
    String big =
        server.exec(
            new ExecRequest(
                c.id(),
                List.of("sh", "-c", "dd if=/dev/zero bs=65536 count=64 2>/dev/null | tr '\\0' x"),
                false,
                false,
                true,
                false));
    try (SpdyTestClient client = new SpdyTestClient(big, V4)) {
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      String all = client.readAll(out);
      assertEquals(4 << 20, all.length(), "bytes of output");
      assertTrue(all.chars().allMatch(ch -> ch == 'x'));
      assertEquals("{\"metadata\":{},\"status\":\"Success\"}", client.readAll(error));
    }
    // 1 MiB of stdin in 32 KiB frames (client-go's copy), then its half-close: EOF for the process.
    String wc = server.exec(new ExecRequest(c.id(), List.of("wc", "-c"), false, true, true, false));
    try (SpdyTestClient client = new SpdyTestClient(wc, V4)) {
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      SpdyTestClient.Stream in = client.open("streamtype", "stdin");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      String chunk = "y".repeat(32 << 10);
      for (int i = 0; i < 32; i++) client.send(in, chunk);
      client.finish(in);
      assertEquals("1048576", client.readAll(out).trim());
      assertEquals("{\"metadata\":{},\"status\":\"Success\"}", client.readAll(error));
    }
    // v4's success, and an older protocol: the error stream stays empty on success.
    String ok = server.exec(new ExecRequest(c.id(), List.of("true"), false, false, true, false));
    try (SpdyTestClient client = new SpdyTestClient(ok, List.of("v4.channel.k8s.io"))) {
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      client.open("streamtype", "stdout");
      assertEquals("{\"metadata\":{},\"status\":\"Success\"}", client.readAll(error));
    }
    String v2 =
        server.exec(
            new ExecRequest(c.id(), List.of("sh", "-c", "exit 4"), false, false, true, false));
    try (SpdyTestClient client = new SpdyTestClient(v2, List.of("v2.channel.k8s.io"))) {
      assertEquals("v2.channel.k8s.io", client.headers.get("x-stream-protocol-version"));
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      client.open("streamtype", "stdout");
      assertTrue(client.readAll(error).endsWith("exit code 4"));
    }
  }

  @Test
  void execWithTerminalEchoesStdinAndResizeChangesTheTerminalsSize() throws Exception {
    ContainerRecord c = running(false, "sleep", "1000");
    String url = server.exec(new ExecRequest(c.id(), List.of("sh"), true, true, true, true));
    try (SpdyTestClient client = new SpdyTestClient(url, V4)) {
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      SpdyTestClient.Stream in = client.open("streamtype", "stdin");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      // With a terminal there is no stderr stream (kubelet's rule): refused.
      SpdyTestClient.Stream err = client.open("streamtype", "stderr");
      assertFalse(client.awaitReply(err));
      SpdyTestClient.Stream resize = client.open("streamtype", "resize");
      assertTrue(client.awaitReply(resize));
      client.send(resize, "{\"Width\":100,\"Height\":30}\n");
      client.send(in, "echo sum-$((20+22))\n");
      assertTrue(client.awaitText(out, "sum-42").contains("sum-42"));
      assertTrue(sttySize(client, in, out, "30 100"), client.text(out));
      client.send(resize, "{\"Width\":120,");
      client.send(resize, "\"Height\":40}{\"Width\":132,\"Height\":43}");
      assertTrue(sttySize(client, in, out, "43 132"), client.text(out));
      client.send(in, "exit 5\n");
      String status = client.readAll(error);
      assertTrue(status.contains("\"message\":\"5\""), status);
    }
  }

  /** Asks the shell for its terminal's size until it answers {@code want} (a resize is async). */
  private static boolean sttySize(
      SpdyTestClient client, SpdyTestClient.Stream in, SpdyTestClient.Stream out, String want)
      throws Exception {
    for (int i = 0; i < 50; i++) {
      String mark = "size" + i + ":";
      client.send(in, "echo " + mark + "$(busybox stty size)\n");
      String got = client.awaitMatch(out, mark + "\\d+ \\d+");
      if ((mark + want).equals(got)) return true;
    }
    return false;
  }

  @Test
  void attachCarriesStdinToTheContainerAndItsOutputBack() throws Exception {
    ContainerRecord c = running(true, "cat");
    String url = server.attach(new AttachRequest(c.id(), false, true, true, true));
    try (SpdyTestClient client = new SpdyTestClient(url, V4)) {
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      SpdyTestClient.Stream in = client.open("streamtype", "stdin");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      SpdyTestClient.Stream err = client.open("streamtype", "stderr");
      assertTrue(client.awaitReply(err));
      client.send(in, "ping over attach\n");
      assertEquals("ping over attach\n", client.awaitText(out, "attach\n"));
      assertFalse(client.ended(error));
    }
    // The client left: the container runs on.
    assertEquals(Status.RUNNING, engine.inspect(c.id()).state().status());
  }

  @Test
  void portForwardReachesAServerInTheContainersNetworkNamespace() throws Exception {
    ContainerRecord c =
        running(false, "/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www");
    String url = server.portForward(new PortForwardRequest(c.id(), List.of()));
    try (SpdyTestClient client = new SpdyTestClient(url, List.of("portforward.k8s.io"))) {
      assertEquals("portforward.k8s.io", client.headers.get("x-stream-protocol-version"));
      String body = null;
      for (int i = 0; i < 50 && body == null; i++) { // httpd may not listen yet
        String req = Integer.toString(i);
        SpdyTestClient.Stream error =
            client.open("streamtype", "error", "port", "8080", "requestid", req);
        SpdyTestClient.Stream data =
            client.open("streamtype", "data", "port", "8080", "requestid", req);
        assertTrue(client.awaitReply(error) && client.awaitReply(data));
        client.send(data, "GET /index.html HTTP/1.0\r\n\r\n");
        client.finish(data);
        String got = client.readAll(data);
        String errors = client.readAll(error);
        if (got.contains("hello from the pod")) body = got;
        else assertTrue(errors.contains("error forwarding port 8080"), errors);
        if (body == null) Thread.sleep(100);
      }
      assertNotNull(body, "the pod's httpd answered through the forward");
      assertTrue(body.startsWith("HTTP/1.1 200 OK"), body);
      // A port with no server: the error stream says so.
      SpdyTestClient.Stream error =
          client.open("streamtype", "error", "port", "9", "requestid", "x");
      SpdyTestClient.Stream data = client.open("streamtype", "data", "port", "9", "requestid", "x");
      assertTrue(client.readAll(error).contains("error forwarding port 9"));
      assertEquals("", client.readAll(data));
      // A bad port header: refused.
      SpdyTestClient.Stream bad = client.open("streamtype", "data", "port", "0");
      assertFalse(client.awaitReply(bad));
    }
    // Over WebSocket: the ports in the query, data and error channels announced by their port.
    String ws = server.portForward(new PortForwardRequest(c.id(), List.of()));
    try (WebSocketTestClient client =
        new WebSocketTestClient(ws + "?ports=8080", "v4.channel.k8s.io")) {
      assertEquals(101, client.status);
      byte[] port = {(byte) 0x90, 0x1f}; // 8080, little endian
      java.util.Map<Integer, java.io.ByteArrayOutputStream> got = new java.util.HashMap<>();
      client.send(0, "GET /index.html HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      for (WebSocketTestClient.Message m; (m = client.read()) != null && m.opcode() != 8; ) {
        got.computeIfAbsent((int) m.payload()[0], k -> new java.io.ByteArrayOutputStream())
            .write(m.payload(), 1, m.payload().length - 1);
      }
      String data = got.get(0).toString(StandardCharsets.ISO_8859_1);
      assertTrue(data.startsWith("\u0090\u001f"), "the data channel's first message is its port");
      assertTrue(data.contains("hello from the pod"), data);
      assertEquals(
          new String(port, StandardCharsets.ISO_8859_1),
          got.get(1).toString(StandardCharsets.ISO_8859_1),
          "the error channel carries its port and no error");
    }
    try (WebSocketTestClient client = new WebSocketTestClient(ws, "v4.channel.k8s.io")) {
      assertEquals(404, client.status, "the token was used");
    }
    // Only the listed ports, when the request lists some.
    String only = server.portForward(new PortForwardRequest(c.id(), List.of(8081)));
    try (SpdyTestClient client = new SpdyTestClient(only, List.of("portforward.k8s.io"))) {
      SpdyTestClient.Stream error =
          client.open("streamtype", "error", "port", "8080", "requestid", "1");
      client.open("streamtype", "data", "port", "8080", "requestid", "1");
      assertTrue(client.readAll(error).contains("not among the request's ports"));
    }
  }

  @Test
  void webSocketExecWithV5ClosesStdinAndV4ReportsStatus() throws Exception {
    ContainerRecord c = running(false, "sleep", "1000");
    String url =
        server.exec(
            new ExecRequest(
                c.id(), List.of("sh", "-c", "cat; echo done; exit 2"), false, true, true, true));
    try (WebSocketTestClient ws =
        new WebSocketTestClient(url, "v5.channel.k8s.io, v4.channel.k8s.io")) {
      assertEquals(101, ws.status);
      assertEquals("v5.channel.k8s.io", ws.protocol);
      ws.send(0, "abc\n".getBytes(StandardCharsets.UTF_8));
      ws.send(255, new byte[] {0}); // v5: stdin is closed
      StringBuilder out = new StringBuilder();
      String status = null;
      boolean closed = false;
      for (WebSocketTestClient.Message m; (m = ws.read()) != null; ) {
        if (m.opcode() == 8) {
          closed = true;
          break;
        }
        String text = new String(m.payload(), 1, m.payload().length - 1, StandardCharsets.UTF_8);
        if (m.payload()[0] == 1) out.append(text);
        if (m.payload()[0] == 3) status = text;
      }
      assertEquals("abc\ndone\n", out.toString());
      assertNotNull(status);
      assertTrue(status.contains("\"message\":\"2\""), status);
      assertTrue(closed, "a close frame ends the session");
    }
    String v4 =
        server.exec(new ExecRequest(c.id(), List.of("echo", "hi"), false, false, true, true));
    try (WebSocketTestClient ws = new WebSocketTestClient(v4, "v4.channel.k8s.io")) {
      assertEquals("v4.channel.k8s.io", ws.protocol);
      StringBuilder out = new StringBuilder();
      String status = null;
      for (WebSocketTestClient.Message m; (m = ws.read()) != null && m.opcode() != 8; ) {
        String text = new String(m.payload(), 1, m.payload().length - 1, StandardCharsets.UTF_8);
        if (m.payload()[0] == 1) out.append(text);
        if (m.payload()[0] == 3) status = text;
      }
      assertEquals("hi\n", out.toString());
      assertEquals("{\"metadata\":{},\"status\":\"Success\"}", status);
    }
  }

  @Test
  void aClientLeavingMidExecLeavesNoProcessBehind() throws Exception {
    ContainerRecord c = running(false, "sleep", "1000");
    for (boolean tty : new boolean[] {false, true}) {
      String marker = tty ? "98761" : "98762";
      String url =
          server.exec(
              new ExecRequest(
                  c.id(),
                  List.of("sh", "-c", "echo started; exec sleep " + marker),
                  tty,
                  true,
                  true,
                  !tty));
      SpdyTestClient client = new SpdyTestClient(url, V4);
      client.open("streamtype", "error");
      client.open("streamtype", "stdin");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      if (!tty) client.open("streamtype", "stderr");
      else client.open("streamtype", "resize");
      assertTrue(client.awaitText(out, "started").contains("started"));
      assertTrue(waitFor(() -> sleeping(marker)), "the exec'd process runs");
      client.socket.setSoLinger(true, 0); // an abrupt end: RST
      client.close();
      assertTrue(waitFor(() -> !sleeping(marker)), "the exec'd process is gone (tty " + tty + ")");
    }
    assertEquals(Status.RUNNING, engine.inspect(c.id()).state().status());
  }

  interface Check {
    boolean ok() throws Exception;
  }

  private static boolean waitFor(Check c) throws Exception {
    for (int i = 0; i < 300; i++) {
      if (c.ok()) return true;
      Thread.sleep(50);
    }
    return false;
  }

  /** Whether a process {@code sleep MARKER} runs on the host. */
  private static boolean sleeping(String marker) throws IOException {
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        if (!p.getFileName().toString().chars().allMatch(Character::isDigit)) continue;
        try {
          String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ').trim();
          if (cmd.equals("sleep " + marker)) return true;
        } catch (IOException gone) {
          // exited meanwhile
        }
      }
    }
    return false;
  }

  @Test
  void tokensAreOneUseAndUnknownPathsAre404() throws Exception {
    ContainerRecord c = running(false, "sleep", "1000");
    String url = server.exec(new ExecRequest(c.id(), List.of("true"), false, false, true, false));
    try (SpdyTestClient first = new SpdyTestClient(url, V4)) {
      assertEquals(101, first.status);
    }
    try (SpdyTestClient again = new SpdyTestClient(url, V4)) {
      assertEquals(404, again.status, "a used token");
    }
    String base = url.substring(0, url.indexOf("/exec/"));
    try (SpdyTestClient unknown = new SpdyTestClient(base + "/exec/nosuchtoken", V4)) {
      assertEquals(404, unknown.status);
    }
    // A token of another kind's path: 404, and it is used up.
    String attach = server.attach(new AttachRequest(c.id(), false, false, true, false));
    String wrong = attach.replace("/attach/", "/exec/");
    try (SpdyTestClient w = new SpdyTestClient(wrong, V4)) {
      assertEquals(404, w.status);
    }
    try (SpdyTestClient w = new SpdyTestClient(attach, V4)) {
      assertEquals(404, w.status);
    }
    // No protocol in common: 403.
    String url2 = server.exec(new ExecRequest(c.id(), List.of("true"), false, false, true, false));
    try (SpdyTestClient w = new SpdyTestClient(url2, List.of("v9.channel.k8s.io"))) {
      assertEquals(403, w.status);
    }
  }

  @Test
  void anOversizedRequestHeadIsRefused() throws Exception {
    String url = server.exec(new ExecRequest("c1", List.of("true"), false, false, true, false));
    java.net.URI u = java.net.URI.create(url);
    try (java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort())) {
      String head =
          "GET " + u.getPath() + " HTTP/1.1\r\nX-Big: " + "a".repeat(64 << 10) + "\r\n\r\n";
      s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      String answer = SpdyTestClient.readHead(s.getInputStream());
      assertTrue(answer.startsWith("HTTP/1.1 4"), answer);
    }
  }

  @Test
  void onAWildcardAddressTheUrlsNameAnAddressClientsReach() throws Exception {
    try (StreamingServer s =
        StreamingServer.start(
            StreamingServer.Options.defaults()
                .withAddress(new java.net.InetSocketAddress("0.0.0.0", 0)),
            new EngineStreamingRuntime(engine, this::netnsOfContainer))) {
      ContainerRecord c = running(false, "sleep", "1000");
      String url = s.exec(new ExecRequest(c.id(), List.of("true"), false, false, true, false));
      String host = java.net.URI.create(url).getHost();
      assertFalse(host.equals("0.0.0.0") || host.equals("[::]"), url);
      assertTrue(url.startsWith(s.baseUrl() + "/exec/"), url);
      try (SpdyTestClient client = new SpdyTestClient(url, V4)) {
        assertEquals(101, client.status);
        SpdyTestClient.Stream error = client.open("streamtype", "error");
        client.open("streamtype", "stdout");
        assertEquals("{\"metadata\":{},\"status\":\"Success\"}", client.readAll(error));
      }
    }
  }

  @Test
  void anExpiredTokenIs404() throws Exception {
    TokenCacheTest.ManualClock clock = new TokenCacheTest.ManualClock();
    try (StreamingServer s =
        StreamingServer.start(
            StreamingServer.Options.defaults().withClock(clock),
            new EngineStreamingRuntime(engine, this::netnsOfContainer))) {
      String url = s.exec(new ExecRequest("c1", List.of("true"), false, false, true, false));
      clock.now = clock.now.plusSeconds(61);
      try (SpdyTestClient client = new SpdyTestClient(url, V4)) {
        assertEquals(404, client.status);
      }
    }
  }

  @Test
  void aClientThatMakesNoStreamsIsClosedAfterTheStreamCreationTimeout() throws Exception {
    server.close();
    server =
        StreamingServer.start(
            StreamingServer.Options.defaults()
                .withTimeouts(java.time.Duration.ofMillis(300), java.time.Duration.ofHours(1)),
            new EngineStreamingRuntime(engine, this::netnsOfContainer));
    ContainerRecord c = running(false, "sleep", "1000");
    String url =
        server.exec(new ExecRequest(c.id(), List.of("sleep", "98763"), false, true, true, true));
    try (SpdyTestClient client = new SpdyTestClient(url, V4)) {
      client.open("streamtype", "error"); // and never the others
      assertTrue(client.awaitClosed(), "the server closed the connection");
    }
    assertFalse(sleeping("98763"), "nothing ran");
  }

  /**
   * Anyone who reaches the port may connect before a token is checked. A client that dribbles its
   * request head (a byte every 100 ms, each one resetting the idle timer) or says nothing is closed
   * after the stream creation timeout, not kept for the idle timeout; beyond {@link
   * StreamingServer#MAX_PENDING_REQUESTS} waiting connections a new one is closed at once; and once
   * they are gone the server serves a real exec.
   */
  @Test
  void connectionsWithoutTheirRequestAreBoundedInTimeAndNumber() throws Exception {
    server.close();
    server =
        StreamingServer.start(
            StreamingServer.Options.defaults()
                .withTimeouts(java.time.Duration.ofMillis(500), java.time.Duration.ofHours(1)),
            new EngineStreamingRuntime(engine, this::netnsOfContainer));
    java.net.URI u = java.net.URI.create(server.baseUrl());
    for (boolean dribble : List.of(true, false)) {
      try (java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort())) {
        s.setSoTimeout(100);
        var out = s.getOutputStream();
        out.write("GET /exec/slow HTTP/1.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
        boolean closed = false;
        for (int i = 0; i < 100 && !closed; i++) { // 10 s at most
          try {
            if (dribble) {
              out.write('a');
              out.flush();
            }
            closed = s.getInputStream().read() < 0;
          } catch (java.net.SocketTimeoutException stillOpen) {
            // the server waits on
          } catch (IOException reset) {
            closed = true;
          }
        }
        assertTrue(closed, (dribble ? "a dribbling" : "a silent") + " client is closed");
      }
    }

    server.close();
    server =
        StreamingServer.start(
            StreamingServer.Options.defaults(),
            new EngineStreamingRuntime(engine, this::netnsOfContainer));
    u = java.net.URI.create(server.baseUrl());
    List<java.net.Socket> waiting = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < StreamingServer.MAX_PENDING_REQUESTS; i++)
        waiting.add(new java.net.Socket(u.getHost(), u.getPort()));
      try (java.net.Socket extra = new java.net.Socket(u.getHost(), u.getPort())) {
        extra.setSoTimeout(10_000);
        int r;
        try {
          r = extra.getInputStream().read();
        } catch (java.net.SocketTimeoutException e) {
          r = 0;
        } catch (IOException reset) {
          r = -1;
        }
        assertEquals(-1, r, "a connection beyond the bound is closed at once");
      }
    } finally {
      for (java.net.Socket w : waiting) w.close();
    }
    ContainerRecord c = running(false, "sleep", "1000");
    int status = 0;
    for (int i = 0; i < 100 && status != 101; i++) {
      String url = server.exec(new ExecRequest(c.id(), List.of("true"), false, false, true, false));
      try (SpdyTestClient client = new SpdyTestClient(url, V4)) {
        status = client.status;
      } catch (IOException | RuntimeException closedWhileTheOthersGo) {
        Thread.sleep(100);
      }
    }
    assertEquals(101, status, "the server serves once the waiting connections are gone");
  }

  /**
   * WebSocket frames beyond the bound (1 MiB): one whose header declares 1 GiB, and a message of
   * 512 KiB fragments that grows past it. Each session is closed without waiting for (or buffering)
   * the bytes; the exec behind it ends, and the server serves the next one.
   */
  @Test
  void webSocketMessagesBeyondTheBoundCloseTheSession() throws Exception {
    ContainerRecord c = running(false, "sleep", "1000");
    for (boolean fragments : List.of(false, true)) {
      String url =
          server.exec(new ExecRequest(c.id(), List.of("sleep", "98764"), false, true, true, false));
      try (WebSocketTestClient ws = new WebSocketTestClient(url, "v5.channel.k8s.io")) {
        assertEquals(101, ws.status);
        ws.socket.setSoTimeout(20_000);
        var out = ws.socket.getOutputStream();
        byte[] chunk = new byte[512 << 10];
        try {
          if (fragments) {
            for (int i = 0; i < 4; i++) {
              out.write(frameHead(i == 0 ? 2 : 0, false, chunk.length)); // masked with zeros
              out.write(chunk);
            }
          } else {
            out.write(frameHead(2, true, 1L << 30));
            for (int i = 0; i < 4; i++) out.write(chunk);
          }
          out.flush();
        } catch (IOException closedWhileSending) {
          // the server closed first: what the test wants
        }
        boolean closed = false;
        try {
          for (WebSocketTestClient.Message m; (m = ws.read()) != null; ) {
            if (m.opcode() == 8) {
              closed = true;
              break;
            }
          }
          closed = true;
        } catch (java.net.SocketTimeoutException e) {
          closed = false;
        } catch (IOException reset) {
          closed = true;
        }
        assertTrue(closed, (fragments ? "fragments" : "a declared length") + " beyond the bound");
      }
    }
    assertTrue(waitFor(() -> !sleeping("98764")), "the execs behind the sessions ended");
    String url = server.exec(new ExecRequest(c.id(), List.of("true"), false, false, true, false));
    try (SpdyTestClient client = new SpdyTestClient(url, V4)) {
      assertEquals(101, client.status, "the server serves on");
    }
  }

  /** A client's masked frame head (mask 0: the payload goes as is) declaring {@code length}. */
  private static byte[] frameHead(int opcode, boolean fin, long length) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(14);
    b.put((byte) ((fin ? 0x80 : 0) | opcode));
    b.put((byte) (0x80 | 127)).putLong(length).putInt(0);
    return b.array();
  }
}
