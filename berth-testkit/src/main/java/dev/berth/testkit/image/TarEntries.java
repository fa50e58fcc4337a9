package dev.berth.testkit.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * A tar stream written byte by byte with hand-made ustar headers, for the layers an unpacker must
 * refuse: names are written exactly as given ("../x", "/etc/x", ".wh.."), nothing is checked, and a
 * stream may end in the middle of an entry. Names or link names longer than 100 bytes and xattrs go
 * into a PAX 'x' header (values are raw bytes, so binary xattrs such as security.capability
 * survive).
 *
 * <p>Usage: {@code byte[] tar = TarEntries.dotDot().toByteArray();} then {@code builder.layer(tar,
 * Compression.GZIP)}.
 */
public final class TarEntries {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private boolean truncated;

  public TarEntries add(TarEntry... entries) {
    for (TarEntry e : entries) {
      if (truncated)
        throw new IllegalStateException("tar stream: nothing can follow a truncated entry");
      byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
      byte[] link = e.linkName().getBytes(StandardCharsets.UTF_8);
      ByteArrayOutputStream paxBytes = new ByteArrayOutputStream();
      if (name.length > 100) paxRecord(paxBytes, "path", name);
      if (link.length > 100) paxRecord(paxBytes, "linkpath", link);
      for (Map.Entry<String, byte[]> x : e.xattrs().entrySet())
        paxRecord(paxBytes, "SCHILY.xattr." + x.getKey(), x.getValue());
      if (paxBytes.size() > 0) {
        String paxName =
            "PaxHeaders/"
                + new String(
                    Arrays.copyOf(name, Math.min(name.length, 80)), StandardCharsets.UTF_8);
        raw(header(paxName, 'x', paxBytes.size(), 0644, 0, 0, "", 0, 0));
        data(paxBytes.toByteArray());
      }
      raw(
          header(
              e.name(),
              e.type().flag,
              e.size(),
              e.typeBits() | e.mode(),
              e.uid(),
              e.gid(),
              e.linkName(),
              e.devMajor(),
              e.devMinor()));
      if (e.content() != null) {
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        try {
          e.content().writeTo(c);
        } catch (IOException x) {
          throw new UncheckedIOException("write tar entry " + e.name(), x);
        }
        data(c.toByteArray());
      }
    }
    return this;
  }

  /**
   * A regular file whose header declares {@code declaredSize} bytes, followed by only {@code
   * actualBytes} bytes and the end of the stream (no padding, no end-of-archive blocks): an
   * unpacker must fail, not wait or write a short file silently. Sizes beyond the 11 octal digits
   * of ustar use the base-256 form GNU tar and Go read.
   */
  public TarEntries truncated(String name, long declaredSize, int actualBytes) {
    raw(header(name, '0', declaredSize, 0100644, 0, 0, "", 0, 0));
    byte[] some = new byte[actualBytes];
    Arrays.fill(some, (byte) 'x');
    out.writeBytes(some);
    truncated = true;
    return this;
  }

  /** Appends one 512-byte block as is (a header made by {@link #header} and then changed, say). */
  public TarEntries raw(byte[] block) {
    out.writeBytes(block);
    return this;
  }

  /** The stream: with the two zero blocks that end an archive, unless it was truncated. */
  public byte[] toByteArray() {
    byte[] body = out.toByteArray();
    return truncated ? body : Arrays.copyOf(body, body.length + 1024);
  }

  // ---- hostile streams that unpackers must refuse without writing outside the root ----

  /** A file named "../escaped" (and "a/../../escaped-too"), after a harmless dir. */
  public static TarEntries dotDot() {
    return new TarEntries()
        .add(
            TarEntry.dir("a"),
            TarEntry.file("../escaped", "out"),
            TarEntry.file("a/../../escaped-too", "out"));
  }

  /**
   * A file with an absolute name: must land inside the root (as tar(1) does), or be refused; never
   * at /.
   */
  public static TarEntries absoluteName(String absolutePath) {
    return new TarEntries().add(TarEntry.file(absolutePath, "absolute"));
  }

  /**
   * A symlink "link" to {@code target} (an absolute or ../ path), then a file "link/escaped"
   * written through it.
   */
  public static TarEntries symlinkThenFileThrough(String target) {
    return new TarEntries()
        .add(TarEntry.symlink("link", target), TarEntry.file("link/escaped", "through a symlink"));
  }

  /**
   * A hard link "h" to {@code outsideTarget} ("/etc/passwd", "../../etc/shadow"): a link to a host
   * file.
   */
  public static TarEntries hardlinkOutside(String outsideTarget) {
    return new TarEntries().add(TarEntry.hardlink("h", outsideTarget));
  }

  /** A whiteout of "." (an entry named ".wh.."): would delete the whole root if taken literally. */
  public static TarEntries rootWhiteout() {
    return new TarEntries().add(TarEntry.file(".wh..", new byte[0]));
  }

  /** Device nodes: a block device 8:0 (the host's first disk) and a char device 1:1 (/dev/mem). */
  public static TarEntries deviceNodes() {
    return new TarEntries()
        .add(
            TarEntry.dir("dev"),
            TarEntry.blockDevice("dev/disk", 8, 0),
            TarEntry.charDevice("dev/mem", 1, 1));
  }

  /** A header that declares 8 GiB, then 100 bytes and the end of the stream. */
  public static TarEntries truncatedEntry() {
    return new TarEntries().add(TarEntry.file("before", "ok")).truncated("huge", 8L << 30, 100);
  }

  // ---- ustar ----

  /**
   * One ustar header block with its checksum. {@code mode} is written as is (type bits included or
   * not); numbers that do not fit their octal field use the base-256 form.
   */
  public static byte[] header(
      String name,
      char typeflag,
      long size,
      int mode,
      long uid,
      long gid,
      String linkName,
      int devMajor,
      int devMinor) {
    byte[] h = new byte[512];
    put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
    number(h, 100, 8, mode);
    number(h, 108, 8, uid);
    number(h, 116, 8, gid);
    number(h, 124, 12, size);
    number(h, 136, 12, LayerTar.MTIME);
    h[156] = (byte) typeflag;
    put(h, 157, 100, linkName.getBytes(StandardCharsets.UTF_8));
    put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
    put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
    number(h, 329, 8, devMajor);
    number(h, 337, 8, devMinor);
    Arrays.fill(h, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : h) sum += b & 0xff;
    byte[] chk = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(chk, 0, h, 148, 6);
    h[154] = 0;
    h[155] = ' ';
    return h;
  }

  private static void put(byte[] h, int off, int len, byte[] v) {
    System.arraycopy(v, 0, h, off, Math.min(len, v.length));
  }

  private static void number(byte[] h, int off, int len, long v) {
    String octal = Long.toOctalString(v);
    if (v >= 0 && octal.length() <= len - 1) {
      String padded = "0".repeat(len - 1 - octal.length()) + octal;
      put(h, off, len - 1, padded.getBytes(StandardCharsets.US_ASCII));
      h[off + len - 1] = 0;
      return;
    }
    // base-256: the high bit of the first byte set, then the number big-endian.
    for (int i = len - 1; i > 0; i--) {
      h[off + i] = (byte) v;
      v >>= 8;
    }
    h[off] = (byte) 0x80;
  }

  private void data(byte[] bytes) {
    out.writeBytes(bytes);
    int pad = (512 - bytes.length % 512) % 512;
    out.writeBytes(new byte[pad]);
  }

  // A PAX record is "<len> <key>=<value>\n" where <len> counts the whole record, its own digits
  // included.
  private static void paxRecord(ByteArrayOutputStream to, String key, byte[] value) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int rest = 1 + k.length + 1 + value.length + 1;
    int len = rest + 1;
    while (len != rest + String.valueOf(len).length()) len = rest + String.valueOf(len).length();
    to.writeBytes((len + " " + key + "=").getBytes(StandardCharsets.UTF_8));
    to.writeBytes(value);
    to.write('\n');
  }
}
