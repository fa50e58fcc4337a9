package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class GzipInflaterTest {
  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(b)) {
      g.write(data);
    }
    return b.toByteArray();
  }

  /** Text-like data that compresses well, with some random bytes in it. */
  private static byte[] sample(int size) {
    byte[] d = new byte[size];
    Random r = new Random(7);
    for (int i = 0; i < size; i++) d[i] = (byte) (i % 97 < 80 ? 'a' + (i / 13) % 26 : r.nextInt());
    return d;
  }

  /** Inflates {@code gz} fed in pieces of {@code step} bytes into a small output buffer. */
  private static byte[] inflate(GzipInflater z, byte[] gz, int step) throws IOException {
    ByteBuffer in = ByteBuffer.allocateDirect(gz.length);
    ByteBuffer out = ByteBuffer.allocateDirect(4096);
    ByteArrayOutputStream result = new ByteArrayOutputStream();
    int fed = 0;
    in.limit(0);
    while (true) {
      if (!in.hasRemaining() && fed < gz.length) {
        int n = Math.min(step, gz.length - fed);
        in.clear();
        in.put(gz, fed, n).flip();
        fed += n;
      }
      out.clear();
      boolean done = z.inflate(in, out);
      out.flip();
      byte[] chunk = new byte[out.remaining()];
      out.get(chunk);
      result.write(chunk);
      if (done) return result.toByteArray();
      if (!in.hasRemaining() && fed == gz.length && chunk.length == 0)
        throw new IOException("ends early");
    }
  }

  @Test
  void isalIsInstalledWhereTheTestsRun() {
    // scripts/install-deps.sh installs it; without it pulls silently take the slow path.
    assertTrue(GzipInflater.available(), "libisal.so.2 not found");
  }

  @Test
  void inflatesWhatZlibCompressedWhateverTheChunking() throws IOException {
    byte[] data = sample(3_000_000);
    byte[] gz = gzip(data);
    for (int step : new int[] {1, 7, 65536, gz.length}) {
      assertArrayEquals(data, inflate(new GzipInflater(), gz, step), "fed by " + step);
    }
  }

  @Test
  void stopsAtTheEndOfAMemberAndStartsTheNextAfterAReset() throws IOException {
    byte[] a = gzip("first member\n".getBytes());
    byte[] b = gzip("second\n".getBytes());
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    GzipInflater z = new GzipInflater();
    ByteBuffer in = ByteBuffer.allocateDirect(both.length).put(both).flip();
    ByteBuffer out = ByteBuffer.allocateDirect(100);
    assertTrue(z.inflate(in, out));
    assertEquals(a.length, in.position(), "the next member's bytes stay unread");
    assertEquals("first member\n", text(out));
    z.reset();
    assertFalse(z.finished());
    out.clear();
    assertTrue(z.inflate(in, out));
    assertEquals("second\n", text(out));
  }

  private static String text(ByteBuffer out) {
    out.flip();
    byte[] b = new byte[out.remaining()];
    out.get(b);
    return new String(b);
  }

  @Test
  void corruptStreamsAreRefusedNamingWhatIsWrong() throws IOException {
    byte[] gz = gzip(sample(100_000));
    byte[] crc = gz.clone();
    crc[crc.length - 6] ^= 1; // the trailer's CRC-32
    assertEquals(
        "gzip checksum or length does not match the data",
        assertThrows(IOException.class, () -> inflate(new GzipInflater(), crc, 4096)).getMessage());
    byte[] length = gz.clone();
    length[length.length - 2] ^= 1; // the trailer's length
    assertThrows(IOException.class, () -> inflate(new GzipInflater(), length, 4096));
    byte[] notGzip = "plain text, not gzip at all".getBytes();
    assertEquals(
        "not in gzip format",
        assertThrows(IOException.class, () -> inflate(new GzipInflater(), notGzip, 4096))
            .getMessage());
    byte[] block = gz.clone();
    for (int i = 20; i < 60; i++) block[i] = (byte) 0xff; // deflate data
    assertThrows(IOException.class, () -> inflate(new GzipInflater(), block, 4096));
  }
}
