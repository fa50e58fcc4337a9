package dev.berth.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Stat;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.TarEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store is root's alone (CVE-2021-41091's class): a host user can neither enter it nor run a
 * layer's setuid binary out of it, a layer's metadata never makes a store directory someone else's
 * or open to all, and {@code image mount} shows an image read-only, nosuid and nodev. Checked as
 * the user nobody with setpriv, against an image whose layer has a setuid-root copy of id(1), a
 * root directory owned by uid 1000, a 0777 directory and a device node.
 */
@RequiresRoot
@Tag("integration")
class StorePrivacyTest {
  static final int NOBODY = 65534;

  @TempDir Path tmp;
  Path store;
  OciLayoutBuilder layout;
  LayoutRegistry registry;
  ImageService service;
  final List<Path> binds = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    // Only the store's own modes may stand between nobody and the store: the temp dir is open to
    // all.
    Linux.chmod(tmp.toString(), 0755);
    store = tmp.resolve("store");
    layout = new OciLayoutBuilder(tmp.resolve("layout"));
    OciLayoutBuilder.Layer base =
        layout.layer(
            new LayerTar().add(TarEntry.dir("etc"), TarEntry.file("etc/base", "base\n")),
            Compression.GZIP);
    OciLayoutBuilder.Layer hostile =
        layout.layer(
            new LayerTar()
                .add(
                    TarEntry.dir("./").withOwner(1000, 1000),
                    TarEntry.dir("bin"),
                    TarEntry.file("bin/suid-id", TarEntry.Content.of(Path.of("/usr/bin/id")))
                        .withMode(04755),
                    TarEntry.dir("shared").withMode(0777),
                    TarEntry.dir("dev"),
                    TarEntry.charDevice("dev/null", 1, 3)),
            Compression.GZIP);
    // One layer: image mount is a bind of the snapshot; two: an overlay of both.
    layout.tag(
        "one",
        layout.image(OciLayoutBuilder.AMD64, ImageConfig.empty(), List.of(hostile)).manifest());
    layout.tag(
        "two",
        layout
            .image(OciLayoutBuilder.AMD64, ImageConfig.empty(), List.of(base, hostile))
            .manifest());
    registry = new LayoutRegistry(layout.dir());
    service = StoreChecks.service(store);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Path b : binds) Linux.umount2(b.toString(), LinuxConstants.MNT_DETACH);
    for (String tag : List.of("one", "two")) {
      try {
        service.unmount(ref(tag));
      } catch (ImageException notPulled) {
        // the test did not get that far
      }
    }
    registry.close();
    service.close();
    StoreChecks.assertNoMountsUnder(tmp);
  }

  String ref(String tag) {
    return registry.address() + "/hostile/app:" + tag;
  }

  void pull(String tag) throws ImageException {
    service.pull(ref(tag), OciLayoutBuilder.AMD64, Progress.NONE);
  }

  /** The snapshot dir of the hostile layer: the one whose tree has bin/suid-id. */
  Path hostileHome() throws IOException {
    try (Stream<Path> s = Files.list(store.resolve("snapshots/snapshots"))) {
      return s.filter(h -> Files.exists(h.resolve("fs/bin/suid-id"))).findFirst().orElseThrow();
    }
  }

  @Test
  void nobodyCanNeitherEnterTheStoreNorRunASetuidBinaryOutOfIt() throws Exception {
    pull("one");
    pull("two");
    Path home = hostileHome();
    Path fs = home.resolve("fs");
    // The layer's word holds inside its tree (that is what makes the rest of this test matter) ...
    Stat root = Linux.stat(fs.toString());
    assertEquals(1000, root.uid(), "the layer's root directory keeps its owner inside the tree");
    assertEquals(04755, Linux.stat(fs.resolve("bin/suid-id").toString()).permissions());
    assertEquals(0777, Linux.stat(fs.resolve("shared").toString()).permissions());

    // ... and nobody outside reaches it.
    for (Path dir :
        List.of(
            store,
            store.resolve("content"),
            store.resolve("content/blobs/sha256"),
            store.resolve("snapshots"),
            store.resolve("snapshots/snapshots"),
            home,
            fs)) {
      Exec.Result ls = asNobody("ls " + dir);
      assertNotEquals(0, ls.exitCode(), "nobody listed " + dir + ": " + ls);
      assertTrue(ls.stderr().contains("Permission denied"), ls.toString());
    }
    Exec.Result id = asNobody(fs.resolve("bin/suid-id") + " -u");
    assertNotEquals(0, id.exitCode(), "nobody ran the layer's setuid binary: " + id);
    assertFalse(id.stdout().strip().equals("0"), "nobody got euid 0: " + id);

    Exec.Result write = asNobody("echo x > " + fs.resolve("shared/planted"));
    assertNotEquals(0, write.exitCode(), "nobody wrote into the layer's 0777 directory: " + write);
    assertFalse(Files.exists(fs.resolve("shared/planted")));
  }

  @Test
  void imageMountIsReadOnlyNosuidNodevAndOnlyRootReachesIt() throws Exception {
    for (String tag : List.of("one", "two")) {
      pull(tag);
      Path mnt = service.mount(ref(tag));
      String options = mountOptions(mnt);
      for (String want : List.of("ro", "nosuid", "nodev")) {
        assertTrue(
            List.of(options.split(",")).contains(want),
            tag + ": mount " + mnt + " has " + options + ", not " + want);
      }
      Exec.Result id = asNobody(mnt.resolve("bin/suid-id") + " -u");
      assertNotEquals(0, id.exitCode(), tag + ": nobody reached the mount: " + id);

      // Even reached by another path (a bind keeps the mount's flags), the view grants no setuid
      // and no device.
      Path open = Files.createDirectory(tmp.resolve("public-" + tag));
      Linux.chmod(open.toString(), 0755);
      Linux.mount(mnt.toString(), open.toString(), null, LinuxConstants.MS_BIND, null);
      binds.add(open);
      Exec.Result viaBind = asNobody(open.resolve("bin/suid-id") + " -u");
      assertEquals(0, viaBind.exitCode(), viaBind.toString());
      assertEquals(
          Integer.toString(NOBODY),
          viaBind.stdout().strip(),
          tag + ": setuid honoured on the view");
      Exec.Result dev = asNobody("echo x > " + open.resolve("dev/null"));
      assertNotEquals(0, dev.exitCode(), tag + ": a device of the view opened: " + dev);
    }
  }

  @Test
  void everyStoreDirectoryOutsideTheTreesIsRootsAndPrivate() throws Exception {
    pull("one");
    pull("two");
    service.mount(ref("two")); // mounts/ is checked with an image mounted in it
    assertPrivate(store);
  }

  @Test
  void aStoreCreatedUnderUmask000IsStillPrivate() throws Exception {
    Path fresh = tmp.resolve("made-under-umask-000"); // setUp opened the other one already
    List<String> jvm =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path")));
    String nativeDir = System.getProperty("berth.native.dir");
    if (nativeDir != null) jvm.add("-Dberth.native.dir=" + nativeDir);
    jvm.addAll(
        List.of("-XX:TieredStopAtLevel=1", Child.class.getName(), fresh.toString(), ref("two")));
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", "umask 000 && exec \"$@\"", "sh"));
    cmd.addAll(jvm);
    Exec.Result child = Exec.run(cmd, null, Map.of(), null, 120).ok();
    assertTrue(child.stdout().contains(fresh.resolve("mounts").toString()), child.toString());
    assertPrivate(fresh);
  }

  @Test
  void anOldStoreWithOpenModesIsTightenedOnOpen() throws Exception {
    pull("two");
    service.mount(ref("two"));
    service.unmount(ref("two"));
    service.close();
    for (Path d : storeDirs(store)) Linux.chmod(d.toString(), 0755); // as the store was made before
    Exec.Result before = asNobody("ls " + store.resolve("snapshots/snapshots"));
    assertEquals(0, before.exitCode(), before.toString());

    service = StoreChecks.service(store);
    service.snapshots();
    assertPrivate(store);
  }

  @Test
  void aStoreDirectoryAnotherUserOwnsIsRefusedByName() throws Exception {
    pull("one");
    service.close();
    Path content = store.resolve("content");
    Linux.lchown(content.toString(), 1000, 1000);
    IOException e = assertThrows(IOException.class, () -> StoreChecks.service(store));
    assertTrue(
        e.getMessage().contains(content.toString()) && e.getMessage().contains("uid 1000"),
        e.getMessage());
    Linux.lchown(content.toString(), 0, 0);
    service = StoreChecks.service(store);
  }

  /** Every directory of the store but the layers' trees is root's and 0700. */
  static void assertPrivate(Path store) throws IOException {
    List<Path> dirs = storeDirs(store);
    assertTrue(dirs.size() > 10, "walked " + dirs);
    for (Path d : dirs) {
      Stat st = Linux.lstat(d.toString());
      assertEquals(0, st.uid(), d + " owner");
      assertEquals(0, st.gid(), d + " group");
      assertEquals("700", Integer.toOctalString(st.permissions()), d + " mode");
    }
  }

  /**
   * The store's own directories: all but the trees (snapshots/N/fs, active/KEY/fs) and what is
   * mounted.
   */
  static List<Path> storeDirs(Path store) throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(store)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
        Path rel = store.relativize(p);
        boolean tree =
            rel.getNameCount() >= 4
                && rel.startsWith("snapshots")
                && rel.getName(3).toString().equals("fs");
        boolean mounted = rel.getNameCount() >= 2 && rel.startsWith("mounts");
        if (!tree && !mounted) out.add(p);
      }
    }
    return out;
  }

  static String mountOptions(Path mountPoint) throws IOException {
    String found = null;
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f[4].equals(mountPoint.toString()))
        found = f[5]; // the last one stacked there is what a path shows
    }
    assertNotNull(found, mountPoint + " is not mounted");
    return found;
  }

  static Exec.Result asNobody(String script) {
    return Exec.run(
        "setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "sh", "-c", script);
  }

  /**
   * A berth process on a store: pulls and mounts an image, prints the mount (run under another
   * umask).
   */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      try (ImageService s = StoreChecks.service(Path.of(args[0]))) {
        s.pull(args[1], OciLayoutBuilder.AMD64, Progress.NONE);
        Path mnt = s.mount(args[1]);
        System.out.println(mnt);
        s.unmount(args[1]);
      }
    }
  }
}
