package dev.berth.api.docker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;

/**
 * Bytes from a connection, read by a worker thread: a streamed request body or the client's half of
 * a hijacked connection. The event loop offers buffers; reading stops (autoRead off) while more
 * than {@link #HIGH} bytes wait, so a slow consumer never makes the daemon buffer a whole upload.
 */
final class InboundStream extends InputStream {
  private static final int HIGH = 1 << 20;
  private static final int LOW = 256 << 10;

  private final Channel channel;
  private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
  private long queued;
  private boolean ended;
  private boolean broken;
  private boolean closed;
  private boolean paused;

  InboundStream(Channel channel) {
    this.channel = channel;
  }

  /** Event loop: more bytes (the stream takes over the reference). */
  synchronized void offer(ByteBuf b) {
    if (closed || ended) {
      b.release();
      return;
    }
    queue.add(b);
    queued += b.readableBytes();
    if (queued > HIGH && !paused) {
      paused = true;
      channel.config().setAutoRead(false);
    }
    notifyAll();
  }

  /**
   * Event loop: the body or the client's half ended ({@code broken}: the connection went first).
   */
  synchronized void end(boolean broken) {
    if (ended) return;
    ended = true;
    this.broken = broken;
    notifyAll();
  }

  /** Whether every byte up to the end was seen by the event loop. */
  synchronized boolean complete() {
    return ended && !broken;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    while (queue.isEmpty() && !ended && !closed) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("read interrupted");
      }
    }
    if (closed) throw new IOException("stream closed");
    if (queue.isEmpty()) {
      if (broken) throw new IOException("the client closed the connection before the body ended");
      return -1;
    }
    ByteBuf head = queue.peek();
    int n = Math.min(len, head.readableBytes());
    head.readBytes(b, off, n);
    queued -= n;
    if (!head.isReadable()) queue.poll().release();
    if (paused && queued < LOW) {
      paused = false;
      if (!ended) channel.config().setAutoRead(true);
    }
    return n;
  }

  @Override
  public synchronized int available() {
    return (int) Math.min(Integer.MAX_VALUE, queued);
  }

  @Override
  public synchronized void close() {
    closed = true;
    for (ByteBuf b; (b = queue.poll()) != null; ) b.release();
    queued = 0;
    notifyAll();
  }
}
