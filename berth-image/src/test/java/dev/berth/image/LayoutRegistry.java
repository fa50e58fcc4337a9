package dev.berth.image;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageJson;
import dev.berth.spec.json.JsonReader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A registry that serves an OCI image layout read-only, for pull tests that need replies
 * docker-registry would not give: every repository name serves the same layout, tags are the
 * layout's ref names, manifests and blobs come from blobs/sha256. Faults are set per blob: other
 * bytes than the digest names ({@link #serveInstead}), or a body cut after some bytes ({@link
 * #cutAfter}) or stalled ({@link #stallAfter}). Range requests are honoured (206), and recorded
 * with every blob GET.
 */
public final class LayoutRegistry implements AutoCloseable {
  /** A blob GET as the server saw it: the digest and the Range header (null when absent). */
  public record BlobRequest(Digest digest, String range) {}

  private record Cut(long afterBytes, AtomicInteger timesLeft) {}

  private final Path layout;
  private final HttpServer server;
  private final Map<Digest, byte[]> instead = new ConcurrentHashMap<>();
  private final Map<Digest, Cut> cuts = new ConcurrentHashMap<>();
  private final Map<String, String> manifestTypes = new ConcurrentHashMap<>();
  private final List<BlobRequest> blobRequests = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final Map<Digest, Long> stalls = new ConcurrentHashMap<>();
  private final java.util.Set<Digest> stalling = ConcurrentHashMap.newKeySet();
  private final java.util.Set<Digest> held = ConcurrentHashMap.newKeySet();
  private volatile java.util.concurrent.CountDownLatch release =
      new java.util.concurrent.CountDownLatch(1);
  private volatile java.util.concurrent.CountDownLatch unstall =
      new java.util.concurrent.CountDownLatch(1);

  public LayoutRegistry(Path layout) throws IOException {
    this.layout = layout;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(
        java.util.concurrent.Executors.newCachedThreadPool(Thread.ofPlatform().daemon().factory()));
    server.createContext("/", this::handle);
    server.start();
  }

  /** {@code 127.0.0.1:<port>}. */
  public String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /**
   * Serves {@code bytes} (with the full Content-Length of those bytes) when blob {@code digest} is
   * asked for.
   */
  public void serveInstead(Digest digest, byte[] bytes) {
    instead.put(digest, bytes.clone());
  }

  /**
   * The next {@code times} GETs of blob {@code digest} (-1: all) send the right headers, then only
   * {@code afterBytes} bytes of the body, and drop the connection.
   */
  public void cutAfter(Digest digest, long afterBytes, int times) {
    cuts.put(digest, new Cut(afterBytes, new AtomicInteger(times)));
  }

  /**
   * GETs of blob {@code digest} send the right headers and {@code afterBytes} bytes of the body,
   * then hang until {@link #clearFaults} or {@link #close}, and drop the connection: a pull stays
   * in the middle of the blob.
   */
  public void stallAfter(Digest digest, long afterBytes) {
    stalls.put(digest, afterBytes);
  }

  /** Whether a GET of blob {@code digest} has been stalled (it hangs, or did until cleared). */
  public boolean stalled(Digest digest) {
    return stalling.contains(digest);
  }

  /**
   * GETs of blob {@code digest} send nothing until {@link #release} (or {@link #close}), then the
   * whole blob: a registry slow to start that one answer.
   */
  public void hold(Digest digest) {
    held.add(digest);
  }

  /** Lets the held GETs go on; later ones are not held. */
  public void release() {
    held.clear();
    release.countDown();
    release = new java.util.concurrent.CountDownLatch(1);
  }

  /**
   * Sends manifest {@code digest} with this Content-Type rather than the media type in its JSON.
   */
  public void manifestType(Digest digest, String contentType) {
    manifestTypes.put(digest.toString(), contentType);
  }

  public void clearFaults() {
    instead.clear();
    cuts.clear();
    stalls.clear();
    stalling.clear();
    unstall.countDown();
    unstall = new java.util.concurrent.CountDownLatch(1);
  }

  public List<BlobRequest> blobRequests() {
    return List.copyOf(blobRequests);
  }

  /** Every request so far, as "METHOD path". */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  /** Forgets the requests so far ({@link #requests}, {@link #blobRequests}). */
  public void clearRequests() {
    requests.clear();
    blobRequests.clear();
  }

  /** The blob GETs of {@code digest} so far. */
  public List<BlobRequest> blobRequests(Digest digest) {
    return blobRequests.stream().filter(r -> r.digest().equals(digest)).toList();
  }

  @Override
  public void close() {
    unstall.countDown();
    release.countDown();
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      ex.getRequestBody().readAllBytes();
      String path = ex.getRequestURI().getPath();
      requests.add(ex.getRequestMethod() + " " + path);
      if (path.equals("/v2/") || path.equals("/v2")) {
        send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        return;
      }
      int m = path.lastIndexOf("/manifests/");
      int b = path.lastIndexOf("/blobs/");
      if (m > 0) {
        manifest(ex, path.substring(m + "/manifests/".length()));
      } else if (b > 0) {
        blob(ex, Digest.parse(path.substring(b + "/blobs/".length())));
      } else {
        notFound(ex, "NAME_UNKNOWN");
      }
    } catch (IllegalArgumentException bad) {
      notFound(ex, "DIGEST_INVALID");
    }
  }

  private void manifest(HttpExchange ex, String reference) throws IOException {
    String digest = reference.startsWith("sha256:") ? reference : tagged(reference);
    if (digest == null) {
      notFound(ex, "MANIFEST_UNKNOWN");
      return;
    }
    Path file = blobPath(Digest.parse(digest));
    if (!Files.exists(file)) {
      notFound(ex, "MANIFEST_UNKNOWN");
      return;
    }
    byte[] body = Files.readAllBytes(file);
    String type = manifestTypes.getOrDefault(digest, mediaTypeOf(body));
    ex.getResponseHeaders().set("Docker-Content-Digest", digest);
    send(ex, 200, type, body);
  }

  private static String mediaTypeOf(byte[] body) {
    try {
      return ImageJson.mediaTypeOf(body);
    } catch (RuntimeException | dev.berth.spec.json.SpecException e) {
      return "application/octet-stream";
    }
  }

  /** The digest index.json gives {@code tag}, or null. */
  private String tagged(String tag) throws IOException {
    byte[] index = Files.readAllBytes(layout.resolve("index.json"));
    try (JsonReader r = JsonReader.of(index, "index.json")) {
      r.beginObject();
      String field;
      while ((field = r.nextField()) != null) {
        if (!field.equals("manifests")) {
          r.skip();
          continue;
        }
        r.beginArray();
        while (r.nextElement()) {
          String digest = null;
          String ref = null;
          r.beginObject();
          String f;
          while ((f = r.nextField()) != null) {
            switch (f) {
              case "digest" -> digest = r.string();
              case "annotations" -> {
                r.beginObject();
                String a;
                while ((a = r.nextField()) != null) {
                  if (a.equals("org.opencontainers.image.ref.name")) ref = r.string();
                  else r.skip();
                }
              }
              default -> r.skip();
            }
          }
          if (tag.equals(ref)) return digest;
        }
      }
    } catch (dev.berth.spec.json.SpecException e) {
      throw new IOException(e);
    }
    return null;
  }

  private void blob(HttpExchange ex, Digest digest) throws IOException {
    String range = ex.getRequestHeaders().getFirst("Range");
    if (ex.getRequestMethod().equals("GET")) blobRequests.add(new BlobRequest(digest, range));
    var releasing = release; // before the check: a release between the two is not missed
    if (held.contains(digest)) {
      try {
        releasing.await(60, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    byte[] body = instead.get(digest);
    if (body == null) {
      Path file = blobPath(digest);
      if (!Files.exists(file)) {
        notFound(ex, "BLOB_UNKNOWN");
        return;
      }
      body = Files.readAllBytes(file);
    }
    long from = 0;
    int status = 200;
    if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
      from = Long.parseLong(range.substring(6, range.length() - 1));
      status = 206;
      ex.getResponseHeaders()
          .set("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
    }
    ex.getResponseHeaders().set("Docker-Content-Digest", digest.toString());
    ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
    int length = body.length - (int) from;
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.getResponseHeaders().set("Content-Length", Integer.toString(length));
      ex.sendResponseHeaders(status, -1);
      return;
    }
    ex.sendResponseHeaders(status, length);
    OutputStream out = ex.getResponseBody();
    var released = unstall; // before the check: a clearFaults between the two is not missed
    Long stall = stalls.get(digest);
    if (stall != null) {
      out.write(body, (int) from, (int) Math.max(0, Math.min(length, stall - from)));
      out.flush();
      stalling.add(digest);
      try {
        released.await(120, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new IOException("test registry: stalled blob " + digest + " released");
    }
    Cut cut = cuts.get(digest);
    if (cut != null && cut.timesLeft().getAndUpdate(n -> n == 0 ? 0 : n - 1) != 0) {
      int n = (int) Math.max(0, Math.min(length, cut.afterBytes() - from));
      out.write(body, (int) from, n);
      out.flush();
      // Thrown out of the handler, an IOException makes the server drop the connection mid-body.
      throw new IOException(
          "test registry: cut blob " + digest + " after " + (from + n) + " bytes");
    }
    out.write(body, (int) from, length);
  }

  private Path blobPath(Digest d) {
    return layout.resolve("blobs").resolve(d.algorithm()).resolve(d.encoded());
  }

  private static void notFound(HttpExchange ex, String code) throws IOException {
    send(
        ex,
        404,
        "application/json",
        ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"not in the test layout\"}]}")
            .getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    boolean head = ex.getRequestMethod().equals("HEAD");
    if (head) ex.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
    ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head) ex.getResponseBody().write(body);
  }
}
