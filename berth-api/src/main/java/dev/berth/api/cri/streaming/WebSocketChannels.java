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
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A WebSocket of the channel protocols ({@code channel.k8s.io} and its versions): every message is
 * one channel's, its first byte the channel number; the base64 protocols send text messages, the
 * channel as an ASCII digit and the data in base64. Runs on the event loop.
 */
abstract class WebSocketChannels extends ChannelInboundHandlerAdapter {
  protected final String protocol;
  private final boolean base64;

  WebSocketChannels(String protocol) {
    this.protocol = protocol == null ? "" : protocol;
    this.base64 = this.protocol.contains("base64.");
  }

  /** The session starts: the handshake's answer is written. */
  abstract void begin(ChannelHandlerContext ctx);

  /** A message from the client on {@code channel}. */
  abstract void received(int channel, byte[] data);

  /** Writes to {@code channel}, one message a write. */
  FrameOutput output(ChannelHandlerContext ctx, int channel) {
    return new FrameOutput(ctx.channel(), b -> frame(channel, b), null);
  }

  /** Ends the session: a normal closure, then the connection's end. */
  static void end(ChannelHandlerContext ctx) {
    ctx.channel()
        .writeAndFlush(new CloseWebSocketFrame(1000, ""))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private Object frame(int channel, byte[] data) {
    if (base64) {
      return new TextWebSocketFrame(
          (char) ('0' + channel) + Base64.getEncoder().encodeToString(data));
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
            byte[] data;
            try {
              data =
                  base64
                      ? Base64.getDecoder().decode(text.substring(1))
                      : text.substring(1).getBytes(StandardCharsets.UTF_8);
            } catch (IllegalArgumentException bad) {
              return; // not base64: dropped
            }
            received(text.charAt(0) - '0', data);
          }
        }
        case PingWebSocketFrame p ->
            ctx.writeAndFlush(new PongWebSocketFrame(p.content().retain()));
        case CloseWebSocketFrame c -> ctx.close();
        default -> {
          // pongs; continuation frames are joined by the aggregator before us
        }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
