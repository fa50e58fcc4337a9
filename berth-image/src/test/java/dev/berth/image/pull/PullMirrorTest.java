package dev.berth.image.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.Progress;
import dev.berth.image.StoreChecks;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.Skopeo;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.registry.LocalRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registries config as a user writes it: a pull of a name on one registry is served by its
 * mirror (and by the registry itself when the mirror lacks the image), a rewritten location, and a
 * blocked registry.
 */
@RequiresCommand({"docker-registry", "skopeo"})
class PullMirrorTest {
  @TempDir Path tmp;

  private OciLayoutBuilder.Image push(LocalRegistry registry, String repoAndTag, String content)
      throws Exception {
    OciLayoutBuilder layout = new OciLayoutBuilder(tmp.resolve("layout-" + content));
    OciLayoutBuilder.Image img =
        layout.image(
            OciLayoutBuilder.AMD64,
            ImageConfig.empty(),
            List.of(
                layout.layer(
                    new LayerTar().add(TarEntry.file("which", content)), Compression.GZIP)));
    layout.tag("t", img.manifest());
    Skopeo.copy("oci:" + layout.dir() + ":t", "docker://" + registry.address() + "/" + repoAndTag);
    return img;
  }

  private ImageService service(String registriesJson) throws Exception {
    Path config = tmp.resolve("registries.json");
    Files.writeString(config, registriesJson);
    return new ImageService(
        new ImageService.Options(
            tmp.resolve("store"),
            config,
            StoreChecks.emptyAuthFile(tmp.resolve("auth.json")),
            null));
  }

  @Test
  void mirrorsServePullsAndTheRegistryItselfIsTheFallback() throws Exception {
    try (LocalRegistry origin = LocalRegistry.anonymous();
        LocalRegistry mirror = LocalRegistry.anonymous()) {
      OciLayoutBuilder.Image fromMirror = push(mirror, "team/app:1", "mirror");
      OciLayoutBuilder.Image fromOrigin = push(origin, "team/app:1", "origin");
      OciLayoutBuilder.Image onlyOrigin = push(origin, "team/other:1", "only-origin");
      try (ImageService images =
          service(
              "{\"registries\": [{\"prefix\": \""
                  + origin.address()
                  + "\", \"mirrors\": ["
                  + "{\"location\": \""
                  + mirror.address()
                  + "\"}]}]}")) {
        ImageRecord r = images.pull(origin.address() + "/team/app:1", null, Progress.NONE);
        assertEquals(fromMirror.config().digest(), r.config(), "the mirror answered first");
        assertEquals(
            origin.address() + "/team/app:1", r.name(), "the image keeps the name the user pulled");
        ImageRecord fallback = images.pull(origin.address() + "/team/other:1", null, Progress.NONE);
        assertEquals(
            onlyOrigin.config().digest(),
            fallback.config(),
            "the mirror lacks it: the registry serves it");
        assertTrue(!fromOrigin.config().digest().equals(r.config()));
      }
    }
  }

  @Test
  void aRewrittenLocationAndABlockedRegistry() throws Exception {
    try (LocalRegistry real = LocalRegistry.anonymous()) {
      OciLayoutBuilder.Image img = push(real, "internal/app:1", "rewritten");
      try (ImageService images =
          service(
              "{\"registries\": ["
                  + "{\"prefix\": \"registry.invalid/app\", \"location\": \""
                  + real.address()
                  + "/internal/app\"},"
                  + "{\"prefix\": \""
                  + real.address()
                  + "/internal\", \"blocked\": true, \"location\": \""
                  + real.address()
                  + "/internal\"}]}")) {
        ImageRecord r = images.pull("registry.invalid/app:1", null, Progress.NONE);
        assertEquals(img.config().digest(), r.config());
        assertEquals("registry.invalid/app:1", r.name());
        ImageException blocked =
            assertThrows(
                ImageException.class,
                () -> images.pull(real.address() + "/internal/app:1", null, Progress.NONE));
        assertTrue(blocked.getMessage().contains("blocked"), blocked.getMessage());
        assertEquals(1, images.list().size(), "the refused pull recorded nothing");
      }
    }
  }
}
