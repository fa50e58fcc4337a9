package dev.berth.engine.network.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The codec on good messages and on hostile bytes, which fail as DnsFormatException only. */
class DnsMessageTest {
  static DnsMessage query(String name, int type) {
    return new DnsMessage(
        0x1234,
        DnsMessage.FLAG_RD,
        List.of(new DnsMessage.Question(name, type, DnsMessage.CLASS_IN)),
        List.of(),
        List.of(),
        List.of());
  }

  @Test
  void aQueryAndItsAnswerRoundTripWithCompressedNames() throws Exception {
    DnsMessage q = query("Web.Example.ORG", DnsMessage.TYPE_A);
    byte[] wire = q.encode();
    // header, 3 labels + root, type, class
    assertEquals(12 + 1 + 3 + 1 + 7 + 1 + 3 + 1 + 4, wire.length);
    DnsMessage back = DnsMessage.parse(wire);
    assertEquals(q.questions(), back.questions());
    assertEquals(0x1234, back.id());
    assertFalse(back.isResponse());

    DnsMessage answer =
        DnsMessage.reply(
            back,
            DnsMessage.RCODE_NOERROR,
            DnsMessage.FLAG_AA,
            List.of(
                DnsMessage.a("web.example.org", 60, 0x0a5b0002),
                DnsMessage.a("web.example.org", 60, 0x0a5b0003)),
            false);
    byte[] a = answer.encode();
    // each answer's name is a 2-byte pointer to the question's (compared without case)
    assertEquals(wire.length + 2 * (2 + 10 + 4), a.length);
    DnsMessage read = DnsMessage.parse(a);
    assertTrue(read.isResponse());
    assertEquals(DnsMessage.RCODE_NOERROR, read.rcode());
    assertEquals(2, read.answers().size());
    assertEquals("Web.Example.ORG", read.answers().get(0).name());
    assertArrayEquals(new byte[] {10, 91, 0, 3}, read.answers().get(1).data());
  }

  @Test
  void ptrDataIsAName() throws Exception {
    DnsMessage m =
        DnsMessage.reply(
            query("2.0.91.10.in-addr.arpa", DnsMessage.TYPE_PTR),
            0,
            0,
            List.of(DnsMessage.ptr("2.0.91.10.in-addr.arpa", 60, "web")),
            false);
    DnsMessage.Record r = DnsMessage.parse(m.encode()).answers().get(0);
    assertArrayEquals(new byte[] {3, 'w', 'e', 'b', 0}, r.data());
    assertEquals(0x0a5b0002, DnsResponder.reverse("2.0.91.10.in-addr.arpa"));
    assertEquals(0, DnsResponder.reverse("x.0.91.10.in-addr.arpa"));
    assertEquals(0, DnsResponder.reverse("0.91.10.in-addr.arpa"));
  }

  @Test
  void oddBytesInLabelsSurviveAsEscapes() throws Exception {
    byte[] wire = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 0, 1, '\\', 0, 0, 1, 0, 1};
    DnsMessage m = DnsMessage.parse(wire);
    assertEquals("a\\046\\000.\\092", m.questions().get(0).name());
    assertArrayEquals(wire, m.encode());
  }

  @Test
  void aMessageOverTheLimitIsCutToItsQuestionWithTc() throws Exception {
    List<DnsMessage.Record> many = new ArrayList<>();
    for (int i = 0; i < 60; i++) many.add(DnsMessage.a("web", 60, 0x0a000000 + i));
    DnsMessage q = query("web", DnsMessage.TYPE_A);
    DnsMessage big = DnsMessage.reply(q, 0, 0, many, false);
    byte[] udp = big.encode(q.udpLimit());
    assertTrue(udp.length <= 512, "" + udp.length);
    DnsMessage cut = DnsMessage.parse(udp);
    assertTrue(cut.truncated());
    assertEquals(0, cut.answers().size());
    assertEquals(q.questions(), cut.questions());
    // over TCP (or with a large EDNS0 size) it all goes
    assertEquals(60, DnsMessage.parse(big.encode()).answers().size());
    assertFalse(DnsMessage.parse(big.encode()).truncated());
  }

  @Test
  void edns0SizeIsHonouredWithinBounds() throws Exception {
    DnsMessage q = query("web", DnsMessage.TYPE_A);
    assertEquals(512, q.udpLimit());
    DnsMessage withOpt =
        new DnsMessage(1, 0, q.questions(), List.of(), List.of(), List.of(DnsMessage.opt(1232)));
    DnsMessage read = DnsMessage.parse(withOpt.encode());
    assertEquals(1232, read.udpLimit());
    assertEquals(
        4096,
        DnsMessage.parse(
                new DnsMessage(
                        1, 0, q.questions(), List.of(), List.of(), List.of(DnsMessage.opt(65000)))
                    .encode())
            .udpLimit());
    assertEquals(
        512,
        DnsMessage.parse(
                new DnsMessage(
                        1, 0, q.questions(), List.of(), List.of(), List.of(DnsMessage.opt(1)))
                    .encode())
            .udpLimit());
  }

  // ---- hostile input ----

  static byte[] header(int qd, int an, int ns, int ar) {
    return new byte[] {
      0,
      7,
      1,
      0,
      (byte) (qd >> 8),
      (byte) qd,
      (byte) (an >> 8),
      (byte) an,
      (byte) (ns >> 8),
      (byte) ns,
      (byte) (ar >> 8),
      (byte) ar
    };
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) n += p.length;
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  static String reject(byte[] wire) {
    return assertThrows(DnsFormatException.class, () -> DnsMessage.parse(wire)).getMessage();
  }

  @Test
  void shortPacketsAreRejected() {
    for (int n = 0; n < 12; n++) reject(new byte[n]);
    // a question cut anywhere
    byte[] good = query("web", DnsMessage.TYPE_A).encode();
    for (int n = 12; n < good.length; n++) reject(java.util.Arrays.copyOf(good, n));
  }

  @Test
  void hugeCountsAreRejectedBeforeAnythingIsAllocated() {
    String m = reject(concat(header(65535, 65535, 65535, 65535), new byte[20]));
    assertTrue(m.contains("exceed"), m);
    reject(concat(header(0, 2, 0, 0), new byte[11]));
  }

  @Test
  void compressionLoopsAndForwardPointersAreRejected() {
    // a pointer to itself (offset 12)
    assertTrue(
        reject(concat(header(1, 0, 0, 0), new byte[] {(byte) 0xc0, 12, 0, 1, 0, 1}))
            .contains("does not point back"));
    // two pointers pointing at each other: the second is forward of the first's target
    reject(
        concat(
            header(2, 0, 0, 0),
            new byte[] {(byte) 0xc0, 18, 0, 1, 0, 1, (byte) 0xc0, 12, 0, 1, 0, 1}));
    // a label then a pointer back to that same label: a loop through a label
    reject(concat(header(1, 0, 0, 0), new byte[] {1, 'a', (byte) 0xc0, 12, 0, 1, 0, 1}));
    // reserved label types 0x40 and 0x80
    reject(concat(header(1, 0, 0, 0), new byte[] {0x41, 'a', 0, 0, 1, 0, 1}));
    reject(concat(header(1, 0, 0, 0), new byte[] {(byte) 0x81, 'a', 0, 0, 1, 0, 1}));
    // a pointer cut after its first byte
    reject(concat(header(1, 0, 0, 0), new byte[] {(byte) 0xc0}));
  }

  @Test
  void namesOver255BytesAreRejected() throws Exception {
    // 200 labels of 1 byte: 401 bytes of name
    byte[] body = new byte[2 * 200 + 2 + 4];
    int at = 0;
    for (int i = 0; i < 200; i++) {
      body[at++] = 1;
      body[at++] = 'x';
    }
    body[at++] = 0;
    String m = reject(concat(header(1, 0, 0, 0), body));
    assertTrue(m.contains("255"), m);
    // a name of exactly 255 wire bytes is fine: 127 labels of 1 byte = 254 + root
    byte[] ok = new byte[127 * 2 + 1 + 4];
    for (int i = 0; i < 127; i++) {
      ok[2 * i] = 1;
      ok[2 * i + 1] = 'y';
    }
    ok[254 + 2] = 1;
    ok[254 + 4] = 1;
    assertEquals(1, DnsMessage.parse(concat(header(1, 0, 0, 0), ok)).questions().size());
  }

  @Test
  void recordDataPastTheEndIsRejected() {
    byte[] rr = {0, 0, 1, 0, 1, 0, 0, 0, 60, (byte) 0xff, (byte) 0xff, 1, 2, 3, 4};
    assertTrue(reject(concat(header(0, 1, 0, 0), rr)).contains("past the end"));
  }

  @Test
  void randomBytesNeverThrowAnythingElse() {
    Random random = new Random(13);
    byte[] seed =
        DnsMessage.reply(
                query("web.example.org", 1),
                0,
                0,
                List.of(DnsMessage.a("web.example.org", 1, 1)),
                true)
            .encode();
    for (int i = 0; i < 20_000; i++) {
      byte[] b;
      if (i % 2 == 0) {
        b = new byte[random.nextInt(80)];
        random.nextBytes(b);
      } else { // a valid message with a few bytes flipped
        b = seed.clone();
        for (int k = 0; k < 3; k++) b[random.nextInt(b.length)] = (byte) random.nextInt(256);
      }
      try {
        DnsMessage m = DnsMessage.parse(b);
        m.encode(512); // whatever was read writes back
      } catch (DnsFormatException e) {
        // expected
      }
    }
  }
}
