package dev.berth.image.pull;

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
import dev.berth.testkit.registry.LocalRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry on loopback that speaks TLS with a self-signed certificate (a common local setup):
 * reached over HTTPS once the registries config names it insecure, as Docker would; pushes too.
 */
@RequiresCommand({"docker-registry", "skopeo", "openssl"})
class PullTlsTest {
  @TempDir Path tmp;

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
  void aTlsRegistryNamedInsecureIsPulledFromAndPushedToOverHttps() throws Exception {
    try (LocalRegistry registry = LocalRegistry.tls()) {
      OciLayoutBuilder layout = new OciLayoutBuilder(tmp.resolve("layout"));
      OciLayoutBuilder.Image img =
          layout.image(
              OciLayoutBuilder.AMD64,
              ImageConfig.empty(),
              List.of(
                  layout.layer(
                      new LayerTar().add(TarEntry.file("over", "tls")), Compression.GZIP)));
      layout.tag("t", img.manifest());
      String ref = registry.address() + "/secure/app:1";
      Skopeo.copy("oci:" + layout.dir() + ":t", "docker://" + ref);

      try (ImageService plain = service("{}")) {
        ImageException e =
            assertThrows(ImageException.class, () -> plain.pull(ref, null, Progress.NONE));
        assertTrue(e.getMessage().startsWith("pull " + ref), e.getMessage());
        assertEquals(List.of(), plain.list());
      }
      try (ImageService images =
          service(
              "{\"registries\": [{\"prefix\": \""
                  + registry.address()
                  + "\", \"insecure\": true}]}")) {
        ImageRecord r = images.pull(ref, null, Progress.NONE);
        assertEquals(img.config().digest(), r.config());
        Digest pushed = images.push(ref, registry.address() + "/secure/copy:1", Progress.NONE);
        assertEquals(img.manifest().digest(), pushed);
      }
    }
  }
}
