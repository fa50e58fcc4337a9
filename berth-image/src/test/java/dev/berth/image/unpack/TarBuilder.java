package dev.berth.image.unpack;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes tar bytes by hand (ustar headers, PAX records as raw bytes), so tests can say exactly what
 * a hostile or unusual layer holds: commons-compress' writer normalises names and encodes PAX
 * values as UTF-8.
 */
public final class TarBuilder {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private long mtime = 1_600_000_000L;

  public TarBuilder mtime(long t) {
    mtime = t;
    return this;
  }

  public TarBuilder dir(String name, int mode, int uid, int gid) {
    return entry(name, '5', mode, uid, gid, "", new byte[0], Map.of(), 0, 0);
  }

  public TarBuilder file(String name, String content) {
    return file(name, 0644, 0, 0, content.getBytes(StandardCharsets.UTF_8), Map.of());
  }

  public TarBuilder file(
      String name, int mode, int uid, int gid, byte[] content, Map<String, byte[]> pax) {
    return entry(name, '0', mode, uid, gid, "", content, pax, 0, 0);
  }

  public TarBuilder symlink(String name, String target) {
    return entry(name, '2', 0777, 0, 0, target, new byte[0], Map.of(), 0, 0);
  }

  public TarBuilder hardlink(String name, String target) {
    return entry(name, '1', 0644, 0, 0, target, new byte[0], Map.of(), 0, 0);
  }

  public TarBuilder device(String name, char type, int major, int minor) {
    return entry(name, type, 0660, 0, 6, "", new byte[0], Map.of(), major, minor);
  }

  /** A header declaring {@code size} bytes followed by only {@code actual} of them, and no end. */
  public byte[] truncated(String name, long size, int actual) {
    header(name, '0', 0644, 0, 0, "", size, 0, 0);
    out.write(new byte[actual], 0, actual);
    return out.toByteArray();
  }

  /**
   * An old-GNU sparse file ('S'): {@code regions} are (offset, length) pairs, four in the header
   * and 21 in each extension block after it; {@code data} is the regions' bytes one after the
   * other.
   */
  public TarBuilder gnuSparse(String name, long realSize, long[] regions, byte[] data) {
    byte[] h = headerBlock(name, 'S', 0644, 0, 0, "", data.length, 0, 0);
    put(h, 257, 8, "ustar  \0".getBytes(StandardCharsets.US_ASCII));
    int n = regions.length / 2;
    for (int i = 0; i < Math.min(n, 4); i++) {
      octal(h, 386 + 24 * i, 12, regions[2 * i]);
      octal(h, 386 + 24 * i + 12, 12, regions[2 * i + 1]);
    }
    h[482] = (byte) (n > 4 ? 1 : 0);
    octal(h, 483, 12, realSize);
    checksum(h);
    out.write(h, 0, 512);
    for (int i = 4; i < n; i += 21) {
      byte[] ext = new byte[512];
      for (int j = 0; j < 21 && i + j < n; j++) {
        octal(ext, 24 * j, 12, regions[2 * (i + j)]);
        octal(ext, 24 * j + 12, 12, regions[2 * (i + j) + 1]);
      }
      ext[504] = (byte) (i + 21 < n ? 1 : 0);
      out.write(ext, 0, 512);
    }
    data(data);
    return this;
  }

  /**
   * A regular file whose header gives uid and gid as they are, in GNU's base-256 form when octal
   * cannot hold them.
   */
  public TarBuilder fileWithIds(String name, long uid, long gid) {
    header(name, '0', 0644, uid, gid, "", 0, 0, 0);
    return this;
  }

  public TarBuilder entry(
      String name,
      char type,
      int mode,
      int uid,
      int gid,
      String link,
      byte[] data,
      Map<String, byte[]> pax,
      int major,
      int minor) {
    Map<String, byte[]> records = new LinkedHashMap<>(pax);
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    if (nameBytes.length > 100) records.put("path", nameBytes);
    if (link.getBytes(StandardCharsets.UTF_8).length > 100)
      records.put("linkpath", link.getBytes(StandardCharsets.UTF_8));
    if (!records.isEmpty()) {
      byte[] body = paxBody(records);
      header("PaxHeaders/x", 'x', 0644, 0, 0, "", body.length, 0, 0);
      data(body);
    }
    header(
        nameBytes.length > 100 ? "long" : name,
        type,
        mode,
        uid,
        gid,
        link.length() > 100 ? "" : link,
        data.length,
        major,
        minor);
    data(data);
    return this;
  }

  public byte[] bytes() {
    byte[] end =
        new byte
            [1024 + 512 * 6]; // two zero blocks, then padding as GNU tar writes to its record size
    out.write(end, 0, end.length);
    return out.toByteArray();
  }

  private static byte[] paxBody(Map<String, byte[]> records) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> r : records.entrySet()) {
      byte[] k = r.getKey().getBytes(StandardCharsets.UTF_8);
      int rest = 1 + k.length + 1 + r.getValue().length + 1; // ' ' key '=' value '\n'
      int len = rest + Integer.toString(rest).length();
      if (Integer.toString(len).length() != Integer.toString(rest).length()) len++;
      b.writeBytes(Integer.toString(len).getBytes(StandardCharsets.US_ASCII));
      b.write(' ');
      b.writeBytes(k);
      b.write('=');
      b.writeBytes(r.getValue());
      b.write('\n');
    }
    return b.toByteArray();
  }

  private void header(
      String name,
      char type,
      int mode,
      long uid,
      long gid,
      String link,
      long size,
      int major,
      int minor) {
    byte[] h = headerBlock(name, type, mode, uid, gid, link, size, major, minor);
    checksum(h);
    out.write(h, 0, 512);
  }

  private byte[] headerBlock(
      String name,
      char type,
      int mode,
      long uid,
      long gid,
      String link,
      long size,
      int major,
      int minor) {
    byte[] h = new byte[512];
    put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
    octal(h, 100, 8, mode);
    octal(h, 108, 8, uid);
    octal(h, 116, 8, gid);
    octal(h, 124, 12, size);
    octal(h, 136, 12, mtime);
    h[156] = (byte) type;
    put(h, 157, 100, link.getBytes(StandardCharsets.UTF_8));
    put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
    put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
    octal(h, 329, 8, major);
    octal(h, 337, 8, minor);
    return h;
  }

  private static void checksum(byte[] h) {
    for (int i = 148; i < 156; i++) h[i] = ' ';
    long sum = 0;
    for (byte x : h) sum += x & 0xff;
    octal(h, 148, 7, sum);
  }

  private void data(byte[] d) {
    out.write(d, 0, d.length);
    int pad = (512 - d.length % 512) % 512;
    out.write(new byte[pad], 0, pad);
  }

  private static void put(byte[] h, int off, int len, byte[] v) {
    System.arraycopy(v, 0, h, off, Math.min(len, v.length));
  }

  /**
   * Octal digits, or GNU's base-256 (big-endian two's complement, top bit of the first byte set)
   * when they do not fit.
   */
  private static void octal(byte[] h, int off, int len, long v) {
    if (v < 0 || v >= 1L << (3 * (len - 1))) {
      for (int i = len - 1; i >= 0; i--) {
        h[off + i] = (byte) v;
        v >>= 8;
      }
      h[off] |= (byte) 0x80;
      return;
    }
    String s = Long.toOctalString(v);
    String padded = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
    put(h, off, len - 1, padded.getBytes(StandardCharsets.US_ASCII));
  }
}
