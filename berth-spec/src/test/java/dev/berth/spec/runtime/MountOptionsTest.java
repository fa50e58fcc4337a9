package dev.berth.spec.runtime;

import static dev.berth.spec.runtime.MountFlags.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionsTest {

  @Test
  void runcDefaultDevMountSplitsFlagsFromData() {
    MountOptions o =
        MountOptions.parse(List.of("nosuid", "strictatime", "mode=755", "size=65536k"));
    assertEquals(MS_NOSUID | MS_STRICTATIME, o.flags());
    assertEquals("mode=755,size=65536k", o.data());
    assertEquals(0, o.clearFlags());
    assertEquals(List.of(), o.propagations());
    assertFalse(o.isBind());
  }

  @Test
  void kernelValuesOfTheFlags() {
    // Spot checks against <linux/mount.h>, since the runtime passes these numbers to mount(2) as
    // they are.
    assertEquals(1, MountOptions.parse(List.of("ro")).flags());
    assertEquals(2 | 4 | 8, MountOptions.parse(List.of("nosuid", "nodev", "noexec")).flags());
    assertEquals(0x1000 | 0x4000, MountOptions.parse(List.of("rbind")).flags());
    assertEquals(0x200000, MountOptions.parse(List.of("relatime")).flags());
    assertEquals(0x1000000, MountOptions.parse(List.of("strictatime")).flags());
  }

  @Test
  void laterOptionsWinAndClearedFlagsAreRemembered() {
    MountOptions o = MountOptions.parse(List.of("ro", "nosuid", "rw", "suid", "nodev"));
    assertEquals(MS_NODEV, o.flags());
    assertEquals(MS_RDONLY | MS_NOSUID, o.clearFlags());

    MountOptions back = MountOptions.parse(List.of("rw", "ro"));
    assertEquals(MS_RDONLY, back.flags());
    assertEquals(0, back.clearFlags());
  }

  @Test
  void everyPlainOptionHasItsFlag() {
    assertEquals(
        MS_SYNCHRONOUS
            | MS_REMOUNT
            | MS_MANDLOCK
            | MS_DIRSYNC
            | MS_NOATIME
            | MS_NODIRATIME
            | MS_SILENT
            | MS_I_VERSION
            | MS_LAZYTIME
            | MS_NOSYMFOLLOW,
        MountOptions.parse(
                List.of(
                    "sync",
                    "remount",
                    "mand",
                    "dirsync",
                    "noatime",
                    "nodiratime",
                    "silent",
                    "iversion",
                    "lazytime",
                    "nosymfollow"))
            .flags());
    MountOptions cleared =
        MountOptions.parse(
            List.of(
                "async",
                "nomand",
                "atime",
                "diratime",
                "loud",
                "norelatime",
                "noiversion",
                "nostrictatime",
                "nolazytime",
                "symfollow",
                "dev",
                "exec"));
    assertEquals(0, cleared.flags());
    assertEquals(
        MS_SYNCHRONOUS
            | MS_MANDLOCK
            | MS_NOATIME
            | MS_NODIRATIME
            | MS_SILENT
            | MS_RELATIME
            | MS_I_VERSION
            | MS_STRICTATIME
            | MS_LAZYTIME
            | MS_NOSYMFOLLOW
            | MS_NODEV
            | MS_NOEXEC,
        cleared.clearFlags());
  }

  @Test
  void bindAndRecursiveBind() {
    MountOptions bind = MountOptions.parse(List.of("bind", "ro"));
    assertTrue(bind.isBind());
    assertFalse(bind.isRecursiveBind());
    MountOptions rbind = MountOptions.parse(List.of("rbind", "nosuid", "noexec", "nodev", "ro"));
    assertTrue(rbind.isRecursiveBind());
    assertEquals(MS_BIND | MS_REC | MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, rbind.flags());
    assertEquals("", rbind.data());
  }

  @Test
  void propagationIsKeptApartInOrder() {
    MountOptions o =
        MountOptions.parse(
            List.of(
                "bind",
                "rprivate",
                "shared",
                "rslave",
                "unbindable",
                "runbindable",
                "private",
                "slave",
                "rshared"));
    assertEquals(
        List.of(
            (int) (MS_PRIVATE | MS_REC),
            (int) MS_SHARED,
            (int) (MS_SLAVE | MS_REC),
            (int) MS_UNBINDABLE,
            (int) (MS_UNBINDABLE | MS_REC),
            (int) MS_PRIVATE,
            (int) MS_SLAVE,
            (int) (MS_SHARED | MS_REC)),
        o.propagations());
    assertEquals(MS_BIND, o.flags(), "propagation never leaks into the mount flags");
  }

  @Test
  void recursiveAttributesForMountSetattr() {
    MountOptions o = MountOptions.parse(List.of("rbind", "rro", "rnosuid", "rnodev", "rnoexec"));
    assertEquals(
        MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
        o.recAttrSet());
    assertEquals(0, o.recAttrClr());
    assertTrue(o.hasRecursiveAttrs());
    assertEquals(MS_BIND | MS_REC, o.flags(), "rro is not MS_RDONLY");

    MountOptions undo = MountOptions.parse(List.of("rro", "rrw"));
    assertEquals(0, undo.recAttrSet());
    assertEquals(MOUNT_ATTR_RDONLY, undo.recAttrClr());
  }

  @Test
  void accessTimeAttributesAlsoClearTheAtimeMask() {
    MountOptions noatime = MountOptions.parse(List.of("rnoatime"));
    assertEquals(MOUNT_ATTR_NOATIME, noatime.recAttrSet());
    assertEquals(MOUNT_ATTR__ATIME, noatime.recAttrClr());
    // MOUNT_ATTR_RELATIME is 0: rrelatime still has to clear the mask, or nothing changes.
    MountOptions relatime = MountOptions.parse(List.of("rrelatime"));
    assertEquals(0, relatime.recAttrSet());
    assertEquals(MOUNT_ATTR__ATIME, relatime.recAttrClr());
    assertTrue(relatime.hasRecursiveAttrs());
    MountOptions strict = MountOptions.parse(List.of("rstrictatime", "rnosymfollow"));
    assertEquals(MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_NOSYMFOLLOW, strict.recAttrSet());
    assertEquals(MOUNT_ATTR__ATIME, strict.recAttrClr());
  }

  @Test
  void extensionsAndIdmap() {
    MountOptions o = MountOptions.parse(List.of("tmpcopyup", "mode=755"));
    assertTrue(o.tmpcopyup());
    assertEquals("mode=755", o.data());
    MountOptions id = MountOptions.parse(List.of("bind", "idmap"));
    assertTrue(id.idmap());
    assertFalse(id.idmapRecursive());
    MountOptions rid = MountOptions.parse(List.of("rbind", "ridmap"));
    assertTrue(rid.idmap() && rid.idmapRecursive());
  }

  @Test
  void unknownOptionsBecomeDataInOrderAndDefaultsIsDropped() {
    MountOptions o =
        MountOptions.parse(
            List.of("newinstance", "defaults", "ptmxmode=0666", "nosuid", "gid=5", "acl"));
    assertEquals("newinstance,ptmxmode=0666,gid=5,acl", o.data());
    assertEquals(MS_NOSUID, o.flags());
  }

  @Test
  void ofReadsTheMountsOptions() {
    Mount m =
        new Mount(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            List.of("nosuid", "noexec", "nodev", "relatime", "ro"),
            null,
            null);
    assertEquals(
        MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY, MountOptions.of(m).flags());
  }

  @Test
  void knownOptionsAreAllInterpreted() {
    for (String option : MountOptions.knownOptions()) {
      if (!option.equals("defaults")) {
        assertEquals(
            "", MountOptions.parse(List.of(option)).data(), option + " must not end up as data");
      }
    }
  }
}
