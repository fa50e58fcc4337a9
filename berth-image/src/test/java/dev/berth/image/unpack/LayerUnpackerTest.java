package dev.berth.image.unpack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.TreeSnapshot;
import dev.berth.testkit.image.Umoci;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRoot
class LayerUnpackerTest {
  @TempDir Path tmp;
  Path target;
  Path sentinel;

  @BeforeEach
  void dirs() throws IOException {
    target = Files.createDirectory(tmp.resolve("root"));
    sentinel = Files.createDirectory(tmp.resolve("sentinel"));
  }

  /**
   * How {@link #unpack(byte[])} hands the tar over: as it is (docker cp's path, on one thread), or
   * gzipped or zstd-compressed (a layer's, read and written on two threads: LayerUnpackerGzipTest,
   * LayerUnpackerZstdTest).
   */
  Compression compression = Compression.NONE;

  private UnpackResult unpack(byte[] tar) throws IOException {
    byte[] blob =
        switch (compression) {
          case GZIP -> gzip(tar);
          case ZSTD -> com.github.luben.zstd.Zstd.compress(tar);
          case NONE -> tar;
        };
    return new LayerUnpacker()
        .unpack(new ByteArrayInputStream(blob), compression, target, Mode.OVERLAY);
  }

  private void assertSentinelEmpty() throws IOException {
    try (Stream<Path> s = Files.list(sentinel)) {
      assertEquals(0, s.count(), "nothing may be written outside the target");
    }
  }

  @Test
  void preservesOwnersModesTimesXattrsLinksAndDevices() throws Exception {
    // security.capability as the kernel stores it (v2, cap_setuid|cap_net_bind_service): not valid
    // UTF-8.
    byte[] cap = {1, 0, 0, 2, (byte) 0x80, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    String longName = "d/" + "n".repeat(200);
    byte[] tar =
        new TarBuilder()
            .mtime(1_234_567_890L)
            .dir("d/", 0750, 1000, 1001)
            .file(
                "d/suid",
                04755,
                1000,
                1001,
                "run".getBytes(StandardCharsets.UTF_8),
                Map.of(
                    "SCHILY.xattr.security.capability",
                    cap,
                    "SCHILY.xattr.user.note",
                    "é".getBytes(StandardCharsets.UTF_8),
                    "SCHILY.xattr.trusted.overlay.opaque",
                    new byte[] {'y'}))
            .file("d/sgid", 02711, 5, 6, new byte[0], Map.of())
            .hardlink("d/hard", "d/suid")
            .symlink("d/link", "/etc/../nowhere")
            .entry("d/owned-link", '2', 0777, 1000, 1001, "suid", new byte[0], Map.of(), 0, 0)
            .device("d/null", '3', 1, 3)
            .device("d/fifo", '6', 0, 0)
            .file(longName, "long")
            .bytes();
    UnpackResult r = unpack(tar);

    assertEquals(Digest.sha256Of(tar), r.diffId());
    assertEquals(tar.length, r.tarBytes());
    Stat d = Linux.lstat(target + "/d");
    assertEquals(0750, d.permissions());
    assertEquals(1000, d.uid());
    assertEquals(1001, d.gid());
    assertEquals(
        1_234_567_890L,
        d.mtimeSec(),
        "a directory keeps its time though files were added after it");
    Stat suid = Linux.lstat(target + "/d/suid");
    assertEquals(04755, suid.permissions(), "setuid survives the chown");
    assertEquals(1000, suid.uid());
    assertEquals(1_234_567_890L, suid.mtimeSec());
    assertEquals(02711, Linux.lstat(target + "/d/sgid").permissions());
    assertArrayEquals(
        cap, Linux.lgetxattr(target + "/d/suid", "security.capability"), "binary xattr bytes");
    assertEquals(
        "é", new String(Linux.lgetxattr(target + "/d/suid", "user.note"), StandardCharsets.UTF_8));
    assertEquals(
        null,
        Linux.lgetxattr(target + "/d/suid", "trusted.overlay.opaque"),
        "overlay xattrs dropped");
    assertEquals(suid.ino(), Linux.lstat(target + "/d/hard").ino());
    assertEquals("/etc/../nowhere", Linux.readlink(target + "/d/link"));
    Stat link = Linux.lstat(target + "/d/link");
    assertEquals(List.of(0, 0), List.of(link.uid(), link.gid()));
    Stat owned = Linux.lstat(target + "/d/owned-link");
    assertEquals(List.of(1000, 1001), List.of(owned.uid(), owned.gid()));
    Stat dev = Linux.lstat(target + "/d/null");
    assertTrue(dev.isCharDevice());
    assertEquals(1, dev.rdevMajor());
    assertEquals(3, dev.rdevMinor());
    assertEquals(0660, dev.permissions());
    assertEquals(6, dev.gid());
    assertTrue(Linux.lstat(target + "/d/fifo").isFifo());
    assertEquals("long", Files.readString(target.resolve(longName)));
    assertEquals(9, r.entries());
  }

  @Test
  void rootOwnedDirectoriesAndFilesTakeTheirModesAndTimesAndNoInheritedSetgid() throws Exception {
    byte[] tar =
        new TarBuilder()
            .mtime(1_111_111_111L)
            .dir("p/", 0751, 0, 0)
            .dir("p/q/", 0705, 0, 0)
            .file("p/q/f", 0640, 0, 0, "x".getBytes(StandardCharsets.UTF_8), Map.of())
            .dir("s/", 02755, 0, 0)
            .dir("s/t/", 0755, 0, 0)
            .file("s/t/f", 0644, 0, 0, new byte[0], Map.of())
            .bytes();
    unpack(tar);
    for (Map.Entry<String, Integer> x :
        Map.of("p", 0751, "p/q", 0705, "p/q/f", 0640, "s", 02755, "s/t", 0755, "s/t/f", 0644)
            .entrySet()) {
      Stat st = Linux.lstat(target + "/" + x.getKey());
      // s/t is made in a setgid directory of group 0: the kernel hands the setgid bit down.
      assertEquals(x.getValue(), st.permissions(), x.getKey());
      assertEquals(0, st.uid(), x.getKey());
      assertEquals(0, st.gid(), x.getKey());
      assertEquals(1_111_111_111L, st.mtimeSec(), x.getKey());
    }
  }

  @Test
  void rootOwnedFilesStayRootOwnedUnderASetgidDirectoryOfAnotherGroup() throws Exception {
    byte[] tar =
        new TarBuilder()
            .dir("g/", 02775, 0, 1234)
            .file("g/f", 0644, 0, 0, "in g".getBytes(StandardCharsets.UTF_8), Map.of())
            .dir("h/", 0755, 0, 0)
            .file("h/f", 0644, 0, 0, "in h".getBytes(StandardCharsets.UTF_8), Map.of())
            .file("g/later", 0600, 0, 0, new byte[0], Map.of())
            .symlink("g/link", "f")
            .symlink("h/link", "f")
            // made plain, then listed again as setgid of group 1234
            .dir("r/", 0755, 0, 0)
            .file("r/a", 0644, 0, 0, new byte[0], Map.of())
            .dir("r/", 02775, 0, 1234)
            .file("r/b", 0644, 0, 0, new byte[0], Map.of())
            .file("h/g", 0644, 0, 0, new byte[0], Map.of())
            .file("r/c", 0644, 0, 0, new byte[0], Map.of())
            // made plain, then replaced by a link to the setgid directory
            .dir("x/", 0755, 0, 0)
            .symlink("x", "g")
            .file("x/through", 0644, 0, 0, new byte[0], Map.of())
            .bytes();
    unpack(tar);
    // The kernel gives a file created in a setgid directory the directory's group: the tar's 0
    // must be set.
    for (String f :
        List.of("g/f", "g/later", "h/f", "g/link", "h/link", "r/a", "r/b", "r/c", "g/through")) {
      Stat st = Linux.lstat(target + "/" + f);
      assertEquals(0, st.uid(), f);
      assertEquals(0, st.gid(), f);
    }
    assertEquals(1234, Linux.lstat(target + "/g").gid());
  }

  @Test
  void compressionsGiveTheSameTreeAndDiffId() throws Exception {
    byte[] data = new byte[3 << 20];
    new Random(1).nextBytes(data);
    byte[] tar =
        new TarBuilder().file("big", 0644, 0, 0, data, Map.of()).file("small", "s").bytes();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream o = new GZIPOutputStream(gz)) {
      o.write(tar);
    }
    ByteArrayOutputStream zs = new ByteArrayOutputStream();
    try (ZstdOutputStream o = new ZstdOutputStream(zs)) {
      o.write(tar);
    }
    Map<Compression, byte[]> blobs =
        Map.of(
            Compression.NONE,
            tar,
            Compression.GZIP,
            gz.toByteArray(),
            Compression.ZSTD,
            zs.toByteArray());
    for (Map.Entry<Compression, byte[]> b : blobs.entrySet()) {
      Path t = Files.createDirectory(tmp.resolve("t-" + b.getKey()));
      UnpackResult r =
          new LayerUnpacker()
              .unpack(new ByteArrayInputStream(b.getValue()), b.getKey(), t, Mode.APPLY);
      assertEquals(Digest.sha256Of(tar), r.diffId(), b.getKey().toString());
      assertArrayEquals(data, Files.readAllBytes(t.resolve("big")), b.getKey().toString());
      assertEquals(data.length + 1, r.fileBytes());
    }
  }

  @Test
  @RequiresCommand("tar")
  void sparseFilesKeepTheirHolesAndContent() throws Exception {
    Path src = Files.createDirectory(tmp.resolve("src"));
    Path f = src.resolve("sparse");
    try (var ch =
        java.nio.channels.FileChannel.open(
            f, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap("head".getBytes()), 0);
      ch.write(java.nio.ByteBuffer.wrap("tail".getBytes()), 64L << 20);
    }
    for (String format : new String[] {"gnu", "posix"}) {
      Path tarFile = tmp.resolve(format + ".tar");
      Process p =
          new ProcessBuilder(
                  "tar",
                  "--sparse",
                  "--format=" + format,
                  "-cf",
                  tarFile.toString(),
                  "-C",
                  src.toString(),
                  "sparse")
              .inheritIO()
              .start();
      assertEquals(0, p.waitFor());
      Path t = Files.createDirectory(tmp.resolve("out-" + format));
      try (InputStream in = Files.newInputStream(tarFile)) {
        new LayerUnpacker().unpack(in, Compression.NONE, t, Mode.OVERLAY);
      }
      Path got = t.resolve("sparse");
      assertEquals(Files.size(f), Files.size(got), format);
      assertEquals(Files.mismatch(f, got), -1L, format);
      assertTrue(Linux.lstat(got.toString()).blocks() * 512 < (1 << 20), format + ": holes kept");
    }
  }

  // ---- sparse files
  // -----------------------------------------------------------------------------------------

  /**
   * A sparse file of {@code size} bytes holding "@offset" at each offset and holes everywhere else.
   */
  private static Path sparseFile(Path p, long size, long... offsets) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.setLength(size);
      for (long o : offsets) {
        f.seek(o);
        f.write(("@" + o).getBytes(StandardCharsets.US_ASCII));
      }
    }
    return p;
  }

  /** GNU tar's sparse forms: old GNU headers and PAX 0.0, 0.1 and 1.0. */
  private static final List<List<String>> SPARSE_FORMATS =
      List.of(
          List.of("--format=gnu"),
          List.of("--format=posix", "--sparse-version=0.0"),
          List.of("--format=posix", "--sparse-version=0.1"),
          List.of("--format=posix", "--sparse-version=1.0"));

  private static void run(Path dir, List<String> command) throws Exception {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), command + ": " + out);
  }

  private static Path gnuTar(Path src, Path tarFile, List<String> format, String... names)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of("tar", "--sparse"));
    cmd.addAll(format);
    cmd.addAll(List.of("-cf", tarFile.toString()));
    cmd.addAll(List.of(names));
    run(src, cmd);
    return tarFile;
  }

  /**
   * Where a file has data: (start, end) pairs found with SEEK_DATA and SEEK_HOLE, the holes never
   * read.
   */
  private static List<Long> dataMap(Path p) throws IOException {
    List<Long> out = new ArrayList<>();
    try (Fd f = Linux.open(p.toString(), dev.berth.sys.LinuxConstants.O_RDONLY, 0)) {
      long at = 0;
      while (true) {
        long start;
        try {
          start = Linux.lseek(f, at, 3); // SEEK_DATA
        } catch (dev.berth.sys.ErrnoException e) {
          if (e.errno() == dev.berth.sys.LinuxConstants.ENXIO) return out; // only a hole is left
          throw e;
        }
        long end = Linux.lseek(f, start, 4); // SEEK_HOLE
        out.add(start);
        out.add(end);
        at = end;
      }
    }
  }

  /** The bytes of {@code p} in [from, to). */
  private static byte[] bytesAt(Path p, long from, long to) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
      byte[] b = new byte[(int) (to - from)];
      f.seek(from);
      f.readFully(b);
      return b;
    }
  }

  /**
   * Same size, same data map and same bytes in the data as {@code want}, so the same holes: nothing
   * else exists.
   */
  private static void assertSameSparseFile(Path want, Path got, String what) throws IOException {
    assertEquals(Files.size(want), Files.size(got), what + ": size");
    List<Long> map = dataMap(want);
    assertEquals(map, dataMap(got), what + ": data and holes");
    for (int i = 0; i < map.size(); i += 2) {
      assertArrayEquals(
          bytesAt(want, map.get(i), map.get(i + 1)),
          bytesAt(got, map.get(i), map.get(i + 1)),
          what);
    }
  }

  @Test
  @RequiresCommand("tar")
  void gnuTarSparseFilesOver2GiBUnpackAsGnuTarExtractsThemInEveryFormat() throws Exception {
    Path src = Files.createDirectory(tmp.resolve("src"));
    // Offsets past 2^31 and 2^32, data at the very end of one file, a trailing hole in the other.
    sparseFile(src.resolve("big"), (3L << 30) + 8, 0, (1L << 31) + (3 << 12), (3L << 30));
    sparseFile(src.resolve("bigger"), 5L << 30, 1L << 12, (1L << 32) + (5 << 12));
    for (List<String> format : SPARSE_FORMATS) {
      String f = String.join(" ", format);
      Path tarFile = gnuTar(src, tmp.resolve("layer.tar"), format, "big", "bigger");
      assertTrue(Files.size(tarFile) < 64 << 10, f + ": the archive holds the data only");
      Path gnu = Files.createDirectory(tmp.resolve("gnu"));
      run(gnu, List.of("tar", "-xf", tarFile.toString()));
      Path out = Files.createDirectory(tmp.resolve("berth"));
      long t0 = System.nanoTime();
      UnpackResult r;
      try (InputStream in = Files.newInputStream(tarFile)) {
        r = new LayerUnpacker().unpack(in, Compression.NONE, out, Mode.OVERLAY);
      }
      assertTrue(System.nanoTime() - t0 < 2_000_000_000L, f + ": holes are not written, nor read");
      assertEquals(Digest.sha256Of(Files.readAllBytes(tarFile)), r.diffId(), f);
      for (String name : List.of("big", "bigger")) {
        assertSameSparseFile(gnu.resolve(name), out.resolve(name), f + " " + name);
        assertSameSparseFile(src.resolve(name), out.resolve(name), f + " " + name);
        assertTrue(
            Linux.lstat(out.resolve(name).toString()).blocks() * 512 <= 64 << 10,
            f + ": no disk for holes");
      }
      Files.delete(tarFile);
      for (Path d : List.of(gnu, out)) {
        for (String name : List.of("big", "bigger")) Files.delete(d.resolve(name));
        Files.delete(d);
      }
    }
  }

  @Test
  @RequiresCommand({"tar", "umoci"})
  void sparseFilesUnpackAsUmociUnpacksThem() throws Exception {
    // umoci (Go's archive/tar) writes the holes as zeros: small files here. It refuses old GNU
    // sparse entries
    // ("unknown typeflag 'S'"): the PAX forms only.
    Path src = Files.createDirectory(tmp.resolve("src"));
    sparseFile(src.resolve("s1"), 6 << 20, 0, 1 << 20, (5 << 20) + 100);
    sparseFile(src.resolve("s2"), 3 << 20, 2 << 20);
    OciLayoutBuilder layout = new OciLayoutBuilder(tmp.resolve("layout"));
    for (List<String> format : SPARSE_FORMATS.subList(1, SPARSE_FORMATS.size())) {
      String tag = "f" + SPARSE_FORMATS.indexOf(format);
      byte[] tar = Files.readAllBytes(gnuTar(src, tmp.resolve(tag + ".tar"), format, "s1", "s2"));
      OciLayoutBuilder.Image img =
          layout.image(
              OciLayoutBuilder.AMD64,
              ImageConfig.empty(),
              List.of(layout.layer(tar, Compression.GZIP)));
      layout.tag(tag, img.manifest());
      TreeSnapshot umoci =
          TreeSnapshot.of(Umoci.unpack(layout.dir(), tag, tmp.resolve("umoci-" + tag)));
      Path out = Files.createDirectory(tmp.resolve("berth-" + tag));
      new LayerUnpacker()
          .unpack(new ByteArrayInputStream(tar), Compression.NONE, out, Mode.OVERLAY);
      TreeSnapshot.of(out).excluding(".").assertSameAs(umoci.excluding("."));
      assertSameSparseFile(src.resolve("s1"), out.resolve("s1"), String.join(" ", format));
    }
  }

  /**
   * One old-GNU sparse entry per name: {@code realSize} bytes, "data" at offset 0, the rest a hole.
   */
  private static byte[] gnuSparseLayer(long realSize, int files) {
    TarBuilder b = new TarBuilder();
    for (int i = 0; i < files; i++)
      b.gnuSparse("f" + i, realSize, new long[] {0, 4, realSize, 0}, "data".getBytes());
    return b.bytes();
  }

  private static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream o = new GZIPOutputStream(gz)) {
      o.write(b);
    }
    return gz.toByteArray();
  }

  @Test
  void twentyDeclaredTwoGiBSparseFilesCostNeitherTimeNorDisk() throws Exception {
    byte[] blob = gzip(gnuSparseLayer(2L << 30, 20));
    assertTrue(blob.length < 1024, "a tiny layer: " + blob.length);
    long t0 = System.nanoTime();
    new LayerUnpacker()
        .unpack(new ByteArrayInputStream(blob), Compression.GZIP, target, Mode.OVERLAY);
    assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "holes are seeked over, not written");
    for (int i = 0; i < 20; i++) {
      Path f = target.resolve("f" + i);
      assertEquals(2L << 30, Files.size(f));
      assertEquals("data", new String(bytesAt(f, 0, 4), StandardCharsets.US_ASCII));
      assertEquals(List.of(0L, 4096L), dataMap(f));
    }
  }

  @Test
  void sparseHolesOverTheLayersLimitAreRefusedFastNamingTheEntry() throws Exception {
    // 20 files of 100 GiB: the eleventh takes the layer past 1 TiB of holes.
    byte[] blob = gzip(gnuSparseLayer(100L << 30, 20));
    long t0 = System.nanoTime();
    UnpackException e =
        assertThrows(
            UnpackException.class,
            () ->
                new LayerUnpacker()
                    .unpack(
                        new ByteArrayInputStream(blob), Compression.GZIP, target, Mode.OVERLAY));
    assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "refused before any work");
    assertEquals("f10", e.entry());
    assertEquals(
        "entry \"f10\": sparse file of 107374182400 bytes with 4 bytes of data takes the holes this layer"
            + " declares to 1181116006356 bytes, over the limit of 1099511627776",
        e.getMessage());
    assertFalse(Files.exists(target.resolve("f10")), "refused before it was created");
    // A single file declaring 2^62 bytes, in PAX 0.1 form.
    byte[] huge =
        new TarBuilder()
            .file(
                "huge",
                0644,
                0,
                0,
                "data".getBytes(),
                paxRecords(
                    "GNU.sparse.size",
                    Long.toString(1L << 62),
                    "GNU.sparse.numblocks",
                    "1",
                    "GNU.sparse.map",
                    "0,4"))
            .bytes();
    e = assertThrows(UnpackException.class, () -> unpack(huge));
    assertEquals("huge", e.entry());
    assertTrue(e.getMessage().contains("over the limit of 1099511627776"), e.getMessage());
  }

  private static Map<String, byte[]> paxRecords(String... kv) {
    Map<String, byte[]> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1].getBytes(StandardCharsets.UTF_8));
    return m;
  }

  @Test
  @RequiresCommand("tar")
  void sparseMapsOverTheRegionLimitAreRefusedFastNamingTheEntry() throws Exception {
    // PAX 1.0 declaring a billion regions in a few bytes: refused before the map is read.
    byte[] map = new byte[512];
    byte[] count = "1000000000\n0\n4\n".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(count, 0, map, 0, count.length);
    byte[] billion =
        new TarBuilder()
            .file(
                "many",
                0644,
                0,
                0,
                map,
                paxRecords(
                    "GNU.sparse.major",
                    "1",
                    "GNU.sparse.minor",
                    "0",
                    "GNU.sparse.realsize",
                    "4096"))
            .bytes();
    long t0 = System.nanoTime();
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(billion));
    assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
    assertEquals(
        "entry \"many\": sparse map has more than 65536 regions; the limit is 65536",
        e.getMessage());

    // A real file of 20 data regions, in each of GNU tar's forms, under a limit of 10.
    Path src = Files.createDirectory(tmp.resolve("src"));
    long[] offsets = new long[20];
    for (int i = 0; i < 20; i++) offsets[i] = (long) i << 16;
    sparseFile(src.resolve("frag"), 20 << 16, offsets);
    LayerUnpacker strict =
        new LayerUnpacker(new LayerUnpacker.Limits(10, 1L << 40, 1L << 22, 256, 1L << 30));
    for (List<String> format : SPARSE_FORMATS) {
      Path tarFile = gnuTar(src, tmp.resolve("frag.tar"), format, "frag");
      Path out = Files.createDirectory(tmp.resolve("out"));
      try (InputStream in = Files.newInputStream(tarFile)) {
        e =
            assertThrows(
                UnpackException.class,
                () -> strict.unpack(in, Compression.NONE, out, Mode.OVERLAY));
      }
      assertEquals("frag", e.entry(), format.toString());
      assertTrue(
          e.getMessage().contains("regions; the limit is 10"), format + ": " + e.getMessage());
      assertFalse(Files.exists(out.resolve("frag")));
      Files.delete(out);
      Files.delete(tarFile);
    }
  }

  @Test
  void sparseMapsThatDoNotAddUpAreRefused() {
    Map<String, String> bad =
        Map.of(
            "0,4,2,4", "overlaps the one before",
            "0,4,8190,4", "is outside the file's 8192 bytes",
            "0,3", "sparse map has 3 bytes of data but the entry stores 4",
            "0,-4", "offset 0, length -4",
            "0,4,8", "odd count");
    for (Map.Entry<String, String> b : bad.entrySet()) {
      byte[] tar =
          new TarBuilder()
              .file(
                  "s",
                  0644,
                  0,
                  0,
                  "data".getBytes(),
                  paxRecords("GNU.sparse.size", "8192", "GNU.sparse.map", b.getKey()))
              .bytes();
      UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar), b.getKey());
      assertEquals("s", e.entry(), b.getKey());
      assertTrue(e.getMessage().contains(b.getValue()), b.getKey() + ": " + e.getMessage());
    }
  }

  // ---- owners
  // ----------------------------------------------------------------------------------------------------

  @Test
  void uidsAndGidsOutsideUidTAreRefusedNotWrapped() throws Exception {
    // 2^32 would wrap to 0 (root); 2^32-1 is (uid_t) -1, "unchanged" to chown.
    for (String v : List.of("4294967296", "4294967295", "-1", "8589934592")) {
      for (String id : List.of("uid", "gid")) {
        byte[] tar =
            new TarBuilder().file("f", 0644, 1000, 1000, "x".getBytes(), paxRecords(id, v)).bytes();
        UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar), id + "=" + v);
        assertEquals(
            "entry \"f\": " + id + " " + v + " is out of range (0 to 4294967294)", e.getMessage());
        assertTrue(!Files.exists(target.resolve("f")), "refused before it was created");
      }
    }
    // In the header itself, as GNU tar's base-256 numbers; and on directories, links, fifos.
    UnpackException e =
        assertThrows(
            UnpackException.class,
            () -> unpack(new TarBuilder().fileWithIds("b", 1L << 32, 0).bytes()));
    assertEquals("entry \"b\": uid 4294967296 is out of range (0 to 4294967294)", e.getMessage());
    e =
        assertThrows(
            UnpackException.class, () -> unpack(new TarBuilder().fileWithIds("n", 0, -1).bytes()));
    assertEquals("entry \"n\": gid -1 is out of range (0 to 4294967294)", e.getMessage());
    Map<String, byte[]> big = paxRecords("uid", "4294967296");
    for (char type : new char[] {'5', '2', '6'}) {
      byte[] tar =
          new TarBuilder()
              .entry("e", type, 0755, 0, 0, type == '2' ? "t" : "", new byte[0], big, 0, 0)
              .bytes();
      e = assertThrows(UnpackException.class, () -> unpack(tar), "type " + type);
      assertTrue(
          e.getMessage().startsWith("entry \"e\": uid 4294967296 is out of range"), e.getMessage());
    }
    // The top of the range is fine.
    unpack(new TarBuilder().fileWithIds("top", 4294967294L, 4294967294L).bytes());
    Stat st = Linux.lstat(target + "/top");
    assertEquals(4294967294L, Integer.toUnsignedLong(st.uid()));
    assertEquals(4294967294L, Integer.toUnsignedLong(st.gid()));
  }

  // ---- broken layers: every error names the entry, or says the stream is not what it should be
  // --------------------

  @Test
  void libarchiveXattrsAreDecodedAndMalformedOnesRefusedNamingTheEntry() throws Exception {
    String v = java.util.Base64.getEncoder().withoutPadding().encodeToString("value".getBytes());
    unpack(
        new TarBuilder()
            .file("ok", 0644, 0, 0, "x".getBytes(), paxRecords("LIBARCHIVE.xattr.user.a+b%3Dc", v))
            .bytes());
    assertEquals(
        "value", new String(Linux.lgetxattr(target + "/ok", "user.a+b=c"), StandardCharsets.UTF_8));
    Map<String, String> bad =
        Map.of(
            "LIBARCHIVE.xattr.user.x", "!!not base64!!",
            "LIBARCHIVE.xattr.user.%zz", v,
            "LIBARCHIVE.xattr.", v);
    for (Map.Entry<String, String> b : bad.entrySet()) {
      byte[] tar =
          new TarBuilder()
              .file("f", 0644, 0, 0, "x".getBytes(), paxRecords(b.getKey(), b.getValue()))
              .bytes();
      UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar), b.getKey());
      assertEquals("f", e.entry());
      assertTrue(
          e.getMessage().startsWith("entry \"f\": PAX record \"" + b.getKey() + "\": "),
          e.getMessage());
    }
  }

  @Test
  void aBlobThatIsNotWhatItsCompressionSaysFailsNamingTheCompression() throws Exception {
    byte[] garbage = new byte[4096];
    new Random(7).nextBytes(garbage);
    Map<Compression, String> want =
        Map.of(
            Compression.GZIP,
                "reading the first tar header: corrupt gzip stream: not in gzip format",
            Compression.ZSTD, "reading the first tar header: corrupt zstd stream: ",
            Compression.NONE,
                "reading the first tar header: not a tar header (its checksum is wrong)");
    for (Map.Entry<Compression, String> w : want.entrySet()) {
      UnpackException e =
          assertThrows(
              UnpackException.class,
              () ->
                  new LayerUnpacker()
                      .unpack(new ByteArrayInputStream(garbage), w.getKey(), target, Mode.OVERLAY),
              w.getKey().toString());
      assertTrue(e.getMessage().startsWith(w.getValue()), e.getMessage());
    }
    // A gzip layer cut in the middle of an entry's data.
    byte[] data = new byte[1 << 20];
    new Random(1).nextBytes(data);
    byte[] gz =
        gzip(new TarBuilder().file("first", "1").file("cut", 0644, 0, 0, data, Map.of()).bytes());
    byte[] half = java.util.Arrays.copyOf(gz, gz.length / 2);
    UnpackException e =
        assertThrows(
            UnpackException.class,
            () ->
                new LayerUnpacker()
                    .unpack(
                        new ByteArrayInputStream(half), Compression.GZIP, target, Mode.OVERLAY));
    assertEquals("entry \"cut\": layer is truncated: gzip stream ends early", e.getMessage());
    // ...and between two entries.
    byte[] tar = new TarBuilder().file("a", "1").file("b", "2").bytes();
    byte[] cut = gzip(java.util.Arrays.copyOf(tar, 1024 + 100));
    e =
        assertThrows(
            UnpackException.class,
            () ->
                new LayerUnpacker()
                    .unpack(new ByteArrayInputStream(cut), Compression.GZIP, target, Mode.OVERLAY));
    assertEquals(
        "reading the tar header after entry \"a\": layer is truncated: the tar stream ends inside a tar header",
        e.getMessage());
  }

  // ---- hostile layers
  // ------------------------------------------------------------------------------------------

  @Test
  void dotDotThatLeavesTheRootIsRefused() throws Exception {
    byte[] tar = new TarBuilder().file("ok", "x").file("../x", "evil").bytes();
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar));
    assertEquals("entry \"../x\": path escapes the layer root", e.getMessage());
    assertEquals("../x", e.entry());
    assertFalse(Files.exists(tmp.resolve("x")));
    byte[] deep = new TarBuilder().file("a/../../sentinel/x", "evil").bytes();
    e = assertThrows(UnpackException.class, () -> unpack(deep));
    assertEquals("entry \"a/../../sentinel/x\": path escapes the layer root", e.getMessage());
    assertSentinelEmpty();
  }

  @Test
  void absoluteAndDotNamesLandInsideTheRoot() throws Exception {
    unpack(new TarBuilder().file("/abs", "1").file("./dot", "2").file("a/./b/../c", "3").bytes());
    assertEquals("1", Files.readString(target.resolve("abs")));
    assertEquals("2", Files.readString(target.resolve("dot")));
    assertEquals("3", Files.readString(target.resolve("a/c")));
  }

  @Test
  void writesThroughSymlinksStayInsideTheRoot() throws Exception {
    byte[] tar =
        new TarBuilder()
            .symlink("abs", sentinel.toString())
            .symlink("rel", "../../../../../../../../" + sentinel)
            .file("abs/pwned", "a")
            .file("rel/pwned", "b")
            .symlink("file-link", sentinel + "/victim")
            .file("file-link", "replaced the link, not its target")
            .bytes();
    unpack(tar);
    assertSentinelEmpty();
    // Resolved as if the target were "/": the files exist under target/<sentinel path>.
    assertTrue(Files.exists(target.resolve(sentinel.toString().substring(1)).resolve("pwned")));
    assertTrue(
        Files.isRegularFile(target.resolve("file-link"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void hardlinksOutOfTheRootAreRefused() throws Exception {
    Files.writeString(sentinel.resolve("secret"), "s");
    byte[] tar = new TarBuilder().hardlink("h", "../sentinel/secret").bytes();
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar));
    assertEquals(
        "entry \"h\": hardlink target \"../sentinel/secret\" escapes the layer root",
        e.getMessage());
    // Through a symlinked directory: resolved inside the root, where nothing is.
    byte[] viaLink =
        new TarBuilder().symlink("s", sentinel.toString()).hardlink("h2", "s/secret").bytes();
    e = assertThrows(UnpackException.class, () -> unpack(viaLink));
    assertTrue(e.getMessage().startsWith("entry \"h2\": hardlink to \"s/secret\""), e.getMessage());
    assertEquals(1, Linux.lstat(sentinel + "/secret").nlink());
    assertFalse(Files.exists(target.resolve("h2")));
  }

  @Test
  void whiteoutOfTheRootIsRefused() {
    for (String w : new String[] {".wh..", "./.wh..", ".wh...", "a/.wh.."}) {
      byte[] tar = new TarBuilder().dir("a/", 0755, 0, 0).file(w, "").bytes();
      UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar), w);
      assertEquals(w, e.entry());
      assertTrue(e.getMessage().contains("whiteout of"), e.getMessage());
    }
  }

  @Test
  void truncatedLayerFailsNamingTheEntry() {
    byte[] tar = new TarBuilder().file("fine", "ok").truncated("huge", 1L << 40, 4096);
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar));
    assertEquals("huge", e.entry());
    assertTrue(e.getMessage().startsWith("entry \"huge\": layer is truncated"), e.getMessage());
  }

  @Test
  void unknownEntryTypeIsAnError() {
    byte[] tar =
        new TarBuilder().entry("odd", 'Z', 0644, 0, 0, "", new byte[0], Map.of(), 0, 0).bytes();
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar));
    assertEquals("entry \"odd\": unsupported tar entry type 'Z'", e.getMessage());
  }

  @Test
  void replacingEntries() throws Exception {
    unpack(
        new TarBuilder()
            .dir("d/", 0755, 0, 0)
            .file("d/x", "1")
            .file("f", "old")
            .symlink("l", "f")
            .dir("keep/", 0700, 0, 0)
            .file("keep/inside", "i")
            .bytes());
    unpack(
        new TarBuilder()
            .file("d", "file over dir")
            .file("f", "new")
            .file("l", "file over link")
            .dir("keep/", 0711, 3, 3)
            .bytes());
    assertEquals("file over dir", Files.readString(target.resolve("d")));
    assertEquals("new", Files.readString(target.resolve("f")));
    assertEquals("file over link", Files.readString(target.resolve("l")));
    assertEquals(
        "i",
        Files.readString(target.resolve("keep/inside")),
        "a dir over a dir keeps its contents");
    assertEquals(0711, Linux.lstat(target + "/keep").permissions());
  }

  // ---- entries of one layer that meet each other: the tree is the one tar order gives, on one
  // thread as on two (LayerUnpackerGzipTest, LayerUnpackerZstdTest)
  // -----------------------------------------------------------------------------------------------

  @Test
  void entriesOfOneLayerThatMeetEachOtherApplyInTarOrder() throws Exception {
    TarBuilder t = new TarBuilder().dir("many/", 0755, 0, 0);
    for (int i = 0; i < 300; i++) t.file("many/f-" + i, "file " + i);
    t.file("many/f-7", "again") // the same path, later in the layer
        .file("a", "first")
        .file("a", "second")
        .file("h-target", "t")
        .hardlink("h", "h-target") // to a file created just before
        .dir("d/", 0755, 0, 0)
        .symlink("l", "d")
        .file("d/x", "via d")
        .file("l/x", "via l") // the same file as d/x, through the link
        .file("d/y", "after the link")
        .file("f", "a file, then a directory")
        .dir("f/", 0700, 0, 0)
        .file("f/in", "in")
        .dir("g/", 0755, 0, 0)
        .file("g/z", "z")
        .file("g", "a directory with a file, then a file")
        .file("s", "a file, then a link")
        .symlink("s", "a")
        .dir("t/", 0755, 0, 0)
        .symlink("t", "a"); // a directory, then a link
    unpack(t.bytes());
    for (int i = 0; i < 300; i++) {
      assertEquals(i == 7 ? "again" : "file " + i, Files.readString(target.resolve("many/f-" + i)));
    }
    assertEquals("second", Files.readString(target.resolve("a")));
    assertEquals("t", Files.readString(target.resolve("h")));
    assertEquals(
        Linux.lstat(target + "/h-target").ino(), Linux.lstat(target + "/h").ino(), "hardlinked");
    assertEquals("via l", Files.readString(target.resolve("d/x")));
    assertEquals("after the link", Files.readString(target.resolve("d/y")));
    assertEquals(0700, Linux.lstat(target + "/f").permissions());
    assertEquals("in", Files.readString(target.resolve("f/in")));
    assertEquals("a directory with a file, then a file", Files.readString(target.resolve("g")));
    assertEquals("a", Linux.readlink(target + "/s"));
    assertEquals("a", Linux.readlink(target + "/t"));
  }

  @Test
  void aDirectoryOfFilesReplacedByASymlinkOutOfTheRootKeepsTheFilesAfterItInside()
      throws Exception {
    TarBuilder t = new TarBuilder().dir("a/", 0755, 0, 0);
    for (int i = 0; i < 50; i++) t.file("a/f-" + i, "before");
    t.symlink("a", sentinel.toString()); // replaces the directory and what is in it
    for (int i = 0; i < 50; i++) t.file("a/g-" + i, "after");
    unpack(t.bytes());
    assertSentinelEmpty();
    assertTrue(Files.isSymbolicLink(target.resolve("a")));
    Path landed = target.resolve(sentinel.toString().substring(1));
    for (int i = 0; i < 50; i++) {
      assertEquals("after", Files.readString(landed.resolve("g-" + i)));
      assertFalse(Files.exists(landed.resolve("f-" + i)));
    }
  }

  @Test
  void aFileUnderAFileOfTheSameLayerIsRefusedNamingIt() throws Exception {
    byte[] tar = new TarBuilder().file("a", "x").file("a/b", "y").bytes();
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar));
    assertEquals("a/b", e.entry());
    assertTrue(e.getMessage().contains("(ENOTDIR)"), e.getMessage());
    assertEquals("x", Files.readString(target.resolve("a")));
  }

  /**
   * A file that cannot be made fails the unpack naming it, however many entries follow it, and
   * leaves no thread and no fd behind, as a layer that unpacks does.
   */
  @Test
  void aFileThatCannotBeMadeIsReportedNamingItAndNothingIsLeftRunningOrOpen() throws Exception {
    long fds = openFds();
    TarBuilder ok = new TarBuilder();
    for (int i = 0; i < 200; i++) ok.file("d" + (i % 7) + "/f-" + i, "x".repeat(i));
    unpack(ok.bytes());
    assertEquals(fds, openFds(), "fds left open by an unpack");
    assertEquals(List.of(), unpackThreads());

    target = Files.createDirectory(tmp.resolve("second")); // empty again
    TarBuilder bad = new TarBuilder();
    for (int i = 0; i < 100; i++) bad.file("before/f-" + i, "b");
    // No such xattr namespace: setting it fails (EOPNOTSUPP).
    bad.file("bad", 0644, 0, 0, "x".getBytes(), paxRecords("SCHILY.xattr.nonamespace", "v"));
    for (int i = 0; i < 100; i++) bad.file("after/f-" + i, "a");
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(bad.bytes()));
    assertEquals("bad", e.entry());
    assertTrue(e.getMessage().startsWith("entry \"bad\": "), e.getMessage());
    assertTrue(e.getMessage().contains("nonamespace"), e.getMessage());
    assertEquals(fds, openFds(), "fds left open by a failed unpack");
    assertEquals(List.of(), unpackThreads());
  }

  private static long openFds() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  /**
   * The unpacker's writer threads still alive a second after the unpack ended: a thread's task ends
   * an instant before the thread does (a loaded machine showed one in that instant).
   */
  private static List<String> unpackThreads() throws InterruptedException {
    List<String> alive = List.of();
    for (int i = 0; i < 100; i++) {
      alive =
          Thread.getAllStackTraces().keySet().stream()
              .filter(Thread::isAlive)
              .map(Thread::getName)
              .filter(n -> n.startsWith("unpack-files"))
              .toList();
      if (alive.isEmpty()) break;
      Thread.sleep(10);
    }
    return alive;
  }
}
