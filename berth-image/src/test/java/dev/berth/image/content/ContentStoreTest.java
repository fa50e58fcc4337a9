package dev.berth.image.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentStoreTest {
  static final String LAYER = "application/vnd.oci.image.layer.v1.tar";

  @TempDir Path root;

  static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static Descriptor describe(byte[] content) {
    return new Descriptor(LAYER, Digest.sha256Of(content), content.length);
  }

  /**
   * Every file under the store root except the store lock: what a failed or finished ingest may
   * leave.
   */
  static List<String> files(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(Files::isRegularFile)
          .map(p -> root.relativize(p).toString())
          .filter(p -> !p.equals("lock"))
          .sorted()
          .toList();
    }
  }

  static String blobFile(Digest d) {
    return "blobs/sha256/" + d.encoded();
  }

  @Test
  void putStoresABlobThatReadsBackAndIsReadOnly() throws IOException {
    ContentStore store = ContentStore.open(root);
    byte[] content = "{\"schemaVersion\":2}".getBytes();
    Descriptor d = store.put(content, "application/vnd.oci.image.manifest.v1+json");

    assertEquals(
        new Descriptor(
            "application/vnd.oci.image.manifest.v1+json", Digest.sha256Of(content), content.length),
        d);
    assertTrue(store.exists(d.digest()));
    assertEquals(content.length, store.size(d.digest()));
    assertArrayEquals(content, store.read(d.digest(), 1024));
    assertArrayEquals(content, Files.readAllBytes(store.path(d.digest())));
    try (InputStream in = store.open(d.digest())) {
      assertArrayEquals(content, in.readAllBytes());
    }
    assertEquals(
        "r--r--r--",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(store.path(d.digest()))));
    assertEquals(List.of(d.digest()), store.list());
    assertEquals(List.of(blobFile(d.digest())), files(root));
    // Putting it again changes nothing.
    assertEquals(d, store.put(content, "application/vnd.oci.image.manifest.v1+json"));
    assertEquals(List.of(blobFile(d.digest())), files(root));
  }

  @Test
  void missingBlobsAreClearErrors() throws IOException {
    ContentStore store = ContentStore.open(root);
    Digest missing = Digest.sha256Of("nothing".getBytes());
    assertFalse(store.exists(missing));
    assertEquals(-1, store.size(missing));
    BlobNotFoundException e = assertThrows(BlobNotFoundException.class, () -> store.open(missing));
    assertEquals("blob " + missing + " not found", e.getMessage());
    e = assertThrows(BlobNotFoundException.class, () -> store.read(missing, 10));
    assertEquals(missing, e.digest());
  }

  @Test
  void readRefusesABlobLargerThanTheLimit() throws IOException {
    ContentStore store = ContentStore.open(root);
    Descriptor d = store.put(bytes(5000, 1), LAYER);
    IOException e = assertThrows(IOException.class, () -> store.read(d.digest(), 4096));
    assertEquals(
        "blob " + d.digest() + ": 5000 bytes, more than the 4096 read whole", e.getMessage());
  }

  @Test
  void readNoticesABlobDamagedOnDisk() throws IOException {
    ContentStore store = ContentStore.open(root);
    Descriptor d = store.put("{}".getBytes(), "x");
    Path p = store.path(d.digest());
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    Files.write(p, "[]".getBytes());
    IOException e = assertThrows(IOException.class, () -> store.read(d.digest(), 100));
    assertTrue(
        e.getMessage().startsWith("blob " + d.digest() + ": content does not match its digest"),
        e.getMessage());
  }

  @Test
  void ingestWritesInPiecesAndCommits() throws IOException {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(300_000, 2);
    Descriptor d = describe(content);
    try (Ingest ingest = store.ingest(d)) {
      assertFalse(ingest.alreadyCommitted());
      assertEquals(0, ingest.offset());
      OutputStream out = ingest.outputStream();
      for (int off = 0; off < content.length; off += 7000) {
        out.write(content, off, Math.min(7000, content.length - off));
        // Nothing appears under blobs/ before the commit.
        assertFalse(store.exists(d.digest()));
      }
      assertEquals(content.length, ingest.offset());
      assertEquals(d, ingest.commit());
    }
    assertArrayEquals(content, Files.readAllBytes(store.path(d.digest())));
    assertEquals(List.of(blobFile(d.digest())), files(root));
    try (Stream<Path> ingests = Files.list(root.resolve("ingest"))) {
      assertEquals(0, ingests.count(), "the ingest directory is removed by the commit");
    }
  }

  /** This process's open files under {@code dir}. */
  static List<String> openFilesUnder(Path dir) throws IOException {
    List<String> open = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          Path target = Files.readSymbolicLink(fd);
          if (target.startsWith(dir)) open.add(target.toString());
        } catch (IOException gone) {
          // the directory stream's own fd, closed meanwhile
        }
      }
    }
    return open;
  }

  @Test
  void largeBlobsHaveTheirWritebackStartedOnTheWayAndLeaveNoFileOpen() throws IOException {
    // Past the writeback step (8 MB) several times, in a resumed ingest and in a discarded one.
    byte[] content = bytes(20 << 20, 5);
    Descriptor d = describe(content);
    ContentStore store = ContentStore.open(root);
    try (Ingest ingest = store.ingest(d)) {
      ingest.write(content, 0, 9 << 20);
    } // a failed download: the partial data is kept, nothing stays open
    assertEquals(List.of(), openFilesUnder(root));
    try (Ingest ingest = store.ingest(d)) {
      assertEquals(9 << 20, ingest.offset());
      for (int off = 9 << 20; off < content.length; off += 1 << 20) {
        ingest.write(content, off, Math.min(1 << 20, content.length - off));
      }
      assertEquals(d, ingest.commit());
    }
    assertEquals(List.of(), openFilesUnder(root));
    assertArrayEquals(content, Files.readAllBytes(store.path(d.digest())));

    byte[] other = bytes(17 << 20, 6);
    Descriptor wrong = new Descriptor(LAYER, Digest.sha256Of(content), other.length);
    try (Ingest ingest = ContentStore.open(root.resolve("second")).ingest(wrong)) {
      ingest.write(other, 0, other.length);
      assertThrows(DigestMismatchException.class, ingest::commit);
    }
    assertEquals(List.of(), openFilesUnder(root));
  }

  @Test
  void closedIngestResumesWhereItStoppedAndTheHashCoversTheResumedBytes() throws IOException {
    byte[] content = bytes(200_000, 3);
    Descriptor d = describe(content);
    try (Ingest ingest = ContentStore.open(root).ingest(d)) {
      ingest.write(content, 0, 123_456);
    } // a failed download: close without commit
    assertEquals(
        List.of(
            "ingest/sha256-" + d.digest().encoded() + "/data",
            "ingest/sha256-" + d.digest().encoded() + "/lock"),
        files(root));

    ContentStore store = ContentStore.open(root); // as another process would
    try (Ingest ingest = store.ingest(d)) {
      assertEquals(123_456, ingest.offset());
      try (InputStream partial = ingest.partial()) {
        assertArrayEquals(java.util.Arrays.copyOf(content, 123_456), partial.readAllBytes());
      }
      ingest.write(content, 123_456, content.length - 123_456);
      assertEquals(d, ingest.commit());
    }
    assertArrayEquals(content, store.read(d.digest(), content.length));
    assertEquals(List.of(blobFile(d.digest())), files(root));
  }

  @Test
  void resumingACommitWithoutWritingStillHashesThePartialData() throws IOException {
    byte[] content = bytes(10_000, 4);
    Descriptor d = describe(content);
    ContentStore store = ContentStore.open(root);
    try (Ingest ingest = store.ingest(d)) {
      ingest.write(content, 0, content.length);
    }
    try (Ingest ingest = store.ingest(d)) {
      assertEquals(content.length, ingest.offset());
      assertEquals(
          d,
          ingest.commit()); // the whole blob was already there: hashing the resumed bytes suffices
    }
    assertTrue(store.exists(d.digest()));
  }

  @Test
  void aWholeButWrongPartialIsDroppedWhenResumedNotOfferedForResume() throws IOException {
    byte[] content = bytes(10_000, 41);
    Descriptor d = describe(content);
    ContentStore store = ContentStore.open(root);
    byte[] wrong = content.clone();
    wrong[5000] ^= 1;
    try (Ingest ingest = store.ingest(d)) {
      ingest.write(
          wrong, 0, wrong.length); // then killed, or refused by its reader, before the commit
    }
    try (Ingest ingest = store.ingest(d)) {
      assertEquals(
          0, ingest.offset(), "as many bytes as the blob, but not the blob: nothing to resume");
      ingest.write(content, 0, content.length);
      ingest.commit();
    }
    assertArrayEquals(content, Files.readAllBytes(store.path(d.digest())));
    assertEquals(List.of(blobFile(d.digest())), files(root));
  }

  @Test
  void discardPartialDeletesTheBytesAndTheIngestDirectory() throws IOException {
    byte[] content = bytes(10_000, 42);
    Descriptor d = describe(content);
    ContentStore store = ContentStore.open(root);
    try (Ingest ingest = store.ingest(d)) {
      ingest.write(content, 0, 3000);
      ingest.discardPartial();
      assertFalse(ingest.isOpen());
      ingest.discardPartial(); // a second call does nothing
    }
    assertEquals(List.of(), files(root));
    try (Ingest again = store.ingest(d)) {
      assertEquals(0, again.offset());
    }
  }

  @Test
  void restartDiscardsThePartialData() throws IOException {
    byte[] content = bytes(10_000, 5);
    Descriptor d = describe(content);
    ContentStore store = ContentStore.open(root);
    try (Ingest ingest = store.ingest(d)) {
      ingest.write(bytes(4000, 99), 0, 4000); // wrong bytes, e.g. a server that sent something else
    }
    try (Ingest ingest = store.ingest(d)) {
      assertEquals(4000, ingest.offset());
      ingest.restart(); // the server ignored our Range request and sends the whole blob
      assertEquals(0, ingest.offset());
      ingest.write(content, 0, content.length);
      ingest.commit();
    }
    assertArrayEquals(content, Files.readAllBytes(store.path(d.digest())));
  }

  @Test
  void digestMismatchLeavesNoBlobAndNoIngest() throws IOException {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(5000, 6);
    Descriptor d = describe(content);
    byte[] other = bytes(5000, 7);
    try (Ingest ingest = store.ingest(d)) {
      ingest.write(other, 0, other.length);
      DigestMismatchException e = assertThrows(DigestMismatchException.class, ingest::commit);
      assertEquals(
          "blob " + d.digest() + ": digest mismatch, got " + Digest.sha256Of(other),
          e.getMessage());
      assertEquals(Digest.sha256Of(other), e.got());
      assertFalse(ingest.isOpen());
    }
    assertFalse(store.exists(d.digest()));
    assertEquals(List.of(), files(root));
    try (Ingest again = store.ingest(d)) {
      assertEquals(0, again.offset(), "nothing of the bad data is resumed");
    }
  }

  @Test
  void writingPastTheDeclaredSizeFailsAtOnceAndLeavesNothing() throws IOException {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(1000, 8);
    Descriptor d = describe(content);
    try (Ingest ingest = store.ingest(d)) {
      ingest.write(content, 0, 600);
      IOException e = assertThrows(IOException.class, () -> ingest.write(content, 0, 401));
      assertEquals("blob " + d.digest() + ": more than the declared 1000 bytes", e.getMessage());
      assertThrows(IllegalStateException.class, () -> ingest.write(content, 0, 1));
    }
    assertFalse(store.exists(d.digest()));
    assertEquals(List.of(), files(root));
  }

  @Test
  void committingFewerBytesThanDeclaredFailsAndKeepsThemForResume() throws IOException {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(1000, 9);
    Descriptor d = describe(content);
    try (Ingest ingest = store.ingest(d)) {
      ingest.write(content, 0, 700);
      IOException e = assertThrows(IOException.class, ingest::commit);
      assertTrue(
          e.getMessage()
              .startsWith("blob " + d.digest() + ": short: 700 of the declared 1000 bytes"),
          e.getMessage());
    }
    try (Ingest ingest = store.ingest(d)) {
      assertEquals(700, ingest.offset());
      ingest.write(content, 700, 300);
      ingest.commit();
    }
    assertTrue(store.exists(d.digest()));
  }

  @Test
  void ingestOfAStoredBlobIsAlreadyCommittedAndRefusesWrites() throws IOException {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(100, 10);
    Descriptor d = store.put(content, LAYER);
    try (Ingest ingest = store.ingest(d)) {
      assertTrue(ingest.alreadyCommitted());
      assertEquals(100, ingest.offset());
      assertThrows(IllegalStateException.class, () -> ingest.write(content, 0, 1));
      assertEquals(d, ingest.commit());
    }
    IOException e =
        assertThrows(IOException.class, () -> store.ingest(new Descriptor(LAYER, d.digest(), 99)));
    assertEquals(
        "blob " + d.digest() + ": declared 99 bytes, but the stored blob has 100", e.getMessage());
  }

  @Test
  void ingestOfUnknownSizeChecksOnlyTheDigest() throws IOException {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(3333, 11);
    try (Ingest ingest = store.ingest(Digest.sha256Of(content), -1, LAYER)) {
      ingest.write(content, 0, content.length);
      assertEquals(describe(content), ingest.commit());
    }
  }

  @Test
  void sha512BlobsHaveTheirOwnDirectory() throws Exception {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(100, 15);
    Digest d =
        new Digest(
            "sha512",
            java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-512").digest(content)));
    try (Ingest ingest = store.ingest(d, content.length, LAYER)) {
      ingest.write(content, 0, content.length);
      ingest.commit();
    }
    assertEquals(root.toRealPath().resolve("blobs/sha512/" + d.encoded()), store.path(d));
    assertArrayEquals(content, store.read(d, 100));
    assertTrue(store.list().contains(d));
  }

  @Test
  void twoThreadsIngestingOneBlobAreCoalesced() throws Exception {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(50_000, 12);
    Descriptor d = describe(content);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CountDownLatch firstHolds = new CountDownLatch(1);
      CountDownLatch mayCommit = new CountDownLatch(1);
      Future<Boolean> first =
          pool.submit(
              () -> {
                try (Ingest ingest = store.ingest(d)) {
                  ingest.write(content, 0, 20_000);
                  firstHolds.countDown();
                  mayCommit.await();
                  ingest.write(content, 20_000, content.length - 20_000);
                  ingest.commit();
                  return ingest.alreadyCommitted();
                }
              });
      assertTrue(firstHolds.await(10, TimeUnit.SECONDS));
      // A second ingest of the same blob, through another store object on the same root, waits.
      ContentStore sameRoot = ContentStore.open(root);
      Future<long[]> second =
          pool.submit(
              () -> {
                try (Ingest ingest = sameRoot.ingest(d)) {
                  return new long[] {ingest.alreadyCommitted() ? 1 : 0, ingest.offset()};
                }
              });
      assertThrows(TimeoutException.class, () -> second.get(300, TimeUnit.MILLISECONDS));
      mayCommit.countDown();
      assertFalse(first.get(10, TimeUnit.SECONDS));
      assertArrayEquals(new long[] {1, content.length}, second.get(10, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(blobFile(d.digest())), files(root));
  }

  @Test
  void manyThreadsPullingOneBlobWriteItOnce() throws Exception {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(100_000, 13);
    Descriptor d = describe(content);
    AtomicInteger writers = new AtomicInteger();
    AtomicInteger skipped = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Descriptor>> all = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        all.add(
            pool.submit(
                () -> {
                  start.await();
                  try (Ingest ingest = store.ingest(d)) {
                    if (ingest.alreadyCommitted()) {
                      skipped.incrementAndGet();
                      return ingest.commit();
                    }
                    writers.incrementAndGet();
                    for (int off = (int) ingest.offset(); off < content.length; off += 10_000) {
                      ingest.write(content, off, Math.min(10_000, content.length - off));
                      Thread.sleep(2);
                    }
                    return ingest.commit();
                  }
                }));
      }
      start.countDown();
      for (Future<Descriptor> f : all) {
        assertEquals(d, f.get(30, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, writers.get(), "the bytes are written once");
    assertEquals(7, skipped.get());
    assertArrayEquals(content, Files.readAllBytes(store.path(d.digest())));
  }

  @Test
  void aThreadWaitingForAnIngestCanBeInterrupted() throws Exception {
    ContentStore store = ContentStore.open(root);
    Descriptor d = describe(bytes(10, 14));
    try (Ingest held = store.ingest(d)) {
      Thread[] waiter = new Thread[1];
      Throwable[] failure = new Throwable[1];
      waiter[0] =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try (Ingest ingest = store.ingest(d)) {
                      failure[0] = new AssertionError("got the ingest while it was held");
                    } catch (Throwable t) {
                      failure[0] = t;
                    }
                  });
      Thread.sleep(200);
      waiter[0].interrupt();
      waiter[0].join(10_000);
      assertTrue(failure[0] instanceof InterruptedIOException, String.valueOf(failure[0]));
      assertEquals(0, held.offset());
    }
    try (Ingest again = store.ingest(d)) {
      assertFalse(again.alreadyCommitted(), "the interrupted waiter left the per-digest lock free");
    }
  }
}
