package dev.berth.image.unpack;

import dev.berth.sys.GzipInflater;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * A gzip stream inflated by ISA-L ({@link GzipInflater}), read as {@link
 * java.util.zip.GZIPInputStream} reads one: members one after another, each trailer checked, and
 * bytes after the last member that do not start another ignored. Does not close {@code in}.
 */
final class IsalGzipInputStream extends InputStream {
  private static final int SIZE = 256 * 1024;

  private final InputStream in;
  private final GzipInflater inflater = new GzipInflater();
  private final byte[] heapIn = new byte[SIZE];
  private final ByteBuffer input = ByteBuffer.allocateDirect(SIZE);
  private final ByteBuffer output = ByteBuffer.allocateDirect(SIZE);
  private final ByteBuffer view = output.duplicate();
  private boolean inputEnded;
  private boolean ended;

  IsalGzipInputStream(InputStream in) {
    this.in = in;
    input.limit(0);
    output.limit(0);
  }

  /** Whether {@code in} has no more bytes; otherwise at least one is in {@link #input}. */
  private boolean fill() throws IOException {
    if (input.hasRemaining()) return false;
    if (inputEnded) return true;
    int n = in.read(heapIn, 0, SIZE);
    if (n < 0) {
      inputEnded = true;
      return true;
    }
    input.clear();
    input.put(heapIn, 0, n).flip();
    return false;
  }

  /** Inflates into {@link #output} until it holds something or the stream ends. */
  private void inflateSome() throws IOException {
    output.clear();
    inflateInto(output);
    output.flip();
  }

  /** Inflates into {@code out} (direct) until it gained a byte or the stream ends. */
  private void inflateInto(ByteBuffer out) throws IOException {
    int start = out.position();
    while (out.position() == start && !ended) {
      if (inflater.finished()) {
        if (!nextMember()) {
          ended = true;
          break;
        }
      }
      if (!inflater.finished() && !input.hasRemaining() && fill()) {
        throw new EOFException("gzip stream ends early");
      }
      inflater.inflate(input, out);
    }
  }

  /** After a member: whether another starts here (its magic bytes), as GZIPInputStream decides. */
  private boolean nextMember() throws IOException {
    if (!ensure(2)) return false;
    int p = input.position();
    if ((input.get(p) & 0xff) != 0x1f || (input.get(p + 1) & 0xff) != 0x8b) return false;
    inflater.reset();
    return true;
  }

  /** Reads until {@link #input} holds {@code n} bytes; false when the stream ends first. */
  private boolean ensure(int n) throws IOException {
    while (input.remaining() < n) {
      if (inputEnded) return false;
      input.compact();
      int r = in.read(heapIn, 0, input.remaining());
      if (r < 0) inputEnded = true;
      else input.put(heapIn, 0, r);
      input.flip();
    }
    return true;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    if (!output.hasRemaining()) {
      if (ended) return -1;
      inflateSome();
      if (!output.hasRemaining()) return -1;
    }
    int n = Math.min(len, output.remaining());
    output.get(b, off, n);
    return n;
  }

  /**
   * Up to {@code max} inflated bytes as a view of the inflater's own (direct) output buffer, for a
   * caller that hands them to a syscall or a digest without copying them to the heap first; valid
   * until the next read. Null at the end of the stream.
   */
  ByteBuffer readDirect(int max) throws IOException {
    if (!output.hasRemaining()) {
      if (ended) return null;
      inflateSome();
      if (!output.hasRemaining()) return null;
    }
    int p = output.position();
    int n = Math.min(max, output.remaining());
    output.position(p + n);
    return view.clear().position(p).limit(p + n);
  }

  /**
   * Inflates straight into {@code dst} (direct; bytes an earlier read left in the inflater's own
   * buffer first), at least one byte unless the stream ends (-1).
   */
  int readInto(ByteBuffer dst) throws IOException {
    if (!dst.hasRemaining()) return 0;
    if (output.hasRemaining()) {
      int n = Math.min(dst.remaining(), output.remaining());
      dst.put(dst.position(), output, output.position(), n);
      dst.position(dst.position() + n);
      output.position(output.position() + n);
      return n;
    }
    int start = dst.position();
    inflateInto(dst);
    return dst.position() == start ? -1 : dst.position() - start;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public void close() {
    // in is the caller's; the inflater's state is a direct buffer, freed with this object
  }
}
