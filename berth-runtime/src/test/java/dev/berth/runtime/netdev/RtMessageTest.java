package dev.berth.runtime.netdev;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RtMessageTest {
  @Test
  void attributesArePaddedToFourBytesAndReadBack() {
    ByteBuffer b =
        RtMessage.link(RtMessage.RTM_NEWLINK, RtMessage.NLM_F_CREATE, 7, 1, 1)
            .attr(3, "ctr_dummy0") // 11 bytes with its NUL: 15, padded to 16
            .attrU32(28, 9)
            .bytes(42);
    assertEquals(16 + 16 + 16 + 8, b.limit());
    assertEquals(b.limit(), b.getInt(0));
    assertEquals(RtMessage.RTM_NEWLINK, b.getShort(4));
    assertEquals(RtMessage.NLM_F_CREATE, b.getShort(6));
    assertEquals(42, b.getInt(8));
    assertEquals(7, b.getInt(16 + 4)); // ifi_index
    Map<Integer, byte[]> attrs = RtMessage.attributes(b, RtMessage.IFINFOMSG_LEN);
    assertEquals("ctr_dummy0", RtMessage.string(attrs.get(3)));
    assertEquals(9, ByteBuffer.wrap(attrs.get(28)).order(b.order()).getInt());
  }
}
