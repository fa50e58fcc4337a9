package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Replies a real registry would not give: the client refuses them with a clear error, or copes
 * where it should.
 */
class HostileRegistryTest {
  interface Handler {
    void handle(HttpExchange ex) throws IOException;
  }

  HttpServer server;
  final Map<String, Handler> routes = new ConcurrentHashMap<>();
  RegistryClient client;
  String host;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        ex -> {
          try (ex) {
            Handler h = routes.get(ex.getRequestURI().getPath());
            if (h == null) {
              reply(
                  ex,
                  404,
                  "application/json",
                  "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"no such\"}]}");
            } else {
              h.handle(ex);
            }
          }
        });
    server.start();
    host = "127.0.0.1:" + server.getAddress().getPort();
    routes.put("/v2/", ex -> reply(ex, 200, "application/json", "{}"));
    client =
        new RegistryClient(
            RegistriesConfig.empty(),
            CredentialSource.ANONYMOUS,
            new RegistryClient.Settings(
                1 << 20, 1 << 20, Duration.ofSeconds(10), 3, Duration.ofMillis(10)));
  }

  @AfterEach
  void stop() {
    client.close();
    server.stop(0);
  }

  static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
    reply(ex, status, type, body.getBytes(StandardCharsets.UTF_8), Map.of());
  }

  static void reply(
      HttpExchange ex, int status, String type, byte[] body, Map<String, String> headers)
      throws IOException {
    ex.getRequestBody().readAllBytes();
    if (type != null) ex.getResponseHeaders().set("Content-Type", type);
    headers.forEach(ex.getResponseHeaders()::set);
    ex.sendResponseHeaders(
        status, ex.getRequestMethod().equals("HEAD") ? -1 : body.length == 0 ? -1 : body.length);
    if (!ex.getRequestMethod().equals("HEAD")) ex.getResponseBody().write(body);
  }

  RegistryClient.Repository repo() throws IOException {
    return client.repo(host, "evil/app");
  }

  @Test
  void manifestWhoseDigestIsNotTheOneAskedForIsRefused() throws Exception {
    TestImage img = TestImage.make("asked");
    TestImage other = TestImage.make("served");
    routes.put(
        "/v2/evil/app/manifests/" + img.manifestDigest(),
        ex -> reply(ex, 200, MediaTypes.OCI_MANIFEST, new String(other.manifest())));
    RegistryException e =
        assertThrows(
            RegistryException.class, () -> repo().manifest(img.manifestDigest().toString(), null));
    assertEquals(
        "pull "
            + host
            + "/evil/app@"
            + img.manifestDigest()
            + ": manifest digest mismatch: the registry served content with digest "
            + other.manifestDigest(),
        e.getMessage());
  }

  @Test
  void dockerContentDigestThatDisagreesIsRefused() throws Exception {
    TestImage img = TestImage.make("tagged");
    routes.put(
        "/v2/evil/app/manifests/v1",
        ex ->
            reply(
                ex,
                200,
                MediaTypes.OCI_MANIFEST,
                img.manifest(),
                Map.of("Docker-Content-Digest", Digest.sha256Of(new byte[] {1}).toString())));
    RegistryException e = assertThrows(RegistryException.class, () -> repo().manifest("v1", null));
    assertTrue(e.getMessage().contains("the registry says the digest is"), e.getMessage());
  }

  @Test
  void oversizedManifestIsRefused() throws Exception {
    byte[] huge = new byte[RegistryClient.MAX_MANIFEST_BYTES + 10];
    java.util.Arrays.fill(huge, (byte) ' ');
    routes.put(
        "/v2/evil/app/manifests/announced",
        ex -> reply(ex, 200, MediaTypes.OCI_MANIFEST, huge, Map.of()));
    RegistryException e =
        assertThrows(RegistryException.class, () -> repo().manifest("announced", null));
    assertTrue(e.getMessage().contains("more than the limit of 4194304"), e.getMessage());
    // no Content-Length at all (chunked): the limit holds while reading
    routes.put(
        "/v2/evil/app/manifests/chunked",
        ex -> {
          ex.getResponseHeaders().set("Content-Type", MediaTypes.OCI_MANIFEST);
          ex.sendResponseHeaders(200, 0);
          try (var out = ex.getResponseBody()) {
            out.write(huge);
          } catch (IOException clientHungUp) {
            // the client stops reading at the limit
          }
        });
    e = assertThrows(RegistryException.class, () -> repo().manifest("chunked", null));
    assertTrue(e.getMessage().contains("more than the limit"), e.getMessage());
  }

  @Test
  void schema1AndUnknownMediaTypesAreRefused() throws Exception {
    routes.put(
        "/v2/evil/app/manifests/old",
        ex ->
            reply(
                ex,
                200,
                MediaTypes.DOCKER_SCHEMA1_SIGNED,
                "{\"schemaVersion\":1,\"name\":\"evil/app\",\"fsLayers\":[]}"));
    RegistryException e = assertThrows(RegistryException.class, () -> repo().manifest("old", null));
    assertEquals(
        "pull "
            + host
            + "/evil/app:old: docker schema 1 manifests are not supported (push the image again"
            + " with a current docker, podman or skopeo)",
        e.getMessage());
    routes.put(
        "/v2/evil/app/manifests/odd",
        ex -> reply(ex, 200, "application/x-odd", "{\"schemaVersion\":2}"));
    e = assertThrows(RegistryException.class, () -> repo().manifest("odd", null));
    assertTrue(
        e.getMessage().endsWith("unsupported manifest media type \"application/x-odd\""),
        e.getMessage());
    // a header that contradicts the body
    routes.put(
        "/v2/evil/app/manifests/liar",
        ex ->
            reply(
                ex,
                200,
                MediaTypes.OCI_MANIFEST,
                "{\"schemaVersion\":2,\"mediaType\":\""
                    + MediaTypes.OCI_INDEX
                    + "\",\"manifests\":[]}"));
    e = assertThrows(RegistryException.class, () -> repo().manifest("liar", null));
    assertTrue(e.getMessage().contains("but the manifest says it is"), e.getMessage());
  }

  @Test
  void genericContentTypeFallsBackToTheBodysMediaType() throws Exception {
    String index = "{\"schemaVersion\":2,\"manifests\":[]}";
    routes.put("/v2/evil/app/manifests/idx", ex -> reply(ex, 200, "application/json", index));
    ManifestResponse m = repo().manifest("idx", null);
    assertEquals(MediaTypes.OCI_INDEX, m.mediaType());
    assertEquals(Digest.sha256Of(index.getBytes()), m.digest());
  }

  @Test
  void shortAndLongBlobBodiesFailWhileReading() throws Exception {
    byte[] data = TestImage.random(1000, 7);
    Descriptor d = new Descriptor("application/octet-stream", Digest.sha256Of(data), data.length);
    Descriptor longer =
        new Descriptor("application/octet-stream", Digest.sha256Of(new byte[] {3}), 500);
    String path = "/v2/evil/app/blobs/";
    routes.put(path + d.digest(), ex -> chunked(ex, java.util.Arrays.copyOf(data, 400)));
    routes.put(path + longer.digest(), ex -> chunked(ex, data));
    IOException e = assertThrows(IOException.class, () -> readAll(repo().blob(d, 0)));
    assertTrue(e.getMessage().endsWith("the body ended after 400 of 1000 bytes"), e.getMessage());
    e = assertThrows(IOException.class, () -> readAll(repo().blob(longer, 0)));
    assertTrue(
        e.getMessage().endsWith("the body is longer than the expected 500 bytes"), e.getMessage());
  }

  static void chunked(HttpExchange ex, byte[] body) throws IOException {
    ex.sendResponseHeaders(200, 0); // no Content-Length
    ex.getResponseBody().write(body);
  }

  static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  @Test
  void aServerThatIgnoresRangeIsSkippedForward() throws Exception {
    byte[] data = TestImage.random(3000, 8);
    Descriptor d = new Descriptor("application/octet-stream", Digest.sha256Of(data), data.length);
    AtomicReference<String> range = new AtomicReference<>();
    routes.put(
        "/v2/evil/app/blobs/" + d.digest(),
        ex -> {
          range.set(ex.getRequestHeaders().getFirst("Range"));
          reply(ex, 200, "application/octet-stream", data, Map.of());
        });
    assertArrayEquals(
        java.util.Arrays.copyOfRange(data, 1234, 3000), readAll(repo().blob(d, 1234)));
    assertEquals("bytes=1234-", range.get());
  }

  @Test
  void transientFailuresAreRetriedThenReported() throws Exception {
    TestImage img = TestImage.make("retry");
    AtomicInteger calls = new AtomicInteger();
    routes.put(
        "/v2/evil/app/manifests/flaky",
        ex -> {
          if (calls.incrementAndGet() <= 2) {
            reply(ex, 503, "text/plain", "busy");
          } else {
            reply(ex, 200, MediaTypes.OCI_MANIFEST, img.manifest(), Map.of());
          }
        });
    assertEquals(img.manifestDigest(), repo().manifest("flaky", null).digest());
    assertEquals(3, calls.get());

    AtomicInteger down = new AtomicInteger();
    routes.put(
        "/v2/evil/app/manifests/down",
        ex -> {
          down.incrementAndGet();
          reply(
              ex,
              503,
              "application/json",
              "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"maintenance\"}]}");
        });
    RegistryException e =
        assertThrows(RegistryException.class, () -> repo().manifest("down", null));
    assertEquals(4, down.get()); // the first try and 3 retries
    assertEquals("pull " + host + "/evil/app:down: unavailable: maintenance", e.getMessage());
    assertEquals(503, e.status());
  }

  @Test
  void errorBodiesAreMapped() throws Exception {
    routes.put(
        "/v2/evil/app/manifests/denied",
        ex ->
            reply(
                ex,
                403,
                "application/json",
                "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"requested access to the resource is denied\"}]}"));
    RegistryException e =
        assertThrows(RegistryException.class, () -> repo().manifest("denied", null));
    assertEquals(
        "pull " + host + "/evil/app:denied: denied: requested access to the resource is denied",
        e.getMessage());
    assertTrue(e.isAuthFailure());
    routes.put(
        "/v2/evil/app/manifests/html",
        ex -> reply(ex, 502, "text/html", "<html>bad gateway</html>"));
    e = assertThrows(RegistryException.class, () -> repo().manifest("html", null));
    assertEquals("pull " + host + "/evil/app:html: server error (HTTP 502)", e.getMessage());
  }

  @Test
  void redirectedBlobGetDoesNotCarryOurCredentialsToAnotherHost() throws Exception {
    byte[] data = TestImage.random(800, 10);
    Descriptor d = new Descriptor("application/octet-stream", Digest.sha256Of(data), data.length);
    Credentials creds = new Credentials("u", "p");
    String basic = creds.basicHeader();
    routes.put(
        "/v2/",
        ex -> {
          if (basic.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            reply(ex, 200, "application/json", "{}");
          } else {
            ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"evil\"");
            reply(
                ex,
                401,
                "application/json",
                "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"login\"}]}");
          }
        });
    HttpServer storage =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicReference<String> seen = new AtomicReference<>("<not asked>");
    storage.createContext(
        "/blob",
        ex -> {
          try (ex) {
            seen.set(ex.getRequestHeaders().getFirst("Authorization"));
            reply(ex, 200, "application/octet-stream", data, Map.of());
          }
        });
    storage.start();
    try {
      // "localhost" is another origin than 127.0.0.1, as a storage service on another host would be
      String target = "http://localhost:" + storage.getAddress().getPort() + "/blob?sig=1";
      routes.put(
          "/v2/evil/app/blobs/" + d.digest(),
          ex -> {
            if (!basic.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
              ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"evil\"");
              reply(ex, 401, null, "");
              return;
            }
            reply(ex, 307, null, new byte[0], Map.of("Location", target));
          });
      try (RegistryClient c = new RegistryClient(RegistriesConfig.empty(), h -> creds)) {
        assertArrayEquals(data, readAll(c.repo(host, "evil/app").blob(d, 0)));
      }
      assertNull(seen.get());
    } finally {
      storage.stop(0);
    }
  }

  @Test
  void tagListIsFollowedAcrossPages() throws Exception {
    routes.put(
        "/v2/evil/app/tags/list",
        ex -> {
          String q = ex.getRequestURI().getRawQuery();
          if (q == null || !q.contains("last=")) {
            reply(
                ex,
                200,
                "application/json",
                "{\"name\":\"evil/app\",\"tags\":[\"a\",\"b\"]}".getBytes(),
                Map.of("Link", "</v2/evil/app/tags/list?n=2&last=b>; rel=\"next\""));
          } else if (q.contains("last=b")) {
            reply(
                ex,
                200,
                "application/json",
                "{\"name\":\"evil/app\",\"tags\":[\"c\",\"d\"]}".getBytes(),
                Map.of(
                    "Link",
                    "<http://" + host + "/v2/evil/app/tags/list?n=2&last=d>; rel=\"next\""));
          } else {
            reply(ex, 200, "application/json", "{\"name\":\"evil/app\",\"tags\":[\"e\"]}");
          }
        });
    assertEquals(List.of("a", "b", "c", "d", "e"), repo().tags(2));
  }

  @Test
  void uploadWithRelativeLocationsAndChunks() throws Exception {
    byte[] data = TestImage.random(2500, 11);
    Descriptor d = new Descriptor("application/octet-stream", Digest.sha256Of(data), data.length);
    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
    List<String> ranges = new java.util.concurrent.CopyOnWriteArrayList<>();
    routes.put("/v2/evil/app/blobs/" + d.digest(), ex -> reply(ex, 404, null, ""));
    routes.put(
        "/v2/evil/app/blobs/uploads/",
        ex -> reply(ex, 202, null, new byte[0], Map.of("Location", "/upload/1?_state=x")));
    routes.put(
        "/upload/1",
        ex -> {
          if (ex.getRequestMethod().equals("PATCH")) {
            ranges.add(ex.getRequestHeaders().getFirst("Content-Range"));
            got.write(ex.getRequestBody().readAllBytes());
            reply(
                ex,
                202,
                null,
                new byte[0],
                Map.of("Location", "http://" + host + "/upload/1?_state=y"));
          } else if (ex.getRequestMethod().equals("PUT")) {
            String q = ex.getRequestURI().getQuery();
            boolean ok =
                q.equals("_state=y&digest=" + d.digest())
                    && Digest.sha256Of(got.toByteArray()).equals(d.digest());
            reply(
                ex,
                ok ? 201 : 400,
                null,
                new byte[0],
                Map.of("Docker-Content-Digest", d.digest().toString()));
          } else {
            reply(ex, 405, null, "");
          }
        });
    var settings =
        new RegistryClient.Settings(1000, 1024, Duration.ofSeconds(10), 0, Duration.ofMillis(10));
    try (RegistryClient c =
        new RegistryClient(RegistriesConfig.empty(), CredentialSource.ANONYMOUS, settings)) {
      c.repo(host, "evil/app").pushBlob(d, BlobSource.of(data), null);
    }
    assertEquals(List.of("0-1023", "1024-2047", "2048-2499"), ranges);
  }

  @Test
  void invalidNamesAreRefusedBeforeAnyRequest() {
    assertThrows(RegistryException.class, () -> client.repo(host, "../etc"));
    assertThrows(RegistryException.class, () -> client.repo(host, "Upper/Case"));
    assertThrows(RegistryException.class, () -> client.repo("evil.com/x", "a"));
    RegistryException e =
        assertThrows(RegistryException.class, () -> repo().manifest("bad tag", null));
    assertEquals("invalid tag \"bad tag\"", e.getMessage());
  }
}
