package dev.berth.api.cri.streaming;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.spdy.DefaultSpdyWindowUpdateFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdySettingsFrame;
import io.netty.handler.codec.spdy.SpdyWindowUpdateFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Between netty's SPDY codec and its session handler: turns the session handler's send-side flow
 * control off. client-go's SPDY (spdystream, as kubelet's own server) implements no flow control:
 * it never sends WINDOW_UPDATE, so a sender that honours windows stalls after 64 KiB of output.
 * Each data frame written is credited back to the session handler at once, as if the client had
 * opened its windows by that much; the client's own WINDOW_UPDATE and SETTINGS frames are dropped
 * (a client cannot shrink the windows to zero either). Back-pressure towards the client is TCP's:
 * every write is awaited ({@link FrameOutput}).
 */
final class NoFlowControl extends ChannelDuplexHandler {
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof SpdyWindowUpdateFrame || msg instanceof SpdySettingsFrame) {
      ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof SpdyDataFrame d && d.content().isReadable()) {
      int n = d.content().readableBytes();
      int stream = d.streamId();
      ctx.write(msg, promise);
      ctx.fireChannelRead(new DefaultSpdyWindowUpdateFrame(stream, n));
      ctx.fireChannelRead(new DefaultSpdyWindowUpdateFrame(0, n));
      return;
    }
    ctx.write(msg, promise);
  }
}
