package dev.berth.sys;

import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.O_RDWR;
import static dev.berth.sys.LinuxConstants.O_WRONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesTest {
  @TempDir Path tmp;

  @Test
  void writeThenReadBackWithDirectAndHeapBuffers() throws Exception {
    String f = tmp.resolve("a").toString();
    try (Fd fd = Linux.open(f, O_WRONLY | O_CREAT | LinuxConstants.O_TRUNC, 0640)) {
      ByteBuffer direct =
          ByteBuffer.allocateDirect(6).put("hello ".getBytes(StandardCharsets.US_ASCII)).flip();
      assertEquals(6, Linux.write(fd, direct));
      assertEquals(6, direct.position());
      ByteBuffer heap = ByteBuffer.wrap("xxworld".getBytes(StandardCharsets.US_ASCII)).position(2);
      assertEquals(5, Linux.write(fd, heap));
      assertFalse(heap.hasRemaining());
    }
    assertEquals("hello world", Files.readString(Path.of(f)));
    assertEquals(0640, Linux.stat(f).permissions());
    try (Fd fd = Linux.open(f, O_RDONLY, 0)) {
      ByteBuffer heap = ByteBuffer.allocate(32);
      heap.put((byte) '>');
      assertEquals(11, Linux.read(fd, heap));
      assertEquals(
          ">hello world", new String(heap.array(), 0, heap.position(), StandardCharsets.US_ASCII));
      assertEquals(0, Linux.read(fd, ByteBuffer.allocateDirect(4)), "end of file");
    }
  }

  @Test
  void readAllAndWriteAllMoveLargeData() throws Exception {
    byte[] data = new byte[300_000];
    new Random(7).nextBytes(data);
    String f = tmp.resolve("big").toString();
    try (Fd fd = Linux.open(f, O_WRONLY | O_CREAT, 0600)) {
      Linux.writeAll(fd, data);
    }
    try (Fd fd = Linux.open(f, O_RDONLY, 0)) {
      assertArrayEquals(data, Linux.readAll(fd));
    }
    try (Fd fd = Linux.open(f, O_RDWR, 0)) {
      Linux.ftruncate(fd, 10);
      assertEquals(10, Linux.fstat(fd).size());
    }
  }

  @Test
  void missingFileNamesThePath() {
    String f = tmp.resolve("no/such/file").toString();
    ErrnoException e = assertThrows(ErrnoException.class, () -> Linux.open(f, O_RDONLY, 0));
    assertEquals(LinuxConstants.ENOENT, e.errno());
    assertEquals("ENOENT", e.errnoName());
    assertEquals("open", e.call());
    assertEquals("open " + f + ": no such file or directory (ENOENT)", e.getMessage());
  }

  @Test
  void nonAsciiPaths() throws Exception {
    Path p = tmp.resolve("café-ü");
    Files.writeString(p, "x");
    try (Fd fd = Linux.open(p.toString(), O_RDONLY, 0)) {
      assertEquals("x", new String(Linux.readAll(fd), StandardCharsets.UTF_8));
    }
  }

  @Test
  void nulInPathIsRefusedNotTruncated() {
    ErrnoException e =
        assertThrows(ErrnoException.class, () -> Linux.open(tmp + "/a\0b", O_RDONLY, 0));
    assertEquals(LinuxConstants.EINVAL, e.errno());
    assertTrue(e.getMessage().contains("NUL"), e.getMessage());
  }

  @Test
  void longPathsBeyondTheScratchBuffer() throws Exception {
    Path deep = tmp;
    for (int i = 0; i < 30; i++) deep = deep.resolve("d".repeat(200));
    ErrnoException e =
        assertThrows(ErrnoException.class, () -> Linux.stat(tmp + "/" + "é".repeat(3000)));
    assertEquals(LinuxConstants.ENAMETOOLONG, e.errno());
    String path = deep.toString();
    ErrnoException e2 = assertThrows(ErrnoException.class, () -> Linux.mkdir(path, 0755));
    assertTrue(
        e2.errno() == LinuxConstants.ENAMETOOLONG || e2.errno() == LinuxConstants.ENOENT,
        e2.getMessage());
  }

  @Test
  void directoriesFifosAndUnlink() throws Exception {
    String d = tmp.resolve("dir").toString();
    Linux.mkdir(d, 0700);
    assertTrue(Linux.stat(d).isDirectory());
    assertEquals(
        LinuxConstants.EEXIST,
        assertThrows(ErrnoException.class, () -> Linux.mkdir(d, 0700)).errno());
    String fifo = d + "/fifo";
    Linux.mkfifo(fifo, 0600);
    assertTrue(Linux.stat(fifo).isFifo());
    assertEquals(
        LinuxConstants.ENOTEMPTY, assertThrows(ErrnoException.class, () -> Linux.rmdir(d)).errno());
    Linux.unlink(fifo);
    assertFalse(Linux.exists(fifo));
    Linux.rmdir(d);
    assertFalse(Linux.exists(d));
    assertFalse(Linux.exists(d + "/below/a/missing/dir"));
    assertTrue(Linux.exists("/"));
  }

  @Test
  void symlinksReadlinkAndLstat() throws Exception {
    String target = tmp.resolve("target").toString();
    Files.writeString(Path.of(target), "12345");
    String link = tmp.resolve("link").toString();
    Linux.symlink(target, link);
    assertEquals(target, Linux.readlink(link));
    assertTrue(Linux.lstat(link).isSymlink());
    Stat st = Linux.stat(link);
    assertTrue(st.isRegularFile());
    assertEquals(5, st.size());
    assertEquals(Files.getAttribute(Path.of(target), "unix:ino"), st.ino());
    assertEquals(Files.getAttribute(Path.of(target), "unix:dev"), st.dev());
    String dangling = tmp.resolve("dangling").toString();
    Linux.symlink("/nonexistent/x", dangling);
    assertFalse(Linux.exists(dangling), "a dangling link does not exist");
    assertEquals(
        LinuxConstants.EINVAL,
        assertThrows(ErrnoException.class, () -> Linux.readlink(target)).errno());
  }

  @Test
  void statOfDeviceNode() throws Exception {
    Stat st = Linux.stat("/dev/null");
    assertTrue(st.isCharDevice());
    assertEquals(1, st.rdevMajor());
    assertEquals(3, st.rdevMinor());
  }

  @Test
  void chmodAndChownKeepWhatIsAsked() throws Exception {
    String f = tmp.resolve("m").toString();
    try (Fd fd = Linux.open(f, O_WRONLY | O_CREAT, 0600)) {
      Linux.fchmod(fd, 0751);
      assertEquals(0751, Linux.fstat(fd).permissions());
      int uid = Linux.geteuid();
      int gid = Linux.getegid();
      Linux.fchown(fd, uid, gid); // to ourselves: allowed without privileges
      Linux.chown(f, -1, -1);
      assertEquals(uid, Linux.fstat(fd).uid());
      assertEquals(gid, Linux.fstat(fd).gid());
    }
  }

  @Test
  void renameNoReplaceRefusesToOverwrite() throws Exception {
    Path a = Files.writeString(tmp.resolve("a"), "a");
    Path b = Files.writeString(tmp.resolve("b"), "b");
    ErrnoException e =
        assertThrows(
            ErrnoException.class,
            () -> Linux.rename(a.toString(), b.toString(), LinuxConstants.RENAME_NOREPLACE));
    assertEquals(LinuxConstants.EEXIST, e.errno());
    Linux.rename(a.toString(), b.toString(), 0);
    assertEquals("a", Files.readString(b));
  }

  @Test
  void flockExcludesOtherOpenFileDescriptions() throws Exception {
    String f = tmp.resolve("lock").toString();
    try (Fd a = Linux.open(f, O_RDONLY | O_CREAT, 0600);
        Fd b = Linux.open(f, O_RDONLY, 0)) {
      Linux.flock(a, LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB);
      ErrnoException e =
          assertThrows(
              ErrnoException.class,
              () -> Linux.flock(b, LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB));
      assertEquals(LinuxConstants.EWOULDBLOCK, e.errno());
      Linux.flock(a, LinuxConstants.LOCK_UN);
      Linux.flock(b, LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB);
    }
  }

  @Test
  void openatAndOpenat2StayInsideTheRoot() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root/etc"));
    Files.writeString(root.resolve("hostname"), "inside");
    Files.createSymbolicLink(tmp.resolve("root/escape"), Path.of("/etc"));
    try (Fd dir =
        Linux.open(
            tmp.resolve("root").toString(),
            LinuxConstants.O_PATH | LinuxConstants.O_DIRECTORY,
            0)) {
      try (Fd f = Linux.openat(dir, "etc/hostname", O_RDONLY, 0)) {
        assertEquals("inside", new String(Linux.readAll(f), StandardCharsets.UTF_8));
      }
      if (!Kernel.hasOpenat2()) return;
      // In the root, the absolute link "/etc" resolves to <root>/etc, never to the host's /etc.
      try (Fd f =
          Linux.openat2(dir, "escape/hostname", O_RDONLY, 0, LinuxConstants.RESOLVE_IN_ROOT)) {
        assertEquals("inside", new String(Linux.readAll(f), StandardCharsets.UTF_8));
      }
      ErrnoException e =
          assertThrows(
              ErrnoException.class,
              () ->
                  Linux.openat2(
                      dir, "escape/hostname", O_RDONLY, 0, LinuxConstants.RESOLVE_NO_SYMLINKS));
      assertEquals(LinuxConstants.ELOOP, e.errno());
      assertEquals(
          "openat2 escape/hostname: too many levels of symbolic links (ELOOP)", e.getMessage());
    }
  }

  @Test
  void pollSeesAPipeBecomeReadable() throws Exception {
    Fd[] p = Linux.pipe2(0);
    try (Fd r = p[0];
        Fd w = p[1]) {
      short[] rev = new short[1];
      assertEquals(0, Linux.poll(new Fd[] {r}, new short[] {LinuxConstants.POLLIN}, rev, 10));
      Linux.writeAll(w, new byte[] {1});
      assertEquals(
          1,
          Linux.poll(new Fd[] {r, null}, new short[] {LinuxConstants.POLLIN, 0}, new short[2], -1));
      w.close();
      assertEquals(1, Linux.poll(new Fd[] {r}, new short[] {LinuxConstants.POLLIN}, rev, 1000));
      assertTrue((rev[0] & LinuxConstants.POLLIN) != 0);
    }
  }

  @Test
  void ids() {
    assertEquals(ProcessHandle.current().pid(), Linux.getpid());
    assertTrue(Linux.getuid() >= 0 && Linux.geteuid() >= 0 && Linux.getgid() >= 0);
  }

  @Test
  void syncfsWritesBackThroughAnOpenFdAndRefusesAPathOnlyOne() throws Exception {
    Path f = tmp.resolve("data");
    Files.write(f, new byte[1 << 20]);
    try (Fd fd = Linux.open(f.toString(), O_RDONLY, 0)) {
      Linux.syncfs(fd);
    }
    try (Fd path = Linux.open(tmp.toString(), LinuxConstants.O_PATH, 0)) {
      ErrnoException e = assertThrows(ErrnoException.class, () -> Linux.syncfs(path));
      assertEquals(LinuxConstants.EBADF, e.errno(), e.getMessage());
      assertTrue(e.getMessage().contains("syncfs"), e.getMessage());
    }
  }

  @Test
  void syncFileRangeStartsWritebackOfAFileAndRefusesWhatHasNoPages() throws Exception {
    Path f = tmp.resolve("written");
    Files.write(f, new byte[1 << 20]);
    try (Fd fd = Linux.open(f.toString(), O_RDONLY, 0)) {
      Linux.syncFileRange(fd, 0, 0, LinuxConstants.SYNC_FILE_RANGE_WRITE);
      Linux.syncFileRange(fd, 4096, 8192, LinuxConstants.SYNC_FILE_RANGE_WRITE);
      ErrnoException negative =
          assertThrows(
              ErrnoException.class,
              () -> Linux.syncFileRange(fd, -1, 0, LinuxConstants.SYNC_FILE_RANGE_WRITE));
      assertEquals(LinuxConstants.EINVAL, negative.errno(), negative.getMessage());
      assertTrue(negative.getMessage().contains("sync_file_range"), negative.getMessage());
    }
    Fd[] pipe = Linux.pipe2(0);
    try {
      ErrnoException e =
          assertThrows(
              ErrnoException.class,
              () -> Linux.syncFileRange(pipe[0], 0, 0, LinuxConstants.SYNC_FILE_RANGE_WRITE));
      assertEquals(LinuxConstants.ESPIPE, e.errno(), e.getMessage());
    } finally {
      pipe[0].close();
      pipe[1].close();
    }
  }

  @Test
  void inotifyReportsAFileCreatedInAWatchedDirectory() throws Exception {
    try (Fd in = Linux.inotifyInit1(LinuxConstants.O_NONBLOCK)) {
      int wd = Linux.inotifyAddWatch(in, tmp.toString(), LinuxConstants.IN_CREATE);
      java.nio.ByteBuffer buf =
          java.nio.ByteBuffer.allocateDirect(4096).order(java.nio.ByteOrder.nativeOrder());
      ErrnoException none = assertThrows(ErrnoException.class, () -> Linux.read(in, buf));
      assertEquals(LinuxConstants.EAGAIN, none.errno(), "nothing happened yet");
      Files.writeString(tmp.resolve("made"), "x");
      short[] out = new short[1];
      assertEquals(1, Linux.poll(new Fd[] {in}, new short[] {LinuxConstants.POLLIN}, out, 10_000));
      buf.clear();
      int n = Linux.read(in, buf);
      assertTrue(n >= 16, "an event: " + n + " bytes");
      assertEquals(wd, buf.getInt(0));
      assertEquals(LinuxConstants.IN_CREATE, buf.getInt(4) & LinuxConstants.IN_CREATE);
      byte[] name = new byte[buf.getInt(12)];
      buf.get(16, name);
      assertEquals(
          "made", new String(name, java.nio.charset.StandardCharsets.UTF_8).replace("\0", ""));
      ErrnoException missing =
          assertThrows(
              ErrnoException.class,
              () ->
                  Linux.inotifyAddWatch(
                      in, tmp.resolve("missing").toString(), LinuxConstants.IN_CREATE));
      assertEquals(LinuxConstants.ENOENT, missing.errno());
      assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
    }
  }
}
