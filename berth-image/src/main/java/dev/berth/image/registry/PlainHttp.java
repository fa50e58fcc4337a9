package dev.berth.image.registry;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.net.ssl.SSLSession;

/**
 * GET and HEAD over plain HTTP/1.1 on a socket of their own, for http:// registries (a local one
 * above all). java.net.http moves a body through its selector thread, a queue of buffers and a copy
 * per buffer: on loopback that cost about as much CPU as the pull's hashing, and its start (TLS
 * context, selector) cost more than a whole pull of an image already present. HTTPS, and requests
 * with a body, stay with java.net.http.
 *
 * <p>One request per connection ({@code Connection: close}): a pull makes a handful of requests,
 * and a connection of its own keeps a broken body from spoiling the next request. No redirect is
 * followed and no header added but Host, Connection and the request's own: {@link Authenticator}
 * does both, as for the other client. The answer's headers must come within the request's timeout,
 * and so must each read of the body.
 */
final class PlainHttp {
  /** Headers larger than this are refused: a registry's are a few hundred bytes. */
  private static final int MAX_HEADERS = 64 << 10;

  private static final int BUFFER = 64 << 10;

  private PlainHttp() {}

  /** Whether {@code req} is one of ours: GET or HEAD of an http:// URL, without a body. */
  static boolean handles(HttpRequest req) {
    String m = req.method();
    return "http".equalsIgnoreCase(req.uri().getScheme())
        && (m.equals("GET") || m.equals("HEAD"))
        && req.bodyPublisher().map(b -> b.contentLength() == 0).orElse(true);
  }

  /** Sends {@code req} and reads the answer's status and headers; the body streams from there. */
  static HttpResponse<InputStream> send(HttpRequest req, Duration connectTimeout)
      throws IOException {
    URI uri = req.uri();
    String host = uri.getHost();
    if (host == null) throw new IOException("no host in " + uri);
    int port = uri.getPort() >= 0 ? uri.getPort() : 80;
    int timeout = (int) Math.min(Integer.MAX_VALUE, req.timeout().orElse(Duration.ZERO).toMillis());
    Socket socket = new Socket();
    boolean ok = false;
    try {
      try {
        socket.connect(
            new InetSocketAddress(unbracket(host), port), (int) connectTimeout.toMillis());
      } catch (SocketTimeoutException e) {
        throw new HttpConnectTimeoutException("connect to " + uri.getAuthority() + " timed out");
      }
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(timeout);
      OutputStream out = socket.getOutputStream();
      out.write(requestHead(req).getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      Conn c = new Conn(socket.getInputStream());
      int status;
      Map<String, List<String>> headers;
      do {
        try {
          status = c.statusLine();
          headers = c.headers();
        } catch (SocketTimeoutException e) {
          throw new HttpTimeoutException("request timed out");
        }
      } while (status >= 100 && status < 200); // an interim answer: the real one follows
      InputStream body = body(req.method(), status, headers, c, socket);
      HttpResponse<InputStream> resp =
          new Response(req, status, HttpHeaders.of(headers, (k, v) -> true), body);
      ok = true;
      return resp;
    } finally {
      if (!ok) socket.close();
    }
  }

  private static String unbracket(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  private static String requestHead(HttpRequest req) {
    URI uri = req.uri();
    String target = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) target += "?" + uri.getRawQuery();
    StringBuilder b = new StringBuilder(256);
    b.append(req.method()).append(' ').append(target).append(" HTTP/1.1\r\n");
    b.append("Host: ").append(uri.getRawAuthority()).append("\r\n");
    // HttpRequest's builder refused CR, LF and the restricted names (Host, Connection, ...).
    req.headers()
        .map()
        .forEach(
            (k, vs) -> {
              for (String v : vs) b.append(k).append(": ").append(v).append("\r\n");
            });
    b.append("Connection: close\r\n\r\n");
    return b.toString();
  }

  /** The body as the headers delimit it; closing it closes the connection. */
  private static InputStream body(
      String method, int status, Map<String, List<String>> headers, Conn c, Socket socket)
      throws IOException {
    if (method.equals("HEAD") || status == 204 || status == 304) {
      socket.close();
      return InputStream.nullInputStream();
    }
    String te = first(headers, "transfer-encoding");
    if (te != null && !te.equalsIgnoreCase("identity")) {
      if (!te.equalsIgnoreCase("chunked"))
        throw new IOException("unsupported Transfer-Encoding \"" + printable(te) + "\"");
      return new Body(c, socket, -1, true);
    }
    String cl = first(headers, "content-length");
    if (cl == null) return new Body(c, socket, -1, false); // to the end of the connection
    try {
      long n = Long.parseLong(cl.trim());
      if (n < 0) throw new NumberFormatException();
      return new Body(c, socket, n, false);
    } catch (NumberFormatException e) {
      throw new IOException("invalid Content-Length \"" + printable(cl) + "\"");
    }
  }

  private static String first(Map<String, List<String>> headers, String name) throws IOException {
    List<String> v = headers.get(name);
    if (v == null || v.isEmpty()) return null;
    if (v.size() > 1 && !v.stream().allMatch(v.get(0)::equals))
      throw new IOException("conflicting " + name + " headers");
    return v.get(0);
  }

  private static String printable(String s) {
    return RegistryException.printable(s.length() > 64 ? s.substring(0, 64) : s);
  }

  /** The connection's input: a buffer in front of the socket, for the head's lines. */
  private static final class Conn {
    final InputStream in;
    final byte[] buf = new byte[BUFFER];
    int pos;
    int lim;
    int headBytes;

    Conn(InputStream in) {
      this.in = in;
    }

    boolean fill() throws IOException {
      if (pos < lim) return true;
      int n = in.read(buf, 0, buf.length);
      if (n <= 0) return false;
      pos = 0;
      lim = n;
      return true;
    }

    /** A line without its CRLF (or LF), in ISO-8859-1; counted against the head's limit. */
    String line() throws IOException {
      StringBuilder b = new StringBuilder(64);
      while (true) {
        if (!fill()) throw new EOFException("the connection closed in the answer's head");
        byte x = buf[pos++];
        if (++headBytes > MAX_HEADERS)
          throw new IOException("the answer's head is over " + MAX_HEADERS + " bytes");
        if (x == '\n') {
          int len = b.length();
          if (len > 0 && b.charAt(len - 1) == '\r') b.setLength(len - 1);
          return b.toString();
        }
        b.append((char) (x & 0xff));
      }
    }

    int statusLine() throws IOException {
      String l = line();
      // HTTP/1.x SP 3DIGIT [SP reason]
      if (!l.startsWith("HTTP/1.") || l.length() < 12 || l.charAt(8) != ' ')
        throw new IOException("not an HTTP/1.x answer: \"" + printable(l) + "\"");
      try {
        int status = Integer.parseInt(l.substring(9, 12));
        if (status < 100 || status > 999) throw new NumberFormatException();
        return status;
      } catch (NumberFormatException e) {
        throw new IOException("invalid status line \"" + printable(l) + "\"");
      }
    }

    /** Header fields by lower-case name, in order, up to the empty line. */
    Map<String, List<String>> headers() throws IOException {
      Map<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (String l = line(); !l.isEmpty(); l = line()) {
        int colon = l.indexOf(':');
        if (colon <= 0 || l.charAt(0) == ' ' || l.charAt(0) == '\t')
          throw new IOException("invalid header line \"" + printable(l) + "\"");
        String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        h.computeIfAbsent(name, k -> new ArrayList<>()).add(l.substring(colon + 1).trim());
      }
      return h;
    }
  }

  /** A body: Content-Length bytes, chunks, or what comes until the connection closes. */
  private static final class Body extends InputStream {
    private final Conn c;
    private final Socket socket;
    private final boolean chunked;
    private long left; // of the body or of the current chunk; -1: to the end of the connection
    private boolean done;

    Body(Conn c, Socket socket, long length, boolean chunked) throws IOException {
      this.c = c;
      this.socket = socket;
      this.chunked = chunked;
      this.left = chunked ? 0 : length;
      if (!chunked && length == 0) finish();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) return 0;
      if (done) return -1;
      if (chunked && left == 0 && !nextChunk()) return -1;
      int want = left < 0 ? len : (int) Math.min(len, left);
      int n;
      if (c.pos < c.lim) {
        n = Math.min(want, c.lim - c.pos);
        System.arraycopy(c.buf, c.pos, b, off, n);
        c.pos += n;
      } else {
        n = c.in.read(b, off, want); // straight into the reader's array: no copy of ours
      }
      if (n < 0) {
        if (left < 0 && !chunked) {
          finish();
          return -1;
        }
        throw new EOFException("the connection closed in the body");
      }
      if (left > 0) {
        left -= n;
        if (left == 0 && !chunked) finish();
      }
      return n;
    }

    /** Reads the next chunk's size line; false after the last chunk (and its trailers). */
    private boolean nextChunk() throws IOException {
      if (afterChunk && !chunkLine().isEmpty())
        throw new IOException("invalid chunk: no CRLF after its data");
      String l = chunkLine();
      int semi = l.indexOf(';');
      String hex = (semi >= 0 ? l.substring(0, semi) : l).trim();
      long size;
      try {
        if (hex.isEmpty() || hex.length() > 15) throw new NumberFormatException();
        size = Long.parseLong(hex, 16);
      } catch (NumberFormatException e) {
        throw new IOException("invalid chunk size \"" + printable(l) + "\"");
      }
      if (size == 0) {
        while (!chunkLine().isEmpty()) {
          // trailers: nothing of ours is in them
        }
        finish();
        return false;
      }
      left = size;
      afterChunk = true;
      return true;
    }

    /** A line between chunks, with the head's limit of its own. */
    private String chunkLine() throws IOException {
      c.headBytes = 0;
      return c.line();
    }

    private boolean afterChunk;

    private void finish() throws IOException {
      done = true;
      socket.close();
    }

    @Override
    public void close() throws IOException {
      done = true;
      socket.close();
    }
  }

  /** The answer, as java.net.http's callers read it. */
  private record Response(
      HttpRequest request, int statusCode, HttpHeaders headers, InputStream body)
      implements HttpResponse<InputStream> {
    @Override
    public Optional<HttpResponse<InputStream>> previousResponse() {
      return Optional.empty();
    }

    @Override
    public Optional<SSLSession> sslSession() {
      return Optional.empty();
    }

    @Override
    public URI uri() {
      return request.uri();
    }

    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }
}
