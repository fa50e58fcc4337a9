package dev.berth.image.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.LayoutRegistry;
import dev.berth.image.Progress;
import dev.berth.image.StoreChecks;
import dev.berth.image.snapshot.ChainIds;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.TarEntries;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.image.TreeSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls of hostile or broken images from a registry that serves what the test says: each is refused
 * with an error that names the blob or entry, leaves no image, no staging snapshot, no mount, and
 * nothing outside the store. Broken downloads resume with a Range request.
 */
@RequiresRoot
@Tag("integration")
class HostilePullTest {
  @TempDir Path tmp;
  Path store;
  Path sentinel;
  OciLayoutBuilder layout;
  LayoutRegistry registry;
  ImageService service;
  OciLayoutBuilder.Layer base;

  @BeforeEach
  void setUp() throws Exception {
    store = tmp.resolve("store");
    sentinel = Files.createDirectories(tmp.resolve("sentinel"));
    Files.writeString(sentinel.resolve("secret"), "host file");
    layout = new OciLayoutBuilder(tmp.resolve("layout"));
    registry = new LayoutRegistry(layout.dir());
    service = StoreChecks.service(store);
    base =
        layout.layer(
            new LayerTar()
                .add(TarEntry.dir("etc"), TarEntry.file("etc/os-release", "ID=test\n"))
                .randomFiles("data", 2, 200_000, 11, 0.5),
            Compression.GZIP);
  }

  @AfterEach
  void tearDown() throws Exception {
    registry.close();
    StoreChecks.assertNoMountsUnder(tmp);
  }

  String ref(String tag) {
    return registry.address() + "/evil/app:" + tag;
  }

  OciLayoutBuilder.Image image(String tag, OciLayoutBuilder.Layer... layers) {
    OciLayoutBuilder.Image img =
        layout.image(OciLayoutBuilder.AMD64, ImageConfig.busybox(), List.of(layers));
    layout.tag(tag, img.manifest());
    return img;
  }

  ImageException pullFails(String tag) {
    return assertThrows(
        ImageException.class, () -> service.pull(ref(tag), OciLayoutBuilder.AMD64, Progress.NONE));
  }

  /**
   * The store after a refused pull: no image, no staging, no mount, and the host's sentinel
   * untouched.
   */
  void assertNothingLeft() throws Exception {
    assertEquals(List.of(), service.list());
    StoreChecks.assertNoLeftovers(store);
    try (var s = Files.list(sentinel)) {
      assertEquals(
          List.of(sentinel.resolve("secret")), s.toList(), "files appeared in the sentinel dir");
    }
    assertEquals("host file", Files.readString(sentinel.resolve("secret")));
    assertEquals(
        1,
        (int) Files.getAttribute(sentinel.resolve("secret"), "unix:nlink"),
        "the host file was linked");
    assertEquals(List.of(), StoreChecks.find(tmp, "escaped", "escaped-too"));
  }

  @Test
  void aLayerWhoseBytesDifferFromItsDigestIsRefusedEvenWhenItUnpacksToTheRightDiffId()
      throws Exception {
    OciLayoutBuilder.Image img = image("v1", base);
    // The same gzip stream with another OS byte in its header: same size, same diff id, another
    // digest.
    byte[] wrong = Files.readAllBytes(layout.blob(base.blob().digest()));
    wrong[9] = (byte) (wrong[9] == 3 ? 7 : 3);
    registry.serveInstead(base.blob().digest(), wrong);

    ImageException e = pullFails("v1");
    assertTrue(e.getMessage().contains(base.blob().digest().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("digest mismatch"), e.getMessage());
    assertFalse(
        service.snapshots().has(ChainIds.of(img.diffIds()).getFirst()),
        "a snapshot of unverified bytes");
    assertFalse(service.content().exists(base.blob().digest()));
    assertNothingLeft();
  }

  @Test
  void aDownloadCutOnceIsResumedWithARangeRequest() throws Exception {
    OciLayoutBuilder.Image img = image("v1", base);
    Digest layer = base.blob().digest();
    long half = base.blob().size() / 2;
    registry.cutAfter(layer, half, 1);

    ImageRecord record = service.pull(ref("v1"), null, Progress.NONE);
    assertEquals(img.config().digest(), record.config());
    List<LayoutRegistry.BlobRequest> asked = registry.blobRequests(layer);
    assertEquals(2, asked.size(), asked.toString());
    assertEquals(null, asked.get(0).range());
    // Resumed from what arrived: all the server sent before the cut, or less when the cut's reset
    // dropped bytes still in the client's socket buffer.
    String range = asked.get(1).range();
    assertTrue(range != null && range.matches("bytes=[0-9]+-"), range);
    long from = Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
    assertTrue(from > 0 && from <= half, range + " for a cut after " + half + " bytes");
    assertTrue(service.content().exists(layer));
    TreeSnapshot tree = StoreChecks.unpackedTree(service, record, tmp);
    assertEquals(200_000, tree.get("data/file-1.bin").size());
  }

  @Test
  void aDownloadThatAlwaysBreaksFailsKeepsItsBytesAndTheNextPullResumesThem() throws Exception {
    OciLayoutBuilder.Image img = image("v1", base);
    Digest layer = base.blob().digest();
    registry.cutAfter(layer, 3000, -1);

    ImageException e = pullFails("v1");
    assertTrue(e.getMessage().contains("layer " + layer), e.getMessage());
    assertTrue(e.getMessage().contains("at byte 3000 of " + base.blob().size()), e.getMessage());
    assertNothingLeft();
    Path partial = store.resolve("content/ingest/sha256-" + layer.encoded() + "/data");
    assertEquals(3000, Files.size(partial), "the partial download is kept");

    registry.clearFaults();
    int before = registry.blobRequests(layer).size();
    ImageRecord record = service.pull(ref("v1"), null, Progress.NONE);
    assertEquals(img.config().digest(), record.config());
    List<LayoutRegistry.BlobRequest> again =
        registry.blobRequests(layer).subList(before, registry.blobRequests(layer).size());
    assertEquals(List.of(new LayoutRegistry.BlobRequest(layer, "bytes=3000-")), again);
    assertFalse(Files.exists(partial));
    assertEquals(List.of(record), service.list());
  }

  /**
   * The partial downloads in the store's content/ingest: none once a pull succeeded or refused its
   * bytes.
   */
  List<Path> ingests() throws Exception {
    try (var s = Files.list(store.resolve("content/ingest"))) {
      return s.toList();
    }
  }

  /**
   * The layers are asked for and read while the config is on its way: a config that never comes
   * whole fails the pull, and the layers read before it leave no ingest and no staging behind.
   */
  @Test
  void theLayersAreAskedForWhileTheConfigComesAndARefusedConfigLeavesNoIngest() throws Exception {
    OciLayoutBuilder.Layer top =
        layout.layer(
            new LayerTar()
                .add(TarEntry.file("etc/top", "top\n"))
                .randomFiles("more", 1, 50_000, 3, 0.5),
            Compression.GZIP);
    OciLayoutBuilder.Image img = image("v1", base, top);
    registry.stallAfter(img.config().digest(), 0); // its head, then nothing
    var pull =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                assertThrows(
                    ImageException.class, () -> service.pull(ref("v1"), null, Progress.NONE)));
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (registry.blobRequests(base.blob().digest()).isEmpty()
        || registry.blobRequests(top.blob().digest()).isEmpty()
        || !registry.stalled(img.config().digest())) {
      assertTrue(
          System.nanoTime() < deadline,
          "the layers were not asked for while the config was on its way: "
              + registry.blobRequests());
      Thread.sleep(5);
    }
    assertFalse(pull.isDone(), "the pull ended without its config");
    registry.clearFaults(); // the config's connection drops

    ImageException e = pull.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertNotNull(e.getMessage());
    assertNothingLeft();
    assertEquals(List.of(), ingests(), "an early request left an ingest");
    assertFalse(service.content().exists(base.blob().digest()));

    ImageRecord record = service.pull(ref("v1"), null, Progress.NONE);
    assertEquals(img.config().digest(), record.config());
    assertEquals(List.of(), ingests());
  }

  /** A layer big enough to be read before the config (4 MB of gzip and more). */
  OciLayoutBuilder.Layer bigLayer(String file, String content) {
    return layout.layer(
        new LayerTar()
            .add(TarEntry.dir("etc"), TarEntry.file(file, content))
            .randomFiles("big", 3, 2_000_000, 5, 0.0),
        Compression.GZIP);
  }

  /**
   * A registry slow to send the config does not hold a big layer back: it is downloaded and
   * unpacked meanwhile (its files are in a staging before the config is sent), and checked against
   * the config once it comes. A small layer waits for the config (its bytes wait in the socket).
   */
  @Test
  void aBigLayerIsUnpackedWhileTheConfigIsHeldBackAndCheckedWhenItComes() throws Exception {
    OciLayoutBuilder.Layer top = bigLayer("etc/top", "top\n");
    assertTrue(top.blob().size() >= 4 << 20, "a layer of " + top.blob().size() + " bytes");
    OciLayoutBuilder.Image img = image("v1", base, top);
    registry.hold(img.config().digest());
    var pull =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return service.pull(ref("v1"), null, Progress.NONE);
              } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            });
    awaitFiles("top");
    Thread.sleep(200);
    assertEquals(List.of(), StoreChecks.find(store, "os-release"), "a small layer read early");
    assertFalse(pull.isDone(), "the pull ended without its config");
    registry.release();

    ImageRecord record = pull.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(img.config().digest(), record.config());
    TreeSnapshot tree = StoreChecks.unpackedTree(service, record, tmp);
    assertEquals(Digest.sha256Of("top\n".getBytes()).encoded(), tree.get("etc/top").sha256());
    assertEquals(
        Digest.sha256Of("ID=test\n".getBytes()).encoded(), tree.get("etc/os-release").sha256());
    assertEquals(1, registry.blobRequests(top.blob().digest()).size());
    assertEquals(List.of(), ingests());
    StoreChecks.assertNoLeftovers(store);
  }

  /**
   * A layer unpacked before its config came, whose content the config then contradicts (another
   * diff id), is refused as one read after it: no image, no staging, no ingest (the blob, which is
   * what the manifest names, is kept as it is then).
   */
  @Test
  void aLayerUnpackedBeforeTheConfigThatContradictsItIsRefused() throws Exception {
    Digest wrong = Digest.sha256Of("not the layer".getBytes());
    OciLayoutBuilder.Layer big = bigLayer("etc/big", "big\n");
    OciLayoutBuilder.Image img =
        image("v1", new OciLayoutBuilder.Layer(big.blob(), wrong, big.compression()));
    registry.hold(img.config().digest());
    var pull = java.util.concurrent.CompletableFuture.supplyAsync(() -> pullFails("v1"));
    awaitFiles("big");
    registry.release();

    ImageException e = pull.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(e.getMessage().contains(wrong.toString()), e.getMessage());
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    assertNothingLeft();
    assertEquals(List.of(), ingests());
  }

  /** Waits until files of these names are in the store (a layer unpacked them). */
  void awaitFiles(String... names) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (foundWhilePulling(names) < names.length) {
      assertTrue(System.nanoTime() < deadline, "not unpacked while the config was held back");
      Thread.sleep(5);
    }
  }

  /**
   * How many of the files are in the store now; the pull makes and removes directories meanwhile
   * (its file system probe, its staging), so a walk that meets one gone counts nothing and the
   * caller looks again.
   */
  private int foundWhilePulling(String... names) throws java.io.IOException {
    try {
      return StoreChecks.find(store, names).size();
    } catch (java.nio.file.NoSuchFileException | java.io.UncheckedIOException gone) {
      return 0;
    }
  }

  @Test
  void aCorruptedLayerFailsNamingItsDigestAndTheNextPullDownloadsItAgain() throws Exception {
    OciLayoutBuilder.Image img = image("v1", base);
    Digest layer = base.blob().digest();
    // Damage in the middle of the deflate stream: the gzip reader refuses it before the end of the
    // blob.
    byte[] corrupt = Files.readAllBytes(layout.blob(layer));
    for (int i = corrupt.length / 2; i < corrupt.length / 2 + 64; i++) corrupt[i] ^= 0x5a;
    registry.serveInstead(layer, corrupt);

    ImageException e = pullFails("v1");
    assertTrue(e.getMessage().contains("layer " + layer), e.getMessage());
    assertNothingLeft();
    assertEquals(List.of(), ingests(), "refused bytes are not kept for a resume");

    registry.clearFaults();
    int before = registry.blobRequests(layer).size();
    ImageRecord record = service.pull(ref("v1"), null, Progress.NONE);
    assertEquals(img.config().digest(), record.config());
    assertEquals(
        List.of(new LayoutRegistry.BlobRequest(layer, null)),
        registry.blobRequests(layer).subList(before, registry.blobRequests(layer).size()),
        "downloaded from 0");
    assertTrue(service.content().exists(layer));
    assertEquals(List.of(), ingests());
  }

  @Test
  void aLayerThatUnpacksButDoesNotMatchItsDigestLeavesNoIngestAndTheNextPullSucceeds()
      throws Exception {
    OciLayoutBuilder.Image img = image("v1", base);
    Digest layer = base.blob().digest();
    byte[] wrong = Files.readAllBytes(layout.blob(layer));
    wrong[9] =
        (byte) (wrong[9] == 3 ? 7 : 3); // the gzip header's OS byte: same tree, another digest
    registry.serveInstead(layer, wrong);
    ImageException e = pullFails("v1");
    assertTrue(e.getMessage().contains("layer " + layer + ": digest mismatch"), e.getMessage());
    assertEquals(List.of(), ingests());

    registry.clearFaults();
    assertEquals(img.config().digest(), service.pull(ref("v1"), null, Progress.NONE).config());
    assertEquals(List.of(), ingests());
  }

  @Test
  void aResumedPartialOfWrongBytesIsDownloadedAgainFromTheStart() throws Exception {
    OciLayoutBuilder.Image img = image("v1", base);
    Digest layer = base.blob().digest();
    byte[] wrong = Files.readAllBytes(layout.blob(layer));
    wrong[9] = (byte) (wrong[9] == 3 ? 7 : 3);
    registry.serveInstead(layer, wrong);
    registry.cutAfter(layer, 3000, -1);
    pullFails("v1"); // the download breaks: its 3000 bytes (one of them wrong) are kept to resume
    Path partial = store.resolve("content/ingest/sha256-" + layer.encoded() + "/data");
    assertEquals(3000, Files.size(partial));

    registry.clearFaults();
    int before = registry.blobRequests(layer).size();
    ImageRecord record = service.pull(ref("v1"), null, Progress.NONE);
    assertEquals(img.config().digest(), record.config());
    // The resumed blob fails its digest: that pull downloads it again from the first byte, and
    // succeeds.
    assertEquals(
        List.of(
            new LayoutRegistry.BlobRequest(layer, "bytes=3000-"),
            new LayoutRegistry.BlobRequest(layer, null)),
        registry.blobRequests(layer).subList(before, registry.blobRequests(layer).size()));
    assertEquals(List.of(), ingests());
    assertTrue(service.content().exists(layer));
    StoreChecks.assertNoLeftovers(store);
  }

  @Test
  void aWholeIngestOfWrongBytesLeftInTheStoreIsNotResumed() throws Exception {
    // What an earlier run left (killed between the last byte and the commit, or refused without
    // cleaning up):
    // as many bytes as the blob has, but not the blob.
    OciLayoutBuilder.Image img = image("v1", base);
    Digest layer = base.blob().digest();
    byte[] corrupt = Files.readAllBytes(layout.blob(layer));
    for (int i = corrupt.length / 2; i < corrupt.length / 2 + 64; i++) corrupt[i] ^= 0x5a;
    Path data =
        Files.createDirectories(store.resolve("content/ingest/sha256-" + layer.encoded()))
            .resolve("data");
    Files.write(data, corrupt);

    ImageRecord record = service.pull(ref("v1"), null, Progress.NONE);
    assertEquals(img.config().digest(), record.config());
    assertEquals(
        List.of(new LayoutRegistry.BlobRequest(layer, null)), registry.blobRequests(layer));
    assertEquals(List.of(), ingests());
  }

  @Test
  void aManifestOfAnUnknownMediaTypeIsRefused() throws Exception {
    OciLayoutBuilder.Image img = image("v1", base);
    registry.manifestType(img.manifest().digest(), "application/vnd.example.not-an-image+json");
    ImageException e = pullFails("v1");
    assertTrue(
        e.getMessage().contains("application/vnd.example.not-an-image+json"), e.getMessage());
    assertEquals(
        List.of(), registry.blobRequests(), "blobs fetched for a manifest that was not understood");
    assertNothingLeft();
  }

  @Test
  void aConfigWhoseDiffIdsDoNotMatchTheLayersIsRefused() throws Exception {
    Digest wrong = Digest.sha256Of("not the layer".getBytes());
    OciLayoutBuilder.Layer lying =
        new OciLayoutBuilder.Layer(base.blob(), wrong, base.compression());
    image("v1", lying);
    ImageException e = pullFails("v1");
    assertTrue(e.getMessage().contains("layer " + base.blob().digest()), e.getMessage());
    assertTrue(e.getMessage().contains(wrong.toString()), e.getMessage());
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    assertNothingLeft();
  }

  /**
   * Manifests and indexes whose descriptors carry digests made to be paths (climbing, absolute,
   * another algorithm's name): refused naming the field before any blob is asked for, nothing read
   * or written outside the store.
   */
  @Test
  void digestsThatArePathsInAManifestOrIndexAreRefusedNamingTheField() throws Exception {
    String secret = sentinel.resolve("secret").toString();
    OciLayoutBuilder.Image good = image("v1", base);
    String config = good.config().digest().toString();
    String layer = base.blob().digest().toString();
    String[] hostile = {
      "sha256:../../../../sentinel/secret", "sha256:" + secret, "..:" + "a".repeat(64)
    };
    for (String bad : hostile) {
      for (boolean inConfig : new boolean[] {true, false}) {
        String json =
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"config\":{\"mediaType\":\""
                + MediaTypes.OCI_CONFIG
                + "\",\"digest\":\""
                + (inConfig ? bad : config)
                + "\",\"size\":10},\"layers\":[{\"mediaType\":\""
                + MediaTypes.OCI_LAYER_GZIP
                + "\",\"digest\":\""
                + (inConfig ? layer : bad)
                + "\",\"size\":10}]}";
        layout.tag("bad", layout.writeBlob(MediaTypes.OCI_MANIFEST, json.getBytes()));
        ImageException e = pullFails("bad");
        assertTrue(
            e.getMessage().contains(inConfig ? "config.digest" : "layers[0].digest"),
            e.getMessage());
        assertNothingLeft();
      }
      String index =
          "{\"schemaVersion\":2,\"mediaType\":\""
              + MediaTypes.OCI_INDEX
              + "\",\"manifests\":[{\"mediaType\":\""
              + MediaTypes.OCI_MANIFEST
              + "\",\"digest\":\""
              + bad
              + "\",\"size\":10,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
      layout.tag("bad", layout.writeBlob(MediaTypes.OCI_INDEX, index.getBytes()));
      ImageException e = pullFails("bad");
      assertTrue(e.getMessage().contains("manifests[0].digest"), e.getMessage());
      assertNothingLeft();
    }
    assertEquals(List.of(), registry.blobRequests(), "blobs fetched for a refused manifest");
  }

  /**
   * A config declared at 100 MB (a config is read whole, into the daemon's heap) is refused before
   * it is asked for; one declared small but served larger is read only up to its declared size.
   */
  @Test
  void aConfigOverTheBoundIsRefusedBeforeItIsFetched() throws Exception {
    OciLayoutBuilder.Image good = image("v1", base);
    String layer = base.blob().digest().toString();
    String json =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"config\":{\"mediaType\":\""
            + MediaTypes.OCI_CONFIG
            + "\",\"digest\":\""
            + good.config().digest()
            + "\",\"size\":100000000},\"layers\":[{\"mediaType\":\""
            + MediaTypes.OCI_LAYER_GZIP
            + "\",\"digest\":\""
            + layer
            + "\",\"size\":"
            + base.blob().size()
            + "}]}";
    layout.tag("big", layout.writeBlob(MediaTypes.OCI_MANIFEST, json.getBytes()));
    ImageException e = pullFails("big");
    assertTrue(e.getMessage().contains("declares 100000000 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("limit"), e.getMessage());
    assertEquals(List.of(), registry.blobRequests(), "a blob was fetched");
    assertNothingLeft();

    // declared 10 bytes, served whole (its real size): refused on the length the registry
    // announces, before its body is read
    layout.tag(
        "short",
        layout.writeBlob(
            MediaTypes.OCI_MANIFEST, json.replace("\"size\":100000000", "\"size\":10").getBytes()));
    e = pullFails("short");
    assertTrue(e.getMessage().contains("the descriptor says 10"), e.getMessage());
    assertNothingLeft();
  }

  @Test
  void aLayerOfAMediaTypeNoUnpackerReadsIsRefusedBeforeAnyBlobIsFetched() throws Exception {
    OciLayoutBuilder.Image good = image("v1", base);
    String layer = base.blob().digest().toString();
    String json =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"config\":{\"mediaType\":\""
            + MediaTypes.OCI_CONFIG
            + "\",\"digest\":\""
            + good.config().digest()
            + "\",\"size\":"
            + good.config().size()
            + "},\"layers\":[{\"mediaType\":\"application/vnd.example.layer.v1.tar+lz4\",\"digest\":\""
            + layer
            + "\",\"size\":"
            + base.blob().size()
            + "}]}";
    layout.tag("lz4", layout.writeBlob(MediaTypes.OCI_MANIFEST, json.getBytes()));
    ImageException e = pullFails("lz4");
    assertEquals(
        ref("lz4")
            + ": layer "
            + layer
            + ": unsupported media type \"application/vnd.example.layer.v1.tar+lz4\"",
        e.getMessage().replaceFirst("^pull ", ""));
    assertEquals(List.of(), registry.blobRequests(), "a blob was fetched");
    assertNothingLeft();
  }

  /** A hostile layer on the base: the pull is refused, naming the layer and the entry. */
  void assertRefused(TarEntries hostile, String entry, String why) throws Exception {
    assertRefused(layout.layer(hostile.toByteArray(), Compression.GZIP), entry, why);
  }

  void assertRefused(OciLayoutBuilder.Layer bad, String entry, String why) throws Exception {
    image("bad", base, bad);
    ImageException e = pullFails("bad");
    assertTrue(e.getMessage().contains("layer " + bad.blob().digest()), e.getMessage());
    if (entry != null)
      assertTrue(e.getMessage().contains("entry \"" + entry + "\""), e.getMessage());
    assertTrue(e.getMessage().contains(why), e.getMessage());
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
    assertNothingLeft();
  }

  @Test
  void dotDotEntriesAreRefused() throws Exception {
    assertRefused(TarEntries.dotDot(), "../escaped", "escapes the layer root");
  }

  @Test
  void hardlinksOutOfTheRootAreRefused() throws Exception {
    assertRefused(
        TarEntries.hardlinkOutside("../../../../../../../.." + sentinel.resolve("secret")),
        "h",
        "escapes the layer root");
  }

  @Test
  void aHardlinkToAnAbsoluteHostPathIsRefused() throws Exception {
    assertRefused(
        TarEntries.hardlinkOutside(sentinel.resolve("secret").toString()), "h", "hardlink");
  }

  @Test
  void aWhiteoutOfTheRootIsRefused() throws Exception {
    assertRefused(TarEntries.rootWhiteout(), ".wh..", "whiteout of");
  }

  @Test
  void aHugeDeclaredSizeThatIsNotThereIsRefused() throws Exception {
    assertRefused(TarEntries.truncatedEntry(), "huge", "truncated");
  }

  @Test
  void aLayerThatIsNotTheGzipItsMediaTypeSaysIsRefusedNamingIt() throws Exception {
    byte[] garbage = new byte[3000];
    new java.util.Random(3).nextBytes(garbage);
    Descriptor blob = layout.writeBlob(dev.berth.spec.image.MediaTypes.OCI_LAYER_GZIP, garbage);
    assertRefused(
        new OciLayoutBuilder.Layer(blob, Digest.sha256Of(garbage), Compression.GZIP),
        null,
        "reading the first tar header: corrupt gzip stream: not in gzip format");
  }

  @Test
  void aMalformedLibarchiveXattrIsRefusedNamingLayerAndEntry() throws Exception {
    byte[] tar =
        new dev.berth.image.unpack.TarBuilder()
            .file(
                "etc/x",
                0644,
                0,
                0,
                "x".getBytes(),
                java.util.Map.of("LIBARCHIVE.xattr.user.x", "%%% not base64".getBytes()))
            .bytes();
    assertRefused(layout.layer(tar, Compression.GZIP), "etc/x", "value is not base64");
  }

  @Test
  void aUidThatWouldWrapToRootIsRefused() throws Exception {
    byte[] tar = new dev.berth.image.unpack.TarBuilder().fileWithIds("bin/su", 1L << 32, 0).bytes();
    assertRefused(layout.layer(tar, Compression.GZIP), "bin/su", "uid 4294967296 is out of range");
  }

  @Test
  void absoluteNamesAndWritesThroughSymlinksLandInsideTheImage() throws Exception {
    String abs = sentinel.resolve("abs").toString();
    OciLayoutBuilder.Layer odd =
        layout.layer(
            new TarEntries()
                .add(TarEntry.file(abs, "absolute"))
                .add(
                    TarEntry.symlink("link", sentinel.toString()),
                    TarEntry.file("link/escaped", "through a symlink"))
                .toByteArray(),
            Compression.GZIP);
    image("odd", base, odd);
    ImageRecord record = service.pull(ref("odd"), null, Progress.NONE);
    TreeSnapshot tree = StoreChecks.unpackedTree(service, record, tmp);
    String inside = sentinel.toString().substring(1);
    assertNotNull(tree.get(inside + "/abs"), tree.toString());
    assertNotNull(tree.get(inside + "/escaped"), tree.toString());
    assertEquals(sentinel.toString(), tree.get("link").target());
    try (var s = Files.list(sentinel)) {
      assertEquals(
          List.of(sentinel.resolve("secret")),
          s.toList(),
          "files appeared in the host's sentinel dir");
    }
  }

  @Test
  void aRefusedLayerDoesNotSpoilTheStoreForAGoodImage() throws Exception {
    assertRefused(TarEntries.dotDot(), "../escaped", "escapes the layer root");
    OciLayoutBuilder.Image good = image("good", base);
    ImageRecord record = service.pull(ref("good"), null, Progress.NONE);
    assertEquals(good.config().digest(), record.config());
    Descriptor target = record.target();
    assertEquals(good.manifest().digest(), target.digest());
  }
}
