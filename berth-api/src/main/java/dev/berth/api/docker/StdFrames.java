package dev.berth.api.docker;

import java.io.IOException;
import java.io.OutputStream;

/**
 * docker's multiplexed stream (attach, exec, logs of a container without a terminal): each chunk is
 * preceded by an 8-byte header, the stream (0 stdin, 1 stdout, 2 stderr), three zero bytes and the
 * chunk's length as a big-endian uint32. Writers for both streams share one output, and a frame is
 * written whole under its lock, so stdout and stderr never interleave inside a frame.
 */
public final class StdFrames {
  public static final int STDIN = 0;
  public static final int STDOUT = 1;
  public static final int STDERR = 2;

  /** The largest payload of one frame: bigger writes are cut into several. */
  static final int MAX_FRAME = 32 << 10;

  private final OutputStream out;

  public StdFrames(OutputStream out) {
    this.out = out;
  }

  /** An OutputStream whose every write becomes frames of {@code stream}. */
  public OutputStream stream(int stream) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        frame(stream, b, off, len);
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }
    };
  }

  /** Writes {@code len} bytes of {@code stream} as one or more frames. */
  public void frame(int stream, byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int n = Math.min(len, MAX_FRAME);
      byte[] f = new byte[8 + n];
      f[0] = (byte) stream;
      f[4] = (byte) (n >>> 24);
      f[5] = (byte) (n >>> 16);
      f[6] = (byte) (n >>> 8);
      f[7] = (byte) n;
      System.arraycopy(b, off, f, 8, n);
      synchronized (this) {
        out.write(f, 0, f.length);
      }
      off += n;
      len -= n;
    }
  }
}
