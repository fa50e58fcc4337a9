package dev.berth.image.unpack;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** The uncompressed tar stream as it flows into the tar reader: hashed (the diffID) and counted. */
final class TarFeed extends InputStream {
  private final InputStream in;
  private final MessageDigest sha;
  private long pos;

  TarFeed(InputStream in, MessageDigest sha) {
    this.in = in;
    this.sha = sha;
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
    int n = in.read(b, off, len);
    if (n > 0) {
      sha.update(b, off, n);
      pos += n;
    }
    return n;
  }

  /** Reads what the tar reader left (the zero padding after the end-of-archive blocks) so the hash covers it. */
  void drain() throws IOException {
    byte[] buf = new byte[64 * 1024];
    while (read(buf, 0, buf.length) >= 0) {
      // hashing is the point
    }
  }
}
