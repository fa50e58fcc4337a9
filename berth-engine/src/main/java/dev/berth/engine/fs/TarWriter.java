package dev.berth.engine.fs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a tar stream as Go's archive/tar does for docker (ustar headers, PAX records where ustar
 * cannot say it: long or non-ASCII names, big sizes and ids, xattrs as {@code SCHILY.xattr.*} with
 * their raw bytes). Not commons-compress: it writes PAX values as UTF-8 text, which mangles binary
 * xattrs such as {@code security.capability}.
 */
final class TarWriter implements AutoCloseable {
  static final byte FILE = '0';
  static final byte LINK = '1';
  static final byte SYMLINK = '2';
  static final byte CHAR = '3';
  static final byte BLOCK = '4';
  static final byte DIR = '5';
  static final byte FIFO = '6';

  private static final int BLOCK_SIZE = 512;
  private static final long MAX_OCTAL_8 = 07777777L;
  private static final long MAX_OCTAL_12 = 077777777777L;

  /**
   * One entry's header. Names are relative, without a trailing slash (added for directories here).
   */
  record Header(
      String name,
      byte type,
      int mode,
      long uid,
      long gid,
      long size,
      long mtime,
      String linkName,
      int devMajor,
      int devMinor,
      Map<String, byte[]> xattrs) {
    Header {
      linkName = linkName == null ? "" : linkName;
      xattrs = xattrs == null ? Map.of() : xattrs;
    }
  }

  private final OutputStream out;
  private final byte[] block = new byte[BLOCK_SIZE];
  private final byte[] buf = new byte[1 << 16];
  private boolean closed;

  TarWriter(OutputStream out) {
    this.out = out;
  }

  /**
   * Writes {@code h} and then {@code h.size()} bytes of {@code data} (zeros if it ends early, cut
   * if it is longer).
   */
  void entry(Header h, InputStream data) throws IOException {
    String name = h.type() == DIR && !h.name().endsWith("/") ? h.name() + "/" : h.name();
    Map<String, byte[]> pax = new LinkedHashMap<>();
    if (!fits(name, 100)) pax.put("path", utf8(name));
    if (!fits(h.linkName(), 100)) pax.put("linkpath", utf8(h.linkName()));
    if (h.size() > MAX_OCTAL_12) pax.put("size", utf8(Long.toString(h.size())));
    if (h.uid() > MAX_OCTAL_8) pax.put("uid", utf8(Long.toString(h.uid())));
    if (h.gid() > MAX_OCTAL_8) pax.put("gid", utf8(Long.toString(h.gid())));
    for (Map.Entry<String, byte[]> x : h.xattrs().entrySet())
      pax.put("SCHILY.xattr." + x.getKey(), x.getValue());
    if (!pax.isEmpty()) {
      byte[] records = paxRecords(pax);
      String paxName = "PaxHeaders.0/" + ascii(lastComponent(name), 80);
      header(paxName, (byte) 'x', 0644, 0, 0, records.length, h.mtime(), "", 0, 0);
      out.write(records);
      pad(records.length);
    }
    header(
        fits(name, 100) ? name : ascii(name, 100),
        h.type(),
        h.mode(),
        h.uid(),
        h.gid(),
        h.size(),
        h.mtime(),
        fits(h.linkName(), 100) ? h.linkName() : ascii(h.linkName(), 100),
        h.devMajor(),
        h.devMinor());
    if (h.size() > 0) {
      long left = h.size();
      while (left > 0 && data != null) {
        int n = data.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) break;
        out.write(buf, 0, n);
        left -= n;
      }
      // A file that shrank while being read: the header promised its old size.
      Arrays.fill(buf, (byte) 0);
      while (left > 0) {
        int n = (int) Math.min(buf.length, left);
        out.write(buf, 0, n);
        left -= n;
      }
      pad(h.size());
    }
  }

  private void header(
      String name,
      byte type,
      int mode,
      long uid,
      long gid,
      long size,
      long mtime,
      String link,
      int major,
      int minor)
      throws IOException {
    Arrays.fill(block, (byte) 0);
    put(name, 0, 100);
    octal(mode & 07777, 100, 8);
    octal(Math.min(uid, MAX_OCTAL_8), 108, 8);
    octal(Math.min(gid, MAX_OCTAL_8), 116, 8);
    octal(Math.min(size, MAX_OCTAL_12), 124, 12);
    octal(Math.max(0, Math.min(mtime, MAX_OCTAL_12)), 136, 12);
    block[156] = type;
    put(link, 157, 100);
    put("ustar\0", 257, 6);
    put("00", 263, 2);
    if (type == CHAR || type == BLOCK) {
      octal(major & 0xffffffffL & MAX_OCTAL_8, 329, 8);
      octal(minor & 0xffffffffL & MAX_OCTAL_8, 337, 8);
    }
    Arrays.fill(block, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : block) sum += b & 0xff;
    String s = String.format("%06o", sum);
    put(s, 148, 6);
    block[154] = 0;
    block[155] = ' ';
    out.write(block);
  }

  private void put(String s, int off, int len) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(b, 0, block, off, Math.min(b.length, len));
  }

  private void octal(long v, int off, int len) {
    String s = Long.toOctalString(v);
    StringBuilder b = new StringBuilder();
    for (int i = s.length(); i < len - 1; i++) b.append('0');
    put(b.append(s).toString(), off, len - 1);
  }

  private void pad(long size) throws IOException {
    int rest = (int) (size % BLOCK_SIZE);
    if (rest != 0) out.write(new byte[BLOCK_SIZE - rest]);
  }

  /** "length key=value\n" records; the length counts its own digits. */
  private static byte[] paxRecords(Map<String, byte[]> records) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> r : records.entrySet()) {
      byte[] key = utf8(r.getKey());
      int body = 1 + key.length + 1 + r.getValue().length + 1; // " key=value\n"
      int len = body + Integer.toString(body).length();
      if (Integer.toString(len).length() != Integer.toString(body).length()) len++;
      b.writeBytes(utf8(Integer.toString(len)));
      b.write(' ');
      b.writeBytes(key);
      b.write('=');
      b.writeBytes(r.getValue());
      b.write('\n');
    }
    return b.toByteArray();
  }

  /**
   * Whether {@code s} goes into a ustar field of {@code len} bytes as it is (ASCII, short enough).
   */
  private static boolean fits(String s, int len) {
    if (s.length() > len) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0 || c >= 0x80) return false;
    }
    return true;
  }

  /** An ASCII stand-in for readers without PAX (the PAX record has the real value). */
  private static String ascii(String s, int len) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < len; i++) {
      char c = s.charAt(i);
      b.append(c > 0 && c < 0x80 ? c : '_');
    }
    return b.toString();
  }

  private static String lastComponent(String name) {
    String n = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    return n.substring(n.lastIndexOf('/') + 1);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The end-of-archive blocks; the stream itself stays open (it may be stdout). */
  @Override
  public void close() throws IOException {
    if (closed) return;
    closed = true;
    out.write(new byte[BLOCK_SIZE * 2]);
    out.flush();
  }
}
