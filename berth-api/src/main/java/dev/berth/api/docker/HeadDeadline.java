package dev.berth.api.docker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A connection's bound on the time a request head takes: armed by the first byte of a head,
 * disarmed when the head is whole ({@link #headRead}), expecting the next head once the request's
 * body has ended ({@link #bodyRead}); when it expires the connection is closed. Sits before the
 * HTTP codec; a hijack removes it. An idle keep-alive connection (no byte of a new head) is not
 * bounded, as dockerd's are not; nor is a body (uploads are as slow as their client).
 */
final class HeadDeadline extends ChannelInboundHandlerAdapter {
  static final String NAME = "head-deadline";

  private final long millis;
  private boolean expectingHead = true;
  private ScheduledFuture<?> timer;

  HeadDeadline(Duration timeout) {
    this.millis = timeout.toMillis();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (expectingHead && timer == null && msg instanceof ByteBuf b && b.isReadable()) {
      timer = ctx.executor().schedule(() -> ctx.channel().close(), millis, TimeUnit.MILLISECONDS);
    }
    ctx.fireChannelRead(msg);
  }

  /** Event loop: a request head was decoded whole. */
  void headRead() {
    expectingHead = false;
    cancel();
  }

  /** Event loop: the request's body has ended; the next bytes are the next request's head. */
  void bodyRead() {
    expectingHead = true;
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  private void cancel() {
    if (timer != null) timer.cancel(false);
    timer = null;
  }
}
