package dev.berth.sys;

import static dev.berth.sys.LinuxConstants.AT_REMOVEDIR;
import static dev.berth.sys.LinuxConstants.AT_SYMLINK_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_PATH;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtCallsTest {
  @TempDir Path tmp;

  @Test
  void createsLinksAndRemovesRelativeToADirectoryFd() throws Exception {
    try (Fd dir = Linux.open(tmp.toString(), O_PATH | O_DIRECTORY, 0)) {
      Linux.mkdirat(dir, "d", 0750);
      Linux.mknodat(dir, "fifo", LinuxConstants.S_IFIFO | 0640, 0);
      Files.writeString(tmp.resolve("f"), "data");
      Linux.linkat(dir, "f", dir, "d/hard", 0);
      Linux.symlinkat("../elsewhere/x", dir, "link");
      assertTrue(Linux.lstat(tmp + "/d").isDirectory());
      assertTrue(Linux.lstat(tmp + "/fifo").isFifo());
      assertEquals(Linux.lstat(tmp + "/f").ino(), Linux.lstat(tmp + "/d/hard").ino());
      assertEquals(2, Linux.lstat(tmp + "/f").nlink());
      assertEquals("../elsewhere/x", Linux.readlink(tmp + "/link"));

      Linux.fchmodat(dir, "fifo", 0604);
      assertEquals(0604, Linux.lstat(tmp + "/fifo").permissions());

      Linux.utimensat(dir, "link", 5, 0, 1_000_000_000L, 123_456_789, AT_SYMLINK_NOFOLLOW);
      Stat l = Linux.lstat(tmp + "/link");
      assertEquals(1_000_000_000L, l.mtimeSec());
      assertEquals(123_456_789, l.mtimeNsec());

      ErrnoException e = assertThrows(ErrnoException.class, () -> Linux.unlinkat(dir, "d", 0));
      assertEquals(LinuxConstants.EISDIR, e.errno());
      Linux.unlinkat(dir, "d/hard", 0);
      Linux.unlinkat(dir, "d", AT_REMOVEDIR);
      assertFalse(Files.exists(tmp.resolve("d")));
      e = assertThrows(ErrnoException.class, () -> Linux.mkdirat(dir, "f", 0700));
      assertEquals("mkdirat f: already exists (EEXIST)", e.getMessage());
    }
  }

  @Test
  void readdirListsEveryNameOnce() throws Exception {
    TreeSet<String> want = new TreeSet<>();
    for (int i = 0; i < 3000; i++) {
      String n = "entry-" + i + "-" + "x".repeat(i % 200);
      Files.createFile(tmp.resolve(n));
      want.add(n);
    }
    try (Fd dir = Linux.open(tmp.toString(), O_RDONLY | O_DIRECTORY, 0)) {
      List<String> got = Linux.readdir(dir);
      assertEquals(want.size(), got.size());
      assertEquals(want, new TreeSet<>(got));
    }
  }

  @Test
  void xattrsOnFilesAndSymlinks() throws Exception {
    Path f = tmp.resolve("f");
    Files.writeString(f, "x");
    byte[] binary = {1, 0, (byte) 0x80, (byte) 0xff, 0, 2};
    Linux.lsetxattr(f.toString(), "user.berth", binary, 0);
    try (Fd fd = Linux.open(f.toString(), O_RDONLY, 0)) {
      Linux.fsetxattr(fd, "user.other", new byte[0], LinuxConstants.XATTR_CREATE);
    }
    assertArrayEquals(binary, Linux.lgetxattr(f.toString(), "user.berth"));
    assertArrayEquals(new byte[0], Linux.lgetxattr(f.toString(), "user.other"));
    assertNull(Linux.lgetxattr(f.toString(), "user.none"));
    assertTrue(Linux.llistxattr(f.toString()).containsAll(List.of("user.berth", "user.other")));
    Linux.lremovexattr(f.toString(), "user.other");
    assertFalse(Linux.llistxattr(f.toString()).contains("user.other"));
  }

  @Test
  @Tag("integration")
  void ownersDevicesAndTrustedXattrsAsRoot() throws Exception {
    Root.assume();
    try (Fd dir = Linux.open(tmp.toString(), O_PATH | O_DIRECTORY, 0)) {
      Linux.mknodat(dir, "null", LinuxConstants.S_IFCHR | 0666, Stat.makedev(1, 3));
      Stat s = Linux.lstat(tmp + "/null");
      assertTrue(s.isCharDevice());
      assertEquals(1, s.rdevMajor());
      assertEquals(3, s.rdevMinor());
      Linux.symlinkat("/nowhere", dir, "link");
      Linux.fchownat(dir, "link", 1234, 5678, AT_SYMLINK_NOFOLLOW);
      Stat l = Linux.lstat(tmp + "/link");
      assertEquals(1234, l.uid());
      assertEquals(5678, l.gid());
      Linux.lsetxattr(tmp + "/link", "trusted.berth", new byte[] {'y'}, 0);
      assertArrayEquals(new byte[] {'y'}, Linux.lgetxattr(tmp + "/link", "trusted.berth"));
    }
  }
}
