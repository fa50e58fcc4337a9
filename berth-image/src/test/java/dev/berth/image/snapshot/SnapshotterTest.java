package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.unpack.LayerUnpacker;
import dev.berth.image.unpack.TarBuilder;
import dev.berth.image.unpack.Mode;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresRoot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRoot
class SnapshotterTest {
  @TempDir Path tmp;

  static final byte[] BASE = new TarBuilder()
      .dir("a/", 0755, 0, 0).file("a/gone", "1").file("a/kept", "2")
      .dir("b/", 0755, 0, 0).file("b/inner", "3")
      .dir("c/", 0755, 0, 0).file("c/lower", "4").dir("c/sub/", 0755, 0, 0).file("c/sub/deep", "5")
      .file("f", "6")
      .dir("e/", 0755, 0, 0).file("e/old", "7")
      .bytes();
  // Whiteouts of a file, of a dir, an opaque dir refilled by this layer, a whiteout of a path this layer also
  // writes (the layer's own entry stays), a dir replacing a whited-out file.
  static final byte[] TOP = new TarBuilder()
      .file("a/.wh.gone", "")
      .file(".wh.b", "")
      .dir("c/", 0755, 0, 0).file("c/new", "8").file("c/.wh..wh..opq", "").dir("c/sub/", 0755, 0, 0)
      .file("c/sub/fresh", "9")
      .file("e/old", "replaced").file("e/.wh.old", "")
      .file(".wh.f", "").dir("f/", 0755, 0, 0).file("f/now-a-dir", "10")
      .bytes();
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

  @Test
  void overlayViewShowsWhiteoutsAndOpaqueDirs() throws Exception {
    assertEquals(EXPECTED, mergedView(new OverlaySnapshotter(tmp.resolve("s"))));
  }

  @Test
  void copySnapshotterGivesTheSameTree() throws Exception {
    assertEquals(EXPECTED, mergedView(new CopySnapshotter(tmp.resolve("s"))));
  }

  // An opaque marker on the layer's root: nothing of the layers below shows, in a view or a container's rootfs.
  static final byte[] ROOT_OPAQUE = new TarBuilder().file(".wh..wh..opq", "").dir("a/", 0755, 0, 0)
      .file("a/fresh", "11").file("g", "12").bytes();
  static final byte[] ABOVE = new TarBuilder().file("h", "13").file("a/.wh.fresh", "").bytes();

  @Test
  void anOpaqueLayerRootHidesEveryLowerLayer() throws Exception {
    for (Snapshotter s : List.of(new OverlaySnapshotter(tmp.resolve("o")), new CopySnapshotter(tmp.resolve("c")))) {
      String what = s.getClass().getSimpleName();
      TreeMap<String, String> top = new TreeMap<>(java.util.Map.of("a/", "", "a/fresh", "11", "g", "12"));
      assertEquals(top, mergedView(s, List.of(BASE, TOP, ROOT_OPAQUE)), what + ": the opaque layer on top");
      TreeMap<String, String> above = new TreeMap<>(java.util.Map.of("a/", "", "g", "12", "h", "13"));
      Digest chain = commitAll(s, List.of(BASE, TOP, ROOT_OPAQUE, ABOVE));
      assertEquals(above, viewOf(s, chain), what + ": a layer above it");
      Path m = Files.createDirectories(tmp.resolve("rw-" + what));
      Mounts.mount(s.prepare("ctr-" + what, chain), m);
      try {
        assertEquals(above, tree(m), what + ": a container's rootfs");
      } finally {
        Mounts.unmount(m);
      }
      s.remove("ctr-" + what);
    }
  }

  @Test
  void theCopySnapshotterKeepsASparseFilesHoles() throws Exception {
    // 100 GiB declared, 4 bytes of data: every layer above is staged as a copy, which must not write the holes out.
    byte[] sparse = new TarBuilder().gnuSparse("big", 100L << 30, new long[] {0, 4, 100L << 30, 0}, "data".getBytes())
        .bytes();
    CopySnapshotter s = new CopySnapshotter(tmp.resolve("c"));
    long t0 = System.nanoTime();
    Digest top = commitAll(s, List.of(sparse, new TarBuilder().file("x", "y").bytes()));
    assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "holes copied as holes");
    assertTrue(s.usage(top) < 1 << 20, "usage " + s.usage(top));
    Path m = Files.createTempDirectory(tmp, "view-");
    Mounts.mount(s.view(top), m);
    try {
      assertEquals(100L << 30, Files.size(m.resolve("big")));
      try (var f = new java.io.RandomAccessFile(m.resolve("big").toFile(), "r")) {
        byte[] head = new byte[8];
        f.readFully(head);
        assertEquals("data\0\0\0\0", new String(head, java.nio.charset.StandardCharsets.US_ASCII));
      }
    } finally {
      Mounts.unmount(m);
    }
  }

  /** Stages, unpacks and commits each layer on the one before; returns the top chain id (already there: kept). */
  private static Digest commitAll(Snapshotter s, List<byte[]> layers) throws Exception {
    List<Digest> diffIds = new ArrayList<>();
    Digest parent = null;
    for (byte[] layer : layers) {
      diffIds.add(Digest.sha256Of(layer));
      Digest chain = ChainIds.of(diffIds).get(diffIds.size() - 1);
      if (!s.has(chain)) {
        Staging st = s.stage(chain, parent);
        new LayerUnpacker().unpack(new ByteArrayInputStream(layer), Compression.NONE, st.dir(), st.mode());
        s.commit(st);
      }
      parent = chain;
    }
    return parent;
  }

  private TreeMap<String, String> viewOf(Snapshotter s, Digest chain) throws Exception {
    Path m = Files.createTempDirectory(tmp, "view-");
    Mounts.mount(s.view(chain), m);
    try {
      return tree(m);
    } finally {
      Mounts.unmount(m);
    }
  }

  private TreeMap<String, String> mergedView(Snapshotter s) throws Exception {
    return mergedView(s, List.of(BASE, TOP));
  }

  private TreeMap<String, String> mergedView(Snapshotter s, List<byte[]> layers) throws Exception {
    List<Digest> diffIds = new ArrayList<>();
    Digest parent = null;
    for (byte[] layer : layers) {
      Digest diff = Digest.sha256Of(layer);
      diffIds.add(diff);
      Digest chain = ChainIds.of(diffIds).get(diffIds.size() - 1);
      Staging st = s.stage(chain, parent);
      new LayerUnpacker().unpack(new ByteArrayInputStream(layer), Compression.NONE, st.dir(), st.mode());
      s.commit(st);
      assertTrue(s.has(chain));
      parent = chain;
    }
    Path m = Files.createTempDirectory(tmp, "m");
    Mounts.mount(s.view(parent), m);
    try {
      assertThrows(IOException.class, () -> Files.writeString(m.resolve("x"), "ro"), "a view is read-only");
      return tree(m);
    } finally {
      Mounts.unmount(m);
    }
  }

  static TreeMap<String, String> tree(Path root) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.equals(root)) continue;
        String rel = root.relativize(p).toString();
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) out.put(rel + "/", "");
        else out.put(rel, Files.readString(p));
      }
    }
    return out;
  }

  @Test
  void chainIdsFollowTheImageSpec() {
    Digest a = Digest.sha256Of("a".getBytes());
    Digest b = Digest.sha256Of("b".getBytes());
    List<Digest> c = ChainIds.of(List.of(a, b));
    assertEquals(a, c.get(0));
    assertEquals(Digest.sha256Of((a + " " + b).getBytes()), c.get(1));
  }

  @Test
  void firstCommitWinsAndParentsCannotBeRemoved() throws Exception {
    for (Snapshotter s : List.of(new OverlaySnapshotter(tmp.resolve("o")), new CopySnapshotter(tmp.resolve("c")))) {
      Digest d = Digest.sha256Of(BASE);
      Staging one = s.stage(d, null);
      Staging two = s.stage(d, null);
      new LayerUnpacker().unpack(new ByteArrayInputStream(BASE), Compression.NONE, one.dir(), one.mode());
      Files.writeString(two.dir().resolve("marker"), "second");
      s.commit(one);
      s.commit(two); // lost the race: discarded, no error
      assertFalse(Files.exists(two.dir()));
      Path m = Files.createDirectory(tmp.resolve("m" + s.getClass().getSimpleName()));
      Mounts.mount(s.view(d), m);
      try {
        assertTrue(Files.exists(m.resolve("a/kept")));
        assertFalse(Files.exists(m.resolve("marker")));
      } finally {
        Mounts.unmount(m);
      }
      Digest child = ChainIds.next(d, Digest.sha256Of(TOP));
      Staging st = s.stage(child, d);
      s.commit(st);
      IOException e = assertThrows(IOException.class, () -> s.remove(d));
      assertTrue(e.getMessage().startsWith("remove snapshot " + d + ": snapshot " + child + " depends on it"),
          e.getMessage());

      List<Mount> rw = s.prepare("ctr-1", child);
      Mounts.mount(rw, m);
      try {
        Files.writeString(m.resolve("written"), "w");
        assertEquals("2", Files.readString(m.resolve("a/kept")));
      } finally {
        Mounts.unmount(m);
      }
      assertThrows(IOException.class, () -> s.remove(child), "the active snapshot depends on it");
      s.remove("ctr-1");
      s.remove(child);
      s.remove(d);
      assertEquals(0, s.committed().size());
      assertThrows(IllegalArgumentException.class, () -> s.prepare("../x", null));
    }
  }

  @Test
  void openProbesOverlay() throws Exception {
    assertTrue(Snapshotters.open(tmp.resolve("p")) instanceof OverlaySnapshotter, "overlay works on this machine");
    assertTrue(Snapshotters.open(tmp.resolve("q"), true) instanceof CopySnapshotter);
    try (Stream<Path> s = Files.list(tmp.resolve("p"))) {
      assertEquals(List.of("active", "chains", "driver", "snapshots"), s.map(p -> p.getFileName().toString()).sorted()
          .toList(), "the probe left nothing behind but the recorded choice");
    }
    // The choice sticks: a store made with the copy snapshotter stays one, and cannot be silently switched.
    assertEquals("copy", Files.readString(tmp.resolve("q/driver")).strip());
    assertTrue(Snapshotters.open(tmp.resolve("q")) instanceof CopySnapshotter);
    IOException e = assertThrows(IOException.class, () -> Snapshotters.open(tmp.resolve("p"), true));
    assertTrue(e.getMessage().contains("overlay layers"), e.getMessage());
  }
}
