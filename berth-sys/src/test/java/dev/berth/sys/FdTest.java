package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FdTest {
  @Test
  void closeIsIdempotentAndClosesOnce() throws Exception {
    Fd a = Linux.open("/dev/null", LinuxConstants.O_RDONLY, 0);
    a.close();
    assertFalse(a.isOpen());
    // The number is free again: the next open may reuse it, and a second close must not touch that
    // new fd.
    try (Fd b = Linux.open("/dev/null", LinuxConstants.O_RDONLY, 0)) {
      a.close();
      a.close();
      assertTrue(
          Linux.fstat(b).isCharDevice(),
          "the second close of a closed Fd closed someone else's fd");
    }
    assertThrows(IllegalStateException.class, a::fd);
  }

  @Test
  void closeReallyCloses() throws Exception {
    Fd[] p = Linux.pipe2(0);
    try (Fd r = p[0]) {
      p[1].close();
      assertEquals(
          0, Linux.readAll(r).length, "the write end is closed, so the read end is at end of file");
    }
  }

  @Test
  void releaseHandsOverOwnership() throws Exception {
    Fd a = Linux.open("/dev/null", LinuxConstants.O_RDONLY, 0);
    int n = a.release();
    a.close(); // must not close n
    try (Fd b = new Fd(n)) {
      assertTrue(Linux.fstat(b).isCharDevice());
    }
    assertThrows(IllegalStateException.class, a::release);
  }

  @Test
  void everyOpenedFdIsCloseOnExec() throws Exception {
    try (Fd a = Linux.open("/dev/null", LinuxConstants.O_RDONLY, 0)) {
      assertEquals(LinuxConstants.FD_CLOEXEC, Linux.fcntl(a, LinuxConstants.F_GETFD, 0));
    }
    Fd[] p = Linux.socketpair(LinuxConstants.AF_UNIX, LinuxConstants.SOCK_STREAM, 0);
    try (Fd x = p[0];
        Fd y = p[1];
        Fd m = Linux.memfdCreate("t", 0)) {
      assertEquals(LinuxConstants.FD_CLOEXEC, Linux.fcntl(x, LinuxConstants.F_GETFD, 0));
      assertEquals(LinuxConstants.FD_CLOEXEC, Linux.fcntl(y, LinuxConstants.F_GETFD, 0));
      assertEquals(LinuxConstants.FD_CLOEXEC, Linux.fcntl(m, LinuxConstants.F_GETFD, 0));
    }
  }

  @Test
  void rejectsNegative() {
    assertThrows(IllegalArgumentException.class, () -> new Fd(-1));
  }
}
