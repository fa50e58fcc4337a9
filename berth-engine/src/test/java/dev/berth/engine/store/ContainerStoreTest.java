package dev.berth.engine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.image.dirs.LockFile;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.Linux;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerStoreTest {
  @TempDir Path root;
  ContainerStore store;

  @BeforeEach
  void open() throws Exception {
    store = ContainerStore.open(root);
  }

  private ContainerRecord create(String name) throws BerthException {
    return store.create(StoreChild.record(store, name));
  }

  @Test
  void createStoresTheRecordWholeAndGetReadsItBack() throws Exception {
    ContainerOptions o =
        new ContainerOptions(
            "busybox:1",
            "/web",
            List.of("/bin/sh", "-c"),
            List.of("httpd", "-f"),
            List.of("K=V", "EMPTY="),
            "/srv",
            "1000:1000",
            "web1",
            true,
            true,
            Map.of("a", "1", "b", "2"),
            List.of(
                new MountOption(MountOption.Type.VOLUME, "data", "/data", false, List.of("nocopy")),
                new MountOption(MountOption.Type.BIND, "/host", "/ctr", true, null),
                new MountOption(
                    MountOption.Type.TMPFS, null, "/tmp", false, List.of("tmpfs-size=64m"))),
            new ContainerOptions.ResourceOptions(64 << 20, -1, 1_500_000_000L, 512, "0-1", 100),
            List.of("NET_ADMIN"),
            List.of("ALL"),
            false,
            true,
            List.of("no-new-privileges"),
            List.of(new ContainerOptions.UlimitOption("nofile", 1024, 2048)),
            "SIGQUIT",
            3,
            "runc",
            "none",
            true,
            1 << 20,
            false);
    String id = store.newId();
    ContainerRecord r =
        ContainerRecord.of(
                id,
                Instant.parse("2026-01-02T03:04:05.123456789Z"),
                o,
                "sha256:" + "cd".repeat(32),
                "runc")
            .withParts("berth-" + id, root.resolve("bundle"), root.resolve("log"))
            .withVolumes(List.of("data", "f".repeat(64)))
            .withExtras(Map.of("network", "none"));
    ContainerRecord stored = store.create(r);
    assertEquals("web", stored.name(), "the leading / is not part of the name");
    assertEquals(stored, store.get(id));
    assertEquals(stored, ContainerStore.open(root).get(id), "another opener reads the same");
    assertTrue(Files.isDirectory(store.containerDir(id)));
    assertEquals(List.of(stored), store.list().containers());
    // stdinOnce is written only when set (records of before it read as false).
    ContainerOptions once =
        new ContainerOptions.Builder("busybox").openStdin(true).stdinOnce(true).build();
    ContainerRecord r2 =
        store.create(
            ContainerRecord.of(
                store.newId(), Instant.now(), once, "sha256:" + "cd".repeat(32), "berth"));
    assertTrue(ContainerStore.open(root).get(r2.id()).options().stdinOnce());
    assertFalse(store.get(id).options().stdinOnce());
  }

  @Test
  void generatedNamesAreDockerStyleAndDistinct() throws Exception {
    java.util.Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < 30; i++) {
      String n = create(null).name();
      assertTrue(n.matches("[a-z]+_[a-z]+(_[0-9]+)?"), n);
      assertTrue(names.add(n), "generated twice: " + n);
    }
  }

  @Test
  void aNameInUseIsRefusedWithDockersWords() throws Exception {
    ContainerRecord first = create("web");
    BerthException e = assertThrows(BerthException.class, () -> create("web"));
    assertEquals(ErrorCategory.ALREADY_EXISTS, e.category());
    assertTrue(
        e.getMessage()
            .startsWith(
                "Conflict. The container name \"/web\" is already in use by container \""
                    + first.id()
                    + "\""),
        e.getMessage());
    assertEquals(1, store.list().containers().size(), "the loser left nothing behind");
    assertEquals(1, dirs(root.resolve("containers")));
    assertFalse(marked(root));
  }

  @Test
  void invalidNamesAreRefusedNamingThem() {
    for (String bad : List.of("a", "-x", "_x", "a b", "a/b", "ä1", "")) {
      BerthException e =
          assertThrows(BerthException.class, () -> ContainerNames.checkName(bad), bad);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
      assertEquals(
          "Invalid container name (" + bad + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
          e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> StoreChild.record(store, "a b"));
  }

  /**
   * Names made to reach the file system (each name is a link in the store's names directory):
   * climbing, absolute, NUL, newline, longer than NAME_MAX. Refused at create and rename, naming
   * them on one line; as a reference to look up, none is an I/O error or a lookup outside the
   * store, only "No such container".
   */
  @Test
  void hostileNamesAreRefusedOnOneLineAndLookUpNothingOutsideTheStore() throws Exception {
    ContainerRecord a = create("alpha");
    Files.writeString(root.resolve("escaped"), "x");
    String[] hostile = {
      "../escaped",
      "..",
      "/../escaped",
      "a/../../escaped",
      "a\0b",
      "a\nb",
      "a\u001b[2Jb",
      "x".repeat(256),
      "x".repeat(5000),
      "/" + "x".repeat(300)
    };
    for (String bad : hostile) {
      BerthException e =
          assertThrows(BerthException.class, () -> ContainerNames.checkName(bad), bad);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), bad);
      assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\0"), e.getMessage());
      assertFalse(e.getMessage().contains("\u001b"), e.getMessage());
      assertTrue(e.getMessage().length() < 300, e.getMessage());
      e = assertThrows(BerthException.class, () -> store.rename(a.id(), bad), bad);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), bad);
      e = assertThrows(BerthException.class, () -> store.resolveId(bad), bad);
      assertEquals(ErrorCategory.NOT_FOUND, e.category(), bad + ": " + e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
      assertTrue(e.getMessage().length() < 400, e.getMessage());
    }
    assertEquals("alpha", store.get(a.id()).name());
    assertEquals("x", Files.readString(root.resolve("escaped")));
    try (var s = Files.list(root.resolve("names"))) {
      assertEquals(List.of(root.resolve("names/alpha")), s.toList());
    }
  }

  @Test
  void resolveFollowsDockersOrderFullIdThenNameThenUniquePrefix() throws Exception {
    ContainerRecord a = create("alpha");
    ContainerRecord b = create("beta");
    assertEquals(a.id(), store.resolveId(a.id()));
    assertEquals(a.id(), store.resolveId("alpha"));
    assertEquals(a.id(), store.resolveId("/alpha"));
    assertEquals(b, store.resolve("beta"));
    // A prefix long enough to be unique.
    String p = a.id().substring(0, 12);
    assertEquals(a.id(), store.resolveId(p));
    // A name that looks like the other's id prefix: the name wins, as in docker.
    String bp = b.id().substring(0, 6);
    ContainerRecord tricky = create(bp);
    assertEquals(tricky.id(), store.resolveId(bp));

    BerthException none = assertThrows(BerthException.class, () -> store.resolveId("gamma"));
    assertEquals(ErrorCategory.NOT_FOUND, none.category());
    assertEquals("No such container: gamma", none.getMessage());
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> store.get("0".repeat(64))).category());
  }

  @Test
  void anAmbiguousPrefixIsRefused() throws Exception {
    // Ids are random: make two with a common first digit by trying.
    java.util.Map<Character, String> byFirst = new java.util.HashMap<>();
    String shared = null;
    while (shared == null) {
      String id = create(null).id();
      if (byFirst.putIfAbsent(id.charAt(0), id) != null) shared = id.substring(0, 1);
    }
    String prefix = shared;
    BerthException e = assertThrows(BerthException.class, () -> store.resolveId(prefix));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    assertEquals("multiple IDs found with provided prefix: " + prefix, e.getMessage());
  }

  @Test
  void updateIsAReadModifyWriteThatKeepsIdAndName() throws Exception {
    ContainerRecord c = create("web");
    ContainerRecord running =
        store.update(c.id(), r -> r.withState(r.state().running(42, 41, Instant.EPOCH)));
    assertEquals(ContainerState.Status.RUNNING, store.get(c.id()).state().status());
    assertEquals(42, store.get(c.id()).state().pid());
    assertEquals(running, store.get(c.id()));
    Path file = store.containerDir(c.id()).resolve("container.json");
    long inode = Linux.stat(file.toString()).ino();
    assertEquals(running, store.update(c.id(), r -> r));
    assertEquals(inode, Linux.stat(file.toString()).ino(), "an unchanged record is not rewritten");
    assertThrows(
        IllegalArgumentException.class, () -> store.update(c.id(), r -> r.withName("other")));
    BerthException refused =
        assertThrows(
            BerthException.class,
            () ->
                store.update(
                    c.id(),
                    r -> {
                      throw new BerthException(
                          ErrorCategory.FAILED_PRECONDITION, "container is running");
                    }));
    assertEquals("container is running", refused.getMessage());
    assertEquals(running, store.get(c.id()));
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> store.update("1".repeat(64), r -> r)).category());
  }

  @Test
  void renameMovesTheNameAndFreesTheOldOne() throws Exception {
    ContainerRecord c = create("old");
    ContainerRecord other = create("taken");
    assertEquals("new", store.rename(c.id(), "/new").name());
    assertEquals(c.id(), store.resolveId("new"));
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> store.resolveId("old")).category());
    assertEquals("old", create("old").name(), "the old name is free again");
    BerthException e = assertThrows(BerthException.class, () -> store.rename(c.id(), "taken"));
    assertEquals(ErrorCategory.ALREADY_EXISTS, e.category());
    assertTrue(e.getMessage().contains(other.id()));
    assertEquals(
        ErrorCategory.INVALID_ARGUMENT,
        assertThrows(BerthException.class, () -> store.rename(c.id(), "new")).category());
    assertEquals(
        ErrorCategory.INVALID_ARGUMENT,
        assertThrows(BerthException.class, () -> store.rename(c.id(), "x!")).category());
    assertEquals(Set("new", "old", "taken"), links());
  }

  @Test
  void removeTakesTheRecordTheNameAndTheDirectory() throws Exception {
    ContainerRecord c = create("web");
    Files.writeString(store.containerDir(c.id()).resolve("hostname"), "web\n");
    Files.createDirectories(store.containerDir(c.id()).resolve("logs/deep"));
    store.remove(c.id());
    assertFalse(Files.exists(store.containerDir(c.id())));
    assertEquals(Set(), links());
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> store.remove(c.id())).category());
    assertEquals("web", create("web").name());
  }

  @Test
  void aTruncatedRecordIsReportedWithItsPathAndRemovable() throws Exception {
    ContainerRecord good = create("good");
    ContainerRecord bad = create("bad");
    Path file = store.containerDir(bad.id()).resolve("container.json");
    byte[] json = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(json, json.length / 2));

    ContainerStore.Listing l = store.list();
    assertEquals(List.of(good), l.containers());
    assertEquals(1, l.unreadable().size());
    assertEquals(file, l.unreadable().get(0).path());
    assertTrue(
        l.unreadable().get(0).reason().contains(file.toString()), l.unreadable().get(0).reason());
    BerthException e = assertThrows(BerthException.class, () -> store.get(bad.id()));
    assertEquals(ErrorCategory.INTERNAL, e.category());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    // Its name stays taken (it may be its own) and resolves, so `rm bad` can clean up.
    assertEquals(
        ErrorCategory.ALREADY_EXISTS,
        assertThrows(BerthException.class, () -> create("bad")).category());
    assertEquals(bad.id(), store.resolveId("bad"));
    assertEquals(
        List.of(),
        store.repair().stream().filter(s -> s.contains(bad.id())).toList(),
        "repair leaves an unreadable record alone");
    store.remove(bad.id());
    assertEquals(List.of(), store.list().unreadable());
    assertEquals(Set("good"), links());
    assertEquals("bad", create("bad").name());
  }

  @Test
  void unknownFieldsAreIgnoredAndMissingOnesDefaulted() throws Exception {
    String id = "a".repeat(64);
    Path dir = root.resolve("containers").resolve(id);
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("container.json"),
        "{\"version\": 7, \"id\": \""
            + id
            + "\", \"name\": \"min\","
            + " \"created\": \"2026-01-01T00:00:00Z\", \"future\": {\"x\": [1, 2]}, \"options\": {\"image\": \"busybox\","
            + " \"later\": true}}");
    Linux.symlink(id, root.resolve("names/min").toString());
    ContainerRecord r = store.resolve("min");
    assertEquals(ContainerState.CREATED, r.state());
    assertEquals(List.of(), r.options().command());
    assertNull(r.bundleDir());
    assertEquals("", r.imageId());
    assertEquals(Map.of(), r.extras());
  }

  @Test
  void crashLeftoversAreIgnoredByReadersAndRepairedOnOpen() throws Exception {
    ContainerRecord live = create("live");
    // What a writer killed mid-create leaves: its name link, its directory without a record, a temp
    // file.
    String ghost = "b".repeat(64);
    Linux.symlink(ghost, root.resolve("names/ghost").toString());
    Files.createDirectories(root.resolve("containers").resolve(ghost));
    Files.writeString(
        root.resolve("containers").resolve(ghost).resolve("container.json.tmp"), "{\"id\":");
    // And a rename killed after its new link: the record still says "live".
    Linux.symlink(live.id(), root.resolve("names/half").toString());

    assertEquals(List.of(live), store.list().containers());
    assertEquals(List.of(), store.list().unreadable());
    assertEquals(
        "No such container: ghost",
        assertThrows(BerthException.class, () -> store.resolveId("ghost")).getMessage());
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> store.resolveId("half")).category());
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> store.lock(ghost)).category());

    Files.writeString(root.resolve("containers.dirty"), "1"); // the writer died with it set
    ContainerStore.open(root);
    assertEquals(Set("live"), links());
    assertEquals(1, dirs(root.resolve("containers")));
    assertFalse(marked(root));
    assertEquals("ghost", create("ghost").name());
  }

  @Test
  void aRemovalRemovesWhatTheContainerOwnedOnlyOnceItsRecordIsDurablyGone() throws Exception {
    ContainerRecord c = create("web");
    Path dir = store.containerDir(c.id());
    List<String> seen = new java.util.ArrayList<>();
    store.remove(
        c.id(),
        id -> {
          seen.add(id);
          // What a crash at this point leaves: the record gone (its tombstone in its place), so the
          // container is gone for every reader, and its id is still taken.
          assertFalse(Files.exists(dir.resolve("container.json")));
          assertTrue(Files.exists(dir.resolve("removed")));
          assertEquals(
              ErrorCategory.NOT_FOUND,
              assertThrows(BerthException.class, () -> store.get(c.id())).category());
        });
    assertEquals(List.of(c.id()), seen);
    assertFalse(Files.exists(dir));
    assertEquals(Set(), links());
    // Its files wait in the trash (whoever empties it decides when), a name of their own each.
    assertTrue(store.hasTrash());
    try (Stream<Path> t = Files.list(root.resolve("containers.trash"))) {
      List<Path> trashed = t.toList();
      assertEquals(1, trashed.size(), trashed::toString);
      assertTrue(trashed.getFirst().getFileName().toString().startsWith(c.id() + "-"));
      assertTrue(Files.exists(trashed.getFirst().resolve("removed")));
    }
    assertEquals(1, store.emptyTrash(true));
    assertFalse(store.hasTrash());
    ContainerStore.open(root, id -> seen.add("again " + id)).repair();
    assertEquals(List.of(c.id()), seen, "a finished removal leaves nothing to repair");
  }

  @Test
  @dev.berth.testkit.RequiresRoot
  void aTrashEntryThatCannotGoIsReportedAndKeepsNoOtherBack() throws Exception {
    ContainerRecord stuck = create("stuck");
    ContainerRecord other = create("other");
    Path mountpoint = store.containerDir(stuck.id()).resolve("m");
    Files.createDirectory(mountpoint);
    dev.berth.sys.Linux.mount("tmpfs", mountpoint.toString(), "tmpfs", 0, null);
    Path trash = root.resolve("containers.trash");
    try {
      store.remove(stuck.id(), id -> {});
      store.remove(other.id(), id -> {});
      BerthException e = assertThrows(BerthException.class, () -> store.emptyTrash(true));
      assertTrue(e.getMessage().contains("another file system"), e.getMessage());
      try (Stream<Path> left = Files.list(trash)) {
        List<String> names = left.map(p -> p.getFileName().toString()).toList();
        assertEquals(1, names.size(), names::toString);
        assertTrue(names.getFirst().startsWith(stuck.id() + "-"), names::toString);
      }
    } finally {
      try (Stream<Path> left = Files.list(trash)) {
        for (Path p : left.toList()) {
          if (Files.exists(p.resolve("m")))
            dev.berth.sys.Linux.umount2(p.resolve("m").toString(), 0);
        }
      }
    }
    assertEquals(1, store.emptyTrash(true), "gone once its mount is");
    assertFalse(store.hasTrash());
  }

  @Test
  void aRemovalCutShortAfterItsRecordIsFinishedByARepairThatKnowsItsLeftovers() throws Exception {
    ContainerRecord c = create("web");
    ContainerRecord other = create("other");
    Path dir = store.containerDir(c.id());
    BerthException cut =
        assertThrows(
            BerthException.class,
            () ->
                store.remove(
                    c.id(),
                    id -> {
                      throw new java.io.IOException("killed here");
                    }));
    assertTrue(cut.getMessage().contains("killed here"), cut.getMessage());
    // Gone for every reader, its name free, its directory (with the tombstone) still there.
    assertEquals(List.of(other), store.list().containers());
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> store.resolveId("web")).category());
    assertTrue(Files.exists(dir.resolve("removed")));
    // A repair that does not know what the container owned elsewhere keeps the tombstone.
    assertTrue(marked(root), "the cut change left its marker");
    assertEquals(List.of(), store.repair().stream().filter(l -> l.contains(c.id())).toList());
    assertTrue(Files.exists(dir.resolve("removed")), "repair keeps the tombstone");
    // One that does (the engine's opens) removes that first, then the directory.
    Files.writeString(
        root.resolve("containers.dirty"), ""); // empty: set too (how berth marked before)
    List<String> swept = new java.util.ArrayList<>();
    ContainerStore.open(root, swept::add);
    assertFalse(marked(root), "an open repaired");
    assertEquals(List.of(c.id()), swept);
    assertFalse(Files.exists(dir));
    assertEquals(List.of(other), store.list().containers());
    assertEquals("web", create("web").name());
  }

  @Test
  void aWaiterOnTheLifecycleLockOfARemovedContainerIsToldItIsGone() throws Exception {
    ContainerRecord c = create("web");
    CompletableFuture<BerthException> waiter;
    try (LockFile held = store.lock(c.id())) {
      waiter =
          CompletableFuture.supplyAsync(
              () -> {
                try (LockFile l = store.lock(c.id())) {
                  return null;
                } catch (BerthException e) {
                  return e;
                }
              });
      Thread.sleep(
          200); // let it block on the flock (not asserted on: only gives the race a chance)
      assertFalse(waiter.isDone(), "the lock excludes a second holder");
      store.remove(c.id());
    }
    BerthException e = waiter.get(30, TimeUnit.SECONDS);
    assertNotNull(e, "the waiter must not get the lock of a removed container");
    assertEquals(ErrorCategory.NOT_FOUND, e.category());
  }

  @Test
  void volumeUsersComeFromRecordsAndVolumeMounts() throws Exception {
    ContainerOptions o =
        new ContainerOptions(
            "busybox",
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            false,
            false,
            null,
            List.of(
                new MountOption(MountOption.Type.VOLUME, "data", "/data", false, null),
                new MountOption(MountOption.Type.VOLUME, null, "/anon", false, null),
                new MountOption(MountOption.Type.BIND, "/host", "/h", false, null)),
            null,
            null,
            null,
            false,
            false,
            null,
            null,
            null,
            null,
            null,
            null,
            false,
            0,
            false);
    ContainerRecord a =
        store.create(
            ContainerRecord.of(store.newId(), Instant.now(), o, "", "berth")
                .withVolumes(List.of("data", "c".repeat(64))));
    ContainerRecord b =
        store.create(ContainerRecord.of(store.newId(), Instant.now(), o, "", "berth"));
    Map<String, List<String>> users = store.volumeUsers();
    assertEquals(Set("data", "c".repeat(64)), users.keySet());
    assertEquals(Stream.of(a.id(), b.id()).sorted().toList(), users.get("data"));
    assertEquals(List.of(a.id()), users.get("c".repeat(64)));
  }

  private java.util.Set<String> links() throws Exception {
    try (Stream<Path> s = Files.list(root.resolve("names"))) {
      return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
    }
  }

  /** Whether the store's crash marker is set: its file there, saying anything but "0". */
  static boolean marked(Path root) throws Exception {
    Path marker = root.resolve("containers.dirty");
    return Files.exists(marker) && !Files.readString(marker).equals("0");
  }

  private static long dirs(Path p) throws Exception {
    try (Stream<Path> s = Files.list(p)) {
      return s.count();
    }
  }

  @SafeVarargs
  private static <T> java.util.Set<T> Set(T... items) {
    return java.util.Set.of(items);
  }
}
