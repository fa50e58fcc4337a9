package dev.berth.engine.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.Linux;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeStoreTest {
  @TempDir Path root;
  final Map<String, List<String>> users = new HashMap<>();
  VolumeStore store;

  @BeforeEach
  void open() throws Exception {
    store = VolumeStore.open(root, () -> users);
  }

  @Test
  void createListInspectAndRemove() throws Exception {
    Volume v = store.create("data", Map.of("team", "a"));
    assertEquals("data", v.name());
    assertEquals("local", v.driver());
    assertEquals(Map.of("team", "a"), v.labels());
    assertFalse(v.anonymous());
    assertEquals(root.resolve("volumes/data/_data"), v.mountpoint());
    assertTrue(Files.isDirectory(v.mountpoint()));
    assertEquals(0755, Linux.stat(v.mountpoint().toString()).permissions());
    assertEquals(v, store.get("data"));
    assertEquals(
        v, VolumeStore.open(root, () -> users).get("data"), "another process reads the same");
    assertEquals(
        v, store.create("data", Map.of("other", "label")), "create of an existing name returns it");

    Volume anon = store.create(null, Map.of());
    assertTrue(anon.name().matches("[0-9a-f]{64}"), anon.name());
    assertTrue(anon.anonymous());
    assertEquals(
        List.of(anon.name(), "data").stream().sorted().toList(),
        store.list().volumes().stream().map(Volume::name).toList());

    store.remove("data", false);
    assertFalse(Files.exists(root.resolve("volumes/data")));
    BerthException e = assertThrows(BerthException.class, () -> store.get("data"));
    assertEquals(ErrorCategory.NOT_FOUND, e.category());
    assertEquals("No such volume: data", e.getMessage());
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> store.remove("data", false)).category());
    store.remove("data", true); // force: a missing volume is no error
  }

  @Test
  void invalidNamesAreRefusedNamingThem() {
    for (String bad : List.of("a", "/data", "da ta", "-x", "../x")) {
      BerthException e = assertThrows(BerthException.class, () -> store.create(bad, Map.of()), bad);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
      assertTrue(
          e.getMessage()
              .startsWith("\"" + bad + "\" includes invalid characters for a local volume name"),
          e.getMessage());
    }
    assertFalse(Files.exists(root.resolve("x")));
    for (String bad : List.of("a\nb", "a\0b", "a\u001b[2J", "x/" + "y".repeat(10_000))) {
      BerthException e = assertThrows(BerthException.class, () -> store.create(bad, Map.of()), bad);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
      assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\0"), "one line: " + e);
      assertFalse(e.getMessage().contains("\u001b"), e.getMessage());
      assertTrue(e.getMessage().length() < 400, e.getMessage().length() + " chars");
      for (String op : List.of("inspect", "remove")) {
        BerthException again =
            assertThrows(
                BerthException.class,
                () -> {
                  if (op.equals("inspect")) store.get(bad);
                  else store.remove(bad, true);
                },
                op + " " + bad);
        assertEquals(ErrorCategory.INVALID_ARGUMENT, again.category(), op + ": " + again);
      }
    }
  }

  @Test
  void aVolumeInUseCannotBeRemovedEvenWithForce() throws Exception {
    store.create("data", Map.of());
    users.put("data", List.of("a".repeat(64), "b".repeat(64)));
    for (boolean force : new boolean[] {false, true}) {
      BerthException e = assertThrows(BerthException.class, () -> store.remove("data", force));
      assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
      assertEquals(
          "remove data: volume is in use - [" + "a".repeat(64) + ", " + "b".repeat(64) + "]",
          e.getMessage());
    }
    assertTrue(Files.exists(root.resolve("volumes/data/volume.json")));
    users.clear();
    store.remove("data", false);
  }

  @Test
  void pruneRemovesUnusedAnonymousVolumesOrAllUnusedWithAll() throws Exception {
    Volume named = store.create("named", Map.of());
    Volume used = store.create(null, Map.of());
    Volume unused = store.create(null, Map.of());
    Files.write(unused.mountpoint().resolve("blob"), new byte[100_000]);
    users.put(used.name(), List.of("c".repeat(64)));
    // The garbage a create killed half-way leaves: a directory without metadata.
    Files.createDirectories(root.resolve("volumes/half/_data"));

    VolumeStore.Pruned p = store.prune(false);
    assertEquals(List.of(unused.name()), p.names());
    assertTrue(p.reclaimedBytes() >= 100_000, "reclaimed " + p.reclaimedBytes());
    assertFalse(Files.exists(root.resolve("volumes/half")));
    assertEquals(
        List.of(used.name(), "named").stream().sorted().toList(),
        store.list().volumes().stream().map(Volume::name).toList());

    assertEquals(List.of("named"), store.prune(true).names());
    assertEquals(List.of(used.name()), store.list().volumes().stream().map(Volume::name).toList());
    assertNotEquals(named.name(), used.name());
  }

  @Test
  void unreadableMetadataIsReportedWithItsPath() throws Exception {
    store.create("good", Map.of());
    store.create("bad", Map.of());
    Path meta = root.resolve("volumes/bad/volume.json");
    Files.writeString(meta, "{\"name\": \"bad\", ");
    VolumeStore.Listing l = store.list();
    assertEquals(List.of("good"), l.volumes().stream().map(Volume::name).toList());
    assertEquals(meta, l.unreadable().get(0).path());
    assertTrue(l.unreadable().get(0).reason().contains(meta.toString()));
  }
}
