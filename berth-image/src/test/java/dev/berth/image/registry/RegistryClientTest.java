package dev.berth.image.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.registry.LocalRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against a real docker-registry (distribution 2.8), anonymous, and against skopeo. */
@RequiresCommand({"docker-registry", "skopeo"})
class RegistryClientTest {
  static LocalRegistry registry;
  static RegistryClient client;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    registry = LocalRegistry.anonymous();
    client = new RegistryClient(RegistriesConfig.empty(), CredentialSource.ANONYMOUS);
  }

  @AfterAll
  static void stop() {
    if (client != null) client.close();
    if (registry != null) registry.close();
  }

  static void push(RegistryClient.Repository repo, TestImage img, String tag) throws IOException {
    repo.pushBlob(img.layerDesc(), BlobSource.of(img.layer()), null);
    repo.pushBlob(img.configDesc(), BlobSource.of(img.config()), null);
    repo.putManifest(tag, img.manifest(), MediaTypes.OCI_MANIFEST);
  }

  static byte[] read(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  @Test
  void pushedImageComesBackByTagAndDigest() throws Exception {
    TestImage img = TestImage.make("round trip");
    RegistryClient.Repository repo = client.repo(registry.address(), "berth/roundtrip");
    assertFalse(repo.hasBlob(img.layerDesc().digest()));
    push(repo, img, "v1");
    assertTrue(repo.hasBlob(img.layerDesc().digest()));

    ManifestResponse byTag = repo.manifest("v1", null);
    assertArrayEquals(img.manifest(), byTag.body());
    assertEquals(MediaTypes.OCI_MANIFEST, byTag.mediaType());
    assertEquals(img.manifestDigest(), byTag.digest());
    ManifestResponse byDigest = repo.manifest(img.manifestDigest().toString(), null);
    assertArrayEquals(img.manifest(), byDigest.body());

    assertArrayEquals(img.layer(), read(repo.blob(img.layerDesc(), 0)));
    assertArrayEquals(img.config(), read(repo.blob(img.configDesc(), 0)));
    // pushing again is a no-op: the HEAD finds it, the source is never opened
    repo.pushBlob(
        img.layerDesc(),
        () -> {
          throw new AssertionError("opened the source of a blob the registry has");
        },
        null);
  }

  @Test
  void chunkedUploadOfABigBlob() throws Exception {
    byte[] big = TestImage.random(100_000, 1);
    Descriptor d = new Descriptor("application/octet-stream", Digest.sha256Of(big), big.length);
    var settings =
        new RegistryClient.Settings(
            10_000, 16_384, java.time.Duration.ofSeconds(30), 3, java.time.Duration.ofMillis(50));
    try (RegistryClient chunky =
        new RegistryClient(RegistriesConfig.empty(), CredentialSource.ANONYMOUS, settings)) {
      RegistryClient.Repository repo = chunky.repo(registry.address(), "berth/chunked");
      repo.pushBlob(d, BlobSource.of(big), null);
      assertArrayEquals(big, read(repo.blob(d, 0)));
    }
  }

  @Test
  void blobIsMountedFromAnotherRepositoryWithoutUpload() throws Exception {
    byte[] data = TestImage.random(5000, 2);
    Descriptor d = new Descriptor("application/octet-stream", Digest.sha256Of(data), data.length);
    client.repo(registry.address(), "berth/source").pushBlob(d, BlobSource.of(data), null);
    RegistryClient.Repository target = client.repo(registry.address(), "berth/target");
    target.pushBlob(
        d,
        () -> {
          throw new AssertionError("uploaded a blob the registry could mount");
        },
        "berth/source");
    assertTrue(target.hasBlob(d.digest()));
    assertArrayEquals(data, read(target.blob(d, 0)));
  }

  @Test
  void mountFromARepositoryWithoutTheBlobFallsBackToUpload() throws Exception {
    byte[] data = TestImage.random(3000, 3);
    Descriptor d = new Descriptor("application/octet-stream", Digest.sha256Of(data), data.length);
    RegistryClient.Repository target = client.repo(registry.address(), "berth/fallback");
    target.pushBlob(d, BlobSource.of(data), "berth/nothing-here");
    assertArrayEquals(data, read(target.blob(d, 0)));
  }

  @Test
  void rangeResumesABlobFromAnOffset() throws Exception {
    byte[] data = TestImage.random(70_000, 4);
    Descriptor d = new Descriptor("application/octet-stream", Digest.sha256Of(data), data.length);
    RegistryClient.Repository repo = client.repo(registry.address(), "berth/range");
    repo.pushBlob(d, BlobSource.of(data), null);
    byte[] rest = read(repo.blob(d, 12_345));
    assertArrayEquals(java.util.Arrays.copyOfRange(data, 12_345, data.length), rest);
    assertEquals(0, read(repo.blob(d, data.length)).length);
  }

  @Test
  void tagsAreListed() throws Exception {
    // distribution 2.8 ignores "n" and answers in storage order: pagination is tested in
    // HostileRegistryTest
    TestImage img = TestImage.make("tags");
    RegistryClient.Repository repo = client.repo(registry.address(), "berth/tags");
    for (String t : List.of("a", "b", "c", "d", "e")) push(repo, img, t);
    assertEquals(List.of("a", "b", "c", "d", "e"), repo.tags(2).stream().sorted().toList());
    assertEquals(List.of("a", "b", "c", "d", "e"), repo.tags().stream().sorted().toList());
  }

  @Test
  void registryErrorsAreMappedWithWhatWasBeingDone() throws Exception {
    RegistryClient.Repository repo = client.repo(registry.address(), "berth/errors");
    push(repo, TestImage.make("errors"), "exists");
    RegistryException e = assertThrows(RegistryException.class, () -> repo.manifest("nope", null));
    assertEquals(404, e.status());
    assertEquals("MANIFEST_UNKNOWN", e.code());
    assertEquals(
        "pull " + registry.address() + "/berth/errors:nope: manifest unknown", e.getMessage());

    Descriptor missing =
        new Descriptor("application/octet-stream", Digest.sha256Of(new byte[] {1}), 1);
    e = assertThrows(RegistryException.class, () -> repo.blob(missing, 0));
    assertEquals("BLOB_UNKNOWN", e.code());
    assertTrue(
        e.getMessage()
            .startsWith("pull " + registry.address() + "/berth/errors blob " + missing.digest()),
        e.getMessage());

    // a manifest that names a blob the registry does not have
    TestImage orphan = TestImage.make("orphan");
    e =
        assertThrows(
            RegistryException.class,
            () -> repo.putManifest("orphan", orphan.manifest(), MediaTypes.OCI_MANIFEST));
    assertEquals(400, e.status());
    assertEquals("MANIFEST_BLOB_UNKNOWN", e.code());

    // a blob whose content does not match its descriptor
    byte[] data = "not what the digest says".getBytes();
    Descriptor lie =
        new Descriptor("application/octet-stream", Digest.sha256Of(new byte[] {2}), data.length);
    e = assertThrows(RegistryException.class, () -> repo.pushBlob(lie, BlobSource.of(data), null));
    assertEquals("DIGEST_INVALID", e.code());
    assertFalse(repo.hasBlob(lie.digest()));
  }

  @Test
  void aTruncatedStoredBlobIsRefused() throws Exception {
    byte[] data = TestImage.random(4000, 5);
    Descriptor d = new Descriptor("application/octet-stream", Digest.sha256Of(data), data.length);
    RegistryClient.Repository repo = client.repo(registry.address(), "berth/truncated");
    repo.pushBlob(d, BlobSource.of(data), null);
    Path stored = registry.blobData(d.digest().toString());
    Files.write(stored, java.util.Arrays.copyOf(data, 1000));
    RegistryException e = assertThrows(RegistryException.class, () -> read(repo.blob(d, 0)));
    assertTrue(
        e.getMessage().contains("announces 1000 bytes, the descriptor says 4000"), e.getMessage());
  }

  @Test
  void skopeoPushedImageIsPulledAndOursIsReadBySkopeo() throws Exception {
    TestImage img = TestImage.make("from skopeo");
    Path layout = tmp.resolve("layout");
    img.writeLayout(layout, "v1");
    Exec.run(
            "skopeo",
            "copy",
            "--dest-tls-verify=false",
            "oci:" + layout + ":v1",
            "docker://" + registry.address() + "/berth/skopeo:v1")
        .ok();
    RegistryClient.Repository repo = client.repo(registry.address(), "berth/skopeo");
    ManifestResponse m = repo.manifest("v1", null);
    // skopeo may rewrite the manifest; the layer it names must be ours, byte for byte
    assertTrue(
        new String(m.body()).contains(img.layerDesc().digest().toString()), new String(m.body()));
    assertArrayEquals(img.layer(), read(repo.blob(img.layerDesc(), 0)));

    TestImage ours = TestImage.make("from berth");
    push(client.repo(registry.address(), "berth/ours"), ours, "v2");
    String raw =
        Exec.run(
                "skopeo",
                "inspect",
                "--raw",
                "--tls-verify=false",
                "docker://" + registry.address() + "/berth/ours:v2")
            .ok()
            .stdout();
    assertEquals(new String(ours.manifest()), raw.trim());
    Path out = tmp.resolve("out");
    Exec.run(
            "skopeo",
            "copy",
            "--src-tls-verify=false",
            "docker://" + registry.address() + "/berth/ours:v2",
            "oci:" + out + ":v2")
        .ok();
    assertArrayEquals(
        ours.layer(),
        Files.readAllBytes(out.resolve("blobs/sha256/" + ours.layerDesc().digest().encoded())));
  }

  @Test
  void deletedManifestIsGone() throws Exception {
    // storage.delete.enabled is on in the fixture: check it with a raw DELETE, which our client
    // does not offer
    RegistryClient.Repository repo = client.repo(registry.address(), "berth/delete");
    TestImage img = TestImage.make("delete");
    push(repo, img, "v1");
    var http = java.net.http.HttpClient.newHttpClient();
    var resp =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(
                        "http://"
                            + registry.address()
                            + "/v2/berth/delete/manifests/"
                            + img.manifestDigest()))
                .DELETE()
                .build(),
            java.net.http.HttpResponse.BodyHandlers.discarding());
    assertEquals(202, resp.statusCode());
    assertEquals(
        404, assertThrows(RegistryException.class, () -> repo.manifest("v1", null)).status());
  }
}
