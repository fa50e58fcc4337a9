package dev.berth.api.docker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.json.JsonReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP core on a real Unix socket, driven by a hand-written HTTP client: routing, versions,
 * headers, errors, bodies, keep-alive, streams a client leaves, and hijacked connections.
 */
@org.junit.jupiter.api.Timeout(60)
class DockerApiServerTest {
  @TempDir Path tmp;
  Path socket;
  DockerApiServer server;
  final CountDownLatch streamEnded = new CountDownLatch(1);
  volatile Throwable streamError;

  @BeforeEach
  void start() throws IOException {
    socket = tmp.resolve("docker.sock");
    Router r = new Router();
    r.get("/_ping", x -> x.respond(200, "text/plain; charset=utf-8", "OK".getBytes()));
    r.head("/_ping", x -> x.respond(200, "text/plain; charset=utf-8", "OK".getBytes()));
    r.get(
        "/images/{name*}/json",
        x -> x.json(200, Map.of("name", x.param("name"), "v", x.apiVersion())));
    r.post(
        "/echo",
        x -> {
          JsonReader j = x.json();
          String name = null;
          j.beginObject();
          for (String f; (f = j.nextField()) != null; ) {
            if (f.equals("Name")) name = j.string();
            else j.skip();
          }
          x.json(201, Map.of("Name", name));
        });
    r.get(
        "/missing",
        x -> {
          throw dev.berth.engine.EngineException.notFound("No such container: c1");
        });
    r.get(
        "/forever",
        x -> {
          ResponseStream s = x.stream(200, Exchange.JSON);
          try {
            for (int i = 0; ; i++) {
              s.line(("{\"n\":" + i + "}").getBytes());
              Thread.sleep(5);
            }
          } catch (IOException e) {
            streamError = e;
            throw e;
          } finally {
            streamEnded.countDown();
          }
        });
    r.add(
        "POST",
        "/upload",
        Router.Body.STREAM,
        x -> {
          long n = x.bodyStream().transferTo(java.io.OutputStream.nullOutputStream());
          x.json(200, Map.of("bytes", n));
        });
    r.post(
        "/attach",
        x -> {
          try (Hijacked h = x.hijack("application/vnd.docker.multiplexed-stream")) {
            StdFrames frames = new StdFrames(h.output());
            InputStream in = h.input();
            byte[] buf = new byte[1024];
            for (int n; (n = in.read(buf)) > 0; ) frames.frame(StdFrames.STDOUT, buf, 0, n);
            frames.frame(StdFrames.STDERR, "bye\n".getBytes(), 0, 4);
            h.closeOutput();
          }
        });
    server =
        DockerApiServer.start(
            new DockerApiServer.Options(socket, null, "Berth/test (linux)", 1024, 8, null), r);
  }

  @AfterEach
  void stop() {
    if (server != null) server.close();
  }

  @Test
  void pingAnswersWithDockersHeaders() throws IOException {
    try (UnixHttp c = new UnixHttp(socket)) {
      UnixHttp.Response r = c.call("GET", "/_ping");
      assertEquals(200, r.status());
      assertEquals("OK", r.text());
      assertEquals("1.44", r.header("Api-Version"));
      assertEquals("linux", r.header("Ostype"));
      assertEquals("false", r.header("Docker-Experimental"));
      assertEquals("Berth/test (linux)", r.header("Server"));
      UnixHttp.Response h = c.call("HEAD", "/_ping");
      assertEquals(200, h.status());
      assertEquals("1.44", h.header("Api-Version"));
    }
  }

  @Test
  void versionedPathsFrom124To144AndUnversioned() throws IOException {
    try (UnixHttp c = new UnixHttp(socket)) {
      for (String v : new String[] {"/v1.24", "/v1.41", "/v1.44", ""}) {
        UnixHttp.Response r = c.call("GET", v + "/images/127.0.0.1:5000/a/b:1/json");
        assertEquals(200, r.status(), v);
        assertTrue(r.text().contains("\"name\":\"127.0.0.1:5000/a/b:1\""), r.text());
        assertTrue(
            r.text().contains("\"v\":\"" + (v.isEmpty() ? "1.44" : v.substring(2)) + "\""),
            r.text());
      }
      UnixHttp.Response tooNew = c.call("GET", "/v1.45/_ping");
      assertEquals(400, tooNew.status());
      assertEquals(
          "{\"message\":\"client version 1.45 is too new. Maximum supported API version is 1.44\"}\n",
          tooNew.text());
      assertEquals("application/json", tooNew.header("Content-Type"));
      UnixHttp.Response tooOld = c.call("GET", "/v1.23/_ping");
      assertEquals(400, tooOld.status());
      assertTrue(tooOld.text().contains("is too old. Minimum supported API version is 1.24"));
    }
  }

  @Test
  void unknownPathsAndMissingObjectsAre404Json() throws IOException {
    try (UnixHttp c = new UnixHttp(socket)) {
      UnixHttp.Response r = c.call("GET", "/v1.44/nothing/here");
      assertEquals(404, r.status());
      assertEquals("{\"message\":\"page not found\"}\n", r.text());
      UnixHttp.Response m = c.call("GET", "/missing");
      assertEquals(404, m.status());
      assertEquals("{\"message\":\"No such container: c1\"}\n", m.text());
      assertEquals(405, c.call("DELETE", "/_ping").status());
      assertEquals(200, c.call("GET", "/_ping").status(), "the connection still serves");
    }
  }

  @Test
  void malformedJsonIs400AndTheConnectionGoesOn() throws IOException {
    try (UnixHttp c = new UnixHttp(socket)) {
      UnixHttp.Response r =
          c.call(
              "POST",
              "/echo",
              Map.of("Content-Type", "application/json"),
              "{\"Name\": ".getBytes());
      assertEquals(400, r.status());
      assertTrue(r.text().startsWith("{\"message\":\"request body"), r.text());
      UnixHttp.Response wrong = c.call("POST", "/echo", null, "{\"Name\": 7}".getBytes());
      assertEquals(400, wrong.status());
      assertTrue(wrong.text().contains("Name: expected string"), wrong.text());
      UnixHttp.Response empty = c.call("POST", "/echo", null, null);
      assertEquals(400, empty.status());
      UnixHttp.Response ok =
          c.call("POST", "/echo", null, "{\"Name\":\"x\",\"Unknown\":[1]}".getBytes());
      assertEquals(201, ok.status());
      assertEquals("{\"Name\":\"x\"}\n", ok.text());
    }
  }

  @Test
  void aBodyOverTheLimitIs413AndTheDaemonKeepsServing() throws IOException {
    try (UnixHttp c = new UnixHttp(socket)) {
      UnixHttp.Response r = c.call("POST", "/echo", null, new byte[4096]);
      assertEquals(413, r.status());
      assertEquals("close", r.header("Connection"));
      assertTrue(r.text().contains("over the limit of 1024"), r.text());
    }
    // chunked, without a length up front
    try (UnixHttp c = new UnixHttp(socket)) {
      c.out.write(
          "POST /echo HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes());
      try {
        for (int i = 0; i < 4; i++) c.out.write(("200\r\n" + "x".repeat(512) + "\r\n").getBytes());
        c.out.flush();
      } catch (IOException closed) {
        // the daemon may answer and close as soon as the limit is passed, before the last chunk
      }
      assertEquals(413, c.read(false).status());
    }
    try (UnixHttp c = new UnixHttp(socket)) {
      assertEquals(200, c.call("GET", "/_ping").status());
    }
  }

  @Test
  void streamedBodiesAreNotBounded() throws IOException {
    try (UnixHttp c = new UnixHttp(socket)) {
      UnixHttp.Response r = c.call("POST", "/upload", null, new byte[3 << 20]);
      assertEquals(200, r.status());
      assertEquals("{\"bytes\":" + (3 << 20) + "}\n", r.text());
      assertEquals(200, c.call("GET", "/_ping").status(), "keep-alive after a streamed body");
    }
  }

  @Test
  void keepAliveServesRequestsInTurnOnOneConnectionEvenPipelined() throws IOException {
    try (UnixHttp c = new UnixHttp(socket)) {
      for (int i = 0; i < 3; i++) assertEquals(200, c.call("GET", "/_ping").status());
      c.send("GET", "/v1.44/images/a/json", null, null);
      c.send("GET", "/missing", null, null);
      c.send("GET", "/_ping", null, null);
      assertEquals(200, c.read(false).status());
      assertEquals(404, c.read(false).status());
      assertEquals("OK", c.read(false).text());
      UnixHttp.Response last = c.call("GET", "/_ping", Map.of("Connection", "close"), null);
      assertEquals("close", last.header("Connection"));
      assertEquals(-1, c.in.read(), "closed after Connection: close");
    }
  }

  @Test
  void aClientLeavingMidStreamEndsTheHandlerAndTheDaemonKeepsServing() throws Exception {
    UnixHttp c = new UnixHttp(socket);
    c.send("GET", "/forever", null, null);
    UnixHttp.Response h = c.head();
    assertEquals(200, h.status());
    assertEquals("chunked", h.header("Transfer-Encoding"));
    assertEquals("{\"n\":0}\n", new String(c.chunk()));
    c.close();
    assertTrue(streamEnded.await(10, TimeUnit.SECONDS), "the handler saw the client go");
    assertTrue(
        streamError instanceof ResponseStream.ClientGoneException, String.valueOf(streamError));
    try (UnixHttp again = new UnixHttp(socket)) {
      assertEquals(200, again.call("GET", "/_ping").status());
    }
  }

  @Test
  void hijackUpgradesToARawStreamBothWays() throws IOException {
    try (UnixHttp c = new UnixHttp(socket)) {
      c.send("POST", "/v1.44/attach", Map.of("Connection", "Upgrade", "Upgrade", "tcp"), null);
      UnixHttp.Response h = c.head();
      assertEquals(101, h.status());
      assertEquals("UPGRADED", h.reason());
      assertEquals("tcp", h.header("Upgrade"));
      assertEquals("application/vnd.docker.multiplexed-stream", h.header("Content-Type"));
      c.out.write("hello".getBytes());
      c.out.flush();
      byte[] frame = c.in.readNBytes(8 + 5);
      assertArrayEquals(new byte[] {1, 0, 0, 0, 0, 0, 0, 5}, java.util.Arrays.copyOf(frame, 8));
      assertEquals("hello", new String(frame, 8, 5));
      c.channel.shutdownOutput(); // stdin ends: the handler says goodbye on stderr and closes
      ByteArrayOutputStream rest = new ByteArrayOutputStream();
      c.in.transferTo(rest);
      byte[] bye = rest.toByteArray();
      assertEquals(12, bye.length);
      assertEquals(2, bye[0]);
      assertEquals("bye\n", new String(bye, 8, 4, StandardCharsets.US_ASCII));
    }
    try (UnixHttp c = new UnixHttp(socket)) {
      assertEquals(200, c.call("GET", "/_ping").status());
    }
  }

  @Test
  void aSecondServerOnTheSameSocketIsRefusedAndAStaleSocketIsReplaced() throws Exception {
    IOException e =
        assertThrows(
            IOException.class,
            () -> DockerApiServer.start(DockerApiServer.Options.at(socket), new Router()));
    assertTrue(e.getMessage().contains("another daemon serves"), e.getMessage());
    try (UnixHttp c = new UnixHttp(socket)) {
      assertEquals(200, c.call("GET", "/_ping").status(), "the first still serves");
    }
    server.close();
    server = null;
    assertFalse(Files.exists(socket), "the socket file goes with the server");
    // A stale socket file: bound, never listened on, as a killed daemon leaves one.
    try (var ch =
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      ch.bind(java.net.UnixDomainSocketAddress.of(socket));
    }
    assertTrue(Files.exists(socket));
    try (DockerApiServer s =
        DockerApiServer.start(DockerApiServer.Options.at(socket), new Router())) {
      try (UnixHttp c = new UnixHttp(socket)) {
        assertEquals(404, c.call("GET", "/_ping").status());
      }
    }
  }

  @Test
  void framesCutLargeWritesAndKeepStreamsApart() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StdFrames f = new StdFrames(out);
    byte[] big = new byte[StdFrames.MAX_FRAME + 10];
    f.stream(StdFrames.STDERR).write(big);
    byte[] b = out.toByteArray();
    assertEquals(16 + big.length, b.length);
    assertEquals(2, b[0]);
    assertEquals(
        StdFrames.MAX_FRAME,
        ((b[4] & 0xff) << 24) | ((b[5] & 0xff) << 16) | ((b[6] & 0xff) << 8) | (b[7] & 0xff));
    int second = 8 + StdFrames.MAX_FRAME;
    assertEquals(2, b[second]);
    assertEquals(10, b[second + 7]);
  }
}
