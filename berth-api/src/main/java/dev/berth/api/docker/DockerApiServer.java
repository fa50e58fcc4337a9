package dev.berth.api.docker;

import dev.berth.api.socket.UnixSocketFiles;
import dev.berth.api.socket.Workers;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The Docker Engine API's HTTP server on a Unix domain socket: netty with epoll, one event loop
 * thread that only moves bytes, and two pools of threads (none while idle) that run the routes'
 * handlers, which block on engine calls: one for short calls (at most {@link Options#maxWorkers}),
 * one for the streams whose length a client decides ({@link Router.Length#STREAM}: attach, exec,
 * wait, stats, and events and logs until they catch up; at most {@link Options#maxStreams}, with
 * smaller stacks), so that no number of open streams starves short calls. An idle event or log
 * stream holds no thread: it is polled by one {@link StreamTicker}.
 *
 * <p>Connections speak HTTP/1.1 with keep-alive; answers are whole or chunked ({@link Exchange});
 * attach and exec take their connection over ({@link Exchange#hijack}). Every answer carries {@code
 * Api-Version}, {@code Ostype}, {@code Server} and {@code Docker-Experimental}.
 */
public final class DockerApiServer implements AutoCloseable {
  /** The name of the HTTP codec in each connection's pipeline (a hijack removes it). */
  static final String CODEC = "http";

  /** The largest request body read whole: JSON bodies are small; uploads are streamed routes. */
  public static final int DEFAULT_MAX_BODY = 4 << 20;

  /**
   * The most stream threads at once: each blocks in a native read or wait (a monitor's attach
   * socket, a pipe, a pidfd), so each is a platform thread, on a {@link #STREAM_STACK} stack.
   */
  public static final int DEFAULT_MAX_STREAMS = 4096;

  /**
   * How long a request head may take from its first byte to its last: a client that dribbles one (a
   * header byte now and then) is closed after it, rather than holding its connection for ever.
   */
  public static final Duration DEFAULT_HEAD_TIMEOUT = Duration.ofMinutes(1);

  /** The stack of a stream thread: they copy bytes and wait, with shallow stacks. */
  static final long STREAM_STACK = 256 << 10;

  /**
   * @param socket the socket file (made; a stale one replaced; refused if a server answers on it)
   * @param group the group that may use the socket (mode 0660), or null for root only (0600)
   * @param serverHeader the {@code Server} header ("Berth/0.1.0 (linux)")
   * @param maxBody the largest request body a {@link Router.Body#BOUNDED} route reads (413 beyond)
   * @param maxWorkers threads for short calls at most (more at once: 503)
   * @param maxStreams threads for streams at most (attach, exec, wait, stats; more at once: 503)
   * @param headTimeout how long a request head may take from its first byte (null: {@link
   *     #DEFAULT_HEAD_TIMEOUT})
   */
  public record Options(
      Path socket,
      String group,
      String serverHeader,
      int maxBody,
      int maxWorkers,
      int maxStreams,
      ServerLog log,
      Duration headTimeout) {
    public Options {
      if (headTimeout == null || headTimeout.isNegative() || headTimeout.isZero())
        headTimeout = DEFAULT_HEAD_TIMEOUT;
      if (socket == null) throw new IllegalArgumentException("socket: required");
      if (serverHeader == null) serverHeader = "Berth (linux)";
      if (maxBody <= 0) maxBody = DEFAULT_MAX_BODY;
      if (maxWorkers <= 0) maxWorkers = 256;
      if (maxStreams <= 0) maxStreams = DEFAULT_MAX_STREAMS;
      if (log == null) log = new ServerLog(System.err, ServerLog.Level.INFO);
    }

    /** Options with the default head timeout. */
    public Options(
        Path socket,
        String group,
        String serverHeader,
        int maxBody,
        int maxWorkers,
        int maxStreams,
        ServerLog log) {
      this(socket, group, serverHeader, maxBody, maxWorkers, maxStreams, log, null);
    }

    /** These options with {@code headTimeout}. */
    public Options withHeadTimeout(Duration headTimeout) {
      return new Options(
          socket, group, serverHeader, maxBody, maxWorkers, maxStreams, log, headTimeout);
    }

    /** Options with the default number of stream threads. */
    public Options(
        Path socket,
        String group,
        String serverHeader,
        int maxBody,
        int maxWorkers,
        ServerLog log) {
      this(socket, group, serverHeader, maxBody, maxWorkers, 0, log);
    }

    public static Options at(Path socket) {
      return new Options(socket, null, null, 0, 0, null);
    }
  }

  private final Options options;
  private final EventLoopGroup loop;
  private final ThreadPoolExecutor workers;
  private final ThreadPoolExecutor streams;
  private final StreamTicker ticker = new StreamTicker("berthd-stream-ticker");
  // Set once bound; the object exists before, since a connection may come the moment it is bound.
  private volatile Channel server;

  private DockerApiServer(
      Options options,
      EventLoopGroup loop,
      ThreadPoolExecutor workers,
      ThreadPoolExecutor streams) {
    this.options = options;
    this.loop = loop;
    this.workers = workers;
    this.streams = streams;
  }

  /** Binds the socket and serves {@code router} until {@link #close()}. */
  public static DockerApiServer start(Options options, Router router) throws IOException {
    UnixSocketFiles.claim(options.socket());
    UnixSocketFiles.Staged staged = UnixSocketFiles.stage(options.socket());
    ThreadPoolExecutor workers = Workers.pool("berthd-worker", options.maxWorkers());
    ThreadPoolExecutor streams = Workers.pool("berthd-stream", options.maxStreams(), STREAM_STACK);
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    DockerApiServer self = new DockerApiServer(options, loop, workers, streams);
    try {
      ServerBootstrap b =
          new ServerBootstrap()
              .group(loop)
              .channel(EpollServerDomainSocketChannel.class)
              .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      ch.pipeline()
                          .addLast(HeadDeadline.NAME, new HeadDeadline(options.headTimeout()))
                          .addLast(
                              CODEC,
                              new HttpServerCodec(
                                  new HttpDecoderConfig()
                                      .setMaxInitialLineLength(16 << 10)
                                      .setMaxHeaderSize(64 << 10)
                                      .setMaxChunkSize(64 << 10)))
                          .addLast(
                              HttpConnection.NAME,
                              new HttpConnection(
                                  self, router, workers, streams, options.maxBody()));
                    }
                  });
      self.server =
          b.bind(new DomainSocketAddress(staged.path().toString())).syncUninterruptibly().channel();
      staged.publish(options.group(), false);
      return self;
    } catch (RuntimeException | IOException e) {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      workers.shutdownNow();
      streams.shutdownNow();
      staged.discard();
      throw e instanceof IOException io
          ? io
          : new IOException("serve on " + options.socket() + ": " + e.getMessage(), e);
    }
  }

  public Path socket() {
    return options.socket();
  }

  /** What looks at the idle event and log streams (the test of starvation counts on it). */
  StreamTicker ticker() {
    return ticker;
  }

  ServerLog log() {
    return options.log();
  }

  String serverHeader() {
    return options.serverHeader();
  }

  /**
   * The event loop that moves this server's bytes: berthd's other front door (CRI's gRPC) runs on
   * it too, and must close before this server does.
   */
  public EventLoopGroup eventLoop() {
    return loop;
  }

  /** Blocks until the server is closed. */
  public void awaitClose() {
    server.closeFuture().awaitUninterruptibly();
  }

  /**
   * Stops accepting, closes every connection (streams end), lets running handlers finish for a few
   * seconds, and removes the socket file.
   */
  @Override
  public void close() {
    server.close().awaitUninterruptibly();
    loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    ticker.close();
    workers.shutdown();
    streams.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
      streams.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdownNow();
    streams.shutdownNow();
    try {
      Files.deleteIfExists(options.socket());
    } catch (IOException e) {
      options.log().warn("remove " + options.socket() + ": " + e.getMessage());
    }
  }
}
