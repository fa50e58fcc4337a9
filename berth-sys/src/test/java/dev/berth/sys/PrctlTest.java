package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PrctlTest {
  @Test
  void prctlReturnsTheOptionsValue() throws Exception {
    long capBnd = 0;
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("CapBnd:")) capBnd = Long.parseUnsignedLong(line.substring(7).trim(), 16);
    }
    for (int cap = 0; cap <= Kernel.capLastCap(); cap++) {
      assertEquals(
          (capBnd >>> cap) & 1,
          Linux.prctl(LinuxConstants.PR_CAPBSET_READ, cap, 0, 0, 0),
          "cap " + cap);
    }
    ErrnoException e =
        assertThrows(
            ErrnoException.class, () -> Linux.prctl(LinuxConstants.PR_CAPBSET_READ, 200, 0, 0, 0));
    assertEquals("prctl option 23: invalid argument (EINVAL)", e.getMessage());
  }

  @Test
  void subreaperAdoptsOrphanedGrandchildren() throws Exception {
    Linux.setChildSubreaper();
    try {
      // sh starts a background sleep, prints its pid and exits: the orphaned sleep must come to us,
      // not to init.
      Fd[] out = Linux.pipe2(0);
      int sh;
      try (Fd w = out[1]) {
        sh =
            Linux.spawn(
                "/bin/sh",
                new String[] {"sh", "-c", "sleep 0.2 >/dev/null & echo $!"},
                new String[] {"PATH=/usr/bin:/bin"},
                new int[] {1, w.fd()},
                false);
      }
      String pid;
      try (Fd r = out[0]) {
        pid = new String(Linux.readAll(r), StandardCharsets.US_ASCII).trim();
      }
      assertEquals(0, Linux.wait4(sh, 0).exitCode());
      WaitStatus st = Linux.wait4(Integer.parseInt(pid), 0);
      assertTrue(st.exited(), st.toString());
    } finally {
      Linux.prctl(LinuxConstants.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    }
  }
}
