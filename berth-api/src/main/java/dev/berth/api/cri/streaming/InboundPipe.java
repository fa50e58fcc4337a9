package dev.berth.api.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;

/**
 * What the client sends on one stream, fed by the event loop and read by a session's thread. Past
 * {@link #HIGH} queued bytes the connection stops reading (flow control back to the client) until
 * the reader catches up. Its end is the client's half-close (EOF) or a failure (the stream reset or
 * the connection lost: an IOException after what was queued).
 */
final class InboundPipe extends InputStream {
  static final int HIGH = 1 << 20;

  private final Channel channel;
  private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
  private int offset;
  private long queued;
  private boolean ended;
  private String failure;
  private boolean paused;

  InboundPipe(Channel channel) {
    this.channel = channel;
  }

  synchronized void offer(ByteBuf b) {
    if (ended || failure != null || !b.isReadable()) return;
    byte[] data = new byte[b.readableBytes()];
    b.getBytes(b.readerIndex(), data);
    offer(data);
  }

  synchronized void offer(byte[] data) {
    if (ended || failure != null || data.length == 0) return;
    chunks.add(data);
    queued += data.length;
    if (queued > HIGH && !paused) {
      paused = true;
      channel.config().setAutoRead(false);
    }
    notifyAll();
  }

  /** The client closed its side: the reader gets what was queued, then EOF. */
  synchronized void end() {
    ended = true;
    resume();
    notifyAll();
  }

  /** The stream broke: the reader gets what was queued, then an IOException. */
  synchronized void fail(String why) {
    if (!ended && failure == null) failure = why;
    resume();
    notifyAll();
  }

  synchronized boolean ended() {
    return ended || failure != null;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    while (chunks.isEmpty() && !ended && failure == null) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted reading the client's stream");
      }
    }
    if (chunks.isEmpty()) {
      if (failure != null) throw new IOException(failure);
      return -1;
    }
    byte[] head = chunks.peek();
    int n = Math.min(len, head.length - offset);
    System.arraycopy(head, offset, b, off, n);
    offset += n;
    if (offset == head.length) {
      chunks.poll();
      offset = 0;
    }
    queued -= n;
    if (queued < HIGH / 2) resume();
    return n;
  }

  @Override
  public synchronized int available() {
    return (int) Math.min(Integer.MAX_VALUE, queued);
  }

  @Override
  public void close() {
    fail("closed");
  }

  private void resume() {
    if (paused) {
      paused = false;
      channel.config().setAutoRead(true);
    }
  }
}
