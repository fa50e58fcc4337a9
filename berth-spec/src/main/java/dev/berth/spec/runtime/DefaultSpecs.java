package dev.berth.spec.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The example configurations that {@code berth-runc spec} prints: the same as {@code runc spec} and
 * {@code runc spec --rootless} (1.1.5), so tools and tutorials written against runc's output work
 * unchanged.
 */
public final class DefaultSpecs {
  private DefaultSpecs() {}

  /** The runtime-spec version we implement and write into specs and state, as runc 1.1.5 does. */
  public static final String OCI_VERSION = "1.0.2-dev";

  private static final List<String> DEFAULT_CAPS =
      List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");

  /**
   * What {@code runc spec} writes: a root container running {@code sh} in a read-only {@code
   * rootfs}.
   */
  public static Spec runc() {
    Linux linux =
        new Linux(
            List.of(
                new Namespace("pid", ""),
                new Namespace("network", ""),
                new Namespace("ipc", ""),
                new Namespace("uts", ""),
                new Namespace("mount", "")),
            List.of(),
            List.of(),
            null,
            List.of(),
            "",
            new Resources(
                List.of(new DeviceRule(false, "", null, null, "rwm")),
                null,
                null,
                null,
                null,
                null,
                null,
                null),
            null,
            null,
            "",
            maskedPaths(),
            readonlyPaths(),
            "",
            null);
    return new Spec(
        OCI_VERSION,
        process(),
        new Root("rootfs", true),
        "runc",
        "",
        mounts(false),
        null,
        null,
        linux);
  }

  /** What {@code runc spec --rootless} writes for the calling process's effective uid and gid. */
  public static Spec rootless() {
    long[] ids = effectiveIds();
    return rootless(ids[0], ids[1]);
  }

  /**
   * What {@code runc spec --rootless} writes for a user with host ids {@code uid}/{@code gid}: a
   * user namespace that maps container root to that user, no network namespace (an unprivileged
   * user cannot configure one), /sys bound from the host (sysfs cannot be mounted without owning
   * the network namespace), no devpts gid=5 (the group is not mapped) and no cgroup device rules
   * (the user cannot write them).
   */
  public static Spec rootless(long uid, long gid) {
    Linux linux =
        new Linux(
            List.of(
                new Namespace("pid", ""),
                new Namespace("ipc", ""),
                new Namespace("uts", ""),
                new Namespace("mount", ""),
                new Namespace("user", "")),
            List.of(new IdMapping(0, uid, 1)),
            List.of(new IdMapping(0, gid, 1)),
            null,
            List.of(),
            "",
            null,
            null,
            null,
            "",
            maskedPaths(),
            readonlyPaths(),
            "",
            null);
    return new Spec(
        OCI_VERSION,
        process(),
        new Root("rootfs", true),
        "runc",
        "",
        mounts(true),
        null,
        null,
        linux);
  }

  private static Process process() {
    Capabilities caps =
        new Capabilities(DEFAULT_CAPS, DEFAULT_CAPS, List.of(), DEFAULT_CAPS, DEFAULT_CAPS);
    return new Process(
        true,
        null,
        new User(0, 0, null, List.of(), ""),
        List.of("sh"),
        "",
        List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"),
        "/",
        caps,
        List.of(new Rlimit("RLIMIT_NOFILE", 1024, 1024)),
        true,
        "",
        null,
        "");
  }

  private static List<Mount> mounts(boolean rootless) {
    List<String> devpts =
        rootless
            ? List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620")
            : List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
    Mount sys =
        rootless
            ? mount("/sys", "none", "/sys", List.of("rbind", "nosuid", "noexec", "nodev", "ro"))
            : mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro"));
    return List.of(
        mount("/proc", "proc", "proc", List.of()),
        mount(
            "/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")),
        mount("/dev/pts", "devpts", "devpts", devpts),
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
        mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")),
        sys,
        mount(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
  }

  private static Mount mount(String destination, String type, String source, List<String> options) {
    return new Mount(destination, type, source, options, List.of(), List.of());
  }

  private static List<String> maskedPaths() {
    return List.of(
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/sys/firmware",
        "/proc/scsi");
  }

  private static List<String> readonlyPaths() {
    return List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
  }

  // Effective uid and gid without native code (berth-spec does not use berth-sys): the second field
  // of the Uid: and
  // Gid: lines of /proc/self/status (real, effective, saved, fs).
  private static long[] effectiveIds() {
    try {
      String status = Files.readString(Path.of("/proc/self/status"), StandardCharsets.US_ASCII);
      return new long[] {statusField(status, "Uid:"), statusField(status, "Gid:")};
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "read effective uid and gid from /proc/self/status: " + e.getMessage(), e);
    }
  }

  private static long statusField(String status, String key) {
    int at = status.indexOf("\n" + key);
    if (at < 0) {
      throw new IllegalStateException("no " + key + " line");
    }
    int end = status.indexOf('\n', at + 1);
    String[] fields =
        status
            .substring(at + 1 + key.length(), end < 0 ? status.length() : end)
            .trim()
            .split("\\s+");
    return Long.parseLong(fields[1]);
  }
}
