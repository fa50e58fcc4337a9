package dev.berth.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.content.StoreChild;
import dev.berth.image.snapshot.ChainIds;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.image.TreeSnapshot;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images over their life in one store: concurrent pulls, removal and garbage collection, import.
 */
@RequiresRoot
@Tag("integration")
class ImageLifecycleTest {
  @TempDir Path tmp;
  OciLayoutBuilder layout;
  LayoutRegistry registry;
  OciLayoutBuilder.Layer base;
  OciLayoutBuilder.Image one;
  OciLayoutBuilder.Image two;

  @BeforeEach
  void setUp() throws Exception {
    layout = new OciLayoutBuilder(tmp.resolve("layout"));
    base =
        layout.layer(
            new LayerTar()
                .add(TarEntry.dir("etc"), TarEntry.file("etc/base", "shared"))
                .randomFiles("lib", 2, 300_000, 1, 0.5),
            Compression.GZIP);
    one =
        layout.image(
            OciLayoutBuilder.AMD64,
            ImageConfig.empty(),
            List.of(
                base,
                layout.layer(
                    new LayerTar().randomFiles("one", 2, 100_000, 2, 0.5), Compression.GZIP)));
    two =
        layout.image(
            OciLayoutBuilder.AMD64,
            ImageConfig.empty().withCmd("two"),
            List.of(
                base,
                layout.layer(
                    new LayerTar().randomFiles("two", 2, 100_000, 3, 0.5), Compression.ZSTD)));
    layout.tag("one", one.manifest()).tag("two", two.manifest());
    registry = new LayoutRegistry(layout.dir());
  }

  @AfterEach
  void tearDown() throws Exception {
    registry.close();
    StoreChecks.assertNoMountsUnder(tmp);
  }

  String ref(String tag) {
    return registry.address() + "/lib/app:" + tag;
  }

  @Test
  void twoThreadsPullingTheSameImageBothSucceedAndEachBlobIsFetchedOnce() throws Exception {
    ImageService service = StoreChecks.service(tmp.resolve("store"));
    CyclicBarrier start = new CyclicBarrier(2);
    Callable<ImageRecord> pull =
        () -> {
          start.await();
          return service.pull(ref("one"), null, Progress.NONE);
        };
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<ImageRecord> a = pool.submit(pull);
      Future<ImageRecord> b = pool.submit(pull);
      assertEquals(one.config().digest(), a.get().config());
      assertEquals(one.config().digest(), b.get().config());
    } finally {
      pool.shutdownNow();
    }
    for (Digest layer : one.layerDigests()) {
      assertEquals(
          1,
          registry.blobRequests(layer).size(),
          "GETs of " + layer + ": " + registry.blobRequests());
    }
    assertEquals(Set.copyOf(ChainIds.of(one.diffIds())), service.snapshots().committed());
    StoreChecks.assertNoLeftovers(tmp.resolve("store"));
  }

  @Test
  void twoServicesOnOneStoreShareItAsTwoProcessesWould() throws Exception {
    ImageService first = StoreChecks.service(tmp.resolve("store"));
    ImageService second = StoreChecks.service(tmp.resolve("store"));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<ImageRecord> a = pool.submit(() -> first.pull(ref("one"), null, Progress.NONE));
      Future<ImageRecord> b = pool.submit(() -> second.pull(ref("two"), null, Progress.NONE));
      a.get();
      b.get();
    } finally {
      pool.shutdownNow();
    }
    assertEquals(2, first.list().size());
    assertEquals(
        1,
        registry.blobRequests(base.blob().digest()).size(),
        "the shared base layer is fetched once");
    StoreChecks.assertNoLeftovers(tmp.resolve("store"));
  }

  @Test
  void removingOneOfTwoImagesKeepsTheSharedBaseAndDropsTheRest() throws Exception {
    ImageService service = StoreChecks.service(tmp.resolve("store"));
    ImageRecord r1 = service.pull(ref("one"), null, Progress.NONE);
    service.pull(ref("two"), null, Progress.NONE);
    List<Digest> chain1 = ChainIds.of(one.diffIds());
    List<Digest> chain2 = ChainIds.of(two.diffIds());

    List<String> lines = service.remove(List.of(r1.name()), false);
    assertEquals(List.of("Untagged: " + r1.name(), "Deleted: " + r1.config()), lines);
    assertTrue(service.content().exists(base.blob().digest()), "shared base blob");
    assertFalse(service.content().exists(one.layerDigests().get(1)));
    assertFalse(service.content().exists(one.config().digest()));
    assertFalse(service.content().exists(one.manifest().digest()));
    assertEquals(Set.of(chain2.get(0), chain2.get(1)), service.snapshots().committed());
    assertEquals(chain1.get(0), chain2.get(0));
    TreeSnapshot still = StoreChecks.unpackedTree(service, service.resolve(ref("two")), tmp);
    assertEquals(300_000, still.get("lib/file-0.bin").size());

    // by id prefix, once the last name goes: everything
    String prefix = two.config().digest().encoded().substring(0, 10);
    service.remove(List.of(prefix), false);
    assertEquals(List.of(), service.list());
    assertEquals(Set.of(), service.snapshots().committed());
    assertEquals(List.of(), service.content().list());
  }

  @Test
  void anIdWithTwoNamesIsRemovedOnlyByForce() throws Exception {
    ImageService service = StoreChecks.service(tmp.resolve("store"));
    ImageRecord r = service.pull(ref("one"), null, Progress.NONE);
    service.tag(r.name(), "localhost/copy:1");
    String id = r.config().toString();
    ImageException e = assertThrows(ImageException.class, () -> service.remove(List.of(id), false));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
    assertTrue(e.getMessage().contains("must be forced"), e.getMessage());
    assertEquals(2, service.list().size());
    // a name alone is only untagged
    assertEquals(
        List.of("Untagged: localhost/copy:1"), service.remove(List.of("localhost/copy:1"), false));
    assertTrue(service.content().exists(one.layerDigests().get(1)));
    service.tag(r.name(), "localhost/copy:1");
    List<String> lines = service.remove(List.of(id.substring(7, 19)), true);
    assertTrue(lines.contains("Deleted: " + id), lines.toString());
    assertEquals(List.of(), service.list());
    assertEquals(Set.of(), service.snapshots().committed());
  }

  @Test
  void garbageCollectionRemovesWhatAKilledPullLeftStagedAndKeepsEveryImage() throws Exception {
    Path tarball = tmp.resolve("rootfs.tar");
    try (OutputStream out = Files.newOutputStream(tarball)) {
      new LayerTar().add(TarEntry.file("kept", "k")).writeTo(out);
    }
    ImageService service = StoreChecks.service(tmp.resolve("store"));
    ImageRecord kept = service.importRootfs(tarball, "localhost/kept:1", null);
    // What a pull killed between staging and commit leaves: an unnamed snapshot directory, half
    // filled.
    var staging = service.snapshots().stage(Digest.sha256Of("killed".getBytes()), null);
    Files.writeString(staging.dir().resolve("half-written"), "x");
    Path snapshotsDir = tmp.resolve("store/snapshots/snapshots");
    try (var s = Files.list(snapshotsDir)) {
      assertEquals(2, s.count());
    }
    assertEquals(new ImageService.Collected(0, 0, 1, 0, 0, 0), service.collectGarbage());
    assertFalse(Files.exists(staging.dir()), "the killed pull's staging is gone");
    try (var s = Files.list(snapshotsDir)) {
      assertEquals(1, s.count(), "only the kept image's layer is left");
    }
    StoreChecks.unpackedTree(service, kept, tmp); // still mounts and reads
    assertEquals(List.of(kept), service.list());
  }

  /** Snapshot directories no chain id names: the stagings of pulls running or killed. */
  static long stagings(Path store) throws Exception {
    Set<String> named = new java.util.HashSet<>();
    try (var links = Files.list(store.resolve("snapshots/chains"))) {
      for (Path l : (Iterable<Path>) links::iterator)
        named.add(Files.readSymbolicLink(l).getFileName().toString());
    }
    try (var dirs = Files.list(store.resolve("snapshots/snapshots"))) {
      return dirs.filter(d -> !named.contains(d.getFileName().toString())).count();
    }
  }

  static List<Path> list(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.toList();
    }
  }

  /**
   * Pulls {@code tag} (of {@code image}) in a second JVM, waits until it has {@code staged} layers
   * staged, {@code stalled} bytes of the blob {@code stalledAt} written and the image's manifest
   * and config stored (a pull stores them beside its layers: killed in their middle, it would leave
   * their ingests too, which this is not about), and kills it (SIGKILL).
   */
  void killedPull(
      Path store,
      String tag,
      OciLayoutBuilder.Image image,
      int staged,
      Digest stalledAt,
      long stalled)
      throws Exception {
    Path partial = store.resolve("content/ingest/sha256-" + stalledAt.encoded() + "/data");
    Path blobs = store.resolve("content/blobs/sha256");
    try (StoreChild child = StoreChild.start(PullChild.class, store.toString(), ref(tag))) {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (!Files.isDirectory(store.resolve("snapshots/chains"))
          || stagings(store) < staged
          || !Files.exists(partial)
          || Files.size(partial) < stalled
          || !Files.exists(blobs.resolve(image.config().digest().encoded()))
          || !Files.exists(blobs.resolve(image.manifest().digest().encoded()))) {
        assertTrue(
            System.nanoTime() < deadline, "the child pull did not stage " + staged + " layers");
        Thread.sleep(50);
      }
      child.kill();
    }
    assertEquals(staged, stagings(store), "what the killed pull left staged");
  }

  @Test
  void stagingsOfAKilledPullAreCollectedByTheNextPullAndDoNotKeepRmiFromFreeingTheirParents()
      throws Exception {
    Path store = tmp.resolve("store");
    ImageService service = StoreChecks.service(store);
    service.pull(ref("one"), null, Progress.NONE);
    Digest twoTop = two.layerDigests().get(1);
    registry.stallAfter(twoTop, 10_000);

    // "two" shares the base layer with "one": its top layer's staging names the base snapshot as
    // its parent.
    killedPull(store, "two", two, 1, twoTop, 10_000);
    service.remove(List.of(ref("one")), false);
    assertEquals(Set.of(), service.snapshots().committed(), "rmi freed every snapshot");
    assertEquals(List.of(), list(store.resolve("snapshots/snapshots")));

    // Killed again, on an empty store: both layers staged (the base one verified, waiting for the
    // top one).
    killedPull(store, "two", two, 2, twoTop, 10_000);
    registry.clearFaults();
    ImageRecord r = service.pull(ref("one"), null, Progress.NONE);
    assertEquals(0, stagings(store), "the next pull collected the killed pull's stagings");
    StoreChecks.unpackedTree(service, r, tmp);

    service.remove(List.of(ref("one")), false);
    assertEquals(Set.of(), service.snapshots().committed());
    assertEquals(List.of(), list(store.resolve("snapshots/snapshots")));
    assertEquals(List.of(), list(store.resolve("content/blobs/sha256")));
    // What the killed pull downloaded of the top layer of "two" stays for a resume, until a prune.
    assertEquals(
        List.of(store.resolve("content/ingest/sha256-" + twoTop.encoded())),
        list(store.resolve("content/ingest")));
    ImageService.Collected pruned = service.prune();
    assertEquals(1, pruned.ingests(), pruned.toString());
    assertEquals(10_000, pruned.ingestBytes(), pruned.toString());
    assertEquals(List.of(), list(store.resolve("content/ingest")));
  }

  @Test
  void rmiKeepsAFreshPartialDownloadForResumeAndPruneRemovesIt() throws Exception {
    Path store = tmp.resolve("store");
    ImageService service = StoreChecks.service(store);
    byte[] blob = "a blob downloaded in part".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    var d =
        new dev.berth.spec.image.Descriptor(
            "application/octet-stream", Digest.sha256Of(blob), blob.length);
    try (var ingest = service.content().ingest(d)) {
      ingest.write(blob, 0, 7);
    }
    assertEquals(new ImageService.Collected(0, 0, 0, 0, 0, 0), service.collectGarbage());
    assertEquals(1, list(store.resolve("content/ingest")).size());
    assertEquals(new ImageService.Collected(0, 0, 0, 0, 1, 7), service.prune());
    assertEquals(List.of(), list(store.resolve("content/ingest")));
  }

  @Test
  void anImportedTarballIsAOneLayerImageOfExactlyItsContent() throws Exception {
    LayerTar content =
        new LayerTar()
            .add(
                TarEntry.dir("bin"),
                TarEntry.file("bin/tool", "#!/bin/sh\n").withMode(0755),
                TarEntry.symlink("bin/alias", "tool"),
                TarEntry.dir("var").withOwner(33, 33),
                TarEntry.file("var/log", "x").withOwner(33, 33).withMode(0600));
    Path plain = tmp.resolve("rootfs.tar");
    Path gz = tmp.resolve("rootfs.tar.gz");
    try (OutputStream out = Files.newOutputStream(plain)) {
      content.writeTo(out);
    }
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      content.writeTo(out);
    }
    Path expectedDir = Files.createDirectories(tmp.resolve("expected"));
    dev.berth.testkit.Exec.run("tar", "-xpf", plain.toString(), "-C", expectedDir.toString()).ok();
    TreeSnapshot expected = TreeSnapshot.of(expectedDir);

    ImageService service = StoreChecks.service(tmp.resolve("store"));
    ImageRecord a = service.importRootfs(plain, "localhost/imported:plain", null);
    ImageRecord b = service.importRootfs(gz, null, "gzip import");
    assertEquals("localhost/imported:plain", a.name());
    assertTrue(ImageService.isUnnamed(b), b.name());
    for (ImageRecord r : List.of(a, b)) {
      ImageService.ImageDetails d = service.inspect(r.config().toString());
      assertEquals(1, d.manifest().layers().size());
      assertEquals(
          List.of(Digest.sha256Of(Files.readAllBytes(plain))), d.config().rootfs().diffIds());
      StoreChecks.unpackedTree(service, r, tmp)
          .excluding(".")
          .assertSameAs(expected.excluding("."));
    }
    assertEquals(
        Digest.sha256Of(Files.readAllBytes(gz)),
        service.inspect(b.name()).manifest().layers().get(0).digest());
  }
}
