package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ErrnoExceptionTest {
  @Test
  void messageNamesCallDetailTextAndErrno() {
    ErrnoException e = new ErrnoException(LinuxConstants.EPERM, "mount", "proc on /rootfs/proc");
    assertEquals("mount proc on /rootfs/proc: operation not permitted (EPERM)", e.getMessage());
    assertEquals(1, e.errno());
    assertEquals("EPERM", e.errnoName());
    assertEquals("mount", e.call());
    assertEquals("proc on /rootfs/proc", e.detail());
  }

  @Test
  void messageWithoutDetail() {
    assertEquals(
        "socketpair: too many open files in this process (EMFILE)",
        new ErrnoException(LinuxConstants.EMFILE, "socketpair", null).getMessage());
  }

  @Test
  void tableCoversEveryLinuxErrno() {
    // 41 and 58 are unused on Linux; every other number up to 133 has a name and a text of our own.
    for (int e = 1; e <= 133; e++) {
      if (e == 41 || e == 58) continue;
      String name = ErrnoException.name(e);
      assertTrue(name.matches("E[A-Z0-9]+") && !name.equals("E" + e), "errno " + e + ": " + name);
      assertEquals(e, ErrnoException.number(name), name);
      assertTrue(!ErrnoException.text(e).startsWith("error "), "errno " + e + " has no text");
    }
    assertEquals("ENOENT", ErrnoException.name(2));
    assertEquals("EISDIR", ErrnoException.name(21));
    assertEquals("ECONNREFUSED", ErrnoException.name(111));
    assertEquals("EHWPOISON", ErrnoException.name(133));
  }

  @Test
  void unknownNumbersStillReadable() {
    assertEquals("E41", ErrnoException.name(41));
    assertEquals("E999", ErrnoException.name(999));
    assertEquals("error 999 (E999)", ErrnoException.describe(999));
    assertEquals(-1, ErrnoException.number("ENOPE"));
  }

  @Test
  void aliasesResolve() {
    assertEquals(LinuxConstants.EAGAIN, ErrnoException.number("EWOULDBLOCK"));
    assertEquals(LinuxConstants.EOPNOTSUPP, ErrnoException.number("ENOTSUP"));
    assertEquals(LinuxConstants.EDEADLK, ErrnoException.number("EDEADLOCK"));
  }

  @Test
  void mountExceptionNamesEverything() {
    MountException e =
        new MountException(
            LinuxConstants.EINVAL,
            "/src",
            "/rootfs/mnt",
            "overlay",
            LinuxConstants.MS_BIND | LinuxConstants.MS_REC | LinuxConstants.MS_RDONLY,
            "lowerdir=/a");
    assertEquals(
        "mount /src on /rootfs/mnt (type overlay, flags MS_RDONLY|MS_BIND|MS_REC, data \"lowerdir=/a\"):"
            + " invalid argument (EINVAL)",
        e.getMessage());
    assertEquals("mount", e.call());
    assertEquals("/rootfs/mnt", e.target());
  }

  @Test
  void mountFlagNames() {
    assertEquals("0", MountException.flagNames(0));
    assertEquals(
        "MS_NOSUID|MS_NODEV|MS_NOEXEC",
        MountException.flagNames(
            LinuxConstants.MS_NOSUID | LinuxConstants.MS_NODEV | LinuxConstants.MS_NOEXEC));
    assertEquals(
        "MS_REC|MS_PRIVATE",
        MountException.flagNames(LinuxConstants.MS_REC | LinuxConstants.MS_PRIVATE));
    assertEquals("MS_BIND|0x200", MountException.flagNames(LinuxConstants.MS_BIND | 0x200));
  }

  @Test
  void mountWithoutSourceOrFlags() {
    assertEquals(
        "mount none on /x: no such device (ENODEV)",
        new MountException(LinuxConstants.ENODEV, null, "/x", null, 0, null).getMessage());
  }
}
