package dev.berth.image.unpack;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A stream of a layer's bytes that may hand them out in a direct buffer, for a caller that passes
 * them to a syscall or a digest without copying them to the heap first.
 */
interface DirectSource {
  /** Whether {@link #readDirect} can be used. */
  boolean direct();

  /** Up to {@code max} bytes as a direct buffer valid until the next read; null at the end. */
  ByteBuffer readDirect(int max) throws IOException;

  /**
   * Reads up to {@code dst.remaining()} bytes into {@code dst} (direct), as many as come without
   * waiting twice; -1 at the end. A source that makes its bytes in a buffer of its own copies them.
   */
  default int readInto(ByteBuffer dst) throws IOException {
    ByteBuffer b = readDirect(dst.remaining());
    if (b == null) return -1;
    int n = b.remaining();
    dst.put(b);
    return n;
  }
}
