package dev.berth.image.content;

import static dev.berth.image.content.ContentStoreTest.bytes;
import static dev.berth.image.content.ContentStoreTest.describe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exclusion between processes: a second JVM on the same store root. */
class ContentStoreProcessTest {
  @TempDir Path root;

  private static StoreChild ingestIn(Path root, Descriptor d, byte[] prefix) throws Exception {
    StoreChild child =
        StoreChild.start(
            "ingest",
            root.toString(),
            d.digest().toString(),
            Long.toString(d.size()),
            HexFormat.of().formatHex(prefix));
    assertEquals("held", child.readLine());
    return child;
  }

  @Test
  void anIngestHeldByAnotherProcessMakesThisOneWaitThenSeeTheBlob() throws Exception {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(4096, 20);
    Descriptor d = describe(content);
    try (StoreChild child = ingestIn(root, d, content)) {
      CompletableFuture<Boolean> mine =
          CompletableFuture.supplyAsync(
              () -> {
                try (Ingest ingest = store.ingest(d)) {
                  return ingest.alreadyCommitted();
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      assertThrows(TimeoutException.class, () -> mine.get(500, TimeUnit.MILLISECONDS));
      child.send("commit");
      assertEquals("done", child.readLine());
      assertTrue(
          mine.get(20, TimeUnit.SECONDS),
          "the blob the other process committed is not written again");
      assertEquals(0, child.waitFor());
    }
    assertArrayEquals(content, store.read(d.digest(), 4096));
  }

  @Test
  void anIngestClosedByAnotherProcessIsResumedHere() throws Exception {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(8192, 21);
    Descriptor d = describe(content);
    try (StoreChild child = ingestIn(root, d, Arrays.copyOf(content, 3000))) {
      child.send("close");
      assertEquals("done", child.readLine());
      assertEquals(0, child.waitFor());
    }
    try (Ingest ingest = store.ingest(d)) {
      assertEquals(3000, ingest.offset());
      ingest.write(content, 3000, content.length - 3000);
      ingest.commit();
    }
    assertArrayEquals(content, store.read(d.digest(), 8192));
  }

  @Test
  void aCrashedIngestReleasesItsLockAndKeepsItsDataForResume() throws Exception {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(8192, 22);
    Descriptor d = describe(content);
    try (StoreChild child = ingestIn(root, d, Arrays.copyOf(content, 5000))) {
      child.kill();
    }
    try (Ingest ingest = store.ingest(d)) {
      assertEquals(5000, ingest.offset());
      ingest.write(content, 5000, content.length - 5000);
      ingest.commit();
    }
    assertArrayEquals(content, store.read(d.digest(), 8192));
  }

  @Test
  void garbageCollectionWaitsForALeaseOfAnotherProcess() throws Exception {
    ContentStore store = ContentStore.open(root);
    Descriptor garbage = store.put(bytes(100, 23), "x");
    try (StoreChild child = StoreChild.start("lease", root.toString())) {
      assertEquals("held", child.readLine());
      CompletableFuture<GcResult> gc =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return store.collect(Set.of(), d -> List.of());
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      assertThrows(TimeoutException.class, () -> gc.get(500, TimeUnit.MILLISECONDS));
      assertTrue(store.exists(garbage.digest()));
      child.send("release");
      assertEquals(List.of(garbage.digest()), gc.get(20, TimeUnit.SECONDS).removed());
      assertEquals(0, child.waitFor());
    }
    assertFalse(Files.exists(store.path(garbage.digest())));
  }

  @Test
  void aLeaseOfACrashedProcessIsGone() throws Exception {
    ContentStore store = ContentStore.open(root);
    Digest garbage = store.put(bytes(100, 24), "x").digest();
    try (StoreChild child = StoreChild.start("lease", root.toString())) {
      assertEquals("held", child.readLine());
      child.kill();
    }
    assertEquals(List.of(garbage), store.collect(Set.of(), d -> List.of()).removed());
  }

  @Test
  void garbageCollectionLeavesAnIngestHeldByAnotherProcess() throws Exception {
    ContentStore store = ContentStore.open(root);
    byte[] content = bytes(4096, 25);
    Descriptor d = describe(content);
    try (StoreChild child = ingestIn(root, d, Arrays.copyOf(content, 1000))) {
      GcResult result = store.collect(Set.of(), x -> List.of(), java.time.Duration.ZERO);
      assertEquals(List.of(), result.removedIngests());
      child.send("close");
      assertEquals("done", child.readLine());
      assertEquals(0, child.waitFor());
    }
    // Now nobody holds it: a zero age removes it.
    GcResult result = store.collect(Set.of(), x -> List.of(), java.time.Duration.ZERO);
    assertEquals(List.of("sha256-" + d.digest().encoded()), result.removedIngests());
    try (Ingest ingest = store.ingest(d)) {
      assertEquals(0, ingest.offset());
    }
  }
}
