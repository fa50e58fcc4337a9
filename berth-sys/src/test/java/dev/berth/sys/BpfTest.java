package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class BpfTest {
  // r0 = 1 (allow); exit
  static final long[] ALLOW_ALL = {
    Linux.bpfInsn(0xb7, 0, 0, 0, 1), Linux.bpfInsn(0x95, 0, 0, 0, 0),
  };

  @Test
  void insnHasTheLayoutOfStructBpfInsn() {
    // r2 = *(u32 *)(r1 + 4): opcode 0x61, dst 2 in the low nibble, src 1 in the high, offset 4, imm
    // 0
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, Linux.bpfInsn(0x61, 2, 1, 4, 0));
    assertArrayEquals(new byte[] {0x61, 0x12, 4, 0, 0, 0, 0, 0}, b.array());
    // if r4 != -2 goto -3: negative offset and immediate keep their two's complement bytes
    b.putLong(0, Linux.bpfInsn(0x55, 4, 0, -3, -2));
    assertArrayEquals(
        new byte[] {
          0x55, 0x04, (byte) 0xfd, (byte) 0xff, (byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff
        },
        b.array());
  }

  @Test
  void programNameIsCheckedBeforeTheCall() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Linux.bpfProgLoad(
                LinuxConstants.BPF_PROG_TYPE_CGROUP_DEVICE,
                LinuxConstants.BPF_CGROUP_DEVICE,
                ALLOW_ALL,
                "GPL",
                "has space"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Linux.bpfProgLoad(
                LinuxConstants.BPF_PROG_TYPE_CGROUP_DEVICE,
                LinuxConstants.BPF_CGROUP_DEVICE,
                ALLOW_ALL,
                "GPL",
                "sixteen_chars_xx"));
  }

  @Test
  @Tag("integration")
  void refusedProgramReportsTheVerifierLog() throws Exception {
    Root.assume();
    // exit without setting r0: the verifier refuses to return an uninitialised register
    long[] bad = {Linux.bpfInsn(0x95, 0, 0, 0, 0)};
    ErrnoException e =
        assertThrows(
            ErrnoException.class,
            () ->
                Linux.bpfProgLoad(
                    LinuxConstants.BPF_PROG_TYPE_CGROUP_DEVICE,
                    LinuxConstants.BPF_CGROUP_DEVICE,
                    bad,
                    "GPL",
                    "berth_test"));
    assertEquals(LinuxConstants.EACCES, e.errno());
    assertTrue(e.getMessage().contains("R0 !read_ok"), e.getMessage());
    assertTrue(e.getMessage().startsWith("bpf BPF_PROG_LOAD berth_test"), e.getMessage());
  }

  @Test
  @Tag("integration")
  void deviceProgramIsAttachedQueriedAndDetached() throws Exception {
    Root.assume();
    Path parent = ownCgroup2Dir();
    assumeTrue(parent != null, "no cgroup2 hierarchy mounted");
    Path dir = parent.resolve("berth-bpftest-" + ProcessHandle.current().pid());
    Linux.mkdir(dir.toString(), 0755);
    try (Fd cg =
            Linux.open(dir.toString(), LinuxConstants.O_RDONLY | LinuxConstants.O_DIRECTORY, 0);
        Fd prog =
            Linux.bpfProgLoad(
                LinuxConstants.BPF_PROG_TYPE_CGROUP_DEVICE,
                LinuxConstants.BPF_CGROUP_DEVICE,
                ALLOW_ALL,
                "Apache-2.0",
                "berth_test")) {
      assertEquals(0, Linux.bpfProgQuery(cg, LinuxConstants.BPF_CGROUP_DEVICE, 0).length);
      Linux.bpfProgAttach(
          cg, prog, LinuxConstants.BPF_CGROUP_DEVICE, LinuxConstants.BPF_F_ALLOW_MULTI);
      int[] ids = Linux.bpfProgQuery(cg, LinuxConstants.BPF_CGROUP_DEVICE, 0);
      assertEquals(1, ids.length);
      try (Fd again = Linux.bpfProgGetFdById(ids[0])) {
        // the fd of the id is the same program: detaching through it leaves the cgroup without any
        Linux.bpfProgDetach(cg, again, LinuxConstants.BPF_CGROUP_DEVICE);
      }
      assertEquals(0, Linux.bpfProgQuery(cg, LinuxConstants.BPF_CGROUP_DEVICE, 0).length);
      ErrnoException e =
          assertThrows(
              ErrnoException.class,
              () -> Linux.bpfProgDetach(cg, prog, LinuxConstants.BPF_CGROUP_DEVICE));
      assertEquals(LinuxConstants.ENOENT, e.errno());
    } finally {
      Linux.rmdir(dir.toString());
    }
  }

  /**
   * This process' directory in the cgroup2 hierarchy (hybrid hosts mount it at
   * /sys/fs/cgroup/unified), or null.
   */
  static Path ownCgroup2Dir() throws IOException {
    String mount = null;
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      int dash = line.indexOf(" - ");
      if (dash > 0 && line.substring(dash + 3).startsWith("cgroup2 ")) {
        mount = f[4];
        break;
      }
    }
    if (mount == null) return null;
    for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
      if (line.startsWith("0::")) return Path.of(mount + line.substring(3));
    }
    return null;
  }
}
