package dev.berth.image.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.Progress;
import dev.berth.image.StoreChecks;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.Skopeo;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.image.TreeSnapshot;
import dev.berth.testkit.registry.LocalRegistry;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * save and load in both formats, between berth stores and with skopeo on either side. The layers
 * are gzip: skopeo 1.9 cannot write a docker-archive of zstd layers (berth can: it decompresses
 * them).
 */
@RequiresCommand({"docker-registry", "skopeo"})
class ArchiveRoundTripTest {
  @TempDir static Path shared;
  static LocalRegistry registry;
  static OciLayoutBuilder.Image img;
  static String ref;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() {
    registry = LocalRegistry.anonymous();
    OciLayoutBuilder layout = new OciLayoutBuilder(shared.resolve("layout"));
    img =
        layout.image(
            OciLayoutBuilder.AMD64,
            ImageConfig.busybox(),
            List.of(
                layout.layer(
                    new LayerTar()
                        .add(
                            TarEntry.dir("etc"),
                            TarEntry.file("etc/a", "a"),
                            TarEntry.symlink("etc/l", "a"))
                        .randomFiles("d", 2, 80_000, 4, 0.5),
                    Compression.GZIP),
                layout.layer(
                    new LayerTar().add(TarEntry.whiteout("etc/a"), TarEntry.file("etc/b", "b")),
                    Compression.GZIP)));
    layout.tag("v1", img.manifest());
    ref = registry.address() + "/arch/app:v1";
    Skopeo.copy("oci:" + layout.dir() + ":v1", "docker://" + ref);
  }

  @AfterAll
  static void tearDown() {
    if (registry != null) registry.close();
  }

  ImageService store(String name) throws Exception {
    return StoreChecks.service(tmp.resolve(name));
  }

  TreeSnapshot tree(ImageService s, ImageRecord r) throws Exception {
    return StoreChecks.unpackedTree(s, r, tmp).excluding(".");
  }

  void roundTrip(ArchiveFormat format) throws Exception {
    ImageService from = store("from");
    ImageRecord pulled = from.pull(ref, null, Progress.NONE);
    Path archive = tmp.resolve("saved-" + format.flag() + ".tar");
    try (OutputStream out = Files.newOutputStream(archive)) {
      from.save(List.of(ref), format, out);
    }
    ImageService to = store("to");
    assertEquals(List.of(ref), to.load(archive));
    ImageRecord loaded = to.resolve(ref);
    assertEquals(pulled.config(), loaded.config(), "image id");
    tree(to, loaded).assertSameAs(tree(from, pulled));

    // skopeo reads berth's archive and pushes it: the registry gets the same config
    String transport = format.flag() + ":" + archive;
    String dest = registry.address() + "/from-berth/" + format.flag() + ":1";
    Skopeo.copy(transport, "docker://" + dest);
    String config = Skopeo.inspect("docker://" + dest, "--config", "--raw");
    assertEquals(
        pulled.config(), Digest.sha256Of(config.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    StoreChecks.assertNoMountsUnder(tmp);
  }

  @Test
  void ociArchiveRoundTrip() throws Exception {
    roundTrip(ArchiveFormat.OCI_ARCHIVE);
  }

  @Test
  void dockerArchiveRoundTrip() throws Exception {
    roundTrip(ArchiveFormat.DOCKER_ARCHIVE);
  }

  @Test
  void archivesMadeBySkopeoLoad() throws Exception {
    ImageService reference = store("reference");
    TreeSnapshot expected = tree(reference, reference.pull(ref, null, Progress.NONE));

    Path docker = tmp.resolve("skopeo-docker.tar");
    Skopeo.copy("docker://" + ref, "docker-archive:" + docker + ":example.com/team/app:2");
    ImageService a = store("a");
    assertEquals(List.of("example.com/team/app:2"), a.load(docker));
    ImageRecord ra = a.resolve("example.com/team/app:2");
    assertEquals(img.diffIds(), a.inspect(ra.name()).config().rootfs().diffIds());
    tree(a, ra).assertSameAs(expected);

    Path oci = tmp.resolve("skopeo-oci.tar");
    Skopeo.copy("docker://" + ref, "oci-archive:" + oci + ":v7");
    ImageService b = store("b");
    List<String> names = b.load(oci);
    assertEquals(1, names.size());
    ImageRecord rb = b.resolve(names.get(0));
    assertEquals(img.config().digest(), rb.config());
    tree(b, rb).assertSameAs(expected);
    StoreChecks.assertNoMountsUnder(tmp);
  }

  @Test
  void anArchiveWithABlobThatIsNotWhatItsNameSaysIsRefusedAndLeavesNoImage() throws Exception {
    ImageService from = store("from");
    from.pull(ref, null, Progress.NONE);
    Path good = tmp.resolve("good.tar");
    try (OutputStream out = Files.newOutputStream(good)) {
      from.save(List.of(ref), ArchiveFormat.OCI_ARCHIVE, out);
    }
    // the same archive with one byte of the first layer blob changed
    Digest victim = img.layerDigests().get(0);
    Path bad = tmp.resolve("bad.tar");
    try (var in = new TarArchiveInputStream(Files.newInputStream(good));
        var out = new TarArchiveOutputStream(Files.newOutputStream(bad))) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        byte[] data = in.readAllBytes();
        if (e.getName().endsWith(victim.encoded())) data[data.length / 2] ^= 0x55;
        out.putArchiveEntry(e);
        out.write(data);
        out.closeArchiveEntry();
      }
    }
    ImageService to = store("to");
    ImageException ex = assertThrows(ImageException.class, () -> to.load(bad));
    assertTrue(ex.getMessage().contains(victim.encoded()), ex.getMessage());
    assertTrue(ex.getMessage().contains("digest mismatch"), ex.getMessage());
    assertEquals(List.of(), to.list());
    assertEquals(Set.of(), to.snapshots().committed());
    StoreChecks.assertNoLeftovers(tmp.resolve("to"));
  }
}
