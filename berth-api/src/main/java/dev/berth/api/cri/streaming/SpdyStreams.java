package dev.berth.api.cri.streaming;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyHeadersFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The streams of one upgraded SPDY/3.1 connection, after netty's frame codec and session handler
 * (which keep the stream states and both flow-control windows): the client opens streams named by
 * their {@code streamtype} header, the subclass accepts (a SYN_REPLY, as spdystream's server
 * answers) or refuses (RST_STREAM) each, and the data the client sends on an accepted stream goes
 * to the sink the subclass gave for it. Runs on the event loop only.
 */
abstract class SpdyStreams extends ChannelInboundHandlerAdapter {
  /** Where a stream's inbound data goes. */
  record Sink(InboundPipe pipe, Consumer<byte[]> bytes) {}

  private static final Sink DISCARD = new Sink(null, null);

  protected ChannelHandlerContext ctx;
  private final Map<Integer, Sink> sinks = new HashMap<>();

  /** The headers of the stream being opened, echoed in its SYN_REPLY. */
  private SpdySynStreamFrame opening;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** A new stream from the client: accept it (with {@link #accept}) or {@link #refuse} it. */
  abstract void opened(SpdySynStreamFrame syn);

  /** The connection is gone. */
  abstract void closed();

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      switch (msg) {
        case SpdySynStreamFrame syn -> {
          opening = syn;
          try {
            opened(syn);
          } finally {
            opening = null;
          }
          if (syn.isLast()) ended(syn.streamId());
        }
        case SpdyDataFrame d -> {
          Sink s = sinks.get(d.streamId());
          if (s != null && s.pipe() != null) s.pipe().offer(d.content());
          else if (s != null && s.bytes() != null && d.content().isReadable()) {
            byte[] b = new byte[d.content().readableBytes()];
            d.content().getBytes(d.content().readerIndex(), b);
            s.bytes().accept(b);
          }
          if (d.isLast()) ended(d.streamId());
        }
        case SpdyHeadersFrame h -> {
          if (h.isLast()) ended(h.streamId());
        }
        case SpdyRstStreamFrame r -> {
          Sink s = sinks.remove(r.streamId());
          if (s != null && s.pipe() != null) s.pipe().fail("stream reset by the client");
          reset(r.streamId());
        }
        default -> {
          // settings, pings (the session handler answers them), GOAWAY: nothing to do here
        }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  /** The client reset stream {@code id}. */
  void reset(int id) {}

  private void ended(int id) {
    Sink s = sinks.remove(id);
    if (s != null && s.pipe() != null) s.pipe().end();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    for (Sink s : sinks.values()) {
      if (s.pipe() != null) s.pipe().fail("the client has gone");
    }
    sinks.clear();
    closed();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    closeNow(); // a protocol error or a broken socket: the session ends as on a disconnect
  }

  /** Accepts stream {@code id}: its inbound data to a new pipe. */
  InboundPipe acceptWithPipe(int id) {
    InboundPipe p = new InboundPipe(ctx.channel());
    accept(id, new Sink(p, null));
    return p;
  }

  /** Accepts stream {@code id}: its inbound data to {@code bytes} (on the event loop). */
  void acceptWithSink(int id, Consumer<byte[]> bytes) {
    accept(id, new Sink(null, bytes));
  }

  /** Accepts stream {@code id}, discarding what the client sends on it. */
  void accept(int id) {
    accept(id, DISCARD);
  }

  /**
   * The SYN_REPLY echoes the stream's own headers: netty writes an empty header set as no header
   * block at all, which SPDY/3 does not allow (the block always starts with its count) and Go's
   * framer, so client-go (kubectl, critest, the API server), cannot read: it waited for the reply
   * until its 30 s timeout. spdystream's server answers with no headers, which Go encodes as a
   * block with a zero count; any header block is read the same.
   */
  private void accept(int id, Sink s) {
    sinks.put(id, s);
    DefaultSpdySynReplyFrame reply = new DefaultSpdySynReplyFrame(id);
    if (opening != null && opening.streamId() == id) reply.headers().add(opening.headers());
    if (reply.headers().isEmpty()) reply.headers().set("streamtype", "");
    ctx.writeAndFlush(reply);
  }

  void refuse(int id, SpdyStreamStatus status) {
    ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(id, status));
  }

  /** Writes to stream {@code id}, data frames; closing it sends the FIN. */
  FrameOutput output(int id) {
    DefaultSpdyDataFrame fin = new DefaultSpdyDataFrame(id);
    fin.setLast(true);
    return new FrameOutput(
        ctx.channel(), b -> new DefaultSpdyDataFrame(id, Unpooled.wrappedBuffer(b)), fin);
  }

  /**
   * Closes the connection now. netty's session handler would hold a close back until every stream
   * is closed both ways, which a client need not ever do; so the close starts below it (what was
   * written has been written: every write is awaited).
   */
  void closeNow() {
    io.netty.channel.ChannelHandlerContext codec =
        ctx.pipeline().context(io.netty.handler.codec.spdy.SpdyFrameCodec.class);
    if (codec != null) codec.close();
    else ctx.channel().close();
  }

  static String header(SpdySynStreamFrame syn, String name) {
    return syn.headers().getAsString(name);
  }
}
