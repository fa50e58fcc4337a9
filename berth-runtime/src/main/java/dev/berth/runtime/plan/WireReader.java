package dev.berth.runtime.plan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads fields written by berth-init (or a {@link WireWriter}); a short or malformed payload is an
 * IOException.
 */
final class WireReader {
  private final byte[] buf;
  private final String what;
  private int pos;

  WireReader(byte[] buf, String what) {
    this.buf = buf;
    this.what = what;
  }

  private void need(int n) throws IOException {
    if (n < 0 || buf.length - pos < n) {
      throw new IOException(
          "read "
              + what
              + " message: payload ends at byte "
              + buf.length
              + ", "
              + n
              + " more bytes needed at byte "
              + pos);
    }
  }

  int u32() throws IOException {
    need(4);
    int v = WireWriter.getU32(buf, pos);
    pos += 4;
    return v;
  }

  byte[] bytes(int n) throws IOException {
    need(n);
    byte[] b = java.util.Arrays.copyOfRange(buf, pos, pos + n);
    pos += n;
    return b;
  }

  String str() throws IOException {
    int n = u32();
    need(n);
    if (n < 1 || buf[pos + n - 1] != 0)
      throw new IOException(
          "read " + what + " message: string at byte " + pos + " does not end with a NUL");
    String s = new String(buf, pos, n - 1, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  void end() throws IOException {
    if (pos != buf.length) {
      throw new IOException(
          "read " + what + " message: " + (buf.length - pos) + " unexpected bytes at the end");
    }
  }
}
