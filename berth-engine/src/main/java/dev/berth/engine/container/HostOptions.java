package dev.berth.engine.container;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parts of docker's HostConfig (and podman's flags) that place a container among the host's
 * namespaces and cgroups, beyond its network mode ({@link ContainerOptions#network()}): what the
 * CRI's pods are made of. Empty or null means "not given".
 *
 * <p>A namespace mode is "" (a namespace of the container's own, the default), "host" (the host's:
 * none of its own), {@code container:NAME} (a running container's, joined through {@code
 * /proc/PID/ns/X}) or {@code ns:/path} (a namespace file pinned by someone else, podman's form).
 *
 * @param pidMode {@code --pid}
 * @param ipcMode {@code --ipc} ("private" and "shareable" are the default's names in docker)
 * @param utsMode {@code --uts}
 * @param cgroupnsMode {@code --cgroupns}: "" or "private" (a cgroup namespace of its own), "host"
 * @param cgroupParent {@code --cgroup-parent}: the cgroup the container's goes under, instead of
 *     the engine's ({@code EngineConfig.cgroupParent}); the same rules (absolute, or relative to
 *     the caller's cgroup)
 * @param sysctls {@code --sysctl}: namespaced kernel parameters written inside the container
 * @param logPath where the monitor writes the container's CRI-format log, instead of {@code
 *     <container dir>/ctr.log}; null for that
 */
public record HostOptions(
    String pidMode,
    String ipcMode,
    String utsMode,
    String cgroupnsMode,
    String cgroupParent,
    Map<String, String> sysctls,
    String logPath) {
  public static final HostOptions NONE = new HostOptions(null, null, null, null, null, null, null);

  public HostOptions {
    pidMode = pidMode == null ? "" : pidMode;
    ipcMode = ipcMode == null ? "" : ipcMode;
    utsMode = utsMode == null ? "" : utsMode;
    cgroupnsMode = cgroupnsMode == null ? "" : cgroupnsMode;
    cgroupParent = cgroupParent == null || cgroupParent.isEmpty() ? null : cgroupParent;
    // Kept in the order given: an inspect shows them as they were asked for.
    sysctls =
        sysctls == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sysctls));
    logPath = logPath == null || logPath.isEmpty() ? null : logPath;
  }

  /** Whether every field is unset: the record keeps nothing of it. */
  public boolean isEmpty() {
    return pidMode.isEmpty()
        && ipcMode.isEmpty()
        && utsMode.isEmpty()
        && cgroupnsMode.isEmpty()
        && cgroupParent == null
        && sysctls.isEmpty()
        && logPath == null;
  }

  public HostOptions withPidMode(String v) {
    return new HostOptions(v, ipcMode, utsMode, cgroupnsMode, cgroupParent, sysctls, logPath);
  }

  public HostOptions withIpcMode(String v) {
    return new HostOptions(pidMode, v, utsMode, cgroupnsMode, cgroupParent, sysctls, logPath);
  }

  public HostOptions withUtsMode(String v) {
    return new HostOptions(pidMode, ipcMode, v, cgroupnsMode, cgroupParent, sysctls, logPath);
  }

  public HostOptions withCgroupnsMode(String v) {
    return new HostOptions(pidMode, ipcMode, utsMode, v, cgroupParent, sysctls, logPath);
  }

  public HostOptions withCgroupParent(String v) {
    return new HostOptions(pidMode, ipcMode, utsMode, cgroupnsMode, v, sysctls, logPath);
  }

  public HostOptions withSysctls(Map<String, String> v) {
    return new HostOptions(pidMode, ipcMode, utsMode, cgroupnsMode, cgroupParent, v, logPath);
  }

  public HostOptions withLogPath(String v) {
    return new HostOptions(pidMode, ipcMode, utsMode, cgroupnsMode, cgroupParent, sysctls, v);
  }
}
