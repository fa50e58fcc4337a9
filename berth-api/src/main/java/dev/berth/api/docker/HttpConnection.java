package dev.berth.api.docker;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.json.SpecException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * One client connection, on the event loop: reads a request, routes it, collects its body (bounded)
 * or streams it, hands the {@link Exchange} to a worker thread, and reads the next request only
 * once the answer is out (keep-alive, one request at a time; what a pipelining client sends
 * meanwhile waits in order). Nothing here blocks: handlers run on the server's executor.
 */
final class HttpConnection extends ChannelInboundHandlerAdapter {
  static final String NAME = "docker-api";

  private final DockerApiServer server;
  private final Router router;
  private final ExecutorService workers;
  private final ExecutorService streams;
  private final int maxBody;
  private ChannelHandlerContext ctx;

  // The request being read or answered; null between requests.
  private Exchange current;
  private Router.Match match;
  private ApiError early; // an answer known before the body is read (unknown path, bad version)
  private ByteArrayOutputStream collected;
  private boolean bodyDone;
  private boolean inputShut;
  private final ArrayDeque<Object> waiting = new ArrayDeque<>();

  HttpConnection(
      DockerApiServer server,
      Router router,
      ExecutorService workers,
      ExecutorService streams,
      int maxBody) {
    this.server = server;
    this.router = router;
    this.workers = workers;
    this.streams = streams;
    this.maxBody = maxBody;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (ctx.pipeline().get(HeadDeadline.NAME) instanceof HeadDeadline d) {
      if (msg instanceof HttpRequest) d.headRead();
      if (msg instanceof LastHttpContent) d.bodyRead();
    }
    if (current != null && bodyDone) {
      // The next request of a pipelining client: it waits for the current answer.
      waiting.add(msg);
      ctx.channel().config().setAutoRead(false);
      return;
    }
    try {
      read(msg);
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void read(Object msg) {
    if (msg instanceof HttpRequest req) {
      if (req.decoderResult().isFailure()) {
        closeWith(400, "malformed HTTP request: " + req.decoderResult().cause().getMessage());
        return;
      }
      begin(req);
    }
    if (msg instanceof HttpContent c && current != null && !bodyDone) {
      if (c.decoderResult().isFailure()) {
        closeWith(400, "malformed HTTP request body: " + c.decoderResult().cause().getMessage());
        return;
      }
      content(c);
    }
  }

  private void begin(HttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    QueryStringDecoder q = new QueryStringDecoder(req.uri());
    String version = ApiVersions.CURRENT;
    String path = q.rawPath();
    early = null;
    match = null;
    try {
      ApiVersions.Split split = ApiVersions.split(path);
      version = split.version();
      path = split.path();
      List<String> segments = new ArrayList<>();
      for (String s : Router.split(path)) segments.add(QueryStringDecoder.decodeComponent(s));
      match = router.match(req.method().name(), segments);
      if (match == null) {
        early =
            router.pathKnown(segments)
                ? new ApiError(405, "method " + req.method() + " not allowed on " + path)
                : ApiError.notFound("page not found");
      }
    } catch (ApiError e) {
      early = e;
    } catch (IllegalArgumentException e) {
      early = ApiError.badRequest("malformed path " + req.uri() + ": " + e.getMessage());
    }
    current =
        new Exchange(
            this,
            ctx.channel(),
            req.method().name(),
            path,
            version,
            req.headers(),
            q.parameters(),
            match == null ? java.util.Map.of() : match.params(),
            keepAlive);
    collected = null;
    bodyDone = false;
    server.log().debug(req.method() + " " + req.uri());
    long length = HttpUtil.getContentLength(req, -1L);
    boolean streamed = early == null && match.route().body() == Router.Body.STREAM;
    if (!streamed && length > maxBody) {
      closeWith(413, "request body of " + length + " bytes is over the limit of " + maxBody);
      return;
    }
    if (streamed) {
      InboundStream in = new InboundStream(ctx.channel());
      current.bodyStream(in);
      dispatch();
    }
  }

  private void content(HttpContent c) {
    ByteBuf b = c.content();
    InboundStream in = current.inbound();
    if (in != null) {
      if (b.isReadable()) in.offer(b.retain());
    } else if (b.isReadable()) {
      if (collected == null) collected = new ByteArrayOutputStream();
      if (collected.size() + (long) b.readableBytes() > maxBody) {
        closeWith(413, "request body is over the limit of " + maxBody + " bytes");
        return;
      }
      byte[] chunk = new byte[b.readableBytes()];
      b.readBytes(chunk);
      collected.write(chunk, 0, chunk.length);
    }
    if (c instanceof LastHttpContent) {
      bodyDone = true;
      if (in != null) {
        in.end(false);
        return;
      }
      ctx.channel().config().setAutoRead(false);
      if (early != null) {
        current.fail(early.status(), early.getMessage());
        return;
      }
      current.body(collected == null ? new byte[0] : collected.toByteArray());
      collected = null;
      dispatch();
    }
  }

  private void dispatch() {
    Exchange x = current;
    Router.Handler h = match.route().handler();
    ExecutorService pool = match.route().length() == Router.Length.STREAM ? streams : workers;
    try {
      pool.execute(() -> run(h, x));
    } catch (RejectedExecutionException e) {
      x.fail(503, "the daemon is busy: too many requests at once");
    }
  }

  private void run(Router.Handler h, Exchange x) {
    try {
      h.handle(x);
      x.finish();
    } catch (Throwable t) {
      int status = status(t);
      if (status >= 500) server.log().error(x.method() + " " + x.path() + ": " + describe(t), t);
      else server.log().debug(x.method() + " " + x.path() + ": " + status + " " + t.getMessage());
      x.fail(status, message(t));
      if (t instanceof Error e && !(t instanceof StackOverflowError)) throw e;
    }
  }

  /** The status docker answers {@code t} with. */
  static int status(Throwable t) {
    if (t instanceof ApiError a) return a.status();
    if (t instanceof BerthException b) return DockerStatus.of(b.category());
    if (t instanceof SpecException) return 400;
    if (t instanceof ResponseStream.ClientGoneException) return 499;
    return 500;
  }

  private static String message(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static String describe(Throwable t) {
    return t.getClass().getName() + ": " + t.getMessage();
  }

  StreamTicker ticker() {
    return server.ticker();
  }

  /** The headers every answer carries. */
  void decorate(HttpResponse r, boolean keepAlive) {
    r.headers().set("Api-Version", ApiVersions.CURRENT);
    r.headers().set("Docker-Experimental", "false");
    r.headers().set("Ostype", "linux");
    r.headers().set(HttpHeaderNames.SERVER, server.serverHeader());
    if (!keepAlive) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
  }

  /** Any thread: the answer to the current request is out; read the next one, or close. */
  void responded(boolean keepAlive) {
    if (!ctx.executor().inEventLoop()) {
      ctx.executor().execute(() -> responded(keepAlive));
      return;
    }
    InboundStream in = current == null ? null : current.inbound();
    // A streamed body the handler did not read to its end leaves the connection mid-request.
    boolean clean = bodyDone && (in == null || in.complete());
    if (in != null) in.close();
    current = null;
    match = null;
    if (!keepAlive || !clean || inputShut) {
      ctx.close();
      return;
    }
    // The next request may be waiting whole (head and body): read on until one is complete.
    while (!waiting.isEmpty() && (current == null || !bodyDone)) {
      Object msg = waiting.poll();
      try {
        read(msg);
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }
    if (current == null || !bodyDone) {
      ctx.channel().config().setAutoRead(true);
      ctx.read();
    }
  }

  /** Answers at once and closes: the rest of the request cannot be trusted or is not wanted. */
  private void closeWith(int status, String message) {
    byte[] json =
        new dev.berth.spec.json.JsonWriter(dev.berth.spec.json.JsonWriter.COMPACT)
            .beginObject()
            .field("message", message)
            .endObject()
            .toByteArray();
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(json));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, Exchange.JSON);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, json.length);
    decorate(r, false);
    if (current != null && current.inbound() != null) current.inbound().end(true);
    current = null;
    bodyDone = true;
    ctx.channel().config().setAutoRead(false);
    ctx.writeAndFlush(r).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
  }

  /**
   * Worker thread: replaces HTTP on this connection by raw bytes (the request was read whole), and
   * writes the status line that tells the client so.
   */
  Hijacked hijack(boolean upgrade, String contentType) {
    Channel ch = ctx.channel();
    InboundStream in = new InboundStream(ch);
    ResponseStream out = new ResponseStream(ch, b -> b);
    io.netty.util.concurrent.Future<?> f =
        ctx.executor()
            .submit(
                () -> {
                  var p = ch.pipeline();
                  p.addBefore(NAME, "raw", new RawInbound(in));
                  p.remove(DockerApiServer.CODEC);
                  if (p.get(HeadDeadline.NAME) != null) p.remove(HeadDeadline.NAME);
                  p.remove(this);
                  for (Object m; (m = waiting.poll()) != null; ) ReferenceCountUtil.release(m);
                  String head =
                      (upgrade
                              ? "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                              : "HTTP/1.1 200 OK\r\n")
                          + "Content-Type: "
                          + contentType
                          + "\r\nApi-Version: "
                          + ApiVersions.CURRENT
                          + "\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: "
                          + server.serverHeader()
                          + "\r\n\r\n";
                  ch.writeAndFlush(
                      Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII)));
                  ch.config().setAutoRead(true);
                  ch.read();
                });
    f.awaitUninterruptibly();
    return new Hijacked(ch, in, out);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      inputShut = true;
      if (current == null) ctx.close();
      else if (current.inbound() != null) current.inbound().end(!bodyDone);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (current != null && current.inbound() != null) current.inbound().end(true);
    for (Object m; (m = waiting.poll()) != null; ) ReferenceCountUtil.release(m);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    server.log().debug("connection: " + cause);
    ctx.close();
  }

  /**
   * Whether the peer of a Unix socket closed it, rather than shutting down its writing half alone:
   * the kernel marks the socket shut both ways then, which poll reports as POLLHUP.
   */
  static boolean peerClosed(Channel ch) {
    if (!(ch instanceof io.netty.channel.unix.UnixChannel u) || !u.fd().isOpen()) return false;
    dev.berth.sys.Fd fd = new dev.berth.sys.Fd(u.fd().intValue());
    try {
      short[] revents = new short[1];
      dev.berth.sys.Linux.poll(new dev.berth.sys.Fd[] {fd}, new short[] {0}, revents, 0);
      return (revents[0] & dev.berth.sys.LinuxConstants.POLLHUP) != 0;
    } catch (dev.berth.sys.ErrnoException e) {
      return false;
    } finally {
      fd.release(); // netty's
    }
  }

  /** The client's bytes of a hijacked connection. */
  private static final class RawInbound extends ChannelInboundHandlerAdapter {
    private final InboundStream in;

    RawInbound(InboundStream in) {
      this.in = in;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf b) in.offer(b);
      else ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        in.end(false);
        // A client that closed its socket, not only its sending half, is gone: closed here too,
        // so the stream's handler hears of it (a terminal left waiting for input writes nothing
        // that would fail and tell).
        if (peerClosed(ctx.channel())) ctx.close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      in.end(false);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
