package dev.berth.api.cri.streaming;

import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Port forwarding over SPDY ({@code portforward.k8s.io}): each forwarded connection is a pair of
 * streams with the same {@code requestID} and {@code port}, an error stream and a data stream, in
 * any order; a pair incomplete after the stream creation timeout is reset. A complete pair runs on
 * a thread of its own until both directions end; an error is written as text to its error stream.
 * The connection lives as long as the client keeps it (the idle timeout aside).
 */
final class SpdyPortForward extends SpdyStreams {
  private final class Pair {
    final String requestId;
    final int port;
    int errorId = -1;
    int dataId = -1;
    InboundPipe data;
    ScheduledFuture<?> expiry;

    Pair(String requestId, int port) {
      this.requestId = requestId;
      this.port = port;
    }
  }

  /** Forwarded connections, pending or running, one client connection may have at once. */
  static final int MAX_FORWARDS = 256;

  private final StreamingRuntime runtime;
  private final PortForwardRequest request;
  private final Duration timeout;
  private final Map<String, Pair> pending = new HashMap<>();
  private final Set<InboundPipe> running = new HashSet<>();

  SpdyPortForward(StreamingRuntime runtime, PortForwardRequest request, Duration timeout) {
    this.runtime = runtime;
    this.request = request;
    this.timeout = timeout;
  }

  @Override
  void opened(SpdySynStreamFrame syn) {
    int id = syn.streamId();
    String type = header(syn, "streamtype");
    int port;
    try {
      port = Integer.parseInt(String.valueOf(header(syn, "port")));
    } catch (NumberFormatException e) {
      port = 0;
    }
    if (port < 1 || port > 65535 || !("error".equals(type) || "data".equals(type))) {
      refuse(id, SpdyStreamStatus.PROTOCOL_ERROR);
      return;
    }
    String requestId = header(syn, "requestid");
    if (requestId == null || requestId.isEmpty()) {
      // Old clients: the pair's ids are consecutive (kubelet's best effort, the same here).
      requestId = Integer.toString(type.equals("error") ? id : id - 2);
    }
    Pair p = pending.get(requestId);
    if (p == null && pending.size() + running.size() >= MAX_FORWARDS) {
      refuse(id, SpdyStreamStatus.REFUSED_STREAM); // a client opening streams without end
      return;
    }
    if (p == null) {
      Pair fresh = new Pair(requestId, port);
      fresh.expiry =
          ctx.executor().schedule(() -> expire(fresh), timeout.toMillis(), TimeUnit.MILLISECONDS);
      pending.put(requestId, fresh);
      p = fresh;
    }
    boolean error = type.equals("error");
    if ((error ? p.errorId : p.dataId) >= 0 || p.port != port) {
      refuse(id, SpdyStreamStatus.PROTOCOL_ERROR);
      return;
    }
    if (error) {
      p.errorId = id;
      accept(id);
    } else {
      p.dataId = id;
      p.data = acceptWithPipe(id);
    }
    if (p.errorId >= 0 && p.dataId >= 0) {
      p.expiry.cancel(false);
      pending.remove(requestId);
      forward(p);
    }
  }

  private void expire(Pair p) {
    if (pending.remove(p.requestId) != p) return;
    if (p.errorId >= 0) {
      OutputStream err = output(p.errorId);
      Thread.ofPlatform()
          .daemon(true)
          .start(
              () -> {
                write(err, "timed out waiting for the data stream of request " + p.requestId);
                close(err);
              });
    }
    if (p.dataId >= 0) refuse(p.dataId, SpdyStreamStatus.CANCEL);
  }

  private void forward(Pair p) {
    running.add(p.data);
    FrameOutput err = output(p.errorId);
    FrameOutput data = output(p.dataId);
    Thread.ofPlatform()
        .name("berth-stream-port-forward")
        .daemon(true)
        .start(
            () -> {
              try {
                if (!request.allows(p.port)) {
                  throw new IOException("port " + p.port + " is not among the request's ports");
                }
                runtime.portForward(request.podSandboxId(), p.port, new Duplex(p.data, data));
              } catch (Exception e) {
                write(
                    err,
                    "error forwarding port "
                        + p.port
                        + " to pod "
                        + request.podSandboxId()
                        + ": "
                        + e.getMessage());
              } finally {
                close(data);
                close(err);
                ctx.executor().execute(() -> running.remove(p.data));
              }
            });
  }

  private static void write(OutputStream s, String text) {
    try {
      s.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // the client has gone
    }
  }

  private static void close(OutputStream s) {
    try {
      s.close();
    } catch (IOException e) {
      // the client has gone
    }
  }

  @Override
  void closed() {
    for (Pair p : pending.values()) p.expiry.cancel(false);
    pending.clear();
    for (InboundPipe in : running) in.fail("the client has gone");
    running.clear();
  }
}
