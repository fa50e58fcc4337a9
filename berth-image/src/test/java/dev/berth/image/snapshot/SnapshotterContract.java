package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.StoreChecks;
import dev.berth.image.unpack.LayerUnpacker;
import dev.berth.image.unpack.TarBuilder;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import dev.berth.testkit.RequiresRoot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link Snapshotter} does, whatever it keeps on disk: run once per implementation by a
 * subclass that says how to open one ({@link OverlaySnapshotterTest}, {@link CopySnapshotterTest});
 * what only one of them does is tested in that subclass. Everything here goes through the
 * interface, {@link Staging} and {@link Mounts}, and looks at the store's files only generically (a
 * listing, modes), so a new snapshotter gets the whole suite by a subclass.
 *
 * <p>DESIGN.md puts abstract contract suites in berth-testkit; this one stays in berth-image's
 * tests because it is written against berth-image's classes, and berth-image's tests depend on
 * berth-testkit: berth-testkit depending on berth-image would make a cycle, which Maven refuses
 * whatever the scope.
 */
@RequiresRoot
abstract class SnapshotterContract {
  @TempDir Path tmp;

  /** The store's root: nothing under it but what the snapshotter made. */
  Path root;

  Snapshotter s;
  private final List<Path> mounted = new ArrayList<>();

  /**
   * A snapshotter of the implementation under test on {@code root} (new, or made earlier by this
   * method).
   */
  abstract Snapshotter open(Path root) throws IOException;

  @BeforeEach
  void openStore() throws IOException {
    root = tmp.resolve("store");
    s = open(root);
  }

  @AfterEach
  void unmountAll() throws IOException {
    for (Path m : mounted.reversed()) Mounts.unmount(m);
    StoreChecks.assertNoMountsUnder(tmp);
  }

  static final byte[] BASE =
      new TarBuilder()
          .dir("a/", 0755, 0, 0)
          .file("a/gone", "1")
          .file("a/kept", "2")
          .dir("b/", 0755, 0, 0)
          .file("b/inner", "3")
          .dir("c/", 0755, 0, 0)
          .file("c/lower", "4")
          .dir("c/sub/", 0755, 0, 0)
          .file("c/sub/deep", "5")
          .file("f", "6")
          .dir("e/", 0755, 0, 0)
          .file("e/old", "7")
          .bytes();
  // Whiteouts of a file, of a dir, an opaque dir refilled by this layer, a whiteout of a path this
  // layer also
  // writes (the layer's own entry stays), a dir replacing a whited-out file.
  static final byte[] TOP =
      new TarBuilder()
          .file("a/.wh.gone", "")
          .file(".wh.b", "")
          .dir("c/", 0755, 0, 0)
          .file("c/new", "8")
          .file("c/.wh..wh..opq", "")
          .dir("c/sub/", 0755, 0, 0)
          .file("c/sub/fresh", "9")
          .file("e/old", "replaced")
          .file("e/.wh.old", "")
          .file(".wh.f", "")
          .dir("f/", 0755, 0, 0)
          .file("f/now-a-dir", "10")
          .bytes();
  static final Map<String, String> BASE_TREE =
      Map.of(
          "a/",
          "",
          "a/gone",
          "1",
          "a/kept",
          "2",
          "b/",
          "",
          "b/inner",
          "3",
          "c/",
          "",
          "c/lower",
          "4",
          "c/sub/",
          "",
          "c/sub/deep",
          "5");
  static final TreeMap<String, String> EXPECTED = new TreeMap<>();

  static {
    EXPECTED.put("a/", "");
    EXPECTED.put("a/kept", "2");
    EXPECTED.put("c/", "");
    EXPECTED.put("c/new", "8");
    EXPECTED.put("c/sub/", "");
    EXPECTED.put("c/sub/fresh", "9");
    EXPECTED.put("e/", "");
    EXPECTED.put("e/old", "replaced");
    EXPECTED.put("f/", "");
    EXPECTED.put("f/now-a-dir", "10");
  }

  static TreeMap<String, String> baseTree() {
    TreeMap<String, String> t = new TreeMap<>(BASE_TREE);
    t.put("e/", "");
    t.put("e/old", "7");
    t.put("f", "6");
    return t;
  }

  // ---- commit, view, prepare, remove
  // ----------------------------------------------------------------------------

  @Test
  void aStagingIsInvisibleUntilCommittedThenEveryOpenerSeesIt() throws Exception {
    Digest d = Digest.sha256Of(BASE);
    Staging st = s.stage(d, null);
    unpack(st, BASE);
    assertEquals(d, st.chainId());
    assertEquals(null, st.parent());
    assertFalse(s.has(d));
    assertEquals(Set.of(), s.committed());
    IOException notYet = assertThrows(IOException.class, () -> s.view(d));
    assertTrue(notYet.getMessage().contains(d.toString()), notYet.getMessage());
    s.commit(st);
    assertTrue(s.has(d));
    assertEquals(Set.of(d), s.committed());
    assertEquals(baseTree(), viewOf(d));
    // Several processes share one root: another snapshotter on it sees the commit.
    Snapshotter again = open(root);
    assertTrue(again.has(d));
    assertEquals(Set.of(d), again.committed());
  }

  @Test
  void whiteoutsAndOpaqueDirectoriesShowInTheMergedViewAndAContainersRootfs() throws Exception {
    Digest top = commitAll(List.of(BASE, TOP));
    assertEquals(EXPECTED, viewOf(top));
    Path rw = mount(s.prepare("ctr", top));
    assertEquals(EXPECTED, tree(rw));
  }

  // An opaque marker on the layer's root: nothing of the layers below shows, in a view or a
  // container's rootfs.
  static final byte[] ROOT_OPAQUE =
      new TarBuilder()
          .file(".wh..wh..opq", "")
          .dir("a/", 0755, 0, 0)
          .file("a/fresh", "11")
          .file("g", "12")
          .bytes();
  static final byte[] ABOVE = new TarBuilder().file("h", "13").file("a/.wh.fresh", "").bytes();

  @Test
  void anOpaqueLayerRootHidesEveryLowerLayer() throws Exception {
    TreeMap<String, String> top = new TreeMap<>(Map.of("a/", "", "a/fresh", "11", "g", "12"));
    assertEquals(
        top, viewOf(commitAll(List.of(BASE, TOP, ROOT_OPAQUE))), "the opaque layer on top");
    TreeMap<String, String> above = new TreeMap<>(Map.of("a/", "", "g", "12", "h", "13"));
    Digest chain = commitAll(List.of(BASE, TOP, ROOT_OPAQUE, ABOVE));
    assertEquals(above, viewOf(chain), "a layer above it");
    assertEquals(above, tree(mount(s.prepare("ctr", chain))), "a container's rootfs");
  }

  @Test
  void viewsAreReadOnlyMountsAndAContainersRootfsIsAWritableCopyOnWrite() throws Exception {
    Digest top = commitAll(List.of(BASE, TOP));
    Digest base = Digest.sha256Of(BASE);
    for (Digest d : List.of(base, top)) {
      Path v = mount(s.view(d));
      assertTrue(
          mountOptions(v).contains("ro"), d + ": a view is mounted read-only: " + mountOptions(v));
      assertThrows(
          IOException.class, () -> Files.writeString(v.resolve("x"), "ro"), "a view is read-only");
    }

    Path rw = mount(s.prepare("ctr", top));
    assertTrue(mountOptions(rw).contains("rw"), mountOptions(rw).toString());
    Files.writeString(rw.resolve("written"), "w");
    Files.writeString(rw.resolve("a/kept"), "changed");
    Files.delete(rw.resolve("c/new"));
    TreeMap<String, String> changed = new TreeMap<>(EXPECTED);
    changed.put("written", "w");
    changed.put("a/kept", "changed");
    changed.remove("c/new");
    assertEquals(changed, tree(rw));
    assertEquals(EXPECTED, viewOf(top), "the container's writes stay in its own snapshot");
    assertEquals(baseTree(), viewOf(base));

    // Mounted again from its key (after a reboot, or a stop), a container's rootfs has its writes.
    unmount(rw);
    Path again = mount(s.mounts("ctr"));
    assertEquals(changed, tree(again));
    unmount(again);
    rw = mount(s.mounts("ctr"));
    assertThrows(IOException.class, () -> s.mounts("nosuch"), "no active snapshot of that key");

    // A second container on the same image starts from the image, not from the first one's changes.
    assertEquals(EXPECTED, tree(mount(s.prepare("ctr2", top))));
    unmount(rw);
    s.remove("ctr");
    s.remove("ctr"); // nothing there is fine
    assertEquals(
        EXPECTED,
        tree(mount(s.prepare("ctr", top))),
        "the key is free again, and the writes are gone");

    Path empty = mount(s.prepare("scratch", null));
    assertEquals(new TreeMap<>(), tree(empty));
    Files.writeString(empty.resolve("new"), "n");
    assertEquals(new TreeMap<>(Map.of("new", "n")), tree(empty));
  }

  @Test
  void aContainersRootfsMountedReadOnlyShowsItsWritesAndTakesNone() throws Exception {
    Digest top = commitAll(List.of(BASE, TOP));
    for (String key : List.of("ctr", "scratch")) {
      Path rw = mount(s.prepare(key, key.equals("ctr") ? top : null));
      Files.writeString(rw.resolve("written"), "w");
      TreeMap<String, String> before = tree(rw);
      unmount(rw);
      List<Mount> readOnly = new ArrayList<>();
      for (Mount m : s.mounts(key)) readOnly.add(m.readOnly());
      Path ro = mount(readOnly);
      assertTrue(mountOptions(ro).contains("ro"), key + ": " + mountOptions(ro));
      assertEquals(before, tree(ro), key + ": the snapshot's own files and the image's");
      assertThrows(IOException.class, () -> Files.writeString(ro.resolve("x"), "no"), key);
      unmount(ro);
      // A writable mount afterwards is as before: the read-only one used nothing of the snapshot.
      assertEquals(before, tree(mount(s.mounts(key))), key);
    }
  }

  @Test
  void aTrashedSnapshotIsGoneAtOnceAndItsFilesWhenTheTrashIsEmptied() throws Exception {
    Digest top = commitAll(List.of(BASE, TOP));
    Path rw = mount(s.prepare("ctr", top));
    Files.writeString(rw.resolve("only-in-ctr"), "w");
    unmount(rw);
    assertFalse(Snapshotters.hasTrash(root), "an empty trash");
    s.trash("ctr");
    s.trash("nosuch"); // nothing there is fine
    assertThrows(IOException.class, () -> s.mounts("ctr"), "gone at once");
    assertEquals(EXPECTED, tree(mount(s.prepare("ctr", top))), "the key is free again");
    s.trash("ctr"); // the same key twice before an emptying
    assertTrue(Snapshotters.hasTrash(root));
    assertEquals(1, namesUnder(root, "only-in-ctr").size(), "its files wait in the trash");
    // The image's layers do not wait for the trash.
    s.remove(top);
    // Another snapshotter on the root (a process that did not trash them: the one that did died)
    // deletes them.
    assertEquals(2, open(root).emptyTrash(false));
    assertFalse(Snapshotters.hasTrash(root));
    assertEquals(List.of(), namesUnder(root, "only-in-ctr"), "nothing of the snapshot is left");
    assertEquals(0, s.emptyTrash(true));
  }

  @Test
  void aTrashedSnapshotThatCannotGoIsReportedAndKeepsNoOtherBack() throws Exception {
    Digest top = commitAll(List.of(BASE, TOP));
    s.prepare("stuck", top);
    s.prepare("other", top);
    s.trash("stuck");
    s.trash("other");
    Path stuck;
    try (var entries = Files.list(root.resolve("trash"))) {
      stuck =
          entries.filter(p -> p.getFileName().toString().startsWith("stuck-")).findFirst().get();
    }
    Path m = Files.createDirectory(stuck.resolve("m"));
    dev.berth.sys.Linux.mount("tmpfs", m.toString(), "tmpfs", 0, null);
    try {
      IOException e = assertThrows(IOException.class, () -> s.emptyTrash(true));
      assertTrue(e.getMessage().contains("another file system"), e.getMessage());
      try (var entries = Files.list(root.resolve("trash"))) {
        assertEquals(List.of(stuck), entries.toList(), "the other one went");
      }
    } finally {
      dev.berth.sys.Linux.umount2(m.toString(), 0);
    }
    assertEquals(1, s.emptyTrash(true));
    assertFalse(Snapshotters.hasTrash(root));
  }

  /** Paths under {@code dir} whose file name is {@code name}. */
  static List<Path> namesUnder(Path dir, String name) throws IOException {
    try (Stream<Path> w = Files.walk(dir)) {
      return w.filter(p -> p.getFileName().toString().equals(name)).toList();
    }
  }

  @Test
  void badKeysAndUnknownParentsAreRefusedLeavingNothing() throws Exception {
    Digest base = commitAll(List.of(BASE));
    List<String> before = listing(root);
    for (String key : List.of("../x", "", ".hidden", "-x", "a/b", "x".repeat(129))) {
      assertThrows(IllegalArgumentException.class, () -> s.prepare(key, base), key);
      assertThrows(IllegalArgumentException.class, () -> s.remove(key), key);
    }
    Digest missing = Digest.sha256Of("missing".getBytes(StandardCharsets.UTF_8));
    IOException e = assertThrows(IOException.class, () -> s.prepare("ctr", missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    e = assertThrows(IOException.class, () -> s.remove(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertEquals(before, listing(root));
    s.prepare("ctr", base);
    e = assertThrows(IOException.class, () -> s.prepare("ctr", base));
    assertTrue(
        e.getMessage().contains("\"ctr\"") && e.getMessage().contains("already exists"),
        e.getMessage());
  }

  // ---- parents and chain ids
  // ------------------------------------------------------------------------------------

  @Test
  void snapshotsAreKeyedByChainIdSoOneLayerOnTwoParentsIsTwoSnapshots() throws Exception {
    Digest stacked = commitAll(List.of(BASE, TOP));
    Digest alone = commitAll(List.of(TOP));
    assertNotEquals(stacked, alone);
    assertEquals(Digest.sha256Of(TOP), alone, "a bottom layer's chain id is its diff id");
    assertEquals(Set.of(Digest.sha256Of(BASE), stacked, alone), s.committed());
    assertEquals(EXPECTED, viewOf(stacked));
    TreeMap<String, String> own = tree(mount(s.view(alone)));
    assertEquals("8", own.get("c/new"));
    assertFalse(own.containsKey("a/kept"), "nothing of BASE under the layer alone: " + own);
  }

  @Test
  void aChildIsNeverCommittedBeforeItsParent() throws Exception {
    Digest parent = Digest.sha256Of(BASE);
    Digest child = ChainIds.next(parent, Digest.sha256Of(TOP));
    List<String> before = listing(root);
    if (s.layersIndependent()) {
      // It may be staged (unpacked in parallel with its parent), not committed.
      Staging st = s.stage(child, parent);
      unpack(st, TOP);
      IOException e = assertThrows(IOException.class, () -> s.commit(st));
      assertTrue(e.getMessage().contains(parent.toString()), e.getMessage());
      assertFalse(s.has(child));
      s.abort(st);
    } else {
      IOException e = assertThrows(IOException.class, () -> s.stage(child, parent));
      assertTrue(e.getMessage().contains(parent.toString()), e.getMessage());
    }
    assertEquals(before, listing(root), "nothing left");
  }

  @Test
  void aParentIsNotRemovedWhileAChildAnActiveSnapshotOrAStagingDependsOnIt() throws Exception {
    Digest base = commitAll(List.of(BASE));
    Digest top = commitAll(List.of(BASE, TOP));
    IOException e = assertThrows(IOException.class, () -> s.remove(base));
    assertTrue(
        e.getMessage()
            .startsWith("remove snapshot " + base + ": snapshot " + top + " depends on it"),
        e.getMessage());

    s.prepare("ctr", top);
    e = assertThrows(IOException.class, () -> s.remove(top));
    assertTrue(e.getMessage().contains("\"ctr\""), "names the active snapshot: " + e.getMessage());
    s.remove("ctr");
    s.remove(top);

    // Another process is unpacking a layer on it (copy stagings need it committed to start from).
    Staging pending = s.stage(ChainIds.next(base, Digest.sha256Of(ABOVE)), base);
    assertThrows(IOException.class, () -> s.remove(base), "a staging depends on it");
    s.abort(pending);
    s.remove(base);
    assertEquals(Set.of(), s.committed());
    assertThrows(IOException.class, () -> s.view(base));
  }

  @Test
  void retainOnlyRemovesChildrenBeforeParentsAndKeepsWhatAContainerNeeds() throws Exception {
    Digest base = commitAll(List.of(BASE));
    Digest mid = commitAll(List.of(BASE, TOP));
    Digest top = commitAll(List.of(BASE, TOP, ABOVE));
    Digest other = commitAll(List.of(ROOT_OPAQUE));
    s.prepare("ctr", mid);
    s.retainOnly(Set.of(other));
    assertEquals(Set.of(base, mid, other), s.committed(), "top went; the container's chain stayed");
    assertFalse(s.has(top));
    s.remove("ctr");
    s.retainOnly(Set.of());
    assertEquals(Set.of(), s.committed());
    assertEquals(0, s.removeUncommitted(), "removing a chain leaves no directory behind");
  }

  // ---- racing processes, aborted stagings
  // ---------------------------------------------------------------------

  @Test
  void theFirstCommitOfAChainIdWinsWhenCommitsRace() throws Exception {
    Digest d = Digest.sha256Of(BASE);
    for (int round = 0; round < 5; round++) {
      List<Staging> stagings = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Staging st = s.stage(d, null);
        unpack(st, BASE);
        Files.writeString(st.dir().resolve("marker"), Integer.toString(i));
        stagings.add(st);
      }
      List<Object> results =
          race(
              stagings.size(),
              i -> {
                s.commit(stagings.get(i));
                return "ok";
              });
      assertEquals(List.of("ok", "ok", "ok", "ok"), results, "losing the race is not an error");
      assertTrue(s.has(d));
      TreeMap<String, String> view = viewOf(d);
      String marker = view.remove("marker");
      assertTrue(marker != null && marker.matches("[0-3]"), "one whole staging won: " + marker);
      assertEquals(baseTree(), view);
      assertEquals(0, s.removeUncommitted(), "the losers' stagings are gone");
      s.remove(d);
    }
  }

  @Test
  void concurrentPreparesOfOneKeyMakeOneSnapshot() throws Exception {
    Digest base = commitAll(List.of(BASE));
    List<String> before = listing(root);
    List<Object> results = race(6, i -> s.prepare("ctr", base));
    List<Mount> winner = null;
    int refused = 0;
    for (Object r : results) {
      if (r instanceof IOException e) {
        assertTrue(
            e.getMessage().contains("\"ctr\"") && e.getMessage().contains("already exists"),
            e.getMessage());
        refused++;
      } else {
        assertEquals(null, winner, "two prepares of \"ctr\" succeeded: " + results);
        @SuppressWarnings("unchecked")
        List<Mount> mounts = (List<Mount>) r;
        winner = mounts;
      }
    }
    assertEquals(5, refused, results.toString());
    Path rw = mount(winner);
    assertEquals(baseTree(), tree(rw));
    unmount(rw);
    s.remove("ctr");
    assertEquals(before, listing(root), "the refused prepares left nothing");
  }

  @Test
  void anAbortedStagingLeavesNothingAndKilledStagingsAreCollected() throws Exception {
    Digest base = commitAll(List.of(BASE));
    List<String> before = listing(root);
    Staging bottom = s.stage(Digest.sha256Of(TOP), null);
    unpack(bottom, TOP);
    Staging child = s.stage(ChainIds.next(base, Digest.sha256Of(TOP)), base);
    unpack(child, TOP);
    s.abort(bottom);
    s.abort(child);
    assertEquals(before, listing(root));
    assertEquals(Set.of(base), s.committed());

    // What a pull killed between staging and commit leaves: stagings nobody aborts.
    unpack(s.stage(Digest.sha256Of(TOP), null), TOP);
    s.stage(ChainIds.next(base, Digest.sha256Of(ABOVE)), base);
    assertEquals(2, s.removeUncommitted());
    assertEquals(before, listing(root));
    assertEquals(baseTree(), viewOf(base), "committed snapshots are kept");
  }

  // ---- usage, directories
  // -------------------------------------------------------------------------------------

  @Test
  void usageCountsTheBlocksOfTheLayersOwnFilesAndNoHoles() throws Exception {
    byte[] mib = new byte[1 << 20];
    new java.util.Random(1).nextBytes(mib);
    Digest data =
        commitAll(List.of(new TarBuilder().file("data", 0644, 0, 0, mib, Map.of()).bytes()));
    assertTrue(s.usage(data) >= 1 << 20, "usage " + s.usage(data));

    // 100 GiB declared, 4 bytes of data: a layer above it (a copy of it, for some snapshotters)
    // keeps the holes.
    byte[] sparse =
        new TarBuilder()
            .gnuSparse("big", 100L << 30, new long[] {0, 4, 100L << 30, 0}, "data".getBytes())
            .bytes();
    long t0 = System.nanoTime();
    Digest top = commitAll(List.of(sparse, new TarBuilder().file("x", "y").bytes()));
    assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "holes copied as holes");
    assertTrue(s.usage(top) < 1 << 20, "usage " + s.usage(top));
    assertTrue(
        s.usage(Digest.sha256Of(sparse)) < 1 << 20, "usage " + s.usage(Digest.sha256Of(sparse)));
    Path m = mount(s.view(top));
    assertEquals(100L << 30, Files.size(m.resolve("big")));
    try (var f = new java.io.RandomAccessFile(m.resolve("big").toFile(), "r")) {
      byte[] head = new byte[8];
      f.readFully(head);
      assertEquals("data\0\0\0\0", new String(head, StandardCharsets.US_ASCII));
    }
    IOException e =
        assertThrows(IOException.class, () -> s.usage(Digest.sha256Of("none".getBytes())));
    assertTrue(
        e.getMessage().contains(Digest.sha256Of("none".getBytes()).toString()), e.getMessage());
  }

  @Test
  void theStoresOwnDirectoriesArePrivateWhateverALayerSays() throws Exception {
    // A layer whose "/" is 0777 and uid 1000's, with a world-writable directory: its word holds
    // inside its tree only.
    byte[] hostile =
        new TarBuilder()
            .dir("./", 0777, 1000, 1000)
            .dir("shared/", 0777, 0, 0)
            .file("shared/f", "f")
            .bytes();
    Digest bottom = commitAll(List.of(hostile));
    Digest top = commitAll(List.of(hostile, TOP));
    List<Mount> rw = s.prepare("ctr", top);
    Set<Path> trees = new HashSet<>();
    for (List<Mount> ms : List.of(s.view(bottom), s.view(top), rw)) trees.addAll(treesOf(ms));
    Stat bottomRoot = null;
    for (Path t : trees) {
      assertTrue(t.startsWith(root), t + " is in the store");
      if (Files.exists(t.resolve("shared/f"))) bottomRoot = Linux.stat(t.toString());
    }
    assertEquals(1000, bottomRoot.uid(), "the layer decides its own tree's root");
    assertEquals(0777, bottomRoot.permissions());
    for (Path dir : storeDirs(trees)) assertPrivate(dir);

    // An older (or hand-loosened) store is tightened when opened: every directory on the way to a
    // tree.
    List<Path> onTheWay =
        storeDirs(trees).stream()
            .filter(d -> !d.equals(root))
            .filter(d -> trees.stream().anyMatch(t -> t.startsWith(d)))
            .toList();
    assertTrue(onTheWay.size() >= 2, onTheWay.toString());
    for (Path dir : onTheWay) Linux.chmod(dir.toString(), 0755);
    open(root);
    for (Path dir : onTheWay) assertPrivate(dir);

    // A store directory that another user owns is refused, naming it: that user could open it
    // again.
    Path first =
        onTheWay.stream().filter(d -> d.getParent().equals(root)).findFirst().orElseThrow();
    Linux.chown(first.toString(), 1000, 1000);
    try {
      IOException e = assertThrows(IOException.class, () -> open(root));
      assertTrue(e.getMessage().contains(first.toString()), e.getMessage());
    } finally {
      Linux.chown(first.toString(), 0, 0);
    }
  }

  @Test
  void directoriesALayerDoesNotListKeepTheOwnerAndModeOfTheLayersBelow() throws Exception {
    byte[] lower =
        new TarBuilder()
            .dir("root/", 0700, 0, 0)
            .dir("tmp/", 01777, 0, 0)
            .dir("home/", 02750, 1000, 1000)
            .bytes();
    // Adds into each without listing it: the unpacker makes the parents, the snapshot must not show
    // them as made.
    byte[] upper =
        new TarBuilder()
            .file("root/.profile", "p")
            .file("tmp/x", "x")
            .file("home/user/f", "f")
            .bytes();
    Digest top = commitAll(List.of(lower, upper));
    for (Path m : List.of(mount(s.view(top)), mount(s.prepare("ctr", top)))) {
      assertEquals(0700, Linux.stat(m.resolve("root").toString()).permissions(), "root/ in " + m);
      assertEquals(01777, Linux.stat(m.resolve("tmp").toString()).permissions(), "tmp/ in " + m);
      Stat home = Linux.stat(m.resolve("home").toString());
      assertEquals(1000, home.uid(), "home/ in " + m);
      assertEquals(02750, home.permissions(), "home/ in " + m);
      assertEquals("p", Files.readString(m.resolve("root/.profile")));
    }
  }

  @Test
  void theImagesRootDirectoryIsTheLowestLayerThatSetsIt() throws Exception {
    // As applying the layers on one tree gives it (umoci, docker's vfs): a layer without a "./"
    // entry leaves "/" be.
    byte[] lower = new TarBuilder().dir("./", 0750, 1000, 1000).file("f", "f").bytes();
    byte[] upper = new TarBuilder().file("g", "g").bytes();
    Digest top = commitAll(List.of(lower, upper));
    for (Path m : List.of(mount(s.view(top)), mount(s.prepare("ctr", top)))) {
      Stat st = Linux.stat(m.toString());
      assertEquals(1000, st.uid(), "owner of / in " + m);
      assertEquals(0750, st.permissions(), "mode of / in " + m);
    }
  }

  // ---- helpers
  // ------------------------------------------------------------------------------------------------

  static void unpack(Staging st, byte[] layer) throws IOException {
    st.madeDirs(
        new LayerUnpacker()
            .unpack(new ByteArrayInputStream(layer), Compression.NONE, st.dir(), st.mode())
            .madeDirs());
  }

  /**
   * Stages, unpacks and commits each layer on the one before (one already there is kept); the top
   * chain id.
   */
  Digest commitAll(List<byte[]> layers) throws IOException {
    List<Digest> diffIds = new ArrayList<>();
    Digest parent = null;
    for (byte[] layer : layers) {
      diffIds.add(Digest.sha256Of(layer));
      Digest chain = ChainIds.of(diffIds).getLast();
      if (!s.has(chain)) {
        Staging st = s.stage(chain, parent);
        unpack(st, layer);
        s.commit(st);
        assertTrue(s.has(chain));
      }
      parent = chain;
    }
    return parent;
  }

  Path mount(List<Mount> mounts) throws IOException {
    Path m = Files.createTempDirectory(tmp, "mnt-");
    Mounts.mount(mounts, m);
    mounted.add(m);
    return m;
  }

  void unmount(Path m) throws IOException {
    Mounts.unmount(m);
    mounted.remove(m);
  }

  TreeMap<String, String> viewOf(Digest chain) throws IOException {
    Path m = mount(s.view(chain));
    try {
      return tree(m);
    } finally {
      unmount(m);
    }
  }

  /**
   * Path to content ("" for a directory, whose name ends in '/') of every file under {@code root}.
   */
  static TreeMap<String, String> tree(Path root) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.equals(root)) continue;
        String rel = root.relativize(p).toString();
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) out.put(rel + "/", "");
        else out.put(rel, Files.readString(p));
      }
    }
    return out;
  }

  /**
   * Every path under {@code dir} with its type and mode: equal listings mean nothing was left or
   * lost.
   */
  static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      List<String> out = new ArrayList<>();
      for (Path p : (Iterable<Path>) s::iterator) {
        Stat st = Linux.lstat(p.toString());
        out.add(dir.relativize(p) + " " + Integer.toOctalString(st.mode()));
      }
      return out.stream().sorted().toList();
    }
  }

  /** The options of the mount at {@code mountPoint}, from /proc/self/mountinfo. */
  static List<String> mountOptions(Path mountPoint) throws IOException {
    List<String> last = null;
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f[4].equals(mountPoint.toString())) last = List.of(f[5].split(","));
    }
    if (last == null) throw new AssertionError(mountPoint + " is not mounted");
    return last;
  }

  /**
   * The directories a snapshotter's mounts show a tree from: bind sources, overlay lower and upper
   * directories.
   */
  static List<Path> treesOf(List<Mount> mounts) {
    List<Path> out = new ArrayList<>();
    for (Mount m : mounts) {
      if (m.type().equals("bind")) out.add(Path.of(m.source()));
      for (String o : m.options()) {
        if (o.startsWith("lowerdir="))
          for (String d : o.substring(9).split(":")) out.add(Path.of(d));
        if (o.startsWith("upperdir=")) out.add(Path.of(o.substring(9)));
      }
    }
    return out;
  }

  /**
   * The store's own directories: every directory under its root that is not in a tree (overlay's
   * workdir is).
   */
  List<Path> storeDirs(Set<Path> trees) throws IOException {
    try (Stream<Path> w = Files.walk(root)) {
      return w.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
          .filter(p -> trees.stream().noneMatch(p::startsWith))
          .toList();
    }
  }

  /** Only the store's user reaches {@code dir}: no access for group or others, owned by root. */
  private static void assertPrivate(Path dir) throws IOException {
    Stat st = Linux.stat(dir.toString());
    assertEquals(
        0,
        st.permissions() & 077,
        "mode of " + dir + ": " + Integer.toOctalString(st.permissions()));
    assertEquals(0, st.uid(), "owner of " + dir);
  }

  interface Call {
    Object call(int i) throws Exception;
  }

  /**
   * Runs {@code n} calls at once (released together); each one's result, or the exception it threw.
   */
  static List<Object> race(int n, Call call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch ready = new CountDownLatch(n);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Object>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        futures.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  go.await();
                  try {
                    return call.call(k);
                  } catch (Exception e) {
                    return e;
                  }
                }));
      }
      ready.await();
      go.countDown();
      List<Object> out = new ArrayList<>();
      for (Future<Object> f : futures) out.add(f.get());
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
