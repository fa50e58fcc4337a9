package dev.berth.runtime.netdev;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * One rtnetlink request under construction (nlmsghdr, the family header, then rtattrs, each padded
 * to 4 bytes as rtnetlink(7) lays them out), and the reading of the attributes of an answer.
 */
final class RtMessage {
  static final short RTM_NEWLINK = 16;
  static final short RTM_GETLINK = 18;
  static final short RTM_NEWADDR = 20;
  static final short RTM_GETADDR = 22;

  static final int NLM_F_REQUEST = 1;
  static final int NLM_F_ACK = 4;
  static final int NLM_F_EXCL = 0x200;
  static final int NLM_F_CREATE = 0x400;
  static final int NLM_F_DUMP = 0x300;

  static final int NLMSG_HDRLEN = 16;
  static final int IFINFOMSG_LEN = 16;
  static final int IFADDRMSG_LEN = 8;

  private final ByteBuffer buf = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
  final short type;
  final int flags;

  private RtMessage(short type, int flags) {
    this.type = type;
    this.flags = flags;
    buf.position(NLMSG_HDRLEN);
  }

  /**
   * RTM_*LINK with an ifinfomsg: {@code index} 0 means by name (an IFLA_IFNAME attribute); {@code
   * change} is the mask of {@code ifFlags} that is set.
   */
  static RtMessage link(short type, int flags, int index, int ifFlags, int change) {
    RtMessage m = new RtMessage(type, flags);
    m.buf.put((byte) 0).put((byte) 0).putShort((short) 0);
    m.buf.putInt(index).putInt(ifFlags).putInt(change);
    return m;
  }

  /** RTM_*ADDR with an ifaddrmsg. */
  static RtMessage address(
      short type, int flags, int family, int prefixLen, int ifaFlags, int scope, int index) {
    RtMessage m = new RtMessage(type, flags);
    m.buf.put((byte) family).put((byte) prefixLen).put((byte) ifaFlags).put((byte) scope);
    m.buf.putInt(index);
    return m;
  }

  RtMessage attr(int attrType, byte[] value) {
    buf.putShort((short) (4 + value.length)).putShort((short) attrType).put(value);
    while (buf.position() % 4 != 0) buf.put((byte) 0);
    return this;
  }

  /** A NUL-terminated string attribute, as the kernel reads IFLA_IFNAME. */
  RtMessage attr(int attrType, String value) {
    byte[] b = value.getBytes(StandardCharsets.UTF_8);
    byte[] z = new byte[b.length + 1];
    System.arraycopy(b, 0, z, 0, b.length);
    return attr(attrType, z);
  }

  RtMessage attrU32(int attrType, int value) {
    return attr(
        attrType, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
  }

  /** The bytes to send, with the header filled in for sequence number {@code seq}. */
  ByteBuffer bytes(int seq) {
    ByteBuffer out = buf.duplicate().order(ByteOrder.nativeOrder()).flip();
    out.putInt(0, out.limit())
        .putShort(4, type)
        .putShort(6, (short) flags)
        .putInt(8, seq)
        .putInt(12, 0);
    return out;
  }

  /**
   * The attributes of the message at {@code msg}'s position..limit, after its {@code headerLen}
   * bytes of family header: by type (nested flag stripped), the last of a repeated type.
   */
  static Map<Integer, byte[]> attributes(ByteBuffer msg, int headerLen) {
    Map<Integer, byte[]> attrs = new HashMap<>();
    int p = msg.position() + NLMSG_HDRLEN + headerLen;
    int end = msg.position() + msg.getInt(msg.position());
    while (p + 4 <= end) {
      int len = Short.toUnsignedInt(msg.getShort(p));
      int type = Short.toUnsignedInt(msg.getShort(p + 2)) & 0x3fff;
      if (len < 4 || p + len > end) break;
      byte[] v = new byte[len - 4];
      msg.get(p + 4, v);
      attrs.put(type, v);
      p += (len + 3) & ~3;
    }
    return attrs;
  }

  /** A NUL-terminated string attribute's text. */
  static String string(byte[] v) {
    int n = 0;
    while (n < v.length && v[n] != 0) n++;
    return new String(v, 0, n, StandardCharsets.UTF_8);
  }
}
