package dev.berth.api.cri.streaming;

import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * An exec or attach over SPDY: waits for the streams the request needs (error; stdin, stdout,
 * stderr as asked; resize with a terminal from v3 on), each once, for at most the stream creation
 * timeout (kubelet's 30 s) after which the connection is closed; then runs the session.
 */
final class SpdyRemoteCommand extends SpdyStreams {
  private final StreamingRuntime runtime;
  private final Object request;
  private final String protocol;
  private final Duration timeout;
  private final boolean stdin;
  private final boolean stdout;
  private final boolean stderr;
  private final boolean tty;
  private final Set<String> seen = new HashSet<>();
  private int expected;
  private int errorId = -1;
  private int stdoutId = -1;
  private int stderrId = -1;
  private InboundPipe stdinPipe;
  private TerminalSize pendingSize;
  private Streams streams;
  private ScheduledFuture<?> expiry;

  SpdyRemoteCommand(StreamingRuntime runtime, Object request, String protocol, Duration timeout) {
    this.runtime = runtime;
    this.request = request;
    this.protocol = protocol;
    this.timeout = timeout;
    if (request instanceof ExecRequest e) {
      stdin = e.stdin();
      stdout = e.stdout();
      stderr = e.stderr();
      tty = e.tty();
    } else {
      AttachRequest a = (AttachRequest) request;
      stdin = a.stdin();
      stdout = a.stdout();
      stderr = a.stderr();
      tty = a.tty();
    }
    expected = 1 + (stdin ? 1 : 0) + (stdout ? 1 : 0) + (stderr ? 1 : 0) + (resizes() ? 1 : 0);
  }

  /** Whether the client sends terminal sizes: with a terminal, from v3 on. */
  private boolean resizes() {
    return tty && (protocol.equals(StreamingServer.V4) || protocol.equals(StreamingServer.V3));
  }

  @Override
  public void handlerAdded(io.netty.channel.ChannelHandlerContext ctx) {
    super.handlerAdded(ctx);
    expiry =
        ctx.executor()
            .schedule(
                () -> {
                  if (streams == null) closeNow(); // kubelet: the client never made its streams
                },
                timeout.toMillis(),
                TimeUnit.MILLISECONDS);
  }

  @Override
  void opened(SpdySynStreamFrame syn) {
    int id = syn.streamId();
    String type = header(syn, "streamtype");
    boolean wanted =
        switch (type == null ? "" : type) {
          case "error" -> true;
          case "stdin" -> stdin;
          case "stdout" -> stdout;
          case "stderr" -> stderr;
          case "resize" -> resizes();
          default -> false;
        };
    if (streams != null || !wanted || !seen.add(type)) {
      refuse(id, SpdyStreamStatus.PROTOCOL_ERROR);
      return;
    }
    switch (type) {
      case "error" -> {
        errorId = id;
        accept(id);
      }
      case "stdin" -> stdinPipe = acceptWithPipe(id);
      case "stdout" -> {
        stdoutId = id;
        accept(id);
      }
      case "stderr" -> {
        stderrId = id;
        accept(id);
      }
      default -> {
        ResizeDecoder d =
            new ResizeDecoder(
                s -> {
                  if (streams != null) streams.resized(s);
                  else pendingSize = s;
                });
        acceptWithSink(id, d::feed);
      }
    }
    if (--expected == 0) begin();
  }

  private void begin() {
    expiry.cancel(false);
    streams =
        new Streams(
            stdinPipe,
            stdoutId < 0 ? null : output(stdoutId),
            stderrId < 0 ? null : output(stderrId),
            tty);
    if (pendingSize != null) streams.resized(pendingSize);
    RemoteCommand.start(
        runtime,
        request,
        streams,
        output(errorId),
        protocol.equals(StreamingServer.V4),
        this::closeNow);
  }

  @Override
  void closed() {
    if (expiry != null) expiry.cancel(false);
    if (streams != null) streams.disconnected();
  }
}
