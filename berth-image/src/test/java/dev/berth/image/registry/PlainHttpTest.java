package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plain-HTTP client of http:// registries against a server that answers with canned bytes:
 * bodies as Content-Length, chunks or the connection delimit them, and the answers a registry would
 * not give refused with an error rather than read as something else.
 */
class PlainHttpTest {
  ServerSocket server;

  @BeforeEach
  void start() throws IOException {
    server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  /** Serves one connection: reads the request head, answers {@code answer}, closes. */
  CompletableFuture<String> answer(String answer) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Socket s = server.accept()) {
            String head = readHead(s.getInputStream());
            s.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return head;
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (!b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) break;
      b.write(c);
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  HttpResponse<InputStream> get(String path, String... headers) throws IOException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getLocalPort() + path))
            .timeout(Duration.ofSeconds(5));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    HttpRequest req = b.GET().build();
    assertTrue(PlainHttp.handles(req));
    return PlainHttp.send(req, Duration.ofSeconds(5));
  }

  static String body(HttpResponse<InputStream> resp) throws IOException {
    try (InputStream in = resp.body()) {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void sendsTheRequestLineHostAndHeadersAndReadsAContentLengthBody() throws Exception {
    var head = answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello");
    var resp = get("/v2/a/b/blobs/sha256:00?x=1", "Range", "bytes=3-", "User-Agent", "berth/0.1");
    assertEquals(200, resp.statusCode());
    assertEquals(java.util.List.of("1", "2"), resp.headers().allValues("X-A"));
    assertEquals("hello", body(resp));
    String sent = head.get();
    assertTrue(sent.startsWith("GET /v2/a/b/blobs/sha256:00?x=1 HTTP/1.1\r\n"), sent);
    assertTrue(sent.contains("\r\nHost: 127.0.0.1:" + server.getLocalPort() + "\r\n"), sent);
    assertTrue(sent.contains("\r\nRange: bytes=3-\r\n"), sent);
    assertTrue(sent.contains("\r\nConnection: close\r\n"), sent);
  }

  @Test
  void readsChunksWithExtensionsAndTrailersAfterAnInterimAnswer() throws Exception {
    answer(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n");
    assertEquals("wikipedia", body(get("/")));
  }

  @Test
  void readsToTheEndOfTheConnectionWithoutALength() throws Exception {
    answer("HTTP/1.0 200 OK\r\n\r\nall of it");
    assertEquals("all of it", body(get("/")));
  }

  @Test
  void aBodyCutShortOfItsLengthIsAnError() throws Exception {
    answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
    var resp = get("/");
    assertThrows(EOFException.class, () -> body(resp));
  }

  @Test
  void aChunkWithoutItsCrlfIsAnError() throws Exception {
    answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n");
    var resp = get("/");
    IOException e = assertThrows(IOException.class, () -> body(resp));
    assertTrue(e.getMessage().contains("no CRLF after its data"), e.getMessage());
  }

  @Test
  void whatIsNotAnHttpAnswerIsRefused() throws Exception {
    answer("SSH-2.0-OpenSSH\r\n\r\n");
    IOException e = assertThrows(IOException.class, () -> get("/"));
    assertTrue(e.getMessage().contains("not an HTTP/1.x answer"), e.getMessage());
  }

  @Test
  void anEndlessHeadIsRefused() throws Exception {
    answer("HTTP/1.1 200 OK\r\nX: " + "a".repeat(70_000) + "\r\n\r\n");
    IOException e = assertThrows(IOException.class, () -> get("/"));
    assertTrue(e.getMessage().contains("head is over"), e.getMessage());
  }

  @Test
  void conflictingLengthsAreRefused() throws Exception {
    answer("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
    IOException e = assertThrows(IOException.class, () -> get("/"));
    assertTrue(e.getMessage().contains("conflicting content-length"), e.getMessage());
  }

  @Test
  void noAnswerInTimeIsATimeout() throws Exception {
    CompletableFuture.runAsync(
        () -> {
          try (Socket s = server.accept()) {
            readHead(s.getInputStream());
            Thread.sleep(3000);
          } catch (IOException | InterruptedException ignored) {
            // the client gave up first
          }
        });
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getLocalPort() + "/"))
            .timeout(Duration.ofMillis(200))
            .GET()
            .build();
    assertThrows(HttpTimeoutException.class, () -> PlainHttp.send(req, Duration.ofSeconds(5)));
  }

  @Test
  void httpsAndRequestsWithABodyAreNotOurs() {
    assertTrue(
        !PlainHttp.handles(HttpRequest.newBuilder(URI.create("https://example.com/v2/")).build()));
    assertTrue(
        !PlainHttp.handles(
            HttpRequest.newBuilder(URI.create("http://example.com/v2/"))
                .PUT(HttpRequest.BodyPublishers.ofString("x"))
                .build()));
  }
}
