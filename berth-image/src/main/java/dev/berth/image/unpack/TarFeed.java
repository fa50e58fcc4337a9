package dev.berth.image.unpack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * The uncompressed tar stream as it flows into the tar reader: hashed (the diffID), counted, and, while the reader
 * looks for the next header, captured. The capture exists because commons-compress decodes PAX values as UTF-8,
 * which mangles binary xattr values (security.capability); {@link #rawXattrs()} re-reads them from the raw bytes.
 */
final class TarFeed extends InputStream {
  private static final int CAPTURE_LIMIT = 8 << 20;
  private static final String SCHILY = "SCHILY.xattr.";
  private static final String LIBARCHIVE = "LIBARCHIVE.xattr.";

  private final InputStream in;
  private final MessageDigest sha;
  private long pos;
  private final ByteArrayOutputStream capture = new ByteArrayOutputStream();
  private boolean capturing;
  private long captureStart;

  TarFeed(InputStream in, MessageDigest sha) {
    this.in = in;
    this.sha = sha;
  }

  long position() {
    return pos;
  }

  void startCapture() {
    capture.reset();
    capturing = true;
    captureStart = pos;
  }

  void stopCapture() {
    capturing = false;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  /**
   * The tar reader skips padding and unread entry data with commons-io's IOUtils.skip, which reads into one static
   * scratch array shared by every thread: bytes there can change under us while another layer unpacks in parallel.
   * So the decompressor fills (and checksums) an array of our own, which is hashed and then copied out.
   */
  private final byte[] own = new byte[64 * 1024];

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) return 0;
    int n = in.read(own, 0, Math.min(len, own.length));
    if (n > 0) {
      sha.update(own, 0, n);
      pos += n;
      if (capturing && capture.size() + n <= CAPTURE_LIMIT) capture.write(own, 0, n);
      System.arraycopy(own, 0, b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Through read, so skipped bytes are hashed too.
    byte[] buf = new byte[(int) Math.min(n, 64 * 1024)];
    long done = 0;
    while (done < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) break;
      done += r;
    }
    return done;
  }

  /** Reads what the tar reader left (the zero padding after the end-of-archive blocks) so the hash covers it. */
  void drain() throws IOException {
    byte[] buf = new byte[64 * 1024];
    while (read(buf, 0, buf.length) >= 0) {
      // hashing is the point
    }
  }

  /**
   * The xattrs of the PAX extended header in the last capture, with their values as raw bytes: name to value. Walks
   * the 512-byte blocks (tar blocks are aligned in the stream) from the first block boundary of the capture.
   */
  Map<String, byte[]> rawXattrs() {
    Map<String, byte[]> out = new HashMap<>();
    byte[] cap = capture.toByteArray();
    long end = captureStart + cap.length;
    long at = (captureStart + 511) & ~511L;
    while (at + 512 <= end) {
      int h = (int) (at - captureStart);
      if (isZeroBlock(cap, h)) {
        at += 512;
        continue;
      }
      if (!validHeader(cap, h)) break;
      long size = octal(cap, h + 124, 12);
      byte type = cap[h + 156];
      if (type != 'x' && type != 'g' && type != 'L' && type != 'K') break; // the entry's own header: done
      int dataStart = h + 512;
      if (size < 0 || dataStart + size > cap.length) break;
      if (type == 'x') parsePax(cap, dataStart, (int) size, out);
      at += 512 + ((size + 511) & ~511L);
    }
    return out;
  }

  private static void parsePax(byte[] b, int start, int size, Map<String, byte[]> out) {
    int p = start;
    int end = start + size;
    while (p < end) {
      int sp = p;
      int len = 0;
      while (sp < end && b[sp] >= '0' && b[sp] <= '9') len = len * 10 + (b[sp++] - '0');
      if (sp >= end || b[sp] != ' ' || len <= 0 || p + len > end) return;
      int recEnd = p + len - 1; // the '\n'
      int eq = sp + 1;
      while (eq < recEnd && b[eq] != '=') eq++;
      if (eq >= recEnd) return;
      String key = new String(b, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
      byte[] value = java.util.Arrays.copyOfRange(b, eq + 1, recEnd);
      if (key.startsWith(SCHILY)) {
        out.put(key.substring(SCHILY.length()), value);
      } else if (key.startsWith(LIBARCHIVE)) {
        // libarchive's form: URL-encoded name, base64 value; SCHILY's wins when both are there.
        String name = java.net.URLDecoder.decode(key.substring(LIBARCHIVE.length()), StandardCharsets.UTF_8);
        try {
          out.putIfAbsent(name, Base64.getDecoder().decode(new String(value, StandardCharsets.US_ASCII).trim()));
        } catch (IllegalArgumentException ignored) {
          // not base64: leave it to the SCHILY record, if any
        }
      }
      p += len;
    }
  }

  private static boolean isZeroBlock(byte[] b, int h) {
    for (int i = h; i < h + 512; i++) if (b[i] != 0) return false;
    return true;
  }

  private static boolean validHeader(byte[] b, int h) {
    long want = octal(b, h + 148, 8);
    long sum = 0;
    for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : (b[h + i] & 0xff);
    return want == sum;
  }

  private static long octal(byte[] b, int off, int len) {
    long v = 0;
    int i = off;
    int end = off + len;
    while (i < end && b[i] == ' ') i++;
    boolean any = false;
    for (; i < end && b[i] >= '0' && b[i] <= '7'; i++) {
      v = (v << 3) + (b[i] - '0');
      any = true;
    }
    return any ? v : -1;
  }
}
