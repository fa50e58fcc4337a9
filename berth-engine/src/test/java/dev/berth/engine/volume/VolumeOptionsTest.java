package dev.berth.engine.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.MountInfo;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local driver's options, as {@code docker volume create --opt}: checked with docker's words,
 * mounted once on the volume's data directory when asked, unmounted before the volume's removal, so
 * removing a volume that binds a host directory never deletes that directory's files.
 */
@RequiresRoot
class VolumeOptionsTest {
  @TempDir Path root;
  final Map<String, List<String>> users = new HashMap<>();
  VolumeStore store;

  @BeforeEach
  void open() throws Exception {
    store = VolumeStore.open(root.resolve("store"), () -> users);
  }

  @AfterEach
  void noMountLeft() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      if (line.contains(root.toString())) {
        dev.berth.sys.Linux.umount2(line.split(" ")[4], dev.berth.sys.LinuxConstants.MNT_DETACH);
        throw new AssertionError("mount left: " + line);
      }
    }
  }

  private static String mountLine(Path p) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo")))
      if (line.split(" ")[4].equals(p.toString())) return line;
    return null;
  }

  @Test
  void optionsAreCheckedAsDockerChecksThemAndNothingIsMade() throws Exception {
    Map<Map<String, String>, String> bad =
        Map.of(
            Map.of("mode", "0755"), "invalid option: \"mode\"",
            Map.of("type", "tmpfs"), "missing required option: \"device\"",
            Map.of("device", "tmpfs"), "missing required option: \"type\"",
            Map.of("o", "size=1m", "device", "tmpfs"), "missing required option: \"type\"",
            Map.of("type", "tmpfs", "device", "tmpfs", "size", "10m"),
                "quota size requested but no quota support",
            Map.of("type", "tmpfs", "device", "tmpfs", "o", "remount"),
                "o: remount is not a volume's mount option",
            Map.of("type", "none", "device", "relative/dir", "o", "bind"),
                "device: a bind's device must be an absolute host path, not \"relative/dir\"",
            Map.of("type", "none", "device", "/proc/self/fd/3", "o", "bind"),
                "device: a bind's device may not be under /proc: /proc/self/fd/3");
    for (var e : bad.entrySet()) {
      BerthException x =
          assertThrows(BerthException.class, () -> store.create("v", Map.of(), e.getKey()));
      assertEquals(ErrorCategory.INVALID_ARGUMENT, x.category(), e.getValue());
      assertEquals(e.getValue(), x.getMessage());
    }
    assertEquals(List.of(), store.list().volumes());
  }

  @Test
  void aTmpfsVolumeIsMountedOnceAndGoesWithTheVolume() throws Exception {
    Map<String, String> opts = Map.of("type", "tmpfs", "device", "tmpfs", "o", "size=1m,uid=1000");
    Volume v = store.create("scratch", Map.of(), opts);
    assertEquals(opts, v.options());
    assertEquals(
        opts, VolumeStore.open(root.resolve("store"), () -> users).get("scratch").options());
    assertFalse(MountInfo.isMountPoint(v.mountpoint().toString()), "mounted at first use only");
    store.mount("scratch");
    store.mount("scratch"); // a second container's start: the same mount
    String line = mountLine(v.mountpoint());
    assertTrue(
        line != null && line.contains(" - tmpfs tmpfs ") && line.contains("size=1024k"), line);
    assertTrue(line.contains("uid=1000"), line);
    long mounts =
        Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
            .filter(l -> l.split(" ")[4].equals(v.mountpoint().toString()))
            .count();
    assertEquals(1, mounts);
    Files.writeString(v.mountpoint().resolve("f"), "x");
    store.remove("scratch", false);
    assertFalse(Files.exists(v.mountpoint()));
  }

  @Test
  void removingABindVolumeLeavesTheHostDirectoryAsItWas() throws Exception {
    Path host = Files.createDirectories(root.resolve("host/dir"));
    Files.writeString(host.resolve("keep"), "mine");
    Files.createDirectories(host.resolve("sub")).resolve("deep").toFile().createNewFile();
    Volume v =
        store.create(
            "bound", Map.of(), Map.of("type", "none", "device", host.toString(), "o", "bind,ro"));
    store.mount("bound");
    assertEquals("mine", Files.readString(v.mountpoint().resolve("keep")));
    assertTrue(mountLine(v.mountpoint()).split(" ")[5].startsWith("ro"), "read-only bind");
    store.remove("bound", false);
    assertEquals("mine", Files.readString(host.resolve("keep")));
    assertTrue(Files.exists(host.resolve("sub/deep")));
    users.put("bound2", List.of("c1"));
    store.create(
        "bound2", Map.of(), Map.of("type", "none", "device", host.toString(), "o", "bind"));
    store.mount("bound2");
    users.clear();
    assertEquals(1, store.prune(true).names().size());
    assertEquals("mine", Files.readString(host.resolve("keep")));
  }

  /** NFS's addr= is resolved as docker resolves it (the kernel takes an address only). */
  @Test
  void anNfsAddressIsResolved() throws Exception {
    assertEquals(
        "addr=127.0.0.1,vers=4", VolumeOptions.withAddress("nfs", "addr=localhost,vers=4"));
    assertEquals("addr=10.0.0.7", VolumeOptions.withAddress("nfs4", "addr=10.0.0.7"));
    assertEquals("addr=localhost", VolumeOptions.withAddress("tmpfs", "addr=localhost"));
    BerthException e =
        assertThrows(BerthException.class, () -> VolumeOptions.withAddress("nfs", "addr=[::1"));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
  }

  @Test
  void aMountThatFailsNamesTheVolumeHidesAPasswordAndLeavesTheVolumeAsItWas() throws Exception {
    Volume v =
        store.create(
            "remote",
            Map.of(),
            Map.of("type", "nosuchfs", "device", "server:/export", "o", "password=hunter2,vers=4"));
    BerthException e = assertThrows(BerthException.class, () -> store.mount("remote"));
    assertTrue(e.getMessage().contains("failed to mount local volume remote"), e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    assertTrue(e.getMessage().contains("password=********"), e.getMessage());
    assertFalse(MountInfo.isMountPoint(v.mountpoint().toString()));
    store.remove("remote", false);
  }
}
