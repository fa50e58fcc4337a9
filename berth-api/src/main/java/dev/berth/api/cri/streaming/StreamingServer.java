package dev.berth.api.cri.streaming;

import dev.berth.spec.error.BerthException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdySessionHandler;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The CRI streaming server, kubelet's counterpart: the Exec, Attach and PortForward RPCs put their
 * request under a one-use token ({@link #exec}, {@link #attach}, {@link #portForward} return the
 * URL), and the client connects there and upgrades to SPDY/3.1 ({@code v4.channel.k8s.io} down to
 * {@code channel.k8s.io}; {@code portforward.k8s.io}) or to a WebSocket ({@code v5.channel.k8s.io},
 * {@code v4.channel.k8s.io} and the older and base64 ones). An unknown, used or expired token is a
 * 404; request heads are bounded; a connection whose request is not whole within the stream
 * creation timeout (one that says nothing, or dribbles its head), a client that does not make its
 * streams within it, or any connection idle for the idle timeout, is closed; at most {@link
 * #MAX_PENDING_REQUESTS} connections wait for their request at once. On netty with epoll, one event
 * loop; a session's blocking work runs on threads of its own while it lasts.
 */
public final class StreamingServer implements AutoCloseable {
  static final String V4 = "v4.channel.k8s.io";
  static final String V3 = "v3.channel.k8s.io";
  static final String V2 = "v2.channel.k8s.io";
  static final String V1 = "channel.k8s.io";
  static final String PORT_FORWARD = "portforward.k8s.io";
  static final List<String> REMOTE_COMMAND_PROTOCOLS = List.of(V4, V3, V2, V1);
  static final String PROTOCOL_HEADER = "X-Stream-Protocol-Version";

  /**
   * The most connections in their request phase at once (connected, not yet upgraded): anyone who
   * reaches the port may connect before any token is checked, so beyond this a new connection is
   * closed at once, and clients that connect and wait cannot hold every fd of berthd's.
   */
  static final int MAX_PENDING_REQUESTS = 256;

  /**
   * @param address where to listen (port 0: any free one)
   * @param baseUrl what the URLs start with ({@code http://host:port}); null: the bound address
   *     (for a wildcard address, an address of this host's that clients reach: see {@link
   *     #reachable})
   * @param tokenTtl how long a token may be used (kubelet: 1 minute)
   * @param maxTokens how many tokens may wait at once (kubelet: 1000)
   * @param streamCreationTimeout how long a client has to make its streams (kubelet: 30 s)
   * @param idleTimeout a connection without traffic that long is closed (kubelet: 4 h)
   * @param clock the tokens' clock
   */
  public record Options(
      InetSocketAddress address,
      String baseUrl,
      Duration tokenTtl,
      int maxTokens,
      Duration streamCreationTimeout,
      Duration idleTimeout,
      Clock clock) {
    /** 127.0.0.1 on a free port, kubelet's limits. */
    public static Options defaults() {
      return new Options(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
          null,
          Duration.ofMinutes(1),
          1000,
          Duration.ofSeconds(30),
          Duration.ofHours(4),
          Clock.systemUTC());
    }

    public Options withAddress(InetSocketAddress a) {
      return new Options(
          a, baseUrl, tokenTtl, maxTokens, streamCreationTimeout, idleTimeout, clock);
    }

    public Options withBaseUrl(String u) {
      return new Options(
          address, u, tokenTtl, maxTokens, streamCreationTimeout, idleTimeout, clock);
    }

    public Options withTokens(int max, Duration ttl) {
      return new Options(address, baseUrl, ttl, max, streamCreationTimeout, idleTimeout, clock);
    }

    public Options withTimeouts(Duration streamCreation, Duration idle) {
      return new Options(address, baseUrl, tokenTtl, maxTokens, streamCreation, idle, clock);
    }

    public Options withClock(Clock c) {
      return new Options(
          address, baseUrl, tokenTtl, maxTokens, streamCreationTimeout, idleTimeout, c);
    }
  }

  private final Options options;
  private final StreamingRuntime runtime;
  private final TokenCache tokens;
  private final EventLoopGroup loop;
  private Channel server;
  private String baseUrl;
  private int pendingRequests; // on the event loop only, which accepts and serves every connection

  private StreamingServer(Options options, StreamingRuntime runtime) {
    this.options = options;
    this.runtime = runtime;
    this.tokens = new TokenCache(options.maxTokens(), options.tokenTtl(), options.clock());
    this.loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  }

  /** Listens on {@code options.address()} and serves sessions on {@code runtime}. */
  public static StreamingServer start(Options options, StreamingRuntime runtime)
      throws IOException {
    StreamingServer s = new StreamingServer(options, runtime);
    try {
      s.server =
          new ServerBootstrap()
              .group(s.loop)
              .channel(EpollServerSocketChannel.class)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      s.initChannel(ch);
                    }
                  })
              .bind(options.address())
              .syncUninterruptibly()
              .channel();
    } catch (RuntimeException e) {
      s.loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IOException(
          "streaming server: listen on " + options.address() + ": " + e.getMessage(), e);
    }
    InetSocketAddress bound = s.address();
    s.baseUrl =
        options.baseUrl() != null
            ? stripSlash(options.baseUrl())
            : "http://" + hostPort(reachable(bound.getAddress()), bound.getPort());
    return s;
  }

  /**
   * The address a client reaches a server bound to {@code a} at: {@code a} itself, but for a
   * wildcard ({@code 0.0.0.0}, {@code ::}) the first address of an interface that is up and not
   * loopback (IPv4 first, as kubelet's and containerd's choice of the node's address), else
   * loopback.
   */
  static InetAddress reachable(InetAddress a) {
    if (!a.isAnyLocalAddress()) return a;
    InetAddress v6 = null;
    try {
      for (NetworkInterface i :
          java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!i.isUp() || i.isLoopback()) continue;
        for (InetAddress x : java.util.Collections.list(i.getInetAddresses())) {
          if (x.isLinkLocalAddress() || x.isLoopbackAddress()) continue;
          if (x instanceof java.net.Inet4Address) return x;
          if (v6 == null) v6 = x;
        }
      }
    } catch (java.net.SocketException e) {
      // no interfaces to read: loopback
    }
    return v6 != null ? v6 : InetAddress.getLoopbackAddress();
  }

  private static String stripSlash(String u) {
    return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
  }

  private static String hostPort(InetAddress a, int port) {
    String host = a.getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** What the URLs start with: {@code http://HOST:PORT}, a host clients reach. */
  public String baseUrl() {
    return baseUrl;
  }

  /** The address the server listens on. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  /** The URL the client of {@code request} connects to; RESOURCE_EXHAUSTED when too many wait. */
  public String exec(ExecRequest request) throws BerthException {
    return baseUrl + "/exec/" + tokens.insert(request);
  }

  public String attach(AttachRequest request) throws BerthException {
    return baseUrl + "/attach/" + tokens.insert(request);
  }

  public String portForward(PortForwardRequest request) throws BerthException {
    return baseUrl + "/portforward/" + tokens.insert(request);
  }

  @Override
  public void close() {
    if (server != null) server.close().syncUninterruptibly();
    loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  // ---- connections ----

  private void initChannel(Channel ch) {
    if (pendingRequests >= MAX_PENDING_REQUESTS) {
      ch.close();
      return;
    }
    long idle = options.idleTimeout().toMillis();
    ch.pipeline()
        .addLast("deadline", new RequestDeadline())
        .addLast("idle", new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS))
        .addLast(
            "http",
            new HttpServerCodec(
                new HttpDecoderConfig()
                    .setMaxInitialLineLength(4096)
                    .setMaxHeaderSize(16 << 10)
                    .setMaxChunkSize(8192)))
        .addLast("aggregator", new HttpObjectAggregator(8192))
        .addLast("request", new RequestHandler());
  }

  /**
   * A connection's request phase: counted while it lasts, and the connection closed if its request
   * is not whole and upgraded within the stream creation timeout (the idle timeout alone would keep
   * a client that sends a byte now and then for ever). Removed at the upgrade; removed with the
   * pipeline when the connection closes.
   */
  private final class RequestDeadline extends io.netty.channel.ChannelInboundHandlerAdapter {
    private io.netty.util.concurrent.ScheduledFuture<?> timer;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      pendingRequests++;
      timer =
          ctx.executor()
              .schedule(
                  () -> {
                    ctx.channel().close();
                  },
                  options.streamCreationTimeout().toMillis(),
                  TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      pendingRequests--;
      timer.cancel(false);
    }
  }

  /** The one request of a connection: its token, then the upgrade it asks for. */
  private final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      if (!req.decoderResult().isSuccess()) {
        answer(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request");
        return;
      }
      if (req.method() != HttpMethod.GET && req.method() != HttpMethod.POST) {
        answer(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "GET or POST only");
        return;
      }
      String[] parts = new QueryStringDecoder(req.uri()).path().split("/", -1);
      Object request = parts.length == 3 && parts[0].isEmpty() ? tokens.consume(parts[2]) : null;
      boolean matches =
          request != null
              && switch (parts[1]) {
                case "exec" -> request instanceof ExecRequest;
                case "attach" -> request instanceof AttachRequest;
                case "portforward" -> request instanceof PortForwardRequest;
                default -> false;
              };
      if (!matches) {
        answer(ctx, HttpResponseStatus.NOT_FOUND, "404 page not found");
        return;
      }
      String upgrade = req.headers().get(HttpHeaderNames.UPGRADE, "");
      if (upgrade.equalsIgnoreCase("websocket")) {
        webSocket(ctx, req, request);
      } else if (upgrade.equalsIgnoreCase("SPDY/3.1")) {
        spdy(ctx, req, request);
      } else {
        answer(ctx, HttpResponseStatus.BAD_REQUEST, "unable to upgrade: missing upgrade headers");
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) ctx.close();
      else ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private void spdy(ChannelHandlerContext ctx, FullHttpRequest req, Object request) {
    List<String> offered = new ArrayList<>();
    for (String h : req.headers().getAll(PROTOCOL_HEADER)) {
      for (String p : h.split(",")) if (!p.isBlank()) offered.add(p.trim());
    }
    List<String> ours =
        request instanceof PortForwardRequest ? List.of(PORT_FORWARD) : REMOTE_COMMAND_PROTOCOLS;
    String protocol = "";
    if (!offered.isEmpty()) {
      protocol = offered.stream().filter(ours::contains).findFirst().orElse(null);
      if (protocol == null) {
        FullHttpResponse r =
            response(
                HttpResponseStatus.FORBIDDEN,
                "unable to upgrade: unable to negotiate protocol: client supports "
                    + offered
                    + ", server accepts "
                    + ours);
        r.headers().set("X-Accepted-Stream-Protocol-Versions", String.join(", ", ours));
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        return;
      }
    }
    FullHttpResponse up =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
    up.headers()
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
        .set(HttpHeaderNames.UPGRADE, "SPDY/3.1");
    if (!protocol.isEmpty()) up.headers().set(PROTOCOL_HEADER, protocol);
    ctx.writeAndFlush(up);
    // From here the bytes are SPDY frames; what the HTTP decoder holds beyond the request goes on
    // to the SPDY codec when the decoder is removed.
    SpdyStreams streams =
        request instanceof PortForwardRequest pf
            ? new SpdyPortForward(runtime, pf, options.streamCreationTimeout())
            : new SpdyRemoteCommand(runtime, request, protocol, options.streamCreationTimeout());
    var p = ctx.pipeline();
    p.addAfter(ctx.name(), "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1))
        .addAfter("spdy", "no-flow-control", new NoFlowControl())
        .addAfter(
            "no-flow-control", "spdy-session", new SpdySessionHandler(SpdyVersion.SPDY_3_1, true))
        .addAfter("spdy-session", "streams", streams)
        .addAfter("streams", "idle-close", new IdleClose());
    p.remove("aggregator");
    p.remove(ctx.handler());
    p.remove("http");
    p.remove("deadline");
  }

  private void webSocket(ChannelHandlerContext ctx, FullHttpRequest req, Object request) {
    String url = "ws://" + req.headers().get(HttpHeaderNames.HOST, "localhost") + req.uri();
    String offered;
    WebSocketChannels session;
    if (request instanceof PortForwardRequest pf) {
      List<Integer> ports =
          WebSocketPortForward.ports(
              new QueryStringDecoder(req.uri()).parameters().getOrDefault("ports", List.of()), pf);
      if (ports == null) {
        answer(ctx, HttpResponseStatus.BAD_REQUEST, "query parameter \"ports\": bad or missing");
        return;
      }
      offered = WebSocketPortForward.PROTOCOLS;
      session = new WebSocketPortForward(runtime, pf, ports, selectProtocol(req, offered));
    } else {
      offered = WebSocketRemoteCommand.PROTOCOLS;
      session = new WebSocketRemoteCommand(runtime, request, selectProtocol(req, offered));
    }
    WebSocketServerHandshaker hs =
        new WebSocketServerHandshakerFactory(url, offered, false, 1 << 20).newHandshaker(req);
    if (hs == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      ctx.close();
      return;
    }
    ctx.pipeline().addAfter(ctx.name(), "ws-aggregator", new WebSocketFrameAggregator(1 << 20));
    ctx.pipeline().addAfter("ws-aggregator", "session", session);
    ctx.pipeline().addAfter("session", "idle-close", new IdleClose());
    ChannelHandlerContext sessionCtx = ctx.pipeline().context(session);
    hs.handshake(ctx.channel(), req)
        .addListener(
            f -> {
              if (f.isSuccess()) session.begin(sessionCtx);
              else ctx.close();
            });
    ctx.pipeline().remove(ctx.handler());
    ctx.pipeline().remove("deadline");
  }

  /** The subprotocol netty's handshaker picks: the client's first that we offer. */
  private static String selectProtocol(FullHttpRequest req, String offered) {
    String asked = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
    if (asked == null) return "";
    List<String> ours = List.of(offered.split(","));
    for (String p : asked.split(",")) {
      if (ours.contains(p.trim())) return p.trim();
    }
    return "";
  }

  /** Closes an idle upgraded connection (the idle state handler's event). */
  private static final class IdleClose extends io.netty.channel.ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) ctx.channel().pipeline().firstContext().close();
      else ctx.fireUserEventTriggered(evt);
    }
  }

  private static FullHttpResponse response(HttpResponseStatus status, String text) {
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            status,
            Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8));
    r.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes())
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return r;
  }

  private static void answer(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
    ctx.writeAndFlush(response(status, text)).addListener(ChannelFutureListener.CLOSE);
  }
}
