package dev.berth.runtime.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads protocol buffers' wire format field by field (see {@link ProtoWriter}): {@link #next()}
 * gives the next field number, then the caller reads its value with the method of its type or
 * {@link #skip()}s it. Fields of unknown numbers are skipped, so a newer CRIU's replies still
 * parse. A malformed message is an IOException.
 */
final class ProtoReader {
  private final byte[] buf;
  private int pos;
  private final int end;
  private int wireType;

  ProtoReader(byte[] buf, int offset, int length) {
    this.buf = buf;
    this.pos = offset;
    this.end = offset + length;
  }

  /** The next field's number, or 0 at the end of the message. */
  int next() throws IOException {
    if (pos >= end) return 0;
    long tag = varint();
    wireType = (int) (tag & 7);
    int field = (int) (tag >>> 3);
    if (field <= 0) throw new IOException("malformed message from criu: field number " + field);
    return field;
  }

  /** An int32, uint32, enum or bool value, as its low 32 bits. */
  int int32() throws IOException {
    expect(0);
    return (int) varint();
  }

  boolean bool() throws IOException {
    expect(0);
    return varint() != 0;
  }

  String string() throws IOException {
    expect(2);
    int n = length();
    String s = new String(buf, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  /** A nested message, as a reader of its own bytes. */
  ProtoReader message() throws IOException {
    expect(2);
    int n = length();
    ProtoReader r = new ProtoReader(buf, pos, n);
    pos += n;
    return r;
  }

  void skip() throws IOException {
    switch (wireType) {
      case 0 -> varint();
      case 1 -> advance(8);
      case 2 -> advance(length());
      case 5 -> advance(4);
      default -> throw new IOException("malformed message from criu: wire type " + wireType);
    }
  }

  private void expect(int type) throws IOException {
    if (wireType != type)
      throw new IOException(
          "malformed message from criu: wire type " + wireType + ", want " + type);
  }

  private int length() throws IOException {
    long n = varint();
    if (n < 0 || n > end - pos)
      throw new IOException("malformed message from criu: length " + n + " past its end");
    return (int) n;
  }

  private void advance(int n) throws IOException {
    if (n > end - pos) throw new IOException("malformed message from criu: truncated field");
    pos += n;
  }

  private long varint() throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) throw new IOException("malformed message from criu: truncated varint");
      byte b = buf[pos++];
      v |= (long) (b & 0x7f) << shift;
      if (b >= 0) return v;
    }
    throw new IOException("malformed message from criu: varint longer than 10 bytes");
  }
}
