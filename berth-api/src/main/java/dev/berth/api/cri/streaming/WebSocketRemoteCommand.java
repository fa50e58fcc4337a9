package dev.berth.api.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * An exec or attach over WebSocket ({@code channel.k8s.io} and its versions): every message is one
 * channel's (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize), its first byte the channel number
 * (base64 protocols: text messages, the channel as an ASCII digit and the data in base64); v5 adds
 * the close signal (channel 255, then the channel the client closes: stdin's EOF). The session
 * starts at once with an empty message on the lowest channel written to, as kubelet does.
 */
final class WebSocketRemoteCommand extends ChannelInboundHandlerAdapter {
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
  private final String protocol;
  private final boolean base64;
  private InboundPipe stdin;
  private ResizeDecoder resize;
  private Streams streams;

  WebSocketRemoteCommand(StreamingRuntime runtime, Object request, String protocol) {
    this.runtime = runtime;
    this.request = request;
    this.protocol = protocol == null ? "" : protocol;
    this.base64 = this.protocol.startsWith("v4.base64") || this.protocol.startsWith("base64");
  }

  /** Starts the session once the handshake's answer is written. */
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
              RemoteCommand.start(
                  runtime,
                  request,
                  streams,
                  error,
                  json,
                  () ->
                      ctx.channel()
                          .writeAndFlush(new CloseWebSocketFrame(1000, ""))
                          .addListener(ChannelFutureListener.CLOSE));
            });
  }

  private FrameOutput output(ChannelHandlerContext ctx, int channel) {
    return new FrameOutput(ctx.channel(), b -> frame(channel, b), null);
  }

  private WebSocketFrame frame(int channel, byte[] data) {
    if (base64) {
      String text = (char) ('0' + channel) + Base64.getEncoder().encodeToString(data);
      return new TextWebSocketFrame(text);
    }
    ByteBuf b = Unpooled.buffer(1 + data.length);
    b.writeByte(channel).writeBytes(data);
    return new BinaryWebSocketFrame(b);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      switch (msg) {
        case BinaryWebSocketFrame f -> {
          ByteBuf c = f.content();
          if (c.isReadable()) {
            int channel = c.readUnsignedByte();
            byte[] data = new byte[c.readableBytes()];
            c.readBytes(data);
            received(channel, data);
          }
        }
        case TextWebSocketFrame f -> {
          String text = f.text();
          if (!text.isEmpty()) {
            int channel = text.charAt(0) - '0';
            byte[] data;
            try {
              data =
                  base64
                      ? Base64.getDecoder().decode(text.substring(1))
                      : text.substring(1).getBytes(StandardCharsets.UTF_8);
            } catch (IllegalArgumentException bad) {
              return; // not base64: dropped
            }
            received(channel, data);
          }
        }
        case PingWebSocketFrame p ->
            ctx.writeAndFlush(new PongWebSocketFrame(p.content().retain()));
        case CloseWebSocketFrame c -> ctx.close();
        default -> {
          // pongs, continuation frames (the aggregator joins them)
        }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void received(int channel, byte[] data) {
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

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
