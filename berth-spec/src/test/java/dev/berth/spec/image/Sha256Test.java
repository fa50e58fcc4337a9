package dev.berth.spec.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Sha256Test {
  @Test
  void knownAnswers() {
    // FIPS 180-4's examples: "abc" (one block) and the 448-bit message (padding spills into a
    // second block), and the empty message.
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex("abc"));
    assertEquals(
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex(""));
  }

  @Test
  void agreesWithTheJcaOnEveryLengthAroundTheBlockEdges() throws Exception {
    Random random = new Random(42);
    MessageDigest jca = MessageDigest.getInstance("SHA-256");
    for (int n = 0; n < 300; n++) {
      byte[] data = new byte[n];
      random.nextBytes(data);
      assertArrayEquals(jca.digest(data), Sha256.digest(data), "length " + n);
    }
    byte[] big = new byte[Sha256.SMALL + 17];
    random.nextBytes(big);
    assertArrayEquals(jca.digest(big), Sha256.digest(big));
  }

  @Test
  void digestOfContentIsTheSha256() {
    byte[] config = "{\"architecture\":\"amd64\"}".getBytes(StandardCharsets.UTF_8);
    assertEquals(
        "sha256:" + HexFormat.of().formatHex(Sha256.digest(config)),
        Digest.sha256Of(config).toString());
  }

  private static String hex(String s) {
    return HexFormat.of().formatHex(Sha256.digest(s.getBytes(StandardCharsets.US_ASCII)));
  }
}
