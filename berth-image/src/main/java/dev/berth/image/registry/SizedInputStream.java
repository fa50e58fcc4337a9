package dev.berth.image.registry;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A blob body that must hold exactly {@code expected} bytes: ending early is an error (a cut
 * connection must not pass for a short blob), and so is a byte past the end (a server must not make
 * us hash more than the descriptor says).
 */
final class SizedInputStream extends FilterInputStream {
  private final long expected;
  private final String what;
  private final boolean wholeBody;
  private long read;

  /** A whole body: exactly {@code expected} bytes, no more. */
  SizedInputStream(InputStream in, long expected, String what) {
    this(in, expected, what, true);
  }

  /**
   * {@code wholeBody} false: a window of {@code expected} bytes of a longer stream (a chunk of an
   * upload), which ends there without looking further.
   */
  SizedInputStream(InputStream in, long expected, String what, boolean wholeBody) {
    super(in);
    this.expected = expected;
    this.what = what;
    this.wholeBody = wholeBody;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    if (read == expected) {
      // at the announced end: the server must have nothing more
      if (wholeBody && in.read() >= 0)
        throw new IOException(
            what + ": the body is longer than the expected " + expected + " bytes");
      return -1;
    }
    int n = in.read(b, off, (int) Math.min(len, expected - read));
    if (n < 0) {
      throw new EOFException(
          what + ": the body ended after " + read + " of " + expected + " bytes");
    }
    read += n;
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long done = 0;
    byte[] buf = new byte[8192];
    while (done < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) break;
      done += r;
    }
    return done;
  }

  @Override
  public int available() throws IOException {
    return (int) Math.min(in.available(), expected - read);
  }

  @Override
  public boolean markSupported() {
    return false;
  }
}
