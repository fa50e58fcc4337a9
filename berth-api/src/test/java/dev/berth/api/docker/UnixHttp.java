package dev.berth.api.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A plain HTTP/1.1 client over a Unix socket, written by hand (java.net.http cannot use one): one
 * connection, requests in turn (keep-alive), answers whole, chunked, or read to the close.
 */
final class UnixHttp implements AutoCloseable {
  final SocketChannel channel;
  final InputStream in;
  final OutputStream out;

  UnixHttp(Path socket) throws IOException {
    channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    in = new java.io.BufferedInputStream(Channels.newInputStream(channel));
    out = Channels.newOutputStream(channel);
  }

  record Response(int status, String reason, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** Sends a request; {@code body} null for none. */
  void send(String method, String path, Map<String, String> headers, byte[] body)
      throws IOException {
    StringBuilder b = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    b.append("Host: docker\r\n");
    if (headers != null)
      headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
    if (body != null) b.append("Content-Length: ").append(body.length).append("\r\n");
    b.append("\r\n");
    out.write(b.toString().getBytes(StandardCharsets.US_ASCII));
    if (body != null) out.write(body);
    out.flush();
  }

  Response call(String method, String path) throws IOException {
    return call(method, path, null, null);
  }

  Response call(String method, String path, Map<String, String> headers, byte[] body)
      throws IOException {
    send(method, path, headers, body);
    return read(method.equals("HEAD"));
  }

  /** Reads the status line and headers only. */
  Response head() throws IOException {
    String status = line();
    if (status == null) throw new java.io.EOFException("connection closed before an answer");
    String[] parts = status.split(" ", 3);
    Map<String, String> h = new LinkedHashMap<>();
    for (String l; !(l = line()).isEmpty(); ) {
      int c = l.indexOf(':');
      h.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
    }
    return new Response(Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "", h, null);
  }

  Response read(boolean head) throws IOException {
    Response r = head();
    // HEAD, 204 and 304 answers have no body (and netty sends them without a Content-Length).
    if (head || r.status() == 204 || r.status() == 304)
      return new Response(r.status(), r.reason(), r.headers(), new byte[0]);
    byte[] body;
    if ("chunked".equalsIgnoreCase(r.header("transfer-encoding"))) {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (byte[] c; (c = chunk()) != null; ) all.write(c);
      body = all.toByteArray();
    } else if (r.header("content-length") != null) {
      body = in.readNBytes(Integer.parseInt(r.header("content-length")));
    } else {
      body = in.readAllBytes();
    }
    return new Response(r.status(), r.reason(), r.headers(), body);
  }

  /** The next chunk of a chunked body, or null after the last one. */
  byte[] chunk() throws IOException {
    String size = line();
    if (size == null) throw new java.io.EOFException("connection closed inside a chunked body");
    int n = Integer.parseInt(size.trim(), 16);
    if (n == 0) {
      line(); // the empty trailer
      return null;
    }
    byte[] c = in.readNBytes(n);
    line();
    return c;
  }

  String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
      if (c != '\r') b.write(c);
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
