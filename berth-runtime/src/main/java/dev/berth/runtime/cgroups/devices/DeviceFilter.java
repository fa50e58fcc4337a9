package dev.berth.runtime.cgroups.devices;

import dev.berth.runtime.cgroups.CgroupException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.nio.file.Path;

/**
 * Loads device programs and attaches them to cgroup2 directories, as the one program the
 * container's cgroup has.
 *
 * <p>A new program is attached with BPF_F_ALLOW_MULTI before the old ones are detached: while both
 * are attached the kernel allows only what both allow, so an update never leaves a moment with no
 * confinement or with more than either policy grants. The cgroup is the container's own, so every
 * device program found on it is taken for a previous one of ours.
 */
public final class DeviceFilter {
  private DeviceFilter() {}

  /**
   * "GPL" would only unlock GPL-only helpers, and a device program calls no helper at all; so the
   * license string says what the generated code is, the project's license, as runc's "Apache".
   */
  public static final String LICENSE = "Apache-2.0";

  /** The program's name, as bpftool prog show and /proc/<pid>/fdinfo list it. */
  public static final String NAME = "berth_devices";

  /** Loads {@code program} and makes it the only device program attached to {@code cgroupDir}. */
  public static void install(Path cgroupDir, long[] program) throws CgroupException {
    String what = "install device program on " + cgroupDir;
    try (Fd prog = load(program, what);
        Fd dir = open(cgroupDir, what)) {
      int[] old = attached(dir, what);
      try {
        Linux.bpfProgAttach(
            dir, prog, LinuxConstants.BPF_CGROUP_DEVICE, LinuxConstants.BPF_F_ALLOW_MULTI);
      } catch (ErrnoException e) {
        throw failed(what, e);
      }
      for (int id : old) {
        try (Fd p = Linux.bpfProgGetFdById(id)) {
          Linux.bpfProgDetach(dir, p, LinuxConstants.BPF_CGROUP_DEVICE);
        } catch (ErrnoException e) {
          // Gone meanwhile (a concurrent update detached it): the state wanted is reached all the
          // same.
          if (e.errno() != LinuxConstants.ENOENT)
            throw failed(what + ": detach the previous program " + id, e);
        }
      }
    }
  }

  /**
   * The ids of the device programs attached to {@code cgroupDir} itself (not inherited), in the
   * order they run.
   */
  public static int[] attached(Path cgroupDir) throws CgroupException {
    String what = "list device programs of " + cgroupDir;
    try (Fd dir = open(cgroupDir, what)) {
      return attached(dir, what);
    }
  }

  /** Loads {@code program} to check it passes the verifier, and unloads it. */
  public static void verify(long[] program) throws CgroupException {
    try (Fd prog = load(program, "load device program")) {
      // nothing else: loading is the check
    }
  }

  private static Fd load(long[] program, String what) throws CgroupException {
    try {
      return Linux.bpfProgLoad(
          LinuxConstants.BPF_PROG_TYPE_CGROUP_DEVICE,
          LinuxConstants.BPF_CGROUP_DEVICE,
          program,
          LICENSE,
          NAME);
    } catch (ErrnoException e) {
      throw failed(what, e);
    }
  }

  private static Fd open(Path dir, String what) throws CgroupException {
    try {
      return Linux.open(dir.toString(), LinuxConstants.O_RDONLY | LinuxConstants.O_DIRECTORY, 0);
    } catch (ErrnoException e) {
      throw failed(what, e);
    }
  }

  private static int[] attached(Fd dir, String what) throws CgroupException {
    try {
      return Linux.bpfProgQuery(dir, LinuxConstants.BPF_CGROUP_DEVICE, 0);
    } catch (ErrnoException e) {
      throw failed(what, e);
    }
  }

  private static CgroupException failed(String what, ErrnoException e) {
    return new CgroupException(what + ": " + e.getMessage(), e.errnoName(), e);
  }
}
