package dev.berth.image.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.Progress;
import dev.berth.image.StoreChecks;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.Skopeo;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.registry.LocalRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls from registries that want credentials: refused clearly without them, fine after login. */
@RequiresCommand({"docker-registry", "skopeo", "htpasswd", "openssl"})
class PullAuthTest {
  @TempDir Path tmp;

  void pullsOnlyAfterLogin(LocalRegistry registry) throws Exception {
    OciLayoutBuilder layout = new OciLayoutBuilder(tmp.resolve("layout"));
    OciLayoutBuilder.Image img =
        layout.image(
            OciLayoutBuilder.AMD64,
            ImageConfig.empty(),
            List.of(
                layout.layer(new LayerTar().add(TarEntry.file("secret", "s")), Compression.GZIP)));
    layout.tag("v1", img.manifest());
    String ref = registry.address() + "/private/app:v1";
    Skopeo.copy(
        "oci:" + layout.dir() + ":v1",
        "docker://" + ref,
        "--dest-creds",
        registry.user() + ":" + registry.password());

    ImageService service = StoreChecks.service(tmp.resolve("store"));
    ImageException refused =
        assertThrows(ImageException.class, () -> service.pull(ref, null, Progress.NONE));
    assertEquals(ErrorCategory.UNAUTHORIZED, refused.category(), refused.getMessage());
    assertTrue(refused.getMessage().startsWith("pull " + ref), refused.getMessage());
    assertEquals(List.of(), service.list());

    ImageException wrong =
        assertThrows(
            ImageException.class,
            () -> service.login(registry.address(), registry.user(), "not-the-password"));
    assertEquals(ErrorCategory.UNAUTHORIZED, wrong.category(), wrong.getMessage());

    service.login(registry.address(), registry.user(), registry.password());
    ImageRecord record = service.pull(ref, null, Progress.NONE);
    assertEquals(img.config().digest(), record.config());
    // a second service on the same auth file finds the stored credentials
    ImageService again = StoreChecks.service(tmp.resolve("store"));
    assertEquals(record.config(), again.pull(ref, null, Progress.NONE).config());
    assertTrue(service.logout(registry.address()));
    StoreChecks.assertNoMountsUnder(tmp);
  }

  @Test
  void basicAuth() throws Exception {
    try (LocalRegistry registry = LocalRegistry.basicAuth()) {
      pullsOnlyAfterLogin(registry);
    }
  }

  @Test
  void tokenAuth() throws Exception {
    try (LocalRegistry registry = LocalRegistry.tokenAuth()) {
      pullsOnlyAfterLogin(registry);
    }
  }
}
