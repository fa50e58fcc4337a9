package dev.berth.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.snapshot.ChainIds;
import dev.berth.image.snapshot.Mounts;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageJson;
import dev.berth.testkit.image.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What the end-to-end tests check of a store: unpacked trees, leftovers, mounts. */
public final class StoreChecks {
  private StoreChecks() {}

  /** The service of a fresh store at {@code root}, with no registries config and no credentials. */
  public static ImageService service(Path root) throws IOException {
    return new ImageService(
        new ImageService.Options(
            root,
            null,
            emptyAuthFile(root.resolveSibling(root.getFileName() + "-auth.json")),
            null));
  }

  /**
   * An auth file without credentials at {@code file} (made if missing): as the explicit auth file,
   * it keeps the user's own files (root's ~/.docker/config.json) out of a test. It must exist: a
   * missing one is an error.
   */
  public static Path emptyAuthFile(Path file) throws IOException {
    if (!Files.exists(file)) Files.writeString(file, "{}\n");
    return file;
  }

  /** The chain id of the image's top layer: what its rootfs view is keyed by. */
  public static Digest topChain(ImageService service, ImageRecord record) throws Exception {
    byte[] config = service.content().read(record.config(), ImageService.MAX_METADATA);
    List<Digest> chain = ChainIds.of(ImageJson.readConfig(config, "config").rootfs().diffIds());
    return chain.getLast();
  }

  /**
   * Mounts the image's rootfs view read-only on a new dir under {@code scratch}, snapshots it,
   * unmounts.
   */
  public static TreeSnapshot unpackedTree(ImageService service, ImageRecord record, Path scratch)
      throws Exception {
    Path mnt = Files.createTempDirectory(scratch, "view-");
    Mounts.mount(service.snapshots().view(topChain(service, record)), mnt);
    try {
      return TreeSnapshot.of(mnt);
    } finally {
      Mounts.unmount(mnt);
    }
  }

  /**
   * After a failed operation: no staging snapshot dir is left (every snapshots/N is committed), no
   * ingest is open beyond the partial data kept for resuming, and nothing under the store is
   * mounted.
   */
  public static void assertNoLeftovers(Path storeRoot) throws IOException {
    Path snaps = storeRoot.resolve("snapshots/snapshots");
    Path chains = storeRoot.resolve("snapshots/chains");
    long staged = count(snaps);
    long committed = count(chains);
    assertEquals(
        committed, staged, "snapshot dirs in " + snaps + " not committed (staging left behind)");
    assertNoMountsUnder(storeRoot);
  }

  public static void assertNoMountsUnder(Path dir) throws IOException {
    String p = dir.toAbsolutePath().toString();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      assertTrue(!f[4].startsWith(p), "still mounted: " + line);
    }
  }

  /**
   * Paths under {@code dir} whose file name is one of {@code names} (escaped files of hostile
   * layers).
   */
  public static List<Path> find(Path dir, String... names) throws IOException {
    List<String> wanted = List.of(names);
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.getFileName() != null && wanted.contains(p.getFileName().toString()))
          .toList();
    }
  }

  private static long count(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return 0;
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }
}
