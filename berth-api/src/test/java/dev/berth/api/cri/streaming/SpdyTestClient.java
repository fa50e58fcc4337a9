package dev.berth.api.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A SPDY/3.1 client as client-go's (spdystream) speaks it, for the tests: the HTTP upgrade with
 * {@code X-Stream-Protocol-Version}, then streams opened by SYN_STREAM with a {@code streamtype}
 * header (and {@code port}, {@code requestid} for port forwarding), data frames, FINs. netty's
 * frame codec in an embedded channel does the framing and header compression; a blocking socket
 * carries the bytes. Like spdystream, it implements no flow control. Public for the CRI tests,
 * which drive the URLs their RPCs return.
 */
public final class SpdyTestClient implements AutoCloseable {
  /** A stream as the client sees it. */
  public static final class Stream {
    final int id;
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    boolean replied;
    boolean reset;
    boolean ended;

    Stream(int id) {
      this.id = id;
    }
  }

  public final Socket socket;
  public final int status;
  public final Map<String, String> headers = new LinkedHashMap<>();
  private final OutputStream out;
  private final InputStream in;
  private final EmbeddedChannel codec =
      new EmbeddedChannel(new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
  private final Map<Integer, Stream> streams = new HashMap<>();
  private int nextId = 1;
  private boolean closed;

  /** Connects to {@code url} and asks to upgrade with {@code protocols} (none: no header). */
  public SpdyTestClient(String url, List<String> protocols) throws IOException {
    URI u = URI.create(url);
    socket = new Socket(u.getHost(), u.getPort());
    out = socket.getOutputStream();
    in = socket.getInputStream();
    StringBuilder req = new StringBuilder();
    req.append("POST ").append(u.getRawPath()).append(" HTTP/1.1\r\n");
    req.append("Host: ").append(u.getHost()).append(':').append(u.getPort()).append("\r\n");
    req.append("Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n");
    for (String p : protocols) req.append("X-Stream-Protocol-Version: ").append(p).append("\r\n");
    req.append("Content-Length: 0\r\n\r\n");
    out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String head = readHead(in);
    String[] lines = head.split("\r\n");
    status = Integer.parseInt(lines[0].split(" ")[1]);
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      if (c > 0)
        headers.put(lines[i].substring(0, c).toLowerCase(), lines[i].substring(c + 1).trim());
    }
    if (status == 101) {
      Thread.ofPlatform().daemon(true).name("spdy-test-client").start(this::pump);
    }
  }

  public static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (true) {
      int c = in.read();
      if (c < 0) break;
      b.write(c);
      byte[] a = b.toByteArray();
      int n = a.length;
      if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n')
        break;
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  private void pump() {
    byte[] buf = new byte[16 << 10];
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        synchronized (this) {
          codec.writeInbound(Unpooled.wrappedBuffer(buf.clone(), 0, n));
          for (Object f; (f = codec.readInbound()) != null; ) {
            frame(f);
            ReferenceCountUtil.release(f);
          }
          flushOut();
          notifyAll();
        }
      }
    } catch (IOException e) {
      // closed
    } finally {
      synchronized (this) {
        closed = true;
        notifyAll();
      }
    }
  }

  private void frame(Object f) throws IOException {
    switch (f) {
      case SpdySynReplyFrame r -> streams.get(r.streamId()).replied = true;
      case SpdyRstStreamFrame r -> {
        Stream s = streams.get(r.streamId());
        if (s != null) {
          s.reset = true;
          s.ended = true;
        }
      }
      case SpdyDataFrame d -> {
        Stream s = streams.get(d.streamId());
        int n = d.content().readableBytes();
        if (s != null) {
          d.content().getBytes(d.content().readerIndex(), s.data, n);
          if (d.isLast()) s.ended = true;
        }
        // No WINDOW_UPDATE: spdystream (client-go's SPDY) sends none.
      }
      default -> {}
    }
  }

  private void flushOut() throws IOException {
    for (ByteBuf b; (b = codec.readOutbound()) != null; ) {
      byte[] a = new byte[b.readableBytes()];
      b.readBytes(a);
      b.release();
      out.write(a);
    }
    out.flush();
  }

  /** Opens a stream with {@code headers} (streamtype first). */
  public synchronized Stream open(String... headers) throws IOException {
    int id = nextId;
    nextId += 2;
    DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
    for (int i = 0; i < headers.length; i += 2) syn.headers().set(headers[i], headers[i + 1]);
    Stream s = new Stream(id);
    streams.put(id, s);
    codec.writeOutbound(syn);
    flushOut();
    return s;
  }

  public synchronized void send(Stream s, String text) throws IOException {
    codec.writeOutbound(
        new DefaultSpdyDataFrame(s.id, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
    flushOut();
  }

  /** The client's half-close of {@code s}. */
  public synchronized void finish(Stream s) throws IOException {
    DefaultSpdyDataFrame fin = new DefaultSpdyDataFrame(s.id);
    fin.setLast(true);
    codec.writeOutbound(fin);
    flushOut();
  }

  /** Waits for the server's answer to {@code s}: true when accepted, false when reset. */
  public synchronized boolean awaitReply(Stream s) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!s.replied && !s.reset && !closed && System.nanoTime() < deadline) wait(100);
    return s.replied;
  }

  /** What {@code s} carried until the server's FIN (or the connection's end). */
  public synchronized String readAll(Stream s) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!s.ended && !closed && System.nanoTime() < deadline) wait(100);
    return s.data.toString(StandardCharsets.UTF_8);
  }

  /** Waits until {@code s} carried {@code text}; what it carried. */
  public synchronized String awaitText(Stream s, String text) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!s.data.toString(StandardCharsets.UTF_8).contains(text)
        && !s.ended
        && !closed
        && System.nanoTime() < deadline) wait(100);
    return s.data.toString(StandardCharsets.UTF_8);
  }

  /** Waits until {@code s} carried a match of {@code regex}; the match, or null. */
  public synchronized String awaitMatch(Stream s, String regex) throws InterruptedException {
    java.util.regex.Pattern p = java.util.regex.Pattern.compile(regex);
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!s.ended && !closed && System.nanoTime() < deadline) {
      java.util.regex.Matcher m = p.matcher(s.data.toString(StandardCharsets.UTF_8));
      if (m.find()) return m.group();
      wait(100);
    }
    return null;
  }

  public synchronized String text(Stream s) {
    return s.data.toString(StandardCharsets.UTF_8);
  }

  public synchronized boolean ended(Stream s) {
    return s.ended;
  }

  /** Waits for the server to close the connection; true when it did. */
  public synchronized boolean awaitClosed() throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!closed && System.nanoTime() < deadline) wait(100);
    return closed;
  }

  @Override
  public void close() throws IOException {
    socket.close();
    synchronized (this) {
      codec.finishAndReleaseAll();
    }
  }
}
