package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountTest {
  @TempDir Path tmp;

  @Test
  void failedMountNamesSourceTargetTypeFlagsAndData() {
    // An unknown filesystem type fails without root (EPERM) and with it (ENODEV); either way
    // nothing is mounted.
    String target = tmp.toString();
    MountException e =
        assertThrows(
            MountException.class,
            () ->
                Linux.mount(
                    "none",
                    target,
                    "berth-no-such-fs",
                    LinuxConstants.MS_NOSUID | LinuxConstants.MS_NODEV,
                    "size=1m"));
    assertTrue(
        e.errno() == LinuxConstants.ENODEV || e.errno() == LinuxConstants.EPERM, e.getMessage());
    assertEquals(
        "mount none on "
            + target
            + " (type berth-no-such-fs, flags MS_NOSUID|MS_NODEV, data \"size=1m\"): "
            + ErrnoException.describe(e.errno()),
        e.getMessage());
    assertEquals(LinuxConstants.MS_NOSUID | LinuxConstants.MS_NODEV, e.flags());
  }

  @Test
  @Tag("integration")
  void tmpfsMountsAndUnmounts() throws Exception {
    Root.assume();
    String target = tmp.toString();
    long before = Linux.statfsType(target);
    Linux.mount(
        "berth-test",
        target,
        "tmpfs",
        LinuxConstants.MS_NOSUID | LinuxConstants.MS_NODEV,
        "size=1m,mode=700");
    try {
      assertEquals(LinuxConstants.TMPFS_MAGIC, Linux.statfsType(target));
      assertEquals(0700, Linux.stat(target).permissions());
      Files.writeString(tmp.resolve("on-tmpfs"), "x");
      // Remounting a bind of it read-only with a bad flag combination names every flag.
      MountException e =
          assertThrows(
              MountException.class,
              () ->
                  Linux.mount(
                      target,
                      target + "/nope",
                      null,
                      LinuxConstants.MS_BIND | LinuxConstants.MS_REC,
                      null));
      assertEquals(LinuxConstants.ENOENT, e.errno());
      assertEquals(
          "mount "
              + target
              + " on "
              + target
              + "/nope (flags MS_BIND|MS_REC): no such file or directory"
              + " (ENOENT)",
          e.getMessage());
    } finally {
      Linux.umount2(target, 0);
    }
    assertEquals(before, Linux.statfsType(target));
    assertTrue(Files.notExists(tmp.resolve("on-tmpfs")), "the file was on the tmpfs, gone with it");
    ErrnoException e = assertThrows(ErrnoException.class, () -> Linux.umount2(target, 0));
    assertEquals(LinuxConstants.EINVAL, e.errno());
    assertEquals("umount2 " + target + ": invalid argument (EINVAL)", e.getMessage());
  }

  /**
   * The mount-point check the engine makes before it mounts or unmounts a container's rootfs: a
   * directory, a mount on it, and what is not a directory at all.
   */
  @Test
  @Tag("integration")
  void aMountPointIsToldFromAPlainDirectory() throws Exception {
    Root.assume();
    Path dir = Files.createDirectory(tmp.resolve("dir"));
    Path file = Files.writeString(tmp.resolve("file"), "x");
    Files.createSymbolicLink(tmp.resolve("link"), Path.of("/proc"));
    assertFalse(MountInfo.isMountPoint(dir.toString()));
    assertFalse(MountInfo.isMountPoint(file.toString()));
    assertFalse(MountInfo.isMountPoint(tmp.resolve("missing").toString()));
    assertFalse(MountInfo.isMountPoint(tmp.resolve("file/below").toString()));
    assertFalse(MountInfo.isMountPoint(tmp.resolve("link").toString()), "a link to a mount");
    assertTrue(MountInfo.isMountPoint("/proc"));
    Linux.mount("berth-test", dir.toString(), "tmpfs", LinuxConstants.MS_NOSUID, "size=1m");
    try {
      assertTrue(MountInfo.isMountPoint(dir.toString()));
      assertEquals(
          MountInfo.isMountPoint(MountInfo.current(), dir.toString()),
          MountInfo.isMountPoint(dir.toString()),
          "statx and mountinfo agree");
      Files.createDirectory(dir.resolve("sub"));
      assertFalse(MountInfo.isMountPoint(dir.resolve("sub").toString()), "below a mount");
    } finally {
      Linux.umount2(dir.toString(), 0);
    }
    assertFalse(MountInfo.isMountPoint(dir.toString()));
  }
}
