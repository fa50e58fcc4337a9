package dev.berth.image.unpack;

import dev.berth.image.LayerPhases;
import dev.berth.image.LayerPhases.Phase;
import dev.berth.sys.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.function.LongSupplier;

/**
 * The uncompressed tar stream as it flows into the tar reader: hashed (the diffID), counted, and
 * refused once it expands more than the limit allows over the compressed bytes read so far (a
 * compression bomb stops there, not at its end).
 */
final class TarFeed extends InputStream implements DirectSource {
  private final InputStream in;
  private final MessageDigest sha;
  private final LongSupplier compressed;
  private final int expansion;
  private final long floor;
  private long pos;

  /**
   * {@code compressed}: the compressed bytes read so far, or null for an uncompressed layer
   * (nothing to bound).
   */
  TarFeed(InputStream in, MessageDigest sha, LongSupplier compressed, int expansion, long floor) {
    this.in = in;
    this.sha = sha;
    this.compressed = compressed;
    this.expansion = expansion;
    this.floor = floor;
  }

  long position() {
    return pos;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n;
    LayerPhases.enter(Phase.INFLATE);
    try {
      n = in.read(b, off, len);
    } finally {
      LayerPhases.exit();
    }
    if (n > 0) {
      if (hashes) {
        LayerPhases.enter(Phase.HASH);
        sha.update(b, off, n);
        LayerPhases.exit();
      }
      advance(n);
    }
    return n;
  }

  /** Whether {@link #readDirect} can be used: the stream is inflated into a direct buffer. */
  @Override
  public boolean direct() {
    return in instanceof DirectSource d && d.direct();
  }

  /**
   * Up to {@code max} bytes, hashed and counted like {@link #read(byte[], int, int)}, as a direct
   * buffer that is valid until the next read (only when {@link #direct()}); null at the end.
   */
  @Override
  public ByteBuffer readDirect(int max) throws IOException {
    ByteBuffer b;
    LayerPhases.enter(Phase.INFLATE);
    try {
      b = ((DirectSource) in).readDirect(max);
    } finally {
      LayerPhases.exit();
    }
    if (b != null) {
      if (hashes) hash(b.duplicate());
      advance(b.remaining());
    }
    return b;
  }

  /**
   * Reads into {@code dst} (direct) as {@link DirectSource#readInto}, hashed and counted like
   * {@link #read(byte[], int, int)} (only when {@link #direct()}): the inflater writes where the
   * bytes are going, and nothing copies them.
   */
  @Override
  public int readInto(ByteBuffer dst) throws IOException {
    int start = dst.position();
    int n;
    LayerPhases.enter(Phase.INFLATE);
    try {
      n = ((DirectSource) in).readInto(dst);
    } finally {
      LayerPhases.exit();
    }
    if (n > 0) {
      if (hashes) hash(dst.duplicate().limit(start + n).position(start));
      advance(n);
    }
    return n;
  }

  /**
   * The bytes read from here on are hashed by whoever calls {@link #hash} with them, on its own
   * thread (a {@link TarPipe}'s writer: the reader's thread, which inflates, is the busier one).
   */
  void hashOnAnotherThread() {
    hashes = false;
  }

  private boolean hashes = true;

  /** Adds {@code b}'s remaining bytes to the diff id (consumes them). */
  void hash(ByteBuffer b) {
    int n = b.remaining();
    LayerPhases.enter(Phase.HASH);
    if (sha instanceof Sha256) {
      sha.update(b); // libcrypto reads the direct buffer where it lies
    } else {
      // Hashed from a heap copy: the JDK digest's ByteBuffer path copies a direct buffer in 4 KiB
      // pieces, and is one more method for the JIT to compile during a pull.
      if (hashBuf == null || hashBuf.length < n) hashBuf = new byte[Math.max(n, 256 * 1024)];
      b.get(b.position(), hashBuf, 0, n);
      sha.update(hashBuf, 0, n);
    }
    LayerPhases.exit();
  }

  private byte[] hashBuf;

  private void advance(int n) throws IOException {
    pos += n;
    if (compressed != null && pos > floor) {
      long c = compressed.getAsLong();
      if (pos / expansion > c) {
        throw new IOException(
            "the layer expands to over "
                + expansion
                + " times its compressed size ("
                + pos
                + " bytes of tar from "
                + c
                + " compressed bytes), the limit");
      }
    }
  }

  /**
   * Reads what the tar reader left (the zero padding after the end-of-archive blocks) so the hash
   * covers it.
   */
  void drain() throws IOException {
    byte[] buf = new byte[64 * 1024];
    while (read(buf, 0, buf.length) >= 0) {
      // hashing is the point
    }
  }
}
