package dev.berth.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.snapshot.ChainIds;
import dev.berth.image.snapshot.Snapshotter;
import dev.berth.image.snapshot.Unsynced;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.image.TreeSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulled and loaded layers are committed without syncing their trees: a durable mark says so until
 * a later sync clears it. A mark that outlives its boot means a power cut may have emptied the
 * tree's files; the store's next open unpacks that layer again from its blob before anyone uses it.
 * The power cut is staged by renaming the marks to another boot id and damaging the trees as a
 * crash with delayed allocation does (files empty or missing).
 */
@RequiresRoot
class UnsyncedSnapshotsTest {
  static final String OTHER_BOOT = "0123456789abcdef0123456789abcdef";

  @TempDir Path tmp;
  Path store;
  ImageService service;
  ImageRecord image;
  LayoutRegistry registry;

  @BeforeEach
  void setUp() throws Exception {
    OciLayoutBuilder layout = new OciLayoutBuilder(tmp.resolve("layout"));
    OciLayoutBuilder.Layer base =
        layout.layer(
            new LayerTar()
                .add(
                    TarEntry.dir("etc"),
                    TarEntry.file("etc/passwd", "root:x:0:0::/:/bin/sh\n"),
                    TarEntry.dir("bin"),
                    TarEntry.file("bin/tool", "#!/bin/sh\necho tool\n")),
            Compression.GZIP);
    OciLayoutBuilder.Layer top =
        layout.layer(
            new LayerTar().add(TarEntry.dir("data"), TarEntry.file("data/big", "x".repeat(70_000))),
            Compression.ZSTD);
    OciLayoutBuilder.Image img =
        layout.image(OciLayoutBuilder.AMD64, ImageConfig.empty(), List.of(base, top));
    layout.tag("v1", img.manifest());
    registry = new LayoutRegistry(layout.dir());
    store = tmp.resolve("store");
    if (copySnapshots()) {
      Files.createDirectories(store.resolve("snapshots"));
      Files.writeString(store.resolve("snapshots/driver"), "copy\n");
    }
    service = StoreChecks.service(store);
    image = service.pull(registry.address() + "/lib/app:v1", null, Progress.NONE);
  }

  @AfterEach
  void tearDown() throws Exception {
    registry.close();
    StoreChecks.assertNoMountsUnder(tmp);
  }

  /** Whether the store's snapshots are copies (each layer's tree starts as its parent's). */
  boolean copySnapshots() {
    return false;
  }

  Path marks() {
    return store.resolve("snapshots/unsynced");
  }

  List<String> markNames() throws Exception {
    try (Stream<Path> s = Files.list(marks())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** What a power cut before the sync would leave: the marks now of an earlier boot. */
  void rebootWithoutSync() throws Exception {
    for (String name : markNames()) {
      Files.move(marks().resolve(name), marks().resolve(OTHER_BOOT + name.substring(32)));
    }
  }

  Path tree(Digest chain) throws Exception {
    Path link = store.resolve("snapshots/chains").resolve(chain.encoded());
    return link.resolveSibling(Files.readSymbolicLink(link)).normalize().resolve("fs");
  }

  List<Digest> chains() throws Exception {
    return ChainIds.of(
        dev.berth.spec.image.ImageJson.readConfig(
                service.content().read(image.config(), ImageService.MAX_METADATA), "config")
            .rootfs()
            .diffIds());
  }

  @Test
  void aPullMarksItsLayersAndASyncClearsTheMarks() throws Exception {
    Snapshotter snaps = service.snapshots();
    List<Unsynced> marked = snaps.unsynced();
    assertEquals(2, marked.size(), "one mark per layer: " + markNames());
    for (Unsynced u : marked) assertTrue(u.thisBoot(), u.toString());
    assertEquals(
        chains().stream().sorted(java.util.Comparator.comparing(Digest::encoded)).toList(),
        marked.stream()
            .map(Unsynced::chainId)
            .sorted(java.util.Comparator.comparing(Digest::encoded))
            .toList());
    snaps.sync(marked);
    assertEquals(List.of(), markNames());
    assertEquals(List.of(), snaps.unsynced());
  }

  @Test
  void layersAPowerCutDamagedAreUnpackedAgainAtTheNextOpen() throws Exception {
    assertEquals(
        copySnapshots() ? "copy" : "overlay",
        Files.readString(store.resolve("snapshots/driver")).strip());
    TreeSnapshot before = StoreChecks.unpackedTree(service, image, tmp);
    List<Digest> chains = chains();
    Path oldBase = tree(chains.get(0));
    Path oldTop = tree(chains.get(1));
    rebootWithoutSync();
    // Delayed allocation: files whose data never reached the disk come back empty, or not at all.
    Files.write(oldBase.resolve("etc/passwd"), new byte[0]);
    Files.delete(oldBase.resolve("bin/tool"));
    Files.write(oldTop.resolve("data/big"), new byte[0]);

    ImageService reopened = StoreChecks.service(store);
    Snapshotter snaps = reopened.snapshots();
    TreeSnapshot after = StoreChecks.unpackedTree(reopened, image, tmp);
    after.assertSameAs(before);
    assertEquals(
        "#!/bin/sh\necho tool\n", Files.readString(tree(chains.get(0)).resolve("bin/tool")));
    assertEquals(70_000, Files.size(tree(chains.get(1)).resolve("data/big")));
    assertEquals(List.of(), markNames(), "repaired snapshots are synced: no mark left");
    assertNotEquals(oldBase, tree(chains.get(0)));
    assertFalse(Files.exists(oldBase.getParent()), "the damaged tree is removed");
    assertFalse(Files.exists(oldTop.getParent()), "the damaged tree is removed");
    StoreChecks.assertNoLeftovers(store);
    assertEquals(List.of(), snaps.unsynced());
  }

  @Test
  void thisBootsMarksAreNotRepairedAtAnOpen() throws Exception {
    Path base = tree(chains().get(0));
    Files.writeString(base.resolve("etc/motd"), "made after the commit\n");
    ImageService reopened = StoreChecks.service(store);
    reopened.snapshots();
    assertEquals(base, tree(chains().get(0)), "the same tree: nothing unpacked again");
    assertTrue(Files.exists(base.resolve("etc/motd")));
    assertEquals(2, markNames().size(), "left for the sync");
  }

  @Test
  void marksOlderThanTheKernelsWritebackAreSyncedAtTheNextOpen() throws Exception {
    long old = System.currentTimeMillis() - 40_000;
    for (String name : markNames())
      Files.setLastModifiedTime(
          marks().resolve(name), java.nio.file.attribute.FileTime.fromMillis(old));
    StoreChecks.service(store).snapshots();
    for (int i = 0; i < 100 && !markNames().isEmpty(); i++) Thread.sleep(50);
    assertEquals(List.of(), markNames(), "synced on the open's thread");
  }

  @Test
  void aMarkWhoseBlobIsGoneIsDroppedAndItsSnapshotKept() throws Exception {
    List<Digest> chains = chains();
    Path top = tree(chains.get(1));
    Digest topBlob = null;
    for (Unsynced u : service.snapshots().unsynced())
      if (u.chainId().equals(chains.get(1))) topBlob = u.blob();
    rebootWithoutSync();
    Files.delete(service.content().path(topBlob));
    ImageService reopened = StoreChecks.service(store);
    reopened.snapshots();
    assertEquals(top, tree(chains.get(1)), "kept as it is");
    assertEquals(List.of(), markNames());
  }

  @Test
  void marksOfSnapshotsThatAreGoneAreDropped() throws Exception {
    Snapshotter snaps = service.snapshots();
    List<String> names = new ArrayList<>(markNames());
    // A mark whose commit lost its race or whose snapshot was removed: no chain link.
    Path stray =
        marks()
            .resolve(names.get(0).replaceFirst("\\.[0-9a-f]{64}\\.", "." + "e".repeat(64) + "."));
    Files.createFile(stray);
    Files.createFile(marks().resolve("not-a-mark"));
    assertEquals(2, snaps.unsynced().size());
    assertEquals(names, markNames());
    snaps.remove(chains().get(1));
    assertEquals(1, markNames().size(), "a removed snapshot's mark goes with it");
  }
}
