package dev.berth.testkit.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdInputStream;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresCommand;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciLayoutBuilderTest {
  static final String LONG_NAME = "long/" + "n".repeat(150);

  /** busybox (gzip), generated files (zstd), and every edge-case entry type (uncompressed). */
  static OciLayoutBuilder.Image build(OciLayoutBuilder b) {
    return build(b, Compression.ZSTD);
  }

  static OciLayoutBuilder.Image build(OciLayoutBuilder b, Compression generatedLayer) {
    var base =
        b.layer(
            new LayerTar()
                .busybox()
                .add(
                    TarEntry.dir("data"),
                    TarEntry.file("data/gone", "to be whited out"),
                    TarEntry.dir("opaque"),
                    TarEntry.file("opaque/hidden", "hidden by the opaque marker")),
            Compression.GZIP);
    var generated =
        b.layer(
            new LayerTar()
                .randomFiles("gen", 2, 300_000, 42, 0.5)
                .smallFiles("small", 250, 1024, 4096, 7),
            generatedLayer);
    var edges =
        b.layer(
            new LayerTar()
                .add(
                    TarEntry.whiteout("data/gone"),
                    TarEntry.opaque("opaque"),
                    TarEntry.file("opaque/new", "after the opaque marker"),
                    TarEntry.hardlink("bin/sh-hard", "bin/busybox"),
                    TarEntry.symlink("lnk", "/etc/passwd"),
                    TarEntry.fifo("run/fifo").withMode(0600),
                    TarEntry.charDevice("dev/null2", 1, 3),
                    TarEntry.dir("usr"),
                    TarEntry.dir("usr/bin"),
                    TarEntry.file("usr/bin/suid", "#!/bin/sh\n")
                        .withMode(04755)
                        .withOwner(1000, 1000),
                    TarEntry.file("xa", "with xattrs").withXattr("user.berth", "hello"),
                    TarEntry.dir("long"),
                    TarEntry.file(LONG_NAME, "a name longer than ustar's 100 bytes")),
            Compression.NONE);
    var img =
        b.image(
            OciLayoutBuilder.AMD64,
            ImageConfig.busybox().withEntrypoint("/bin/sh", "-c").withUser("1000:1000"),
            List.of(base, generated, edges));
    b.tag("latest", img.manifest());
    return img;
  }

  @Test
  void twoBuildsGiveTheSameDigestsAndBytes(@TempDir Path tmp) throws IOException {
    var a = build(new OciLayoutBuilder(tmp.resolve("a")));
    var b = build(new OciLayoutBuilder(tmp.resolve("b")));
    assertEquals(a.manifest().digest(), b.manifest().digest());
    assertEquals(a.config().digest(), b.config().digest());
    assertEquals(a.layerDigests(), b.layerDigests());
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("a/index.json")),
        Files.readAllBytes(tmp.resolve("b/index.json")));
    // and the whole set of blobs is the same
    try (var sa = Files.list(tmp.resolve("a/blobs/sha256"));
        var sb = Files.list(tmp.resolve("b/blobs/sha256"))) {
      assertEquals(
          sa.map(p -> p.getFileName().toString()).sorted().toList(),
          sb.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void blobsMatchTheirDigestsAndDiffIdsAreTheUncompressedTars(@TempDir Path tmp)
      throws IOException {
    var b = new OciLayoutBuilder(tmp);
    var img = build(b);
    for (var l : img.layers()) {
      byte[] blob = Files.readAllBytes(b.blob(l.blob().digest()));
      assertEquals(l.blob().digest(), Digest.sha256Of(blob));
      assertEquals(l.blob().size(), blob.length);
      InputStream in =
          switch (l.compression()) {
            case NONE -> new ByteArrayInputStream(blob);
            case GZIP -> new GZIPInputStream(new ByteArrayInputStream(blob));
            case ZSTD -> new ZstdInputStream(new ByteArrayInputStream(blob));
          };
      assertEquals(
          l.diffId(), Digest.sha256Of(in.readAllBytes()), "diffID of " + l.blob().digest());
    }
    assertEquals(
        List.of(MediaTypes.OCI_LAYER_GZIP, MediaTypes.OCI_LAYER_ZSTD, MediaTypes.OCI_LAYER),
        img.layers().stream().map(l -> l.blob().mediaType()).toList());
    String config = Files.readString(b.blob(img.config().digest()));
    for (String want :
        List.of(
            "\"architecture\":\"amd64\"",
            "\"os\":\"linux\"",
            "\"Entrypoint\":[\"/bin/sh\",\"-c\"]",
            "\"User\":\"1000:1000\"",
            "\"ExposedPorts\":{\"80/tcp\":{}}",
            "\"Volumes\":{\"/data\":{}}",
            "\"WorkingDir\":\"/root\"",
            "\"diff_ids\":[\"" + img.diffIds().get(0))) {
      assertTrue(config.contains(want), want + " in " + config);
    }
    String index = Files.readString(tmp.resolve("index.json"));
    assertTrue(index.contains("\"org.opencontainers.image.ref.name\":\"latest\""), index);
    assertTrue(index.contains(img.manifest().digest().toString()), index);
  }

  @Test
  void layerTarWritesEdgeEntriesAsTarReadersSeeThem(@TempDir Path tmp) throws IOException {
    var out = new ByteArrayOutputStream();
    new LayerTar()
        .add(
            TarEntry.file(LONG_NAME, "x").withXattr("user.a", "b").withMode(04755).withOwner(7, 8),
            TarEntry.blockDevice("disk", 8, 1),
            TarEntry.hardlink("h", LONG_NAME))
        .writeTo(out);
    try (var in = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
      TarArchiveEntry e = in.getNextEntry();
      assertEquals(LONG_NAME, e.getName());
      assertEquals(04755, e.getMode() & 07777);
      assertEquals(7, e.getLongUserId());
      assertEquals(LayerTar.MTIME, e.getLastModifiedTime().toInstant().getEpochSecond());
      assertEquals("b", e.getExtraPaxHeaders().get("SCHILY.xattr.user.a"));
      e = in.getNextEntry();
      assertTrue(e.isBlockDevice());
      assertEquals(8, e.getDevMajor());
      assertEquals(1, e.getDevMinor());
      e = in.getNextEntry();
      assertTrue(e.isLink());
      assertEquals(LONG_NAME, e.getLinkName());
    }
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new LayerTar()
                .add(
                    TarEntry.file("f", "x")
                        .withXattr("security.capability", new byte[] {1, (byte) 0xff}))
                .writeTo(new ByteArrayOutputStream()));
  }

  @Test
  void tarEntriesWritesHostileNamesVerbatimWithValidChecksums() throws IOException {
    byte[] tar = TarEntries.dotDot().toByteArray();
    try (var in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      assertEquals("a/", in.getNextEntry().getName().replaceAll("([^/])$", "$1/"));
      assertEquals("../escaped", in.getNextEntry().getName());
      assertEquals("a/../../escaped-too", in.getNextEntry().getName());
      assertNull(in.getNextEntry());
    }
    byte[] abs = TarEntries.absoluteName("/etc/berth-escape").toByteArray();
    assertEquals("/etc/berth-escape", new String(abs, 0, 17, StandardCharsets.UTF_8));

    // A binary xattr goes into a PAX record byte for byte.
    byte[] cap = {1, 0, 0, 2, (byte) 0xff, 0, 0, 0};
    byte[] withCap =
        new TarEntries()
            .add(TarEntry.file("ping", "x").withXattr("security.capability", cap))
            .toByteArray();
    // "45" = the record's whole length: 2 digits, space, 32-byte key, "=", 8 bytes, newline
    byte[] record = ("45 SCHILY.xattr.security.capability=").getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(withCap, record);
    assertTrue(at > 0, "PAX xattr record present");
    assertArrayEquals(
        cap,
        java.util.Arrays.copyOfRange(withCap, at + record.length, at + record.length + cap.length));
    assertEquals('\n', withCap[at + record.length + cap.length]);

    // A header that declares more than the stream has: readers fail instead of returning a short
    // file.
    byte[] truncated = TarEntries.truncatedEntry().toByteArray();
    try (var in = new TarArchiveInputStream(new ByteArrayInputStream(truncated))) {
      assertEquals("before", in.getNextEntry().getName());
      TarArchiveEntry huge = in.getNextEntry();
      assertEquals(8L << 30, huge.getSize());
      assertThrows(IOException.class, () -> in.readAllBytes());
    }
  }

  @Test
  void aLayerFromATreeKeepsHardLinksSymlinksAndModes(@TempDir Path tmp) throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src/sub"));
    Files.writeString(src.resolve("f"), "content");
    Files.createLink(src.resolve("g"), src.resolve("f"));
    Files.createSymbolicLink(src.resolve("l"), Path.of("../f"));
    Files.setPosixFilePermissions(
        src.resolve("f"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
    var entries = new LayerTar().tree(tmp.resolve("src"), "root").entries();
    assertEquals(
        List.of("root/sub", "root/sub/f", "root/sub/g", "root/sub/l"),
        entries.stream().map(TarEntry::name).toList());
    assertEquals(0750, entries.get(1).mode());
    assertEquals(TarEntry.Type.HARDLINK, entries.get(2).type());
    assertEquals("root/sub/f", entries.get(2).linkName());
    assertEquals("../f", entries.get(3).linkName());
  }

  @Test
  @RequiresCommand("skopeo")
  void skopeoReadsTheLayoutAndCopiesItUnchanged(@TempDir Path tmp) {
    var b = new OciLayoutBuilder(tmp.resolve("layout"));
    var img = build(b);
    String inspect = Skopeo.inspect("oci:" + b.dir() + ":latest");
    assertTrue(inspect.contains("\"Digest\": \"" + img.manifest().digest() + "\""), inspect);
    for (Digest d : img.layerDigests()) assertTrue(inspect.contains(d.toString()), inspect);
    assertTrue(inspect.contains("\"Architecture\": \"amd64\""), inspect);

    // without --preserve-digests skopeo gzips the uncompressed layer, which changes the manifest
    Skopeo.copy(
        "oci:" + b.dir() + ":latest",
        "oci:" + tmp.resolve("copy") + ":copied",
        "--preserve-digests");
    String copied = Skopeo.inspect("oci:" + tmp.resolve("copy") + ":copied");
    assertTrue(copied.contains("\"Digest\": \"" + img.manifest().digest() + "\""), copied);
  }

  @Test
  @RequiresCommand("skopeo")
  void skopeoPicksEachPlatformOfAMultiPlatformIndex(@TempDir Path tmp) {
    var b = new OciLayoutBuilder(tmp);
    var base = b.layer(new LayerTar().busybox(), Compression.GZIP);
    var extra = b.layer(new LayerTar().add(TarEntry.file("arch", "arm64")), Compression.GZIP);
    var amd = b.image(OciLayoutBuilder.AMD64, ImageConfig.busybox(), List.of(base));
    var arm = b.image(OciLayoutBuilder.ARM64, ImageConfig.busybox(), List.of(base, extra));
    Descriptor index = b.index(List.of(amd, arm));
    b.tag("multi", index);
    assertNotEquals(amd.manifest().digest(), arm.manifest().digest());
    String raw = Skopeo.inspect("oci:" + tmp + ":multi", "--raw");
    assertTrue(
        raw.contains(amd.manifest().digest().toString())
            && raw.contains(arm.manifest().digest().toString()),
        raw);
    assertTrue(raw.contains("\"architecture\":\"arm64\""), raw);
    String armInspect = Skopeo.inspect("oci:" + tmp + ":multi", "--override-arch", "arm64");
    // skopeo prints the index's digest; the arm64 image shows in its architecture and its extra
    // layer
    assertTrue(armInspect.contains("\"Digest\": \"" + index.digest()), armInspect);
    assertTrue(armInspect.contains("\"Architecture\": \"arm64\""), armInspect);
    assertTrue(armInspect.contains(extra.blob().digest().toString()), armInspect);
  }

  @Test
  void dockerMediaTypesAreWrittenOnRequestAndHaveNoZstd(@TempDir Path tmp) throws IOException {
    // skopeo 1.9 ignores index.json entries that are not OCI types, so this is checked on the JSON
    // itself.
    var b = new OciLayoutBuilder(tmp);
    var base = b.layer(new LayerTar().busybox(), Compression.GZIP);
    var docker = b.image(OciLayoutBuilder.AMD64, ImageConfig.busybox(), List.of(base), true);
    String manifest = Files.readString(b.blob(docker.manifest().digest()));
    assertTrue(
        manifest.startsWith(
            "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\""),
        manifest);
    assertTrue(manifest.contains("\"mediaType\":\"" + MediaTypes.DOCKER_CONFIG + "\""), manifest);
    assertTrue(
        manifest.contains(
            "\"mediaType\":\""
                + MediaTypes.DOCKER_LAYER_GZIP
                + "\",\"digest\":\""
                + base.blob().digest()),
        manifest);
    var list = b.index(List.of(docker), true);
    assertTrue(Files.readString(b.blob(list.digest())).contains(MediaTypes.DOCKER_MANIFEST_LIST));
    var zstd = b.layer(new LayerTar().add(TarEntry.dir("z")), Compression.ZSTD);
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> b.image(OciLayoutBuilder.AMD64, ImageConfig.busybox(), List.of(zstd), true));
    assertTrue(e.getMessage().contains(zstd.blob().digest().toString()), e.getMessage());
  }

  @Test
  @RequiresCommand("umoci")
  void umociUnpacksTheEdgeCasesAsTheEntriesSay(@TempDir Path tmp) throws Exception {
    var b = new OciLayoutBuilder(tmp.resolve("layout"));
    build(b, Compression.GZIP); // umoci 0.4.7 has no zstd
    Path rootfs = Umoci.unpack(b.dir(), "latest", tmp.resolve("bundle"));
    TreeSnapshot s = TreeSnapshot.of(rootfs);
    assertNull(s.get("data/gone"), "whiteout applied");
    assertNotNull(s.get("data"));
    assertNull(s.get("opaque/hidden"), "opaque dir cleared");
    assertEquals(sha256("after the opaque marker"), s.get("opaque/new").sha256());
    assertEquals("bin/busybox", s.get("bin/sh-hard").hardlinkOf());
    assertEquals("/etc/passwd", s.get("lnk").target());
    assertEquals('p', s.get("run/fifo").type());
    assertEquals(0600, s.get("run/fifo").mode());
    assertEquals('c', s.get("dev/null2").type());
    assertEquals("1:3", s.get("dev/null2").rdev());
    var suid = s.get("usr/bin/suid");
    assertEquals(04755, suid.mode());
    assertEquals(1000, suid.uid());
    assertEquals(1000, suid.gid());
    assertEquals(
        Map.of("user.berth", HexFormat.of().formatHex("hello".getBytes(StandardCharsets.UTF_8))),
        s.get("xa").xattrs());
    assertEquals(sha256("a name longer than ustar's 100 bytes"), s.get(LONG_NAME).sha256());
    assertEquals(300_000, s.get("gen/file-1.bin").size());
    assertEquals(
        250,
        s.nodes().keySet().stream()
            .filter(p -> p.startsWith("small/") && p.contains("/f"))
            .count());

    // a second unpack is the same tree, so a difference in a comparison means a difference in the
    // unpacker
    TreeSnapshot again =
        TreeSnapshot.of(Umoci.unpack(b.dir(), "latest", tmp.resolve("bundle2")), true, true);
    TreeSnapshot.of(rootfs, true, true).assertSameAs(again);
  }

  private static String sha256(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }
}
