package dev.berth.api.docker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Function;

/**
 * Bytes to a client from a worker thread: the chunks of a streamed response, or the daemon's half
 * of a hijacked connection. Every write is flushed (progress lines and log lines must arrive when
 * written; wrap it in a BufferedOutputStream for bulk data). A write waits while the connection's
 * outbound buffer is full, so a slow client slows its producer instead of filling the heap; a write
 * after the client went away throws {@link ClientGoneException}.
 */
public class ResponseStream extends OutputStream {
  private final Channel channel;
  private final Function<ByteBuf, Object> wrap;
  private volatile boolean closed;
  private volatile boolean waits = true;

  ResponseStream(Channel channel, Function<ByteBuf, Object> wrap) {
    this.channel = channel;
    this.wrap = wrap;
  }

  /** The client closed its connection (or the daemon did). */
  public static final class ClientGoneException extends IOException {
    private static final long serialVersionUID = 1L;

    public ClientGoneException() {
      super("the client closed the connection");
    }
  }

  /** Whether the client is still connected: long streams (events, logs -f) poll this when idle. */
  public boolean isOpen() {
    return !closed && channel.isActive();
  }

  /**
   * Whether the connection takes more bytes without waiting: a stream that never waits (handed to
   * the {@link StreamTicker}) reads more only while this holds.
   */
  public boolean writable() {
    return channel.isWritable();
  }

  /** From now on writes never wait for a slow client (their callers look at {@link #writable}). */
  void neverWait() {
    waits = false;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (closed || !channel.isActive()) throw new ClientGoneException();
    if (len == 0) return;
    ByteBuf buf = channel.alloc().buffer(len);
    buf.writeBytes(b, off, len);
    ChannelFuture f = channel.writeAndFlush(wrap.apply(buf));
    if (waits && !channel.isWritable()) {
      f.awaitUninterruptibly();
      if (!f.isSuccess()) throw new ClientGoneException();
    }
  }

  /** Writes a line of text and a newline (JSON messages, one per line). */
  public void line(byte[] json) throws IOException {
    byte[] b = java.util.Arrays.copyOf(json, json.length + 1);
    b[json.length] = '\n';
    write(b, 0, b.length);
  }

  void markClosed() {
    closed = true;
  }

  boolean closed() {
    return closed;
  }

  Channel channel() {
    return channel;
  }
}
