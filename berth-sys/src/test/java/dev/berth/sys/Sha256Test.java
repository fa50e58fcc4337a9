package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** libcrypto's SHA-256 against the JDK's, on the sizes around SHA-256's block and padding edges. */
class Sha256Test {
  /** Around the 64-byte block, the 56-byte padding edge, the scratch buffer's 64 KiB, and 1 MiB. */
  private static final int[] SIZES = {
    0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 65535, 65536, 65537, 1 << 20, (1 << 20) + 1
  };

  private static byte[] data(int size) {
    byte[] d = new byte[size];
    new Random(size).nextBytes(d);
    return d;
  }

  private static byte[] jdk(byte[] d) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(d);
  }

  @Test
  void libcryptoIsUsedWhereTheTestsRun() throws IOException {
    // The build installs libssl-dev (so libcrypto.so.3 is there): the fallback must not hide a
    // broken native door.
    assertTrue(Files.exists(Path.of("/usr/include/openssl/evp.h")), "libssl-dev is not installed");
    assertTrue(Sha256.available(), "libcrypto.so.3 was not opened");
    assertInstanceOf(Sha256.class, Sha256.newDigest());
  }

  /** Run in a JVM of its own by {@link #withoutLibcryptoTheJdkHashes}: prints the digest used. */
  static final class Fallback {
    public static void main(String[] args) {
      MessageDigest m = Sha256.newDigest();
      System.out.println(
          Sha256.available()
              + " "
              + m.getClass().getName()
              + " "
              + HexFormat.of().formatHex(m.digest("abc".getBytes())));
    }
  }

  @Test
  void withoutLibcryptoTheJdkHashes() throws Exception {
    // -Dberth.sha256=jdk shuts the door as a missing libcrypto.so.3 does (the class's initializer
    // decides once per JVM, hence a JVM of its own).
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Dberth.sha256=jdk",
                "-cp",
                System.getProperty("java.class.path"),
                Fallback.class.getName())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    assertEquals(0, p.waitFor(), out);
    String[] f = out.split(" ");
    assertEquals("false", f[0], out);
    assertTrue(!f[1].equals(Sha256.class.getName()), "the JDK's digest, not libcrypto's: " + out);
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", f[2], out);
  }

  @Test
  void knownAnswers() {
    HexFormat hex = HexFormat.of();
    assertEquals(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        hex.formatHex(Sha256.newDigest().digest()));
    assertEquals(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        hex.formatHex(Sha256.newDigest().digest("abc".getBytes())));
  }

  @Test
  void wholeArraysMatchTheJdk() throws Exception {
    for (int size : SIZES) {
      byte[] d = data(size);
      assertArrayEquals(jdk(d), Sha256.newDigest().digest(d), "size " + size);
    }
  }

  @Test
  void heapAndDirectBuffersMatchTheJdk() throws Exception {
    for (int size : SIZES) {
      byte[] d = data(size);
      // With bytes on either side, so positions, limits and array offsets matter.
      byte[] padded = new byte[size + 10];
      System.arraycopy(d, 0, padded, 3, size);
      ByteBuffer heap = ByteBuffer.wrap(padded, 3, size).slice();
      ByteBuffer direct = ByteBuffer.allocateDirect(size + 10);
      direct.put(3, d).position(3).limit(3 + size);
      ByteBuffer readOnly = ByteBuffer.wrap(d).asReadOnlyBuffer();
      for (ByteBuffer b : List.of(heap, direct, readOnly)) {
        MessageDigest m = Sha256.newDigest();
        m.update(b);
        assertEquals(b.limit(), b.position(), "update consumes the buffer");
        assertArrayEquals(jdk(d), m.digest(), "size " + size + ", " + b);
      }
    }
  }

  @Test
  void splitUpdatesMatchTheJdk() throws Exception {
    Random r = new Random(1);
    for (int size : SIZES) {
      byte[] d = data(size);
      MessageDigest m = Sha256.newDigest();
      ByteBuffer direct = ByteBuffer.allocateDirect(Math.max(size, 1));
      direct.put(0, d);
      int at = 0;
      int turn = 0;
      while (at < size) {
        int n = Math.min(size - at, 1 + r.nextInt(turn % 2 == 0 ? 70 : 100_000));
        switch (turn++ % 4) {
          case 0 -> m.update(d, at, n);
          case 1 -> m.update(direct.slice(at, n));
          case 2 -> m.update(ByteBuffer.wrap(d, at, n));
          default -> {
            for (int i = 0; i < Math.min(n, 3); i++) m.update(d[at + i]);
            n = Math.min(n, 3);
          }
        }
        at += n;
      }
      assertArrayEquals(jdk(d), m.digest(), "size " + size);
    }
  }

  @Test
  void digestStartsOverAndResetForgets() throws Exception {
    MessageDigest m = Sha256.newDigest();
    m.update(data(100));
    m.digest();
    byte[] d = data(56);
    assertArrayEquals(jdk(d), m.digest(d), "a digest starts the context over");
    m.update(data(1000));
    m.reset();
    assertArrayEquals(jdk(d), m.digest(d), "reset drops what was hashed");
  }

  @Test
  void aCloneGoesOnIndependently() throws Exception {
    byte[] d = data((1 << 20) + 1);
    MessageDigest m = Sha256.newDigest();
    m.update(d, 0, 1000);
    MessageDigest copy = (MessageDigest) m.clone();
    assertNotSame(m, copy);
    assertArrayEquals(jdk(java.util.Arrays.copyOf(d, 1000)), copy.digest());
    m.update(d, 1000, d.length - 1000);
    assertArrayEquals(jdk(d), m.digest());
  }

  @Test
  void badRangesAreRefusedAsTheJdkRefusesThem() throws Exception {
    MessageDigest jdk = MessageDigest.getInstance("SHA-256");
    MessageDigest m = Sha256.newDigest();
    for (int[] r : new int[][] {{5, 6}, {-1, 2}, {0, -1}, {11, 0}}) {
      Class<? extends Throwable> expected =
          assertThrows(RuntimeException.class, () -> jdk.update(new byte[10], r[0], r[1]))
              .getClass();
      assertThrows(expected, () -> m.update(new byte[10], r[0], r[1]), r[0] + ", " + r[1]);
    }
    assertArrayEquals(jdk.digest(), m.digest(), "nothing was hashed");
  }

  @Test
  void manyDigestsAreFreed() throws Exception {
    // Contexts left to the collector: each is freed by its cleaner (a leak would show in the RSS
    // of a long-running daemon; here it must at least not crash when the GC frees them).
    List<byte[]> got = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      MessageDigest m = Sha256.newDigest();
      m.update((byte) i);
      if (i % 5000 == 0) got.add(m.digest());
    }
    System.gc();
    assertArrayEquals(jdk(new byte[] {0}), got.get(0));
  }
}
