package dev.berth.api.cri;

import dev.berth.api.cri.streaming.StreamingRuntime;
import dev.berth.api.cri.streaming.StreamingServer;
import dev.berth.api.cri.v1.RuntimeServiceGrpc;
import dev.berth.api.socket.UnixSocketFiles;
import dev.berth.api.socket.Workers;
import dev.berth.engine.Engine;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * CRI v1's gRPC server ({@code runtime.v1.RuntimeService} and {@code ImageService}) on a Unix
 * domain socket: grpc-java on netty with epoll, on the Docker API server's event loop when berthd
 * gives it one (one netty, one I/O thread for both front doors), calls run on a pool of worker
 * threads (none while idle) because they block on the engine, but for the few that never block
 * ({@link #ON_EVENT_LOOP}).
 *
 * <p>Messages up to {@link #MAX_MESSAGE} bytes are read (the kubelet's own limit); a larger one
 * fails its call with RESOURCE_EXHAUSTED and the connection serves on. Unknown methods answer
 * UNIMPLEMENTED, as do the RuntimeService calls not served (checkpoints). Exec, Attach and
 * PortForward answer URLs of a {@link StreamingServer} the caller runs beside this one.
 */
public final class CriServer implements AutoCloseable {
  /** The largest message read: 16 MiB, as the kubelet's and containerd's. */
  public static final int MAX_MESSAGE = 16 << 20;

  /**
   * @param socket the socket file (made; a stale one replaced; refused if a server answers on it)
   * @param group the socket's group (0660), or null for root's (0660 too, as containerd's)
   * @param version berth's version (Version's runtime_version)
   * @param loop the event loop to run on, owned by the caller, or null for one of the server's own
   * @param maxWorkers call threads at most
   */
  public record Options(
      Path socket, String group, String version, EventLoopGroup loop, int maxWorkers) {
    public Options {
      if (socket == null) throw new IllegalArgumentException("socket: required");
      if (version == null || version.isEmpty()) version = "0.0.0";
      if (maxWorkers <= 0) maxWorkers = 128;
    }

    public static Options at(Path socket, String version) {
      return new Options(socket, null, version, null, 0);
    }
  }

  /** The calls answered on the event loop: they only build a constant-sized answer. */
  static final Set<String> ON_EVENT_LOOP =
      Set.of(
          RuntimeServiceGrpc.getVersionMethod().getFullMethodName(),
          RuntimeServiceGrpc.getRuntimeConfigMethod().getFullMethodName());

  private final Options options;
  private final Server server;
  private final EventLoopGroup ownLoop;
  private final ThreadPoolExecutor workers;

  private CriServer(
      Options options, Server server, EventLoopGroup ownLoop, ThreadPoolExecutor workers) {
    this.options = options;
    this.server = server;
    this.ownLoop = ownLoop;
    this.workers = workers;
  }

  /**
   * Binds the socket and serves the engine's CRI until {@link #close()}, without streaming: Exec,
   * Attach and PortForward answer UNIMPLEMENTED.
   */
  public static CriServer start(Options options, Engine engine) throws IOException {
    return start(options, engine, null);
  }

  /**
   * Binds the socket and serves the engine's CRI until {@link #close()}; Exec, Attach and
   * PortForward answer with URLs of {@code streaming} (the caller's: it closes it after this
   * server; {@link #streamingRuntime} is what it runs sessions on), none when null.
   */
  public static CriServer start(Options options, Engine engine, StreamingServer streaming)
      throws IOException {
    UnixSocketFiles.claim(options.socket());
    UnixSocketFiles.Staged staged = UnixSocketFiles.stage(options.socket());
    ThreadPoolExecutor workers = Workers.pool("berthd-cri", options.maxWorkers());
    EventLoopGroup own =
        options.loop() == null
            ? new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory())
            : null;
    EventLoopGroup loop = own != null ? own : options.loop();
    Server server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(staged.path().toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            // grpc asks every connection for TCP keep-alive: a Unix socket has none, and netty
            // would
            // log a warning for each (null removes the option).
            .withChildOption(ChannelOption.SO_KEEPALIVE, null)
            .bossEventLoopGroup(loop)
            .workerEventLoopGroup(loop)
            // Calls that never block (Version, RuntimeConfig) answer on the event loop: a hand-off
            // to a worker and back costs two thread wake-ups, most of such a call's time on a busy
            // host. Every other call runs on a worker (they block on the engine).
            .directExecutor()
            .callExecutor(
                new ServerCallExecutorSupplier() {
                  @Override
                  public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
                    return ON_EVENT_LOOP.contains(call.getMethodDescriptor().getFullMethodName())
                        ? null
                        : workers;
                  }
                })
            .maxInboundMessageSize(MAX_MESSAGE)
            .addService(
                new CriRuntimeService(engine, options.version())
                    .streaming(new CriStreamingCalls(engine, streaming)))
            .addService(new CriImageService(engine))
            .build();
    try {
      server.start();
      staged.publish(options.group(), true);
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      if (own != null) own.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      workers.shutdownNow();
      staged.discard();
      throw e instanceof IOException io
          ? io
          : new IOException("serve CRI on " + options.socket() + ": " + e.getMessage(), e);
    }
    return new CriServer(options, server, own, workers);
  }

  /**
   * The streaming sessions of the engine's CRI: exec and attach by container id, port forwarding
   * into a pod sandbox's network namespace.
   */
  public static StreamingRuntime streamingRuntime(Engine engine) {
    return CriStreamingCalls.runtime(engine);
  }

  public Path socket() {
    return options.socket();
  }

  /**
   * Stops accepting, lets running calls finish for a few seconds, ends the rest, and removes the
   * socket file. The caller's event loop stays up (its owner closes it after this).
   */
  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (ownLoop != null) ownLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    workers.shutdownNow();
    try {
      Files.deleteIfExists(options.socket());
    } catch (IOException e) {
      // the directory went away with it (a test's temporary run root)
    }
  }
}
