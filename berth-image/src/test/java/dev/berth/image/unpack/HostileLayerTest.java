package dev.berth.image.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.StoreChecks;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.TreeSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The published layer-extraction CVEs of docker, containerd and umoci, each replayed as a hostile
 * image would: the layers are loaded (an oci-archive, the path every layer of a pull also takes:
 * unpack into a staging snapshot, commit or abort) into a store of each snapshotter, and unpacked
 * by {@code umoci unpack} from the same OCI layout.
 *
 * <p>Every test aims at a "host" directory beside the store (a shadow-like file, a directory, each
 * with an owner, a mode, times and an xattr) by its absolute path, by ".." and through links; after
 * each test that directory is exactly as it was (content, type, mode, owner, link count, atime,
 * mtime, ctime, xattrs, entries) and nothing was created beside it. Then either the load is refused
 * naming the layer's digest and the entry, with nothing left in the store, or the image's tree is
 * the one umoci makes; where they differ, the test says why.
 *
 * <p>One difference recurs: a later layer writing under the name of a lower layer's symlink. umoci
 * and the copy snapshotter apply each layer onto the tree below it and follow the link (resolved
 * inside the root); overlay layers are unpacked each on its own, in parallel, as containerd's and
 * docker's overlay snapshotters unpack them, so the later layer's directory takes the name and
 * hides the link. Neither leaves the root; the tests check both trees.
 */
@RequiresCommand("umoci")
class HostileLayerTest {
  @TempDir Path tmp;

  /** What a hostile layer aims at: stands for the host's /etc. */
  Path host;

  Path secret;
  Map<String, String> hostBefore;
  Path work;
  int images;

  @BeforeEach
  void makeHost() throws Exception {
    host = Files.createDirectory(tmp.resolve("host"));
    secret = host.resolve("shadow");
    Files.writeString(secret, "root:$6$salt$hash:19000:0:99999:7:::\n");
    Linux.chown(secret.toString(), 4242, 4343);
    Linux.chmod(secret.toString(), 0640);
    Linux.lsetxattr(secret.toString(), "user.host", "mine".getBytes(StandardCharsets.UTF_8), 0);
    Path dir = Files.createDirectory(host.resolve("dir"));
    Files.writeString(dir.resolve("file"), "host file\n");
    Linux.chmod(dir.toString(), 0750);
    for (Path p : List.of(secret, dir.resolve("file"), dir, host)) {
      Files.setAttribute(
          p, "lastAccessTime", FileTime.fromMillis(1_500_000_000_000L), LinkOption.NOFOLLOW_LINKS);
      Files.setLastModifiedTime(p, FileTime.fromMillis(1_400_000_000_000L));
    }
    work = Files.createDirectory(tmp.resolve("work"));
    hostBefore = hostState();
  }

  @AfterEach
  void hostIsUntouched() throws Exception {
    assertEquals(hostBefore, hostState(), "the host directory is exactly as it was");
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(
          List.of("host", "work"),
          s.map(p -> p.getFileName().toString()).sorted().toList(),
          "nothing was created beside the store");
    }
    StoreChecks.assertNoMountsUnder(tmp);
  }

  // ---- CVE-2014-6407 and CVE-2014-9356 (docker): symlinks and hard links out of the root
  // ----------------------------

  @Test
  void cve_2014_6407_filesWrittenThroughSymlinksToTheHostLandInsideTheRoot() throws Exception {
    String up = "../".repeat(20);
    Image img =
        image(
            new TarBuilder()
                .symlink("abs", host.toString())
                .symlink("rel", up + host)
                .symlink("dotdot", "..")
                .symlink("chain1", "chain2")
                .symlink("chain2", "chain3")
                .symlink("chain3", "rel")
                .file("abs/shadow", "through an absolute link\n")
                .file("rel/pwned-rel", "through a relative link\n")
                .file("dotdot/dotdot" + host + "/pwned-dotdot", "through a link to ..\n")
                .file("chain1/dir/pwned-chain", "through a chain of links\n")
                .symlink("file-link", secret.toString())
                .file("file-link", "replaces the link, not its target\n")
                .bytes(),
            // A later layer writes through the links an earlier one left.
            new TarBuilder()
                .file("abs/shadow", "again, from the next layer\n")
                .file("chain1/dir/file", "and over the host's dir/file\n")
                .bytes());
    Trees t = trees(img, true);
    String inRoot = host.toString().substring(1);
    // Layer 1 wrote through its own links, inside the root: there all three agree.
    assertEquals(List.of(), t.diffFromUmoci("abs", "chain1", inRoot + "/shadow", inRoot + "/dir"));
    assertEquals('f', t.umoci().get("file-link").type(), "the link was replaced, not followed");
    assertEquals('l', t.umoci().get("abs").type());
    // Layer 2: umoci and the copy snapshotter resolve layer 1's links inside the root...
    assertEquals(
        sha256("again, from the next layer\n"), t.umoci().get(inRoot + "/shadow").sha256());
    assertEquals(
        sha256("and over the host's dir/file\n"), t.umoci().get(inRoot + "/dir/file").sha256());
    // ...while overlay layers, unpacked each on its own as containerd's and docker's overlay
    // snapshotters unpack
    // them, never see a lower layer's link: layer 2's directories take the links' names.
    assertEquals(
        sha256("through an absolute link\n"), t.overlay().get(inRoot + "/shadow").sha256());
    assertEquals('d', t.overlay().get("abs").type());
    assertEquals(sha256("again, from the next layer\n"), t.overlay().get("abs/shadow").sha256());
    assertEquals(
        sha256("and over the host's dir/file\n"), t.overlay().get("chain1/dir/file").sha256());
  }

  @Test
  void cve_2014_6407_hardlinksToHostFilesAreRefused() throws Exception {
    // Absolute: a hard link's target is a path in the layer ("/x" is the root's x), never the
    // host's file.
    assertRefused(
        image(new TarBuilder().file("ok", "fine").hardlink("shadow", secret.toString()).bytes()),
        0,
        "shadow",
        "hardlink to \"" + secret + "\": ");
    // By "..": refused before anything is looked up.
    String rel = "../".repeat(20) + secret.toString().substring(1);
    assertRefused(
        image(new TarBuilder().hardlink("shadow", rel).bytes()),
        0,
        "shadow",
        "hardlink target \"" + rel + "\" escapes the layer root");
    // Through a symlinked directory, in the same layer and from a lower one: resolved inside the
    // root.
    assertRefused(
        image(
            new TarBuilder()
                .symlink("etc", host.toString())
                .hardlink("shadow", "etc/shadow")
                .bytes()),
        0,
        "shadow",
        "hardlink to \"etc/shadow\": ");
    Image twoLayers =
        image(
            new TarBuilder().symlink("etc", host.toString()).bytes(),
            new TarBuilder().hardlink("shadow", "etc/shadow").bytes());
    assertRefused(twoLayers, 1, "shadow", "hardlink to \"etc/shadow\": ");
  }

  @Test
  void cve_2014_9356_absoluteSymlinksAsParentsStayInTheRootInEveryLaterLayer() throws Exception {
    // The link is a directory's parent in the next layers: a new dir under it, a file in a dir the
    // host has, and a
    // directory entry re-using the host dir's name.
    Image img =
        image(
            new TarBuilder().symlink("etc", host.toString()).bytes(),
            new TarBuilder()
                .dir("etc/new/", 0777, 0, 0)
                .file("etc/new/file", "x")
                .dir("etc/dir/", 0777, 1000, 1000)
                .file("etc/dir/file", "overwritten?\n")
                .bytes(),
            new TarBuilder().file("etc/dir/file", "third layer\n").bytes());
    Trees t = trees(img, true);
    String inRoot = host.toString().substring(1);
    String top = inRoot.substring(0, inRoot.indexOf('/'));
    assertEquals(List.of(), t.diffFromUmoci("etc", top));
    // umoci and the copy snapshotter put layers 2 and 3 where the link points inside the root,
    // overlay (as
    // containerd) under the link's name: the same tree either way, and none of it on the host.
    assertEquals('l', t.umoci().get("etc").type());
    assertEquals(under(t.umoci(), inRoot), under(t.overlay(), "etc"));
    assertEquals(sha256("third layer\n"), t.overlay().get("etc/dir/file").sha256());
    assertEquals(0777, t.overlay().get("etc/dir").mode());
  }

  // ---- CVE-2021-32760 (containerd): metadata of an entry that is a symlink
  // ----------------------------------------

  @Test
  void cve_2021_32760_modeOwnerTimesAndXattrsOfEntriesOverSymlinksNeverReachTheHost()
      throws Exception {
    Map<String, byte[]> xattr =
        Map.of("SCHILY.xattr.user.pwned", "y".getBytes(StandardCharsets.UTF_8));
    Image img =
        image(
            new TarBuilder()
                .mtime(1_000L)
                .symlink("shadow-link", secret.toString())
                .symlink("dir-link", host + "/dir")
                // containerd chmod-ed the path of a hard link to a symlink, which followed the
                // symlink to the host.
                .entry(
                    "hard-to-link", '1', 04777, 1000, 1000, "shadow-link", new byte[0], xattr, 0, 0)
                .bytes(),
            // A directory, a file over the links: they replace them.
            new TarBuilder()
                .mtime(1_000L)
                .dir("dir-link/", 0777, 1000, 1000)
                .file(
                    "shadow-link",
                    04777,
                    1000,
                    1000,
                    "mine now\n".getBytes(StandardCharsets.UTF_8),
                    xattr)
                .bytes());
    assertLikeUmoci(img);
  }

  @Test
  void cve_2021_32760_aSymlinkEntryWithModeOwnerAndTimesChangesTheLinkItself() throws Exception {
    Image img =
        image(
            new TarBuilder()
                .mtime(1_000L)
                .entry(
                    "shadow-link",
                    '2',
                    04777,
                    1000,
                    1000,
                    secret.toString(),
                    new byte[0],
                    Map.of("SCHILY.xattr.trusted.pwned", "y".getBytes(StandardCharsets.UTF_8)),
                    0,
                    0)
                .bytes());
    assertLikeUmoci(img);
  }

  // ---- CVE-2021-29136 (umoci): whiteouts that delete outside the root
  // --------------------------------------------

  @Test
  void cve_2021_29136_whiteoutsOfDotDotAndOfTheRootAreRefused() throws Exception {
    assertRefused(
        image(
            new TarBuilder().file("ok", "x").bytes(),
            new TarBuilder().file("../.wh.host", "").bytes()),
        1,
        "../.wh.host",
        "path escapes the layer root");
    assertRefused(
        image(new TarBuilder().file("ok", "x").bytes(), new TarBuilder().file(".wh..", "").bytes()),
        1,
        ".wh..",
        "whiteout of the layer root");
    assertRefused(
        image(
            new TarBuilder().dir("a/", 0755, 0, 0).bytes(),
            new TarBuilder().file("a/.wh..", "").bytes()),
        1,
        "a/.wh..",
        "whiteout of a directory itself");
    assertRefused(
        image(
            new TarBuilder().dir("a/", 0755, 0, 0).bytes(),
            new TarBuilder().file("a/.wh.", "").bytes()),
        1,
        "a/.wh.",
        "whiteout of a directory itself");
  }

  @Test
  void cve_2021_29136_whiteoutsThroughASymlinkedParentStayInTheRoot() throws Exception {
    Image img =
        image(
            new TarBuilder()
                .symlink("etc", host.toString())
                .symlink("up", "../".repeat(20) + host)
                .dir("keep/", 0755, 0, 0)
                .file("keep/me", "x")
                .bytes(),
            new TarBuilder().file("etc/.wh.shadow", "").file("up/.wh.dir", "").bytes(),
            new TarBuilder().file("up/dir/.wh..wh..opq", "").bytes());
    // The links resolve inside the root, to nothing: nothing to delete, and no directory made to
    // delete it from.
    // Overlay keeps each whiteout in a directory of its layer (as containerd does), which hides the
    // lower link; its
    // tree is not walked: overlayfs lists a whiteout in a directory no lower layer has as a
    // directory, yet finds
    // nothing there.
    Trees t = trees(img, false);
    assertEquals(List.of(), t.diffFromUmoci());
    assertEquals('l', t.copy().get("etc").type());
    assertEquals("x".length(), t.copy().get("keep/me").size());
  }

  @Test
  void cve_2021_29136_aWhiteoutOfALowerSymlinkRemovesTheLinkNotItsTarget() throws Exception {
    Image img =
        image(
            new TarBuilder()
                .symlink("etc", host.toString())
                .symlink("d", host + "/dir")
                .file("f", "x")
                .bytes(),
            new TarBuilder().file(".wh.etc", "").file(".wh.d", "").bytes());
    TreeSnapshot t = assertLikeUmoci(img);
    assertEquals(null, t.get("etc"));
  }

  @Test
  void cve_2021_29136_anOpaqueMarkerUnderASymlinkToTheHostEmptiesNothingThere() throws Exception {
    Image img =
        image(
            new TarBuilder()
                .symlink("etc", host.toString())
                .symlink("d", "../../../../.." + host + "/dir")
                .bytes(),
            new TarBuilder().file("etc/.wh..wh..opq", "").file("d/.wh..wh..opq", "").bytes());
    Trees t = trees(img, true);
    assertEquals(List.of(), t.diffFromUmoci("etc", "d"));
    assertEquals('l', t.copy().get("etc").type());
    assertEquals('l', t.copy().get("d").type());
    // Overlay: layer 2's opaque directories take the names (as containerd's), empty.
    assertEquals('d', t.overlay().get("etc").type());
    assertEquals(
        List.of("d", "etc"), t.overlay().excluding(".").nodes().keySet().stream().toList());
  }

  // ---- a directory replaced by a symlink, then written under its old name
  // -------------------------------------

  @Test
  void aDirectoryReplacedByASymlinkToTheHostThenWrittenUnderItsOldName() throws Exception {
    Image img =
        image(
            new TarBuilder().dir("app/", 0755, 0, 0).file("app/config", "c").bytes(),
            new TarBuilder().file(".wh.app", "").symlink("app", host.toString()).bytes(),
            new TarBuilder()
                .file("app/shadow", "third layer\n")
                .dir("app/dir/", 0700, 0, 0)
                .file("app/dir/x", "x")
                .bytes());
    Trees t = trees(img, true);
    String inRoot = host.toString().substring(1);
    String top = inRoot.substring(0, inRoot.indexOf('/'));
    assertEquals(List.of(), t.diffFromUmoci("app", top));
    assertEquals('l', t.umoci().get("app").type(), "the link replaced the directory");
    assertEquals(under(t.umoci(), inRoot), under(t.overlay(), "app"));
    assertEquals(null, t.overlay().get("app/config"), "the old directory's contents stay hidden");
  }

  @Test
  void aLayerAddingToALowerDirectoryWithoutListingItKeepsTheDirectorysOwnerAndMode()
      throws Exception {
    // Found by the CVE-2014-9356 case: each overlay layer made the parents its tar does not list
    // 0755 root, and overlayfs
    // shows the top layer's directory, so /root opened up to every user of the container and /tmp
    // lost its 1777.
    // They now take the lower layers' owner, mode and xattrs on commit, as containerd's applier
    // copies them.
    Image img =
        image(
            new TarBuilder()
                .dir("root/", 0700, 0, 0)
                .dir("tmp/", 01777, 0, 0)
                .file("etc/placeholder", "x")
                .entry(
                    "home/",
                    '5',
                    02750,
                    1000,
                    1000,
                    "",
                    new byte[0],
                    Map.of("SCHILY.xattr.user.dir", "kept".getBytes(StandardCharsets.UTF_8)),
                    0,
                    0)
                .dir("home/user/", 0700, 1000, 1000)
                .bytes(),
            new TarBuilder()
                .file("root/.profile", "p")
                .file("tmp/x", "x")
                .file("home/user/deep/new/file", "f")
                .file("etc/hosts", "h")
                .bytes());
    TreeSnapshot t = assertLikeUmoci(img);
    assertEquals(0700, t.get("root").mode());
    assertEquals(01777, t.get("tmp").mode());
    assertEquals(1000, t.get("home/user").uid());
  }

  // ---- devices, fifos, setuid files
  // ----------------------------------------------------------------------------

  @Test
  void devicesAndFifosAreCreatedNeverOpenedAndAFileOverThemReplacesThem() throws Exception {
    Image img =
        image(
            new TarBuilder()
                .device("mem", '3', 1, 1)
                .device("sda", '4', 8, 0)
                .device("pipe", '6', 0, 0)
                .device("null", '3', 1, 3)
                .file(
                    "suid",
                    04755,
                    0,
                    0,
                    "#!/bin/sh\nid\n".getBytes(StandardCharsets.UTF_8),
                    Map.of())
                .hardlink("hard-mem", "mem")
                // The same names as files in the same layer: written into, a fifo would block and
                // /dev/null swallow.
                .file("mem", "not /dev/mem\n")
                .file("pipe", "not a fifo\n")
                .file("hard-mem", "not a link\n")
                .bytes(),
            new TarBuilder().file("sda", "not a disk\n").file("null", "not /dev/null\n").bytes());
    TreeSnapshot t = assertLikeUmoci(img);
    for (String f : List.of("mem", "sda", "pipe", "null", "hard-mem"))
      assertEquals('f', t.get(f).type(), f);
    assertEquals(04755, t.get("suid").mode());
  }

  // ---- duplicates
  // ----------------------------------------------------------------------------------------------

  @Test
  void duplicateEntriesTheLastWins() throws Exception {
    Image img =
        image(
            new TarBuilder()
                .file("twice", "first\n")
                .file("twice", "second\n")
                .file("file-then-dir", "f")
                .dir("file-then-dir/", 0700, 0, 0)
                .file("file-then-dir/in", "i")
                .dir("dir-then-file/", 0755, 0, 0)
                .file("dir-then-file/in", "gone")
                .file("dir-then-file", "file now")
                .file("target", "before\n")
                .hardlink("link", "target")
                .file("target", "after\n")
                .bytes());
    TreeSnapshot t = assertLikeUmoci(img);
    assertEquals(
        "", t.get("link").hardlinkOf(), "the link keeps the old content, the name gets a new file");
  }

  // ---- resource bombs
  // -----------------------------------------------------------------------------------------

  @Test
  void aGzipBombIsRefusedNamingLayerAndEntryWithoutWritingItOut() throws Exception {
    // 4 GiB of zeros in one regular (not sparse) file, in 4 MiB of gzip: one member per MiB of
    // zeros, each member
    // about a KiB (gzip readers read concatenated members as one stream, as RFC 1952 says).
    long zeros = 4L << 30;
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    gz.writeBytes(gzip(new TarBuilder().truncated("bomb", zeros, 0)));
    byte[] mib = gzip(new byte[1 << 20]);
    for (long i = 0; i < zeros >> 20; i++) gz.writeBytes(mib);
    gz.writeBytes(gzip(new byte[1024]));
    OciLayoutBuilder b = new OciLayoutBuilder(work.resolve("layout-" + (++images)));
    var blob = b.writeBlob(dev.berth.spec.image.MediaTypes.OCI_LAYER_GZIP, gz.toByteArray());
    // Its diff id is never reached: any will do.
    Image img =
        image(b, List.of(new OciLayoutBuilder.Layer(blob, blob.digest(), Compression.GZIP)));
    long t0 = System.nanoTime();
    assertRefused(img, 0, "bomb", "the layer expands to over 256 times its compressed size");
    assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "refused long before 8 GiB were written");
  }

  @Test
  void aLayerOfMoreEntriesThanTheLimitIsRefusedAndLeavesNoSnapshot() throws Exception {
    TarBuilder b = new TarBuilder();
    for (int i = 0; i <= 1000; i++) b.file("d/f" + i, "");
    byte[] tar = b.bytes();
    LayerUnpacker strict =
        new LayerUnpacker(new LayerUnpacker.Limits(1 << 16, 1L << 40, 1000, 256, 1L << 30));
    for (boolean copy : new boolean[] {false, true}) {
      Path root = work.resolve(copy ? "copy" : "overlay");
      dev.berth.image.snapshot.Snapshotter snapshots =
          copy
              ? new dev.berth.image.snapshot.CopySnapshotter(root)
              : new dev.berth.image.snapshot.OverlaySnapshotter(root);
      var staging = snapshots.stage(dev.berth.spec.image.Digest.sha256Of(tar), null);
      UnpackException e =
          assertThrows(
              UnpackException.class,
              () ->
                  strict.unpack(
                      new java.io.ByteArrayInputStream(tar),
                      Compression.NONE,
                      staging.dir(),
                      staging.mode()));
      snapshots.abort(staging);
      assertEquals(
          "entry \"d/f1000\": the layer has more than 1000 entries, the limit", e.getMessage());
      try (Stream<Path> left = Files.list(root.resolve("snapshots"))) {
        assertEquals(List.of(), left.toList(), "nothing left");
      }
    }
  }

  @Test
  void directoriesDeeperThanPathMaxAreRefusedAndLeaveNothing() throws Exception {
    // 2040 nested directories: 4080 bytes of path in the layer (openat2 takes it), past PATH_MAX
    // (4096) from "/" in
    // the store; then one name past PATH_MAX in the layer too.
    TarBuilder b = new TarBuilder();
    StringBuilder p = new StringBuilder();
    for (int i = 0; i < 2040; i++) {
      p.append("a/");
      b.dir(p.toString(), 0755, 0, 0);
    }
    String tooLong = p + "b".repeat(200) + "/c";
    b.file(tooLong, "x");
    assertRefused(image(b.bytes()), 0, tooLong, "(ENAMETOOLONG)");
  }

  @Test
  void symlinkLoopsAreRefusedNamingTheEntry() throws Exception {
    assertRefused(
        image(
            new TarBuilder()
                .symlink("loop1", "loop2")
                .symlink("loop2", "/loop1")
                .file("loop1/x", "x")
                .bytes()),
        0,
        "loop1/x",
        "(ELOOP)");
    // 50 links in a row: over the kernel's 40.
    TarBuilder chain = new TarBuilder().dir("end/", 0755, 0, 0);
    for (int i = 0; i < 50; i++) chain.symlink("l" + i, i == 0 ? "end" : "l" + (i - 1));
    assertRefused(image(chain.file("l49/x", "x").bytes()), 0, "l49/x", "(ELOOP)");
  }

  private static byte[] gzip(byte[] b) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream o = new java.util.zip.GZIPOutputStream(out)) {
      o.write(b);
    }
    return out.toByteArray();
  }

  // ---- harness
  // --------------------------------------------------------------------------------------------------

  /**
   * The nodes under {@code prefix}, keyed and named by their path below it, hard-link groups too.
   */
  static Map<String, TreeSnapshot.Node> under(TreeSnapshot t, String prefix) {
    Map<String, TreeSnapshot.Node> out = new TreeMap<>();
    for (TreeSnapshot.Node n : t.nodes().values()) {
      if (!n.path().startsWith(prefix + "/")) continue;
      String rel = n.path().substring(prefix.length() + 1);
      String link =
          n.hardlinkOf().startsWith(prefix + "/")
              ? n.hardlinkOf().substring(prefix.length() + 1)
              : "";
      out.put(
          rel,
          new TreeSnapshot.Node(
              rel,
              n.type(),
              n.mode(),
              n.uid(),
              n.gid(),
              n.size(),
              n.sha256(),
              n.target(),
              n.rdev(),
              link,
              n.xattrs(),
              n.mtime()));
    }
    return out;
  }

  static String sha256(String s) {
    return dev.berth.spec.image.Digest.sha256Of(s.getBytes(StandardCharsets.UTF_8)).encoded();
  }

  /** An image in its own OCI layout, tagged "img". */
  record Image(Path layout, List<OciLayoutBuilder.Layer> layers) {
    String digest(int i) {
      return layers.get(i).blob().digest().toString();
    }
  }

  Image image(byte[]... tars) {
    OciLayoutBuilder b = new OciLayoutBuilder(work.resolve("layout-" + (++images)));
    List<OciLayoutBuilder.Layer> layers = new ArrayList<>();
    for (byte[] t : tars) layers.add(b.layer(t, Compression.GZIP));
    return image(b, layers);
  }

  Image image(OciLayoutBuilder b, List<OciLayoutBuilder.Layer> layers) {
    b.tag("img", b.image(OciLayoutBuilder.AMD64, ImageConfig.empty(), layers).manifest());
    return new Image(b.dir(), layers);
  }

  /** umoci's tree of {@code img}, or null when umoci refuses it ({@code result} says why). */
  Exec.Result umoci(Image img) {
    Path bundle = work.resolve("umoci-" + img.layout().getFileName());
    return Exec.run(
        List.of("umoci", "unpack", "--image", img.layout() + ":img", bundle.toString()),
        null,
        Map.of(),
        null,
        600);
  }

  /**
   * Loads {@code img} into a new store of the {@code copy} or overlay snapshotter and returns its
   * tree.
   */
  TreeSnapshot berth(Image img, boolean copy) throws Exception {
    return berth(img, copy, true);
  }

  /** ... and returns its tree when {@code walk}, else null. */
  TreeSnapshot berth(Image img, boolean copy, boolean walk) throws Exception {
    Path store =
        work.resolve("store-" + img.layout().getFileName() + (copy ? "-copy" : "-overlay"));
    if (copy) {
      Files.createDirectories(store.resolve("snapshots"));
      Files.writeString(store.resolve("snapshots/driver"), "copy\n");
    }
    ImageService service = StoreChecks.service(store);
    assertEquals(copy, service.snapshots() instanceof dev.berth.image.snapshot.CopySnapshotter);
    List<String> names;
    try {
      names = service.load(archive(img));
    } catch (ImageException e) {
      assertEquals(List.of(), service.list(), "no image after a refused load");
      StoreChecks.assertNoLeftovers(store);
      throw e;
    }
    return walk ? StoreChecks.unpackedTree(service, service.resolve(names.getFirst()), work) : null;
  }

  /** What each snapshotter and umoci made of one image. */
  record Trees(TreeSnapshot overlay, TreeSnapshot copy, TreeSnapshot umoci) {
    /** The differences of the snapshotters from umoci, but at {@code paths} (and under them). */
    List<String> diffFromUmoci(String... paths) {
      String[] all = Stream.concat(Stream.of("."), Stream.of(paths)).toArray(String[]::new);
      List<String> d = new ArrayList<>();
      if (overlay != null) {
        d.addAll(
            overlay.excluding(all).diff(umoci.excluding(all)).stream()
                .map(x -> "overlay: " + x)
                .toList());
      }
      d.addAll(
          copy.excluding(all).diff(umoci.excluding(all)).stream().map(x -> "copy: " + x).toList());
      return d;
    }
  }

  /**
   * Loads {@code img} with each snapshotter and unpacks it with umoci; neither touches the host.
   */
  Trees trees(Image img, boolean walkOverlay) throws Exception {
    TreeSnapshot overlay = berth(img, false, walkOverlay);
    TreeSnapshot copy = berth(img, true);
    assertEquals(hostBefore, hostState(), "berth left the host alone");
    Exec.Result r = umoci(img);
    assertEquals(hostBefore, hostState(), "umoci left the host alone");
    assertEquals(0, r.exitCode(), "umoci unpacks what berth unpacks: " + r);
    return new Trees(
        overlay,
        copy,
        TreeSnapshot.of(work.resolve("umoci-" + img.layout().getFileName()).resolve("rootfs")));
  }

  /** Berth's tree with each snapshotter is umoci's; returns the overlay one. */
  TreeSnapshot assertLikeUmoci(Image img) throws Exception {
    Trees t = trees(img, true);
    assertEquals(List.of(), t.diffFromUmoci());
    return t.overlay();
  }

  /**
   * Each snapshotter refuses {@code img} naming layer {@code layer}'s digest, {@code entry} and
   * {@code why}.
   */
  ImageException assertRefused(Image img, int layer, String entry, String why) throws Exception {
    ImageException last = null;
    for (boolean copy : new boolean[] {false, true}) {
      ImageException e = assertThrows(ImageException.class, () -> berth(img, copy));
      String want = "layer " + img.digest(layer) + ": entry " + UnpackException.quote(entry) + ": ";
      assertTrue(
          e.getMessage().contains(want)
              && e.getMessage().indexOf(why) > e.getMessage().indexOf(want),
          (copy ? "copy" : "overlay")
              + ": want \""
              + want
              + "...\" then \""
              + why
              + "\" in: "
              + e.getMessage());
      last = e;
    }
    assertEquals(hostBefore, hostState(), "berth left the host alone");
    return last;
  }

  /** {@code img}'s layout as an oci-archive. */
  Path archive(Image img) throws IOException {
    Path out = img.layout().resolveSibling(img.layout().getFileName() + ".tar");
    if (Files.exists(out)) return out;
    try (OutputStream o = Files.newOutputStream(out);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(o);
        Stream<Path> files = Files.walk(img.layout())) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Path p : (Iterable<Path>) files.sorted()::iterator) {
        if (p.equals(img.layout()) || p.getFileName().toString().startsWith(".tmp-")) continue;
        String name = img.layout().relativize(p) + (Files.isDirectory(p) ? "/" : "");
        tar.putArchiveEntry(new TarArchiveEntry(p.toFile(), name));
        if (Files.isRegularFile(p)) Files.copy(p, tar);
        tar.closeArchiveEntry();
      }
    }
    return out;
  }

  /**
   * Everything about the host directory, path by path: type, mode, owner, size, link count, inode,
   * the three times, xattrs, link target, content. Read with O_NOATIME, so reading it changes none
   * of it.
   */
  Map<String, String> hostState() throws IOException {
    Map<String, String> out = new TreeMap<>();
    state(host, out);
    return out;
  }

  private void state(Path p, Map<String, String> out) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
    StringBuilder s = new StringBuilder();
    for (String k :
        List.of(
            "mode",
            "uid",
            "gid",
            "size",
            "nlink",
            "ino",
            "lastAccessTime",
            "lastModifiedTime",
            "ctime")) {
      s.append(k).append('=').append(a.get(k)).append(' ');
    }
    for (String x : Linux.llistxattr(p.toString())) {
      s.append(x)
          .append('=')
          .append(HexFormat.of().formatHex(Linux.lgetxattr(p.toString(), x)))
          .append(' ');
    }
    if (Files.isSymbolicLink(p)) {
      s.append("-> ").append(Files.readSymbolicLink(p));
    } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      s.append("sha256=").append(sha256NoAtime(p));
    }
    out.put(host.relativize(p).toString(), s.toString());
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      List<String> names;
      try (Fd d =
          Linux.open(
              p.toString(),
              LinuxConstants.O_RDONLY | LinuxConstants.O_DIRECTORY | LinuxConstants.O_NOATIME,
              0)) {
        names = new ArrayList<>(Linux.readdir(d));
      }
      names.sort(null);
      for (String n : names) state(p.resolve(n), out);
    }
  }

  private static String sha256NoAtime(Path p) throws IOException {
    try (Fd f = Linux.open(p.toString(), LinuxConstants.O_RDONLY | LinuxConstants.O_NOATIME, 0)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 16);
      while (true) {
        buf.clear();
        int n = Linux.read(f, buf);
        if (n <= 0) break;
        buf.flip();
        md.update(buf);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
