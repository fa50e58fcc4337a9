package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KernelTest {
  @Test
  void openat2ProbeAgreesWithACall() {
    boolean works;
    try (Fd fd =
        Linux.openat2(
            null, "/proc", LinuxConstants.O_PATH, 0, LinuxConstants.RESOLVE_NO_SYMLINKS)) {
      works = true;
    } catch (ErrnoException e) {
      works = false;
    }
    assertEquals(works, Kernel.hasOpenat2());
    if (works) assertNull(Kernel.whyNoOpenat2());
  }

  @Test
  void cgroupModeMatchesTheMounts() throws Exception {
    Kernel.CgroupMode mode = Kernel.cgroupMode();
    String mounts = Files.readString(Path.of("/proc/self/mounts"));
    boolean v2Root = mounts.contains(" /sys/fs/cgroup cgroup2 ");
    boolean unified = mounts.contains(" /sys/fs/cgroup/unified cgroup2 ");
    boolean v1 = mounts.matches("(?s).* /sys/fs/cgroup/[^ ]+ cgroup .*");
    Kernel.CgroupMode expected =
        v2Root
            ? Kernel.CgroupMode.V2
            : unified
                ? Kernel.CgroupMode.HYBRID
                : v1 ? Kernel.CgroupMode.V1 : Kernel.CgroupMode.NONE;
    assertEquals(expected, mode);
  }

  @Test
  void capLastCapIsAPlausibleCapabilityNumber() throws Exception {
    int last = Kernel.capLastCap();
    // Not Files.readString: it reads sysctl files in pieces, and a sysctl read at an offset returns
    // nothing ("4"
    // instead of "40" on Linux 6.18).
    try (var in = Files.newInputStream(Path.of("/proc/sys/kernel/cap_last_cap"))) {
      assertEquals(
          Integer.parseInt(
              new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim()),
          last);
    }
    assertTrue(last >= 36 && last < 64, "cap_last_cap " + last);
  }
}
