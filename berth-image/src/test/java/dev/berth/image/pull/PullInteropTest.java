package dev.berth.image.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.Progress;
import dev.berth.image.StoreChecks;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.image.ImageConfig.ContainerConfig;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.spec.image.Platform;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.Skopeo;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.image.TreeSnapshot;
import dev.berth.testkit.image.Umoci;
import dev.berth.testkit.registry.LocalRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berth pulls from docker-registry what skopeo pushed there, and unpacks it exactly as umoci
 * unpacks the same layout: busybox, a generated layer, and a layer of every awkward entry kind, in
 * each compression and manifest format, and one platform out of an index.
 */
@RequiresCommand({"docker-registry", "skopeo", "umoci"})
class PullInteropTest {
  static final ImageConfig CONFIG =
      ImageConfig.busybox()
          .withEntrypoint("/bin/sh", "-c")
          .withUser("1000:1000")
          .withEnv("PATH=/bin", "GREETING=hello world")
          .withLabels(Map.of("a", "1", "b", "two"));

  @TempDir static Path shared;
  static LocalRegistry registry;
  static OciLayoutBuilder layout;
  static OciLayoutBuilder.Image gzip;
  static TreeSnapshot umoci;

  @TempDir Path tmp;
  ImageService service;

  /**
   * Layers whose entries exercise the unpacker: whiteouts, an opaque dir, links, a fifo, a device,
   * setuid, xattrs.
   */
  static LayerTar generated() {
    return new LayerTar()
        .add(
            TarEntry.dir("opt"),
            TarEntry.file("opt/old", "old"),
            TarEntry.dir("opt/cache"),
            TarEntry.file("opt/cache/a", "a"),
            TarEntry.file("opt/cache/b", "b"))
        .randomFiles("data", 3, 150_000, 5, 0.5);
  }

  static LayerTar awkward() {
    String longDir = "deep/" + "d".repeat(60) + "/" + "e".repeat(60);
    return new LayerTar()
        .add(
            TarEntry.whiteout("etc/group"),
            TarEntry.whiteout("opt/old"),
            TarEntry.dir("opt/cache"),
            TarEntry.opaque("opt/cache"),
            TarEntry.file("opt/cache/c", "c"),
            TarEntry.dir("x"),
            TarEntry.file("x/setuid", "#!/bin/sh\n").withMode(04755),
            TarEntry.file("x/setgid-sticky", "s").withMode(03775).withOwner(1000, 2000),
            TarEntry.hardlink("x/hard", "x/setuid"),
            TarEntry.symlink("x/sym", "../bin/busybox"),
            TarEntry.symlink("x/dangling", "/nowhere/at/all"),
            TarEntry.fifo("x/fifo"),
            TarEntry.charDevice("x/null", 1, 3),
            TarEntry.file("x/xattr", "x")
                .withXattr("user.berth", "value")
                .withXattr("trusted.berth", "t"),
            TarEntry.dir("deep"),
            TarEntry.dir("deep/" + "d".repeat(60)),
            TarEntry.dir(longDir),
            TarEntry.file(longDir + "/" + "f".repeat(80), "long name"));
  }

  static List<OciLayoutBuilder.Layer> layers(Compression c) {
    return List.of(
        layout.layer(new LayerTar().busybox(), c),
        layout.layer(generated(), c),
        layout.layer(awkward(), c));
  }

  @BeforeAll
  static void setUp() {
    registry = LocalRegistry.anonymous();
    layout = new OciLayoutBuilder(shared.resolve("layout"));
    gzip = layout.image(OciLayoutBuilder.AMD64, CONFIG, layers(Compression.GZIP));
    layout.tag("gzip", gzip.manifest());
    Skopeo.copy(
        "oci:" + layout.dir() + ":gzip", "docker://" + registry.address() + "/interop/app:gzip");
    umoci = TreeSnapshot.of(Umoci.unpack(layout.dir(), "gzip", shared.resolve("umoci")));
  }

  @AfterAll
  static void tearDown() {
    if (registry != null) registry.close();
  }

  @AfterEach
  void noMounts() throws Exception {
    StoreChecks.assertNoMountsUnder(tmp);
  }

  ImageRecord pull(String tag, Platform platform) throws Exception {
    if (service == null) service = StoreChecks.service(tmp.resolve("store"));
    return service.pull(registry.address() + "/interop/app:" + tag, platform, Progress.NONE);
  }

  @Test
  void anOciImageUnpacksAsUmociUnpacksItAndInspectShowsItsConfig() throws Exception {
    ImageRecord record = pull("gzip", null);
    assertEquals(registry.address() + "/interop/app:gzip", record.name());
    assertEquals(gzip.config().digest(), record.config());
    assertEquals(gzip.manifest().digest(), record.target().digest());
    assertEquals(List.of(record), service.list());

    TreeSnapshot berth = StoreChecks.unpackedTree(service, record, tmp);
    // umoci makes the rootfs dir itself (0755 root); ours is the view's top dir: the same, but
    // compared apart
    berth.excluding(".").assertSameAs(umoci.excluding("."));
    assertEquals('p', berth.get("x/fifo").type());
    assertEquals(04755, berth.get("x/setuid").mode());
    assertEquals("x/hard", berth.get("x/setuid").hardlinkOf());
    assertEquals(null, berth.get("etc/group"), "whiteout");
    assertEquals(null, berth.get("opt/cache/a"), "opaque dir");

    ImageService.ImageDetails d = service.inspect(record.name());
    ContainerConfig c = d.config().config();
    assertEquals(List.of("PATH=/bin", "GREETING=hello world"), c.env());
    assertEquals(List.of("/bin/sh", "-c"), c.entrypoint());
    assertEquals(List.of("sh"), c.cmd());
    assertEquals("/root", c.workingDir());
    assertEquals("1000:1000", c.user());
    assertEquals(Set.of("80/tcp"), c.exposedPorts());
    assertEquals(Set.of("/data"), c.volumes());
    assertEquals(Map.of("a", "1", "b", "two"), c.labels());
    assertEquals(List.of(record.name()), d.names());
    assertEquals(
        record.config(),
        service.inspect(record.config().encoded().substring(0, 12)).record().config());
  }

  @Test
  void theCopySnapshotterGivesTheSameTree() throws Exception {
    // A store whose recorded snapshotter is the copy fallback (what a host without overlayfs gets):
    // layers unpack one
    // after the other onto a copy of their parent, whiteouts applied instead of kept.
    Path store = tmp.resolve("copy-store");
    Files.createDirectories(store.resolve("snapshots"));
    Files.writeString(store.resolve("snapshots/driver"), "copy\n");
    service = StoreChecks.service(store);
    ImageRecord record = pull("gzip", null);
    assertTrue(service.snapshots() instanceof dev.berth.image.snapshot.CopySnapshotter);
    TreeSnapshot berth = StoreChecks.unpackedTree(service, record, tmp);
    berth.excluding(".").assertSameAs(umoci.excluding("."));
    StoreChecks.assertNoLeftovers(store);
  }

  @Test
  void dockerSchema2ZstdAndUncompressedLayersGiveTheSameTree() throws Exception {
    Skopeo.copy(
        "oci:" + layout.dir() + ":gzip",
        "docker://" + registry.address() + "/interop/app:v2s2",
        "--format",
        "v2s2");
    OciLayoutBuilder.Image zstd =
        layout.image(OciLayoutBuilder.AMD64, CONFIG, layers(Compression.ZSTD));
    OciLayoutBuilder.Image plain =
        layout.image(OciLayoutBuilder.AMD64, CONFIG, layers(Compression.NONE));
    layout.tag("zstd", zstd.manifest()).tag("plain", plain.manifest());
    Skopeo.copy(
        "oci:" + layout.dir() + ":zstd", "docker://" + registry.address() + "/interop/app:zstd");
    Skopeo.copy(
        "oci:" + layout.dir() + ":plain", "docker://" + registry.address() + "/interop/app:plain");

    ImageRecord docker = pull("v2s2", null);
    assertEquals(MediaTypes.DOCKER_MANIFEST, docker.target().mediaType());
    ImageRecord z = pull("zstd", null);
    ImageRecord p = pull("plain", null);
    assertEquals(zstd.config().digest(), z.config());
    assertEquals(plain.config().digest(), p.config());
    // the same tars, so the same diff ids and config: the three share one set of snapshots
    assertEquals(gzip.diffIds(), zstd.diffIds());
    assertEquals(gzip.diffIds(), plain.diffIds());
    for (ImageRecord r : List.of(docker, z, p)) {
      StoreChecks.unpackedTree(service, r, tmp).excluding(".").assertSameAs(umoci.excluding("."));
    }
    assertEquals(3, service.snapshots().committed().size());
  }

  @Test
  void onePlatformOfAnIndexIsPulledTheHostsByDefault() throws Exception {
    OciLayoutBuilder.Layer amd =
        layout.layer(new LayerTar().add(TarEntry.file("arch", "amd64")), Compression.GZIP);
    OciLayoutBuilder.Layer arm =
        layout.layer(new LayerTar().add(TarEntry.file("arch", "arm64")), Compression.GZIP);
    OciLayoutBuilder.Image a =
        layout.image(OciLayoutBuilder.AMD64, ImageConfig.empty(), List.of(amd));
    OciLayoutBuilder.Image b =
        layout.image(OciLayoutBuilder.ARM64, ImageConfig.empty(), List.of(arm));
    layout.tag("multi", layout.index(List.of(b, a)));
    Skopeo.copy(
        "oci:" + layout.dir() + ":multi",
        "docker://" + registry.address() + "/interop/app:multi",
        "--all");

    ImageRecord host = pull("multi", null);
    assertEquals(a.config().digest(), host.config());
    assertEquals(MediaTypes.OCI_INDEX, host.target().mediaType());
    assertEquals(a.manifest().digest(), service.manifestOf(host).digest());
    assertEquals("amd64", Files.readString(unpackedFile(host, "arch")));

    ImageRecord armRecord = pull("multi", OciLayoutBuilder.ARM64);
    assertEquals(b.config().digest(), armRecord.config());
    assertEquals("arm64", Files.readString(unpackedFile(armRecord, "arch")));
    // the same name now means the arm64 image
    assertEquals(List.of(armRecord), service.list());

    ImageException e =
        assertThrows(ImageException.class, () -> pull("multi", new Platform("linux", "s390x", "")));
    assertTrue(e.getMessage().contains("s390x"), e.getMessage());

    // A single-platform image: the platform it says it is must be the one asked for, when one is
    // asked for.
    ImageException single =
        assertThrows(ImageException.class, () -> pull("gzip", OciLayoutBuilder.ARM64));
    assertTrue(
        single
            .getMessage()
            .contains(
                "image platform (linux/amd64) does not match the requested platform"
                    + " (linux/arm64/v8)"),
        single.getMessage());
    assertEquals(gzip.config().digest(), pull("gzip", OciLayoutBuilder.AMD64).config());
  }

  @Test
  void aBlobCorruptedInTheRegistryIsRefusedNamingIt() throws Exception {
    OciLayoutBuilder.Layer l =
        layout.layer(new LayerTar().randomFiles("r", 1, 50_000, 99, 0.5), Compression.GZIP);
    OciLayoutBuilder.Image img =
        layout.image(OciLayoutBuilder.AMD64, ImageConfig.empty(), List.of(l));
    layout.tag("corrupt", img.manifest());
    Skopeo.copy(
        "oci:" + layout.dir() + ":corrupt",
        "docker://" + registry.address() + "/interop/app:corrupt");
    Path data = registry.blobData(l.blob().digest().toString());
    byte[] bytes = Files.readAllBytes(data);
    bytes[9] ^=
        1; // gzip's OS byte: the stream still unpacks to the right diff id, only the digest differs
    Files.write(data, bytes);

    ImageException e = assertThrows(ImageException.class, () -> pull("corrupt", null));
    assertTrue(e.getMessage().contains("layer " + l.blob().digest()), e.getMessage());
    assertTrue(e.getMessage().contains("digest mismatch"), e.getMessage());
    assertEquals(List.of(), service.list());
    StoreChecks.assertNoLeftovers(tmp.resolve("store"));
    assertEquals(Set.of(), service.snapshots().committed());
  }

  /**
   * A file of the image's unpacked tree, read through a mount of its view that is gone again when
   * this returns.
   */
  Path unpackedFile(ImageRecord record, String path) throws Exception {
    Path copy = Files.createTempFile(tmp, "file-", "");
    Path mnt = Files.createTempDirectory(tmp, "view-");
    dev.berth.image.snapshot.Mounts.mount(
        service.snapshots().view(StoreChecks.topChain(service, record)), mnt);
    try {
      Files.copy(mnt.resolve(path), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } finally {
      dev.berth.image.snapshot.Mounts.unmount(mnt);
    }
    return copy;
  }
}
