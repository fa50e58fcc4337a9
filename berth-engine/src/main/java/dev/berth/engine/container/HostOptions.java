package dev.berth.engine.container;

import java.util.LinkedHashMap;
import java.util.List;
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
 * @param logDirectory the directory {@code logPath} is beneath (the CRI's log_directory), reached
 *     as given; below it no symlink is followed (log collectors and hostPath mounts write there).
 *     Null: {@code logPath}'s own directory
 * @param groupAdd {@code --group-add}: further groups of the process, names (from the image's
 *     /etc/group) or numbers
 * @param oomScoreAdj {@code --oom-score-adj}, or null
 * @param devices {@code --device}: host devices made in the container and allowed by its cgroup
 * @param maskedPaths the paths masked instead of docker's (HostConfig.MaskedPaths; the CRI's), null
 *     for docker's
 * @param readonlyPaths the read-only paths instead of docker's, null for docker's
 * @param annotations the OCI spec's annotations (HostConfig.Annotations; the CRI's)
 * @param restartPolicy {@code --restart}: what happens when the container exits by itself
 * @param userns a user namespace pinned by someone else (a CRI pod's) that the container joins, its
 *     root filesystem idmapped through it; null: the host's
 * @param log {@code --log-driver} and {@code --log-opt}; null: the engine's log and rotation
 * @param domainname {@code --domainname}: the NIS domain name of its own uts namespace; null: none
 */
public record HostOptions(
    String pidMode,
    String ipcMode,
    String utsMode,
    String cgroupnsMode,
    String cgroupParent,
    Map<String, String> sysctls,
    String logPath,
    String logDirectory,
    List<String> groupAdd,
    Integer oomScoreAdj,
    List<DeviceOption> devices,
    List<String> maskedPaths,
    List<String> readonlyPaths,
    Map<String, String> annotations,
    RestartPolicy restartPolicy,
    UserNamespaceOption userns,
    LogOptions log,
    String domainname) {
  public static final HostOptions NONE =
      new HostOptions(
          null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null, null, null);

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
    logDirectory = logDirectory == null || logDirectory.isEmpty() ? null : logDirectory;
    if (logDirectory != null
        && (logPath == null
            || logPath.equals(logDirectory)
            || !java.nio.file.Path.of(logPath).startsWith(logDirectory)))
      throw new IllegalArgumentException(
          "log directory " + logDirectory + ": the log path " + logPath + " is not beneath it");
    groupAdd = groupAdd == null ? List.of() : List.copyOf(groupAdd);
    devices = devices == null ? List.of() : List.copyOf(devices);
    maskedPaths = maskedPaths == null ? null : List.copyOf(maskedPaths);
    readonlyPaths = readonlyPaths == null ? null : List.copyOf(readonlyPaths);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    restartPolicy = restartPolicy == null ? RestartPolicy.NO : restartPolicy;
    domainname = domainname == null || domainname.isEmpty() ? null : domainname;
  }

  /** The options without a restart policy ("no"). */
  public HostOptions(
      String pidMode,
      String ipcMode,
      String utsMode,
      String cgroupnsMode,
      String cgroupParent,
      Map<String, String> sysctls,
      String logPath,
      List<String> groupAdd,
      Integer oomScoreAdj,
      List<DeviceOption> devices,
      List<String> maskedPaths,
      List<String> readonlyPaths,
      Map<String, String> annotations) {
    this(
        pidMode,
        ipcMode,
        utsMode,
        cgroupnsMode,
        cgroupParent,
        sysctls,
        logPath,
        null,
        groupAdd,
        oomScoreAdj,
        devices,
        maskedPaths,
        readonlyPaths,
        annotations,
        null,
        null,
        null,
        null);
  }

  /** The 7 fields of namespaces, cgroup, sysctls and log path; the rest unset. */
  public HostOptions(
      String pidMode,
      String ipcMode,
      String utsMode,
      String cgroupnsMode,
      String cgroupParent,
      Map<String, String> sysctls,
      String logPath) {
    this(
        pidMode,
        ipcMode,
        utsMode,
        cgroupnsMode,
        cgroupParent,
        sysctls,
        logPath,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  /**
   * A {@code --device}: {@code hostPath} made at {@code containerPath} with cgroup access {@code
   * permissions} (r, w, m; "rwm" when empty).
   */
  public record DeviceOption(String hostPath, String containerPath, String permissions) {
    public DeviceOption {
      if (hostPath == null || !hostPath.startsWith("/"))
        throw new IllegalArgumentException("device: host path " + hostPath + " is not absolute");
      containerPath = containerPath == null || containerPath.isEmpty() ? hostPath : containerPath;
      permissions = permissions == null || permissions.isEmpty() ? "rwm" : permissions;
    }
  }

  /**
   * A user namespace and its maps, lines of {@code uid_map} and {@code gid_map} as the OCI spec's
   * linux.uidMappings/gidMappings: one to join ({@code path}, a pin: a CRI pod's), whose maps the
   * handlers that cannot read a pin's take from the spec, or with a null path one of the
   * container's own ({@code --uidmap}, as podman's), made by the runtime. Either way the root
   * filesystem is idmapped through it.
   */
  public record UserNamespaceOption(
      String path,
      List<dev.berth.spec.runtime.IdMapping> uidMappings,
      List<dev.berth.spec.runtime.IdMapping> gidMappings) {
    public UserNamespaceOption {
      if (path != null && !path.startsWith("/"))
        throw new IllegalArgumentException("user namespace: path " + path + " is not absolute");
      if (path == null && (uidMappings.isEmpty() || gidMappings.isEmpty()))
        throw new IllegalArgumentException(
            "user namespace: a container's own needs uid and gid mappings");
      uidMappings = List.copyOf(uidMappings);
      gidMappings = List.copyOf(gidMappings);
    }
  }

  /** Whether every field is unset: the record keeps nothing of it. */
  public boolean isEmpty() {
    // Not equals(NONE): a record's generated equals spins method handles on its first call (~20 ms
    // on a cold CLI).
    return pidMode.isEmpty()
        && ipcMode.isEmpty()
        && utsMode.isEmpty()
        && cgroupnsMode.isEmpty()
        && cgroupParent == null
        && sysctls.isEmpty()
        && logPath == null
        && logDirectory == null
        && groupAdd.isEmpty()
        && oomScoreAdj == null
        && devices.isEmpty()
        && maskedPaths == null
        && readonlyPaths == null
        && annotations.isEmpty()
        && restartPolicy.name().equals("no")
        && userns == null
        && log == null
        && domainname == null;
  }

  public HostOptions withPidMode(String v) {
    Copy c = new Copy(this);
    c.pidMode = v;
    return c.build();
  }

  public HostOptions withIpcMode(String v) {
    Copy c = new Copy(this);
    c.ipcMode = v;
    return c.build();
  }

  public HostOptions withUtsMode(String v) {
    Copy c = new Copy(this);
    c.utsMode = v;
    return c.build();
  }

  public HostOptions withCgroupnsMode(String v) {
    Copy c = new Copy(this);
    c.cgroupnsMode = v;
    return c.build();
  }

  public HostOptions withCgroupParent(String v) {
    Copy c = new Copy(this);
    c.cgroupParent = v;
    return c.build();
  }

  public HostOptions withSysctls(Map<String, String> v) {
    Copy c = new Copy(this);
    c.sysctls = v;
    return c.build();
  }

  public HostOptions withLogPath(String v) {
    Copy c = new Copy(this);
    c.logPath = v;
    return c.build();
  }

  public HostOptions withLogDirectory(String v) {
    Copy c = new Copy(this);
    c.logDirectory = v;
    return c.build();
  }

  public HostOptions withGroupAdd(List<String> v) {
    Copy c = new Copy(this);
    c.groupAdd = v;
    return c.build();
  }

  public HostOptions withOomScoreAdj(Integer v) {
    Copy c = new Copy(this);
    c.oomScoreAdj = v;
    return c.build();
  }

  public HostOptions withDevices(List<DeviceOption> v) {
    Copy c = new Copy(this);
    c.devices = v;
    return c.build();
  }

  public HostOptions withMaskedPaths(List<String> v) {
    Copy c = new Copy(this);
    c.maskedPaths = v;
    return c.build();
  }

  public HostOptions withReadonlyPaths(List<String> v) {
    Copy c = new Copy(this);
    c.readonlyPaths = v;
    return c.build();
  }

  public HostOptions withAnnotations(Map<String, String> v) {
    Copy c = new Copy(this);
    c.annotations = v;
    return c.build();
  }

  public HostOptions withRestartPolicy(RestartPolicy v) {
    Copy c = new Copy(this);
    c.restartPolicy = v;
    return c.build();
  }

  public HostOptions withUserns(UserNamespaceOption v) {
    Copy c = new Copy(this);
    c.userns = v;
    return c.build();
  }

  public HostOptions withLog(LogOptions v) {
    Copy c = new Copy(this);
    c.log = v;
    return c.build();
  }

  public HostOptions withDomainname(String v) {
    Copy c = new Copy(this);
    c.domainname = v;
    return c.build();
  }

  /** A mutable copy, for the withers: one field changed, the others kept. */
  private static final class Copy {
    String pidMode;
    String ipcMode;
    String utsMode;
    String cgroupnsMode;
    String cgroupParent;
    Map<String, String> sysctls;
    String logPath;
    String logDirectory;
    List<String> groupAdd;
    Integer oomScoreAdj;
    List<DeviceOption> devices;
    List<String> maskedPaths;
    List<String> readonlyPaths;
    Map<String, String> annotations;
    RestartPolicy restartPolicy;
    UserNamespaceOption userns;
    LogOptions log;
    String domainname;

    Copy(HostOptions h) {
      pidMode = h.pidMode;
      ipcMode = h.ipcMode;
      utsMode = h.utsMode;
      cgroupnsMode = h.cgroupnsMode;
      cgroupParent = h.cgroupParent;
      sysctls = h.sysctls;
      logPath = h.logPath;
      logDirectory = h.logDirectory;
      groupAdd = h.groupAdd;
      oomScoreAdj = h.oomScoreAdj;
      devices = h.devices;
      maskedPaths = h.maskedPaths;
      readonlyPaths = h.readonlyPaths;
      annotations = h.annotations;
      restartPolicy = h.restartPolicy;
      userns = h.userns;
      log = h.log;
      domainname = h.domainname;
    }

    HostOptions build() {
      return new HostOptions(
          pidMode,
          ipcMode,
          utsMode,
          cgroupnsMode,
          cgroupParent,
          sysctls,
          logPath,
          logDirectory,
          groupAdd,
          oomScoreAdj,
          devices,
          maskedPaths,
          readonlyPaths,
          annotations,
          restartPolicy,
          userns,
          log,
          domainname);
    }
  }
}
