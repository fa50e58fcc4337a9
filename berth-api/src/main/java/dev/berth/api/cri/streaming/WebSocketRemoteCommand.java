package dev.berth.api.cri.streaming;

import io.netty.channel.ChannelHandlerContext;
import java.io.IOException;

/**
 * An exec or attach over WebSocket: channels 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize; v5
 * adds the close signal (channel 255, then the channel the client closes: stdin's EOF). The session
 * starts at once with an empty message on the lowest channel written to, as kubelet does.
 */
final class WebSocketRemoteCommand extends WebSocketChannels {
  static final String V5 = "v5.channel.k8s.io";
  static final String V4 = "v4.channel.k8s.io";
  static final String V4_BASE64 = "v4.base64.channel.k8s.io";
  static final String V1 = "channel.k8s.io";
  static final String V1_BASE64 = "base64.channel.k8s.io";

  /** What the server offers, best first. */
  static final String PROTOCOLS = String.join(",", V5, V4, V4_BASE64, V1, V1_BASE64);

  private static final int STDIN = 0;
  private static final int STDOUT = 1;
  private static final int STDERR = 2;
  private static final int ERROR = 3;
  private static final int RESIZE = 4;
  private static final int CLOSE = 255;

  private final StreamingRuntime runtime;
  private final Object request;
  private InboundPipe stdin;
  private ResizeDecoder resize;
  private Streams streams;

  WebSocketRemoteCommand(StreamingRuntime runtime, Object request, String protocol) {
    super(protocol);
    this.runtime = runtime;
    this.request = request;
  }

  @Override
  void begin(ChannelHandlerContext ctx) {
    boolean in;
    boolean out;
    boolean err;
    boolean tty;
    if (request instanceof ExecRequest e) {
      in = e.stdin();
      out = e.stdout();
      err = e.stderr();
      tty = e.tty();
    } else {
      AttachRequest a = (AttachRequest) request;
      in = a.stdin();
      out = a.stdout();
      err = a.stderr();
      tty = a.tty();
    }
    stdin = in ? new InboundPipe(ctx.channel()) : null;
    FrameOutput stdout = out ? output(ctx, STDOUT) : null;
    FrameOutput stderr = err ? output(ctx, STDERR) : null;
    FrameOutput error = output(ctx, ERROR);
    streams = new Streams(stdin, stdout, stderr, tty);
    resize = new ResizeDecoder(streams::resized);
    FrameOutput first = stdout != null ? stdout : stderr != null ? stderr : error;
    boolean json = protocol.equals(V5) || protocol.startsWith("v4.");
    Thread.ofPlatform()
        .daemon(true)
        .start(
            () -> {
              try {
                first.write(new byte[0]);
              } catch (IOException gone) {
                return;
              }
              RemoteCommand.start(runtime, request, streams, error, json, () -> end(ctx));
            });
  }

  @Override
  void received(int channel, byte[] data) {
    switch (channel) {
      case STDIN -> {
        if (stdin != null) stdin.offer(data);
      }
      case RESIZE -> {
        if (resize != null) resize.feed(data);
      }
      case CLOSE -> {
        // v5's close signal: the client closed the channel in data[0]
        if (protocol.equals(V5) && data.length > 0 && data[0] == STDIN && stdin != null) {
          stdin.end();
        }
      }
      default -> {
        // output channels are the server's to write
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (stdin != null) stdin.fail("the client has gone");
    if (streams != null) streams.disconnected();
    ctx.fireChannelInactive();
  }
}
