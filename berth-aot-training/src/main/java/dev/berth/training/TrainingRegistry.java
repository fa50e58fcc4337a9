package dev.berth.training;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Just enough of the distribution API, in memory on 127.0.0.1, for the AOT training run to pull and
 * push through the real registry client (so java.net.http's classes and profiles are in the cache).
 * Training only: no auth, no validation beyond digests, one thread per connection.
 */
final class TrainingRegistry implements AutoCloseable {
  private final ServerSocket server;
  private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
  private final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
  private final Map<String, String> manifestTypes = new ConcurrentHashMap<>();
  private final Map<String, ByteArrayOutputStream> uploads = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();

  TrainingRegistry() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().start(this::accept);
  }

  String address() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread.ofPlatform().daemon().start(() -> serve(s));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s;
        InputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream()) {
      while (true) {
        String line = readLine(in);
        if (line == null || line.isEmpty()) return;
        String[] req = line.split(" ");
        Map<String, String> headers = new HashMap<>();
        String h;
        while (!(h = readLine(in)).isEmpty()) {
          int colon = h.indexOf(':');
          headers.put(h.substring(0, colon).trim().toLowerCase(), h.substring(colon + 1).trim());
        }
        byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
        handle(req[0], req[1], headers, body, out);
      }
    } catch (IOException | RuntimeException e) {
      // the client went away
    }
  }

  private void handle(
      String method, String target, Map<String, String> headers, byte[] body, OutputStream out)
      throws IOException {
    String path = target;
    String query = "";
    int q = target.indexOf('?');
    if (q >= 0) {
      path = target.substring(0, q);
      query = target.substring(q + 1);
    }
    boolean head = method.equals("HEAD");
    if (path.equals("/v2/")) {
      reply(out, 200, Map.of("Content-Type", "application/json"), "{}".getBytes(), head);
      return;
    }
    int blobsAt = path.indexOf("/blobs/");
    int manifestsAt = path.indexOf("/manifests/");
    if (path.contains("/blobs/uploads/")) {
      String name = path.substring(4, blobsAt);
      String id = path.substring(path.indexOf("/uploads/") + 9);
      if (method.equals("POST")) {
        id = Integer.toString(ids.incrementAndGet());
        uploads.put(id, new ByteArrayOutputStream());
        reply(
            out,
            202,
            Map.of("Location", "/v2/" + name + "/blobs/uploads/" + id, "Range", "0-0"),
            new byte[0],
            false);
        return;
      }
      ByteArrayOutputStream up = uploads.get(id);
      up.write(body);
      if (method.equals("PATCH")) {
        reply(
            out,
            202,
            Map.of(
                "Location",
                "/v2/" + name + "/blobs/uploads/" + id,
                "Range",
                "0-" + (up.size() - 1)),
            new byte[0],
            false);
        return;
      }
      String digest =
          java.net.URLDecoder.decode(
              query.replaceFirst(".*digest=([^&]*).*", "$1"), StandardCharsets.UTF_8);
      uploads.remove(id);
      blobs.put(digest, up.toByteArray());
      reply(
          out,
          201,
          Map.of("Location", "/v2/" + name + "/blobs/" + digest, "Docker-Content-Digest", digest),
          new byte[0],
          false);
      return;
    }
    if (blobsAt >= 0) {
      byte[] blob = blobs.get(path.substring(blobsAt + 7));
      if (blob == null) {
        reply(
            out,
            404,
            Map.of("Content-Type", "application/json"),
            "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}".getBytes(),
            head);
        return;
      }
      String range = headers.get("range");
      if (range != null && range.startsWith("bytes=")) {
        int from = Integer.parseInt(range.substring(6, range.indexOf('-')));
        byte[] part = java.util.Arrays.copyOfRange(blob, from, blob.length);
        reply(
            out,
            206,
            Map.of("Content-Range", "bytes " + from + "-" + (blob.length - 1) + "/" + blob.length),
            part,
            head);
        return;
      }
      reply(out, 200, Map.of("Content-Type", "application/octet-stream"), blob, head);
      return;
    }
    if (manifestsAt >= 0) {
      String key = path.substring(4, manifestsAt) + "@" + path.substring(manifestsAt + 11);
      if (method.equals("PUT")) {
        String digest = "sha256:" + sha256(body);
        String type = headers.getOrDefault("content-type", "");
        String byDigest = path.substring(4, manifestsAt) + "@" + digest;
        manifests.put(key, body);
        manifests.put(byDigest, body);
        manifestTypes.put(key, type);
        manifestTypes.put(byDigest, type);
        reply(out, 201, Map.of("Docker-Content-Digest", digest), new byte[0], false);
        return;
      }
      byte[] m = manifests.get(key);
      if (m == null) {
        reply(
            out,
            404,
            Map.of("Content-Type", "application/json"),
            "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}"
                .getBytes(),
            head);
        return;
      }
      reply(
          out,
          200,
          Map.of(
              "Content-Type",
              manifestTypes.get(key),
              "Docker-Content-Digest",
              "sha256:" + sha256(m)),
          m,
          head);
      return;
    }
    reply(out, 404, Map.of(), new byte[0], head);
  }

  private static void reply(
      OutputStream out, int status, Map<String, String> headers, byte[] body, boolean head)
      throws IOException {
    StringBuilder b = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n");
    for (Map.Entry<String, String> h : headers.entrySet())
      b.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    b.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (!head) out.write(body);
    out.flush();
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') if (c != '\r') b.write(c);
    return c < 0 && b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
