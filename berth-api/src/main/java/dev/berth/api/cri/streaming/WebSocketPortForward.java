package dev.berth.api.cri.streaming;

import io.netty.channel.ChannelHandlerContext;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Port forwarding over WebSocket, as kubelet's: the ports come from the URL's {@code ports} query
 * parameter; port {@code i} has a data channel {@code 2i} and an error channel {@code 2i+1}, each
 * announced by a first message carrying the port (16 bits, little endian). One connection to each
 * port; the WebSocket ends when all of them have.
 */
final class WebSocketPortForward extends WebSocketChannels {
  /** What the server offers: kubelet's port-forward WebSocket protocols. */
  static final String PROTOCOLS = "v4.channel.k8s.io,v4.base64.channel.k8s.io";

  private final StreamingRuntime runtime;
  private final PortForwardRequest request;
  private final List<Integer> ports;
  private final List<InboundPipe> data = new ArrayList<>();

  WebSocketPortForward(
      StreamingRuntime runtime, PortForwardRequest request, List<Integer> ports, String protocol) {
    super(protocol);
    this.runtime = runtime;
    this.request = request;
    this.ports = List.copyOf(ports);
  }

  /**
   * The ports of {@code ports=} values (repeated or comma-separated), each allowed by {@code
   * request}; null when none or one is bad.
   */
  static List<Integer> ports(List<String> values, PortForwardRequest request) {
    List<Integer> out = new ArrayList<>();
    for (String v : values) {
      for (String p : v.split(",")) {
        int port;
        try {
          port = Integer.parseInt(p.trim());
        } catch (NumberFormatException e) {
          return null;
        }
        if (!request.allows(port)) return null;
        out.add(port);
      }
    }
    return out.isEmpty() || out.size() > 64 ? null : out;
  }

  @Override
  void begin(ChannelHandlerContext ctx) {
    AtomicInteger left = new AtomicInteger(ports.size());
    for (int i = 0; i < ports.size(); i++) {
      int port = ports.get(i);
      InboundPipe in = new InboundPipe(ctx.channel());
      data.add(in);
      FrameOutput out = output(ctx, 2 * i);
      FrameOutput err = output(ctx, 2 * i + 1);
      Thread.ofPlatform()
          .name("berth-stream-port-forward")
          .daemon(true)
          .start(
              () -> {
                try {
                  byte[] announce = {(byte) port, (byte) (port >> 8)};
                  out.write(announce);
                  err.write(announce);
                  runtime.portForward(request.podSandboxId(), port, new Duplex(in, out));
                } catch (Exception e) {
                  write(
                      err,
                      "error forwarding port "
                          + port
                          + " to pod "
                          + request.podSandboxId()
                          + ": "
                          + e.getMessage());
                } finally {
                  if (left.decrementAndGet() == 0) end(ctx);
                }
              });
    }
  }

  private static void write(OutputStream s, String text) {
    try {
      s.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // the client has gone
    }
  }

  @Override
  void received(int channel, byte[] bytes) {
    if (channel % 2 == 0 && channel / 2 < data.size()) data.get(channel / 2).offer(bytes);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    for (InboundPipe in : data) in.fail("the client has gone");
    ctx.fireChannelInactive();
  }
}
