package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class MemfdTest {
  @Test
  void sealedMemfdCannotBeWrittenResizedOrUnsealed() throws Exception {
    try (Fd fd = Linux.memfdCreate("berth-test", LinuxConstants.MFD_ALLOW_SEALING)) {
      Linux.writeAll(fd, new byte[] {1, 2, 3});
      int seals =
          LinuxConstants.F_SEAL_SEAL
              | LinuxConstants.F_SEAL_SHRINK
              | LinuxConstants.F_SEAL_GROW
              | LinuxConstants.F_SEAL_WRITE;
      Linux.addSeals(fd, seals);
      assertEquals(seals, Linux.getSeals(fd));
      assertEquals(
          LinuxConstants.EPERM,
          assertThrows(ErrnoException.class, () -> Linux.writeAll(fd, new byte[] {9})).errno());
      assertEquals(
          LinuxConstants.EPERM,
          assertThrows(ErrnoException.class, () -> Linux.ftruncate(fd, 0)).errno());
      assertEquals(
          LinuxConstants.EPERM,
          assertThrows(ErrnoException.class, () -> Linux.addSeals(fd, LinuxConstants.F_SEAL_EXEC))
              .errno());
      // Through a fresh open of /proc/self/fd/N, as a child would see it: same bytes, still
      // read-only.
      try (Fd again = Linux.open("/proc/self/fd/" + fd.fd(), LinuxConstants.O_RDONLY, 0)) {
        assertArrayEquals(new byte[] {1, 2, 3}, Linux.readAll(again));
      }
      try (Fd writable = Linux.open("/proc/self/fd/" + fd.fd(), LinuxConstants.O_RDWR, 0)) {
        ErrnoException e =
            assertThrows(ErrnoException.class, () -> Linux.writeAll(writable, new byte[] {9}));
        assertEquals(LinuxConstants.EPERM, e.errno());
      }
    }
  }

  @Test
  void unsealableMemfdRefusesSeals() throws Exception {
    try (Fd fd = Linux.memfdCreate("plain", 0)) {
      Linux.write(fd, ByteBuffer.wrap(new byte[] {1}));
      assertEquals(
          LinuxConstants.EPERM,
          assertThrows(ErrnoException.class, () -> Linux.addSeals(fd, LinuxConstants.F_SEAL_WRITE))
              .errno());
    }
  }
}
