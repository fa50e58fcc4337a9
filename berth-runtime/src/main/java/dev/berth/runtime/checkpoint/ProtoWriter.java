package dev.berth.runtime.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Protocol buffers' wire format, only as much of it as CRIU's rpc.proto needs: varints (int32,
 * uint32, bool, enum), strings and nested messages. Written by hand rather than with protobuf-java,
 * whose runtime and generated classes would cost every berth-runc start a few megabytes of jar for
 * two verbs; the format itself is a stable public contract (field number and wire type in a tag,
 * then the value).
 */
final class ProtoWriter {
  private static final int VARINT = 0;
  private static final int LENGTH_DELIMITED = 2;

  private byte[] buf = new byte[256];
  private int size;

  /**
   * An int32 or enum field: negative values take ten bytes, as protobuf sign-extends them to 64
   * bits.
   */
  ProtoWriter int32(int field, int value) {
    tag(field, VARINT);
    varint(value);
    return this;
  }

  /** A uint32 field. */
  ProtoWriter uint32(int field, int value) {
    tag(field, VARINT);
    varint(Integer.toUnsignedLong(value));
    return this;
  }

  ProtoWriter bool(int field, boolean value) {
    tag(field, VARINT);
    varint(value ? 1 : 0);
    return this;
  }

  ProtoWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  /** A nested message, written whole by {@code message}. */
  ProtoWriter message(int field, ProtoWriter message) {
    return bytes(field, message.toByteArray());
  }

  private ProtoWriter bytes(int field, byte[] value) {
    tag(field, LENGTH_DELIMITED);
    varint(value.length);
    ensure(value.length);
    System.arraycopy(value, 0, buf, size, value.length);
    size += value.length;
    return this;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  private void tag(int field, int wireType) {
    varint(((long) field << 3) | wireType);
  }

  private void varint(long v) {
    ensure(10);
    while ((v & ~0x7fL) != 0) {
      buf[size++] = (byte) ((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
  }

  private void ensure(int more) {
    if (size + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
  }
}
