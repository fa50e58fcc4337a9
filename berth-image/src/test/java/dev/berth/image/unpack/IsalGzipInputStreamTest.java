package dev.berth.image.unpack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** The ISA-L stream reads every gzip stream as java.util.zip's GZIPInputStream does. */
class IsalGzipInputStreamTest {
  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(b)) {
      g.write(data);
    }
    return b.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) b.writeBytes(p);
    return b.toByteArray();
  }

  /** A source that hands out at most {@code max} bytes per read, as a pipe or socket may. */
  private static InputStream trickle(byte[] data, int max) {
    return new FilterInputStream(new ByteArrayInputStream(data)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, max));
      }
    };
  }

  private static byte[] readAll(InputStream in, int readSize) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] buf = new byte[readSize];
    int n;
    while ((n = in.read(buf, 0, buf.length)) >= 0) b.write(buf, 0, n);
    return b.toByteArray();
  }

  private static void sameAsZlib(byte[] gz) throws IOException {
    byte[] expected = readAll(new GZIPInputStream(new ByteArrayInputStream(gz)), 8192);
    for (int max : new int[] {1, 3, 1000, Integer.MAX_VALUE}) {
      assertArrayEquals(
          expected, readAll(new IsalGzipInputStream(trickle(gz, max)), 777), "reads of " + max);
    }
  }

  @Test
  void readsOneMemberManyMembersAndIgnoresWhatFollowsTheLast() throws IOException {
    byte[] big = new byte[2_000_000];
    new Random(3).nextBytes(big);
    Arrays.fill(big, 0, 1_000_000, (byte) 'x');
    byte[] one = gzip(big);
    sameAsZlib(one);
    byte[] three = concat(gzip("a\n".getBytes()), gzip(new byte[0]), gzip("b\n".getBytes()));
    sameAsZlib(three);
    assertEquals("a\nb\n", new String(readAll(new IsalGzipInputStream(trickle(three, 1)), 10)));
    // Bytes after the last member that are not a gzip header: ignored, as zlib's stream does.
    sameAsZlib(concat(one, "trailing".getBytes()));
    sameAsZlib(concat(one, new byte[] {0x1f}));
    sameAsZlib(concat(one, new byte[] {0x1f, 0x00, 0x00}));
  }

  @Test
  void directReadsBetweenHeapReadsGiveTheSameBytes() throws IOException {
    byte[] big = new byte[1_500_000];
    new Random(4).nextBytes(big);
    Arrays.fill(big, 200_000, 900_000, (byte) 'y');
    byte[] gz = concat(gzip(big), gzip("tail".getBytes()));
    byte[] expected = readAll(new GZIPInputStream(new ByteArrayInputStream(gz)), 8192);
    IsalGzipInputStream in = new IsalGzipInputStream(trickle(gz, 5000));
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[777];
    for (int i = 0; ; i++) {
      if (i % 2 == 0) {
        java.nio.ByteBuffer b = in.readDirect(1 + i * 97 % 300_000);
        if (b == null) break;
        byte[] copy = new byte[b.remaining()];
        b.get(copy);
        got.writeBytes(copy);
      } else {
        int n = in.read(buf, 0, buf.length);
        if (n < 0) break;
        got.write(buf, 0, n);
      }
    }
    assertArrayEquals(expected, got.toByteArray());
    assertEquals(-1, in.read(buf, 0, 1));
    assertEquals(null, in.readDirect(10));
  }

  /** Inflating straight into the caller's buffers (a pipe's chunks) gives the same bytes. */
  @Test
  void readsIntoCallerBuffersBetweenHeapReadsGiveTheSameBytes() throws IOException {
    byte[] big = new byte[1_500_000];
    new Random(5).nextBytes(big);
    Arrays.fill(big, 100_000, 1_200_000, (byte) 'z');
    byte[] gz = concat(gzip(big), gzip(new byte[0]), gzip("tail".getBytes()));
    byte[] expected = readAll(new GZIPInputStream(new ByteArrayInputStream(gz)), 8192);
    IsalGzipInputStream in = new IsalGzipInputStream(trickle(gz, 7000));
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[333];
    java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocateDirect(300_000);
    for (int i = 0; ; i++) {
      if (i % 3 == 2) {
        int n = in.read(buf, 0, buf.length);
        if (n < 0) break;
        got.write(buf, 0, n);
      } else {
        chunk.clear().limit(1 + i * 7919 % 300_000).position(chunk.limit() > 10 ? 10 : 0);
        int at = chunk.position();
        int n = in.readInto(chunk);
        if (n < 0) break;
        assertEquals(at + n, chunk.position());
        byte[] copy = new byte[n];
        chunk.get(at, copy);
        got.writeBytes(copy);
      }
    }
    assertArrayEquals(expected, got.toByteArray());
    assertEquals(-1, in.readInto(java.nio.ByteBuffer.allocateDirect(10)));
    byte[] cut = Arrays.copyOf(gz, gz.length / 2);
    IsalGzipInputStream truncated = new IsalGzipInputStream(trickle(cut, 100));
    assertThrows(
        EOFException.class,
        () -> {
          while (truncated.readInto(chunk.clear()) >= 0) {
            // to the end
          }
        });
  }

  @Test
  void aTruncatedOrCorruptStreamIsAnError() throws IOException {
    byte[] gz = gzip(new byte[500_000]);
    byte[] cut = Arrays.copyOf(gz, gz.length / 2);
    assertThrows(EOFException.class, () -> readAll(new IsalGzipInputStream(trickle(cut, 100)), 64));
    assertThrows(
        EOFException.class,
        () -> readAll(new IsalGzipInputStream(InputStream.nullInputStream()), 64));
    byte[] crc = gz.clone();
    crc[crc.length - 5] ^= 0x40;
    IOException e =
        assertThrows(
            IOException.class, () -> readAll(new IsalGzipInputStream(trickle(crc, 9)), 64));
    assertEquals("gzip checksum or length does not match the data", e.getMessage());
  }
}
