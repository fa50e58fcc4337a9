package dev.berth.image.content;

import static dev.berth.image.content.ContentStoreTest.bytes;
import static dev.berth.image.content.ContentStoreTest.describe;
import static dev.berth.image.content.ContentStoreTest.files;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GarbageCollectionTest {
  @TempDir Path root;

  /**
   * index -> manifest -> (config, layer1, layer2); a second manifest shares layer1; plus loose
   * blobs.
   */
  @Test
  void keepsWhatTheRootsReachAndDeletesTheRest() throws IOException {
    ContentStore store = ContentStore.open(root);
    Digest config = store.put("config".getBytes(), "c").digest();
    Digest layer1 = store.put(bytes(1000, 1), "l").digest();
    Digest layer2 = store.put(bytes(1000, 2), "l").digest();
    Digest manifest = store.put("manifest".getBytes(), "m").digest();
    Digest index = store.put("index".getBytes(), "i").digest();
    Digest oldManifest = store.put("old manifest".getBytes(), "m").digest();
    Digest oldLayer = store.put(bytes(777, 3), "l").digest();
    Digest missing = Digest.sha256Of("never stored".getBytes());
    Map<Digest, List<Digest>> refs = new HashMap<>();
    refs.put(
        index, List.of(manifest, missing)); // an index may name platforms that were never pulled
    refs.put(manifest, List.of(config, layer1, layer2));
    refs.put(oldManifest, List.of(layer1, oldLayer));
    Function<Digest, Collection<Digest>> children =
        d -> {
          assertTrue(store.exists(d), "children is only asked about blobs in the store: " + d);
          return refs.getOrDefault(d, List.of());
        };

    GcResult result = store.collect(Set.of(index, missing), children);

    List<Digest> gone =
        List.of(oldManifest, oldLayer).stream()
            .sorted(Comparator.comparing(Digest::toString))
            .toList();
    assertEquals(gone, result.removed());
    assertEquals("old manifest".length() + 777, result.reclaimedBytes());
    assertEquals(5, result.kept());
    assertEquals(
        List.of(config, index, layer1, layer2, manifest).stream()
            .sorted(Comparator.comparing(Digest::toString))
            .toList(),
        store.list());
  }

  @Test
  void aFailingReferenceLookupDeletesNothing() throws IOException {
    ContentStore store = ContentStore.open(root);
    Digest manifest = store.put("manifest".getBytes(), "m").digest();
    Digest loose = store.put("loose".getBytes(), "l").digest();
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                store.collect(
                    Set.of(manifest),
                    d -> {
                      throw new UncheckedIOException(
                          new IOException("manifest: layers[0].digest: invalid digest"));
                    }));
    assertEquals(
        "gc: references of "
            + manifest
            + ": manifest: layers[0].digest: invalid digest (nothing deleted)",
        e.getMessage());
    assertTrue(store.exists(loose));
  }

  @Test
  void waitsForALeaseInThisProcess() throws Exception {
    ContentStore store = ContentStore.open(root);
    CompletableFuture<GcResult> gc;
    Digest justPulled;
    try (StoreLease lease = store.lease()) {
      justPulled = store.put("pulled, not yet referenced".getBytes(), "l").digest();
      gc =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return store.collect(Set.of(), d -> List.of());
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      assertThrows(TimeoutException.class, () -> gc.get(300, TimeUnit.MILLISECONDS));
      assertTrue(store.exists(justPulled));
      try (StoreLease second = store.lease()) {
        // Leases do not exclude each other, even with a collection waiting.
        assertTrue(store.exists(justPulled));
      }
    }
    assertEquals(List.of(justPulled), gc.get(10, TimeUnit.SECONDS).removed());
  }

  @Test
  void removesStaleIngestsOnlyWhenNobodyHoldsThem() throws IOException {
    ContentStore store = ContentStore.open(root);
    Descriptor stale = describe(bytes(100, 4));
    Descriptor fresh = describe(bytes(100, 5));
    Descriptor held = describe(bytes(100, 6));
    try (Ingest i = store.ingest(stale)) {
      i.write(bytes(100, 4), 0, 50);
    }
    Path staleData = root.resolve("ingest/sha256-" + stale.digest().encoded() + "/data");
    Files.setLastModifiedTime(staleData, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    try (Ingest i = store.ingest(fresh)) {
      i.write(bytes(100, 5), 0, 50);
    }
    try (Ingest holding = store.ingest(held)) {
      holding.write(bytes(100, 6), 0, 50);
      Files.setLastModifiedTime(
          root.resolve("ingest/sha256-" + held.digest().encoded() + "/data"),
          FileTime.from(Instant.now().minus(Duration.ofHours(2))));

      GcResult result = store.collect(Set.of(), d -> List.of(), Duration.ofHours(1));

      assertEquals(List.of("sha256-" + stale.digest().encoded()), result.removedIngests());
      assertFalse(Files.exists(staleData.getParent()));
      holding.write(bytes(100, 6), 50, 50);
      holding.commit();
    }
    try (Ingest i = store.ingest(fresh)) {
      assertEquals(50, i.offset(), "a recent partial download stays for resume");
    }
    assertTrue(store.exists(held.digest()));
    assertEquals(
        List.of(
            "blobs/sha256/" + held.digest().encoded(),
            "ingest/sha256-" + fresh.digest().encoded() + "/data",
            "ingest/sha256-" + fresh.digest().encoded() + "/lock"),
        files(root));
  }
}
