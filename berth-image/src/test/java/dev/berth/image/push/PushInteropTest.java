package dev.berth.image.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.ImageService;
import dev.berth.image.Progress;
import dev.berth.image.StoreChecks;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageJson;
import dev.berth.spec.image.Manifest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.Skopeo;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.registry.LocalRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berth pushes byte for byte: skopeo sees the digests berth has, and copies the pushed image out
 * again.
 */
@RequiresCommand({"docker-registry", "skopeo"})
class PushInteropTest {
  @TempDir Path tmp;
  LocalRegistry registry;
  ImageService service;

  @BeforeEach
  void setUp() throws Exception {
    registry = LocalRegistry.anonymous();
    service = StoreChecks.service(tmp.resolve("store"));
  }

  @AfterEach
  void tearDown() throws Exception {
    registry.close();
    StoreChecks.assertNoMountsUnder(tmp);
  }

  /** The manifest skopeo reads from the registry at {@code ref}. */
  Manifest remoteManifest(String ref) throws Exception {
    String raw = Skopeo.inspect("docker://" + ref, "--raw");
    return ImageJson.readManifest(raw.trim().getBytes(StandardCharsets.UTF_8), ref);
  }

  Digest remoteDigest(String ref) throws Exception {
    return Digest.sha256Of(
        Skopeo.inspect("docker://" + ref, "--raw").trim().getBytes(StandardCharsets.UTF_8));
  }

  List<Digest> layerDigests(Manifest m) {
    List<Digest> out = new ArrayList<>();
    for (Descriptor l : m.layers()) out.add(l.digest());
    return out;
  }

  @Test
  void aPulledImagePushedToAnotherRepositoryKeepsItsDigestsAndMountsItsBlobs() throws Exception {
    OciLayoutBuilder layout = new OciLayoutBuilder(tmp.resolve("layout"));
    OciLayoutBuilder.Image img =
        layout.image(
            OciLayoutBuilder.AMD64,
            ImageConfig.busybox(),
            List.of(
                layout.layer(new LayerTar().busybox(), Compression.GZIP),
                layout.layer(
                    new LayerTar().randomFiles("d", 2, 100_000, 3, 0.5), Compression.ZSTD)));
    layout.tag("v1", img.manifest());
    String src = registry.address() + "/team/src:v1";
    Skopeo.copy("oci:" + layout.dir() + ":v1", "docker://" + src);
    ImageRecord pulled = service.pull(src, null, Progress.NONE);

    String dst = registry.address() + "/other/dst:v2";
    List<String> phases = new CopyOnWriteArrayList<>();
    Progress recording =
        new Progress() {
          @Override
          public void blob(Digest digest, Phase phase, long current, long total) {
            phases.add(phase + " " + digest);
          }

          @Override
          public void message(String line) {}
        };
    Digest pushed = service.push(src, dst, recording);
    assertEquals(img.manifest().digest(), pushed);
    assertEquals(img.manifest().digest(), remoteDigest(dst));
    Manifest m = remoteManifest(dst);
    assertEquals(img.config().digest(), m.config().digest());
    assertEquals(img.layerDigests(), layerDigests(m));
    // Same registry, other repository: the layers are mounted from where they were pulled, not
    // uploaded again.
    assertTrue(phases.contains("MOUNTED " + img.layerDigests().get(0)), phases.toString());
    assertTrue(phases.contains("MOUNTED " + img.layerDigests().get(1)), phases.toString());
    phases.clear();
    service.push(src, dst, recording);
    assertTrue(
        phases.contains("EXISTS " + img.layerDigests().get(0)),
        "a second push finds it there: " + phases);

    // skopeo copies what berth pushed into an OCI layout: the blobs are all there and whole
    Skopeo.copy("docker://" + dst, "oci:" + tmp.resolve("out") + ":copied");
    assertTrue(
        Files.exists(tmp.resolve("out/blobs/sha256/" + img.layerDigests().get(1).encoded())));
    assertEquals(pulled.config(), service.resolve(src).config());
  }

  @Test
  void anImportedImageIsPushedWithTheDigestsBerthGaveIt() throws Exception {
    Path tarball = tmp.resolve("rootfs.tar");
    try (var out = Files.newOutputStream(tarball)) {
      new LayerTar()
          .add(TarEntry.dir("etc"), TarEntry.file("etc/hostname", "imported\n"))
          .writeTo(out);
    }
    String name = registry.address() + "/imports/rootfs:1";
    ImageRecord record = service.importRootfs(tarball, name, "from a test");
    Digest pushed = service.push(name, null, Progress.NONE);
    assertEquals(record.target().digest(), pushed);
    Manifest m = remoteManifest(name);
    assertEquals(record.config(), m.config().digest());
    assertEquals(List.of(Digest.sha256Of(Files.readAllBytes(tarball))), layerDigests(m));
    String config = Skopeo.inspect("docker://" + name, "--config");
    assertTrue(config.contains("from a test"), config);
    Skopeo.copy("docker://" + name, "oci:" + tmp.resolve("out") + ":imported");
  }
}
