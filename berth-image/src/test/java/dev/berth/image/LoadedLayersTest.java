package dev.berth.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.store.ImageRecord;
import dev.berth.image.unpack.TarBuilder;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.image.TreeSnapshot;
import dev.berth.testkit.image.Umoci;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers that reach the store from an archive (load, import: {@link LocalLayers}) rather than a
 * pull: they unpack as umoci unpacks them, and a broken one is refused with an error naming the
 * layer (and the entry), leaving nothing.
 */
@RequiresRoot
class LoadedLayersTest {
  @TempDir Path tmp;
  OciLayoutBuilder layout;
  ImageService service;
  OciLayoutBuilder.Layer base;

  @BeforeEach
  void setUp() throws Exception {
    layout = new OciLayoutBuilder(tmp.resolve("layout"));
    service = StoreChecks.service(tmp.resolve("store"));
    base =
        layout.layer(
            new LayerTar()
                .add(
                    TarEntry.dir("etc"),
                    TarEntry.file("etc/passwd", "root:x:0:0::/:/bin/sh\n"),
                    TarEntry.dir("bin"),
                    TarEntry.file("bin/old", "old")),
            Compression.GZIP);
  }

  @AfterEach
  void noMounts() throws Exception {
    StoreChecks.assertNoMountsUnder(tmp);
  }

  /** The layout as an oci-archive: a tar of its directory. */
  Path archive(String tag, OciLayoutBuilder.Layer... layers) throws IOException {
    OciLayoutBuilder.Image img =
        layout.image(OciLayoutBuilder.AMD64, ImageConfig.empty(), List.of(layers));
    layout.tag(tag, img.manifest());
    Path out = tmp.resolve(tag + ".tar");
    try (OutputStream o = Files.newOutputStream(out);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(o);
        Stream<Path> files = Files.walk(layout.dir())) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Path p : (Iterable<Path>) files.sorted()::iterator) {
        if (p.equals(layout.dir()) || p.getFileName().toString().startsWith(".tmp-")) continue;
        String name = layout.dir().relativize(p).toString() + (Files.isDirectory(p) ? "/" : "");
        tar.putArchiveEntry(new TarArchiveEntry(p.toFile(), name));
        if (Files.isRegularFile(p)) Files.copy(p, tar);
        tar.closeArchiveEntry();
      }
    }
    return out;
  }

  @Test
  @RequiresCommand("umoci")
  void anOpaqueLayerRootHidesTheLowerLayersAsUmociShows() throws Exception {
    OciLayoutBuilder.Layer opaque =
        layout.layer(
            new LayerTar()
                .add(
                    TarEntry.opaque("./"),
                    TarEntry.dir("etc"),
                    TarEntry.file("etc/hostname", "fresh\n")),
            Compression.GZIP);
    OciLayoutBuilder.Layer above =
        layout.layer(new LayerTar().add(TarEntry.file("top", "t")), Compression.GZIP);
    for (List<OciLayoutBuilder.Layer> layers :
        List.of(List.of(base, opaque), List.of(base, opaque, above))) {
      String tag = "opaque" + layers.size();
      Path archive = archive(tag, layers.toArray(OciLayoutBuilder.Layer[]::new));
      TreeSnapshot umoci =
          TreeSnapshot.of(Umoci.unpack(layout.dir(), tag, tmp.resolve("umoci-" + tag)));
      assertNull(umoci.get("etc/passwd"), "umoci: the lower layer is hidden");
      String name =
          service.load(archive).stream()
              .filter(n -> n.endsWith(":" + tag))
              .findFirst()
              .orElseThrow();
      ImageRecord record = service.resolve(name);
      TreeSnapshot berth = StoreChecks.unpackedTree(service, record, tmp);
      assertNull(berth.get("bin/old"), tag + ": " + berth);
      berth.excluding(".").assertSameAs(umoci.excluding("."));
    }
  }

  /**
   * The load fails naming the layer and {@code why}; no image, no staging snapshot, no mount is
   * left.
   */
  void assertLoadRefused(OciLayoutBuilder.Layer bad, String why) throws Exception {
    Path archive = archive("bad", base, bad);
    ImageException e = assertThrows(ImageException.class, () -> service.load(archive));
    assertTrue(e.getMessage().contains("layer " + bad.blob().digest() + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(why), e.getMessage());
    assertEquals(List.of(), service.list());
    StoreChecks.assertNoLeftovers(tmp.resolve("store"));
  }

  @Test
  void aLayerThatIsNotTheGzipItsMediaTypeSaysIsRefusedNamingIt() throws Exception {
    byte[] garbage = new byte[2000];
    new Random(5).nextBytes(garbage);
    Descriptor blob = layout.writeBlob(MediaTypes.OCI_LAYER_GZIP, garbage);
    assertLoadRefused(
        new OciLayoutBuilder.Layer(blob, Digest.sha256Of(garbage), Compression.GZIP),
        "reading the first tar header: corrupt gzip stream: not in gzip format");
  }

  @Test
  void aTruncatedGzipLayerIsRefusedNamingLayerAndEntry() throws Exception {
    byte[] data = new byte[300_000];
    new Random(9).nextBytes(data);
    OciLayoutBuilder.Layer whole =
        layout.layer(
            new TarBuilder().file("big", 0644, 0, 0, data, Map.of()).bytes(), Compression.GZIP);
    byte[] gz = Files.readAllBytes(layout.blob(whole.blob().digest()));
    byte[] half = java.util.Arrays.copyOf(gz, gz.length / 2);
    Descriptor blob = layout.writeBlob(MediaTypes.OCI_LAYER_GZIP, half);
    assertLoadRefused(
        new OciLayoutBuilder.Layer(blob, whole.diffId(), Compression.GZIP),
        "entry \"big\": layer is truncated: gzip stream ends early");
  }

  @Test
  void aMalformedLibarchiveXattrIsRefusedNamingLayerAndEntry() throws Exception {
    byte[] tar =
        new TarBuilder()
            .file(
                "etc/x",
                0644,
                0,
                0,
                "x".getBytes(),
                Map.of("LIBARCHIVE.xattr.user.%G0", "eA".getBytes()))
            .bytes();
    assertLoadRefused(
        layout.layer(tar, Compression.GZIP),
        "entry \"etc/x\": PAX record \"LIBARCHIVE.xattr.user.%G0\": bad %-escape in the xattr name");
  }
}
