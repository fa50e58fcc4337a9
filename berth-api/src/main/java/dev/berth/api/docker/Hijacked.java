package dev.berth.api.docker;

import io.netty.channel.Channel;
import io.netty.channel.unix.DomainSocketChannel;
import java.io.InputStream;

/**
 * A connection taken over from HTTP after {@code 101 UPGRADED} (or {@code 200 OK} for a client that
 * did not ask to upgrade): raw bytes both ways, as attach and exec use it. Its handler owns it
 * until {@link #close()}; closing the output alone ({@link #closeOutput()}) tells the client the
 * stream ended while its input may still arrive.
 */
public final class Hijacked implements AutoCloseable {
  private final Channel channel;
  private final InboundStream in;
  private final ResponseStream out;

  Hijacked(Channel channel, InboundStream in, ResponseStream out) {
    this.channel = channel;
    this.in = in;
    this.out = out;
  }

  /** What the client sends (stdin); -1 once the client closed its half or the connection. */
  public InputStream input() {
    return in;
  }

  /** What the client reads (the container's output, framed or raw). */
  public ResponseStream output() {
    return out;
  }

  public boolean isOpen() {
    return channel.isActive();
  }

  /**
   * Runs {@code r} (on the event loop: it must not block) once the connection is gone, at once if
   * it is gone already; a half-close by the client does not count.
   */
  public void onClose(Runnable r) {
    channel.closeFuture().addListener(f -> r.run());
  }

  /** Half-closes: the client reads the end of the stream, and may go on writing. */
  public void closeOutput() {
    if (channel instanceof DomainSocketChannel d && d.isActive()) {
      d.shutdownOutput().awaitUninterruptibly();
    } else {
      channel.close().awaitUninterruptibly();
    }
  }

  @Override
  public void close() {
    in.close();
    out.markClosed();
    channel.close().awaitUninterruptibly();
  }
}
