package dev.berth.engine;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.spec.NamespacedSysctls;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.spec.error.BerthException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pid, ipc, uts and cgroup namespace modes of a container ({@link HostOptions}) and its
 * sysctls: docker's and podman's checks at create, and at start the namespace files the spec joins.
 * A {@code container:NAME} mode joins the namespace of NAME's init through {@code /proc/PID/ns/X}
 * (NAME must run then), an {@code ns:/path} mode the file as it is.
 */
final class ContainerNamespaces {
  private ContainerNamespaces() {}

  /** statfs f_type of nsfs: what a namespace file (or a pin of one) reports. */
  static final long NSFS_MAGIC = 0x6e736673L;

  /**
   * What a container joins: namespace files by spec type, the hostname of a joined uts, and the
   * host's /dev/shm for {@code --ipc host}. (docker's {@code --ipc container:NAME} also shares
   * NAME's /dev/shm, a directory of the host there; ours is a tmpfs inside NAME's mount namespace,
   * which no bind can reach from another one: each container keeps its own.)
   */
  record Joined(Map<String, String> paths, String hostname, Path shm) {}

  /** The mode of each namespace type the spec has besides mount and network, with its flag. */
  private static List<String[]> modes(HostOptions h) {
    return List.of(
        new String[] {"pid", "--pid", h.pidMode()},
        new String[] {"ipc", "--ipc", h.ipcMode()},
        new String[] {"uts", "--uts", h.utsMode()},
        new String[] {"cgroup", "--cgroupns", h.cgroupnsMode()});
  }

  /** The mode of spec namespace type {@code type}, normalised: "" for a namespace of its own. */
  static String mode(HostOptions h, String type) {
    String m =
        switch (type) {
          case "pid" -> h.pidMode();
          case "ipc" -> h.ipcMode();
          case "uts" -> h.utsMode();
          case "cgroup" -> h.cgroupnsMode();
          default -> "";
        };
    return m.equals("private") || m.equals("shareable") ? "" : m;
  }

  /**
   * create's checks: each mode's syntax, that a {@code container:NAME} exists and an {@code ns:}
   * path is a namespace file, the sysctls, and the flags a mode cannot honour. INVALID_ARGUMENT
   * (NOT_FOUND for a container that does not exist) naming the flag and its value.
   */
  static void check(Engine engine, ContainerOptions o) throws BerthException {
    HostOptions h = o.host();
    for (String[] m : modes(h)) {
      String type = m[0];
      String flag = m[1];
      String mode = m[2];
      if (mode.isEmpty() || mode.equals("host")) continue;
      if (mode.equals("private") || mode.equals("shareable") && type.equals("ipc")) continue;
      if (type.equals("cgroup")) {
        throw EngineException.invalid(
            "invalid " + flag + " \"" + mode + "\": want host or private");
      }
      if (mode.startsWith("container:")) {
        String ref = mode.substring("container:".length());
        if (ref.isEmpty()) throw EngineException.invalid("invalid " + flag + " \"" + mode + "\"");
        try {
          engine.containers().resolve(ref);
        } catch (BerthException e) {
          throw new EngineException(e.category(), flag + " " + mode + ": " + e.getMessage(), e);
        }
      } else if (mode.startsWith("ns:")) {
        checkNamespaceFile(flag, mode);
      } else {
        throw EngineException.invalid(
            "invalid " + flag + " \"" + mode + "\": want host, container:NAME or ns:PATH");
      }
    }
    if (h.utsMode().equals("host") && o.hostname() != null && !o.hostname().isEmpty()) {
      throw EngineException.invalid(
          "conflicting options: --hostname " + o.hostname() + " and --uts host");
    }
    checkCgroupParent(h.cgroupParent());
    String network = ContainerNetworking.mode(o);
    for (Map.Entry<String, String> e : h.sysctls().entrySet()) {
      String key = e.getKey();
      String what = "invalid --sysctl " + key + "=" + e.getValue() + ": ";
      // A name is a path under /proc/sys: no "." or ".." steps, empty parts or blanks (the
      // runtime writes only into procfs, this says so at create rather than failing the start).
      if (dev.berth.spec.runtime.SpecValidator.sysctlPath(key) == null
          || key.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
        throw EngineException.invalid(what + "not a sysctl name");
      }
      NamespacedSysctls.Kind kind = NamespacedSysctls.of(key);
      if (kind == NamespacedSysctls.Kind.IPC) {
        if (mode(h, "ipc").equals("host"))
          throw EngineException.invalid(what + "not allowed in the host's IPC namespace");
      } else if (kind == NamespacedSysctls.Kind.NET) {
        if (network.equals("host"))
          throw EngineException.invalid(what + "not allowed in the host's network namespace");
      } else {
        throw EngineException.invalid(
            what
                + "not a namespaced sysctl (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* and"
                + " net.* are)");
      }
    }
  }

  /**
   * A {@code --cgroup-parent} names a cgroup at or below a hierarchy's root (absolute) or the
   * caller's cgroup (relative): a ".." step would climb out of the subtree it names, and the
   * runtime refuses it at start; refused here at create, naming the flag.
   */
  static void checkCgroupParent(String parent) throws BerthException {
    if (parent == null) return;
    for (String part : parent.split("/", -1)) {
      if (part.equals("..")) {
        throw EngineException.invalid(
            "invalid --cgroup-parent \"" + parent + "\": must not contain \"..\"");
      }
    }
  }

  /** An {@code ns:PATH} mode names an absolute path to a namespace file. */
  static void checkNamespaceFile(String flag, String mode) throws BerthException {
    String path = mode.substring("ns:".length());
    if (!path.startsWith("/")) {
      throw EngineException.invalid(
          "invalid " + flag + " \"" + mode + "\": the path must be absolute");
    }
    long type;
    try {
      type = Linux.statfsType(path);
    } catch (ErrnoException e) {
      throw EngineException.invalid("invalid " + flag + " \"" + mode + "\": " + e.getMessage());
    }
    if (type != NSFS_MAGIC) {
      throw EngineException.invalid(
          "invalid " + flag + " \"" + mode + "\": " + path + " is not a namespace file");
    }
  }

  /**
   * The namespace files {@code r}'s spec joins. {@code atStart}: a {@code container:NAME} must run
   * (else FAILED_PRECONDITION); otherwise (create's check of the spec) a stopped one stands in as
   * this process' own namespace, the spec being only checked, never run.
   */
  static Joined resolve(Engine engine, ContainerRecord r, boolean atStart) throws BerthException {
    HostOptions h = r.options().host();
    Map<String, String> paths = new LinkedHashMap<>();
    String hostname = null;
    Path shm = null;
    for (String type : List.of("pid", "ipc", "uts", "cgroup")) {
      String mode = mode(h, type);
      String file = type.equals("cgroup") ? "cgroup" : type;
      if (mode.startsWith("ns:")) {
        paths.put(type, mode.substring("ns:".length()));
        // Read only when it is the container's: a hostname asked for wins (the CRI's pods ask for
        // theirs), and the read costs a thread that enters the namespace.
        if (type.equals("uts") && !asksHostname(r.options()))
          hostname = hostnameIn(Path.of(mode.substring("ns:".length())));
      } else if (mode.startsWith("container:")) {
        ContainerRecord other = engine.inspect(mode.substring("container:".length()));
        Status s = other.state().status();
        boolean live = s == Status.RUNNING || s == Status.PAUSED;
        if (!live && atStart) {
          throw EngineException.precondition(
              "cannot join the "
                  + type
                  + " namespace of container "
                  + other.shortId()
                  + ": it is not running");
        }
        paths.put(
            type, live ? "/proc/" + other.state().pid() + "/ns/" + file : "/proc/self/ns/" + file);
        if (type.equals("uts"))
          hostname = other.extras().getOrDefault(ContainerViews.HOSTNAME, other.shortId());
      } else if (mode.equals("host") && type.equals("ipc")) {
        shm = Path.of("/dev/shm");
      }
    }
    return new Joined(paths, hostname, shm);
  }

  private static boolean asksHostname(ContainerOptions o) {
    return o.hostname() != null && !o.hostname().isEmpty();
  }

  /**
   * The hostname in the uts namespace at {@code ns}, read by a short-lived thread that joins it (a
   * uts namespace may be entered by one thread of a multi-threaded process).
   */
  static String hostnameIn(Path ns) throws BerthException {
    dev.berth.sys.NamespaceThread.Outcome<String> o =
        dev.berth.sys.NamespaceThread.run(
            "berth-uts",
            () -> {
              try (Fd fd = Linux.open(ns.toString(), LinuxConstants.O_RDONLY, 0)) {
                Linux.setns(fd, LinuxConstants.CLONE_NEWUTS);
                try (Fd f = Linux.open("/proc/sys/kernel/hostname", LinuxConstants.O_RDONLY, 0)) {
                  return new String(Linux.readAll(f), StandardCharsets.UTF_8).strip();
                }
              }
            });
    if (o.failure() != null) {
      throw EngineException.internal(
          "read the hostname in " + ns + ": " + o.failure().getMessage(), o.failure());
    }
    return o.value();
  }
}
