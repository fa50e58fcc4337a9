package dev.berth.image.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.ImageService;
import dev.berth.image.LayoutRegistry;
import dev.berth.image.Progress;
import dev.berth.image.StoreChecks;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.TarEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull of an image the store already holds asks the registry for the manifest alone and changes
 * nothing; once the tag names another image, or a part of the image is gone from the store, it
 * pulls what is missing.
 */
@RequiresRoot
class PullPresentTest {
  @TempDir Path tmp;
  OciLayoutBuilder layout;
  LayoutRegistry registry;
  ImageService service;
  OciLayoutBuilder.Layer base;
  OciLayoutBuilder.Layer top;

  @BeforeEach
  void setUp() throws Exception {
    layout = new OciLayoutBuilder(tmp.resolve("layout"));
    registry = new LayoutRegistry(layout.dir());
    service = StoreChecks.service(tmp.resolve("store"));
    base =
        layout.layer(
            new LayerTar().add(TarEntry.dir("etc"), TarEntry.file("etc/os-release", "ID=t\n")),
            Compression.GZIP);
    top = layout.layer(new LayerTar().add(TarEntry.file("etc/motd", "hi\n")), Compression.GZIP);
  }

  @AfterEach
  void tearDown() throws Exception {
    registry.close();
    StoreChecks.assertNoMountsUnder(tmp);
  }

  String ref() {
    return registry.address() + "/team/app:v1";
  }

  OciLayoutBuilder.Image tag(OciLayoutBuilder.Layer... layers) {
    OciLayoutBuilder.Image img =
        layout.image(OciLayoutBuilder.AMD64, ImageConfig.busybox(), List.of(layers));
    layout.tag("v1", img.manifest());
    return img;
  }

  @Test
  void aPullOfAnImageAlreadyPresentAsksForItsManifestOnlyAndWritesNothing() throws Exception {
    tag(base, top);
    ImageRecord first = service.pull(ref(), null, Progress.NONE);
    Path imagesJson = tmp.resolve("store/images/images.json");
    var written = Files.getLastModifiedTime(imagesJson);
    registry.clearRequests();

    ImageRecord again = service.pull(ref(), null, Progress.NONE);
    assertEquals(first, again, "the record, its time included, stays as it was");
    assertEquals(List.of("GET /v2/team/app/manifests/v1"), registry.requests());
    assertEquals(written, Files.getLastModifiedTime(imagesJson));
  }

  @Test
  void aTagThatMovedIsPulledAgain() throws Exception {
    tag(base);
    ImageRecord first = service.pull(ref(), null, Progress.NONE);
    OciLayoutBuilder.Image moved = tag(base, top);
    registry.clearRequests();

    ImageRecord again = service.pull(ref(), null, Progress.NONE);
    assertEquals(moved.config().digest(), again.config());
    assertNotEquals(first.target().digest(), again.target().digest());
    assertEquals(1, registry.blobRequests(top.blob().digest()).size());
    assertEquals(List.of(), registry.blobRequests(base.blob().digest()), "base was there");
  }

  @Test
  void aLayerBlobGoneFromTheStoreIsFetchedAgain() throws Exception {
    tag(base, top);
    service.pull(ref(), null, Progress.NONE);
    assertTrue(service.content().delete(top.blob().digest()));
    registry.clearRequests();

    service.pull(ref(), null, Progress.NONE);
    assertEquals(
        1, registry.blobRequests(top.blob().digest()).size(), registry.requests().toString());
    assertTrue(service.content().exists(top.blob().digest()));
  }
}
