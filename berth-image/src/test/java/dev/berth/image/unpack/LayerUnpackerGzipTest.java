package dev.berth.image.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.image.MediaTypes.Compression;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Every LayerUnpackerTest case on gzipped tars, which are read and inflated on the caller's thread
 * and written on another ({@link TarPipe}); and what the two threads must do together: stop each
 * other, and leave no thread behind.
 */
class LayerUnpackerGzipTest extends LayerUnpackerTest {
  LayerUnpackerGzipTest() {
    compression = Compression.GZIP;
  }

  private static byte[] gzipped(byte[] b) throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream o = new GZIPOutputStream(gz)) {
      o.write(b);
    }
    return gz.toByteArray();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /**
   * The threads named as the unpacker names its writers, alive now, or still alive a second later
   * (a thread's task ends an instant before the thread does).
   */
  private static long writers() throws InterruptedException {
    long n = 0;
    for (int i = 0; i < 100; i++) {
      n =
          Thread.getAllStackTraces().keySet().stream()
              .filter(t -> t.getName().equals("unpack-files") && t.isAlive())
              .count();
      if (n == 0) break;
      Thread.sleep(10);
    }
    return n;
  }

  /** A refused entry early in a big layer stops the reading too: the rest is never fetched. */
  @Test
  void aRefusedEntryStopsTheReadingOfTheRestOfTheLayer() throws Exception {
    byte[] tar =
        new TarBuilder()
            .file("../escape", "x")
            .file("big", 0644, 0, 0, random(64 << 20, 7), java.util.Map.of())
            .bytes();
    byte[] blob = gzipped(tar);
    AtomicLong read = new AtomicLong();
    InputStream counting =
        new FilterInputStream(new ByteArrayInputStream(blob)) {
          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) read.addAndGet(n);
            return n;
          }
        };
    UnpackException e =
        assertThrows(
            UnpackException.class,
            () -> new LayerUnpacker().unpack(counting, Compression.GZIP, target, Mode.OVERLAY));
    assertTrue(e.getMessage().contains("../escape"), e.getMessage());
    assertTrue(
        read.get() < 16 << 20, "read " + read.get() + " of " + blob.length + " bytes after it");
    assertEquals(0, writers(), "a writer thread outlived its unpack");
  }

  /**
   * A reader interrupted while the layer's bytes are late (a pull stopped because another layer
   * failed) ends the unpack with an error, its writer too, and keeps the interrupt for its caller.
   */
  @Test
  void anInterruptedReaderStopsItsWriterAndKeepsTheInterrupt() throws Exception {
    byte[] tar =
        new TarBuilder()
            .file("first", 0644, 0, 0, random(1 << 20, 3), java.util.Map.of())
            .file("second", "2")
            .bytes();
    byte[] blob = gzipped(tar);
    int half = blob.length / 2;
    java.util.concurrent.CountDownLatch halfway = new java.util.concurrent.CountDownLatch(1);
    InputStream stalling =
        new InputStream() {
          int pos;

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (pos >= half) {
              halfway.countDown();
              try {
                Thread.sleep(60_000); // a registry that stopped sending
              } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("read interrupted");
              }
            }
            int n = Math.min(len, half - pos);
            System.arraycopy(blob, pos, b, off, n);
            pos += n;
            return n;
          }
        };
    java.util.concurrent.CompletableFuture<Object> outcome =
        new java.util.concurrent.CompletableFuture<>();
    Thread reader =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    new LayerUnpacker().unpack(stalling, Compression.GZIP, target, Mode.OVERLAY);
                    outcome.complete("returned");
                  } catch (Throwable t) {
                    outcome.complete(
                        Thread.currentThread().isInterrupted()
                            ? t
                            : new AssertionError("interrupt lost", t));
                  }
                });
    assertTrue(halfway.await(30, java.util.concurrent.TimeUnit.SECONDS));
    reader.interrupt();
    Object o = outcome.get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(o instanceof IOException, String.valueOf(o));
    reader.join(30_000);
    assertEquals(0, writers(), "a writer thread outlived its unpack");
  }
}
