package dev.berth.runtime.plan;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes the fields of berth-init messages in the layout its C side reads in place: fixed-width
 * integers in native byte order, no padding, strings with their length and a trailing NUL
 * (docs/berth-init-protocol.md, "Framing"). Only this package creates one; ops get it in {@link
 * Op#encode(WireWriter)}.
 */
public final class WireWriter {
  private static final boolean LITTLE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private byte[] buf;
  private int len;

  WireWriter(int capacity) {
    buf = new byte[Math.max(capacity, 16)];
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }

  void u32(int v) {
    ensure(4);
    putU32(buf, len, v);
    len += 4;
  }

  void u64(long v) {
    ensure(8);
    if (LITTLE) {
      for (int i = 0; i < 8; i++) buf[len + i] = (byte) (v >>> (8 * i));
    } else {
      for (int i = 0; i < 8; i++) buf[len + i] = (byte) (v >>> (56 - 8 * i));
    }
    len += 8;
  }

  void bool(boolean b) {
    u32(b ? 1 : 0);
  }

  void bytes(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, len, b.length);
    len += b.length;
  }

  /** A string the C side can point into: its byte length with the NUL, the UTF-8 bytes, the NUL. */
  void str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    for (byte x : b) {
      if (x == 0)
        throw new IllegalArgumentException("string contains a NUL byte: " + s.replace("\0", "\\0"));
    }
    u32(b.length + 1);
    bytes(b);
    ensure(1);
    buf[len++] = 0;
  }

  void strs(List<String> list) {
    u32(list.size());
    for (String s : list) str(s);
  }

  int position() {
    return len;
  }

  /** Overwrites the u32 at {@code at} (a length written before its payload was known). */
  void patchU32(int at, int v) {
    putU32(buf, at, v);
  }

  byte[] toByteArray() {
    return java.util.Arrays.copyOf(buf, len);
  }

  static void putU32(byte[] b, int at, int v) {
    if (LITTLE) {
      b[at] = (byte) v;
      b[at + 1] = (byte) (v >>> 8);
      b[at + 2] = (byte) (v >>> 16);
      b[at + 3] = (byte) (v >>> 24);
    } else {
      b[at] = (byte) (v >>> 24);
      b[at + 1] = (byte) (v >>> 16);
      b[at + 2] = (byte) (v >>> 8);
      b[at + 3] = (byte) v;
    }
  }

  static int getU32(byte[] b, int at) {
    int b0 = b[at] & 0xff, b1 = b[at + 1] & 0xff, b2 = b[at + 2] & 0xff, b3 = b[at + 3] & 0xff;
    return LITTLE ? b0 | b1 << 8 | b2 << 16 | b3 << 24 : b3 | b2 << 8 | b1 << 16 | b0 << 24;
  }
}
