package dev.berth.api.cri.streaming;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.function.Function;

/**
 * A stream to the client, each write one frame of the protocol (made by {@code frame}); a write
 * returns once netty has written it to the socket, which holds a fast producer back to the client's
 * pace (SPDY's flow-control window included). Never used from the event loop.
 */
final class FrameOutput extends OutputStream {
  static final int MAX_FRAME = 32 << 10;

  private final Channel channel;
  private final Function<byte[], Object> frame;
  private final Object last;
  private boolean closed;

  /**
   * @param last the frame that ends the stream (null: none)
   */
  FrameOutput(Channel channel, Function<byte[], Object> frame, Object last) {
    this.channel = channel;
    this.frame = frame;
    this.last = last;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    if (closed) throw new IOException("stream closed");
    // An empty write is still a frame: WebSocket sessions announce themselves with one.
    do {
      int n = Math.min(len, MAX_FRAME);
      send(frame.apply(Arrays.copyOfRange(b, off, off + n)));
      off += n;
      len -= n;
    } while (len > 0);
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    if (last != null && channel.isActive()) {
      try {
        send(last);
      } catch (IOException e) {
        // the client has gone: nothing to end
      }
    }
  }

  private void send(Object f) throws IOException {
    if (!channel.isActive()) {
      io.netty.util.ReferenceCountUtil.release(f);
      throw new IOException("the client has gone");
    }
    ChannelFuture done = channel.writeAndFlush(f);
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted writing to the client");
    }
    if (!done.isSuccess()) throw new IOException("the client has gone", done.cause());
  }
}
