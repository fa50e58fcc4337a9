package dev.berth.engine.pod;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.ContainerOptions.ResourceOptions;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.pod.PodConfig.Mode;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.error.Printable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A container of a pod as the CRI's CreateContainer asks for it (ContainerConfig), made {@link
 * ContainerOptions} by {@link #options}. Null or empty means "not given".
 *
 * @param name the container's name in the pod (metadata.name), required
 * @param attempt metadata.attempt
 * @param image the image reference or id, required
 * @param command replaces the image's entrypoint when non-empty (the CRI's command)
 * @param args replaces the image's Cmd when non-empty (the CRI's args)
 * @param workingDir the process' working directory, or null for the image's
 * @param env {@code KEY=VALUE}, over the image's
 * @param mounts host paths bound into it
 * @param devices host devices made in it
 * @param labels labels
 * @param annotations annotations (the OCI spec's)
 * @param logPath its log, relative to the pod's log directory, or null (the engine's own place)
 * @param stdin keep stdin open
 * @param stdinOnce the first attach's stdin end closes the container's stdin (containerd: without a
 *     terminal); else an attach whose stdin ends just ends
 * @param tty allocate a terminal
 * @param security its security context
 * @param resources its Linux resources
 */
public record PodContainerConfig(
    String name,
    int attempt,
    String image,
    List<String> command,
    List<String> args,
    String workingDir,
    List<String> env,
    List<Mount> mounts,
    List<Device> devices,
    Map<String, String> labels,
    Map<String, String> annotations,
    String logPath,
    boolean stdin,
    boolean stdinOnce,
    boolean tty,
    Security security,
    Resources resources) {
  public PodContainerConfig {
    command = command == null ? List.of() : List.copyOf(command);
    args = args == null ? List.of() : List.copyOf(args);
    env = env == null ? List.of() : List.copyOf(env);
    mounts = mounts == null ? List.of() : List.copyOf(mounts);
    devices = devices == null ? List.of() : List.copyOf(devices);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    security = security == null ? Security.NONE : security;
    resources = resources == null ? Resources.NONE : resources;
  }

  /** The label keeping the container's CRI name (metadata.name) in its record. */
  public static final String NAME_LABEL = "dev.berth.pod.container.name";

  /** The label keeping its CRI attempt (metadata.attempt). */
  public static final String ATTEMPT_LABEL = "dev.berth.pod.container.attempt";

  /**
   * Its engine name, containerd's {@code k8s_<name>_<pod>_<namespace>_<uid>_<attempt>}: one
   * container of a name and attempt per pod, a second is ALREADY_EXISTS.
   */
  public String engineName(PodConfig pod) {
    return String.join(
            "_", "k8s", name, pod.name(), pod.namespace(), pod.uid(), Integer.toString(attempt))
        .replaceAll("[^a-zA-Z0-9_.-]", "-");
  }

  /** {@code image} running {@code command} (may be empty: the image's), every other field unset. */
  public static PodContainerConfig of(String name, String image, List<String> command) {
    return new PodContainerConfig(
        name, 0, image, command, null, null, null, null, null, null, null, null, false, false,
        false, null, null);
  }

  /** The CRI's MountPropagation. */
  public enum Propagation {
    PRIVATE,
    HOST_TO_CONTAINER,
    BIDIRECTIONAL
  }

  /**
   * A host path bound into the container; {@code recursiveReadOnly}: the mounts under it read-only
   * too (it must be read-only and private); {@code idmapped}: its files' owners shown through the
   * pod's user namespace (the kubelet's volumes of a {@code hostUsers: false} pod).
   */
  public record Mount(
      String containerPath,
      String hostPath,
      boolean readonly,
      Propagation propagation,
      boolean recursiveReadOnly,
      boolean idmapped) {
    public Mount {
      propagation = propagation == null ? Propagation.PRIVATE : propagation;
    }

    public Mount(
        String containerPath,
        String hostPath,
        boolean readonly,
        Propagation propagation,
        boolean recursiveReadOnly) {
      this(containerPath, hostPath, readonly, propagation, recursiveReadOnly, false);
    }

    public Mount(String containerPath, String hostPath, boolean readonly, Propagation propagation) {
      this(containerPath, hostPath, readonly, propagation, false, false);
    }
  }

  /** A host device made in the container, with cgroup access {@code permissions} (rwm). */
  public record Device(String containerPath, String hostPath, String permissions) {}

  /** The CRI's SecurityProfile for seccomp. */
  public record Seccomp(Kind kind, String localhostPath) {
    public enum Kind {
      RUNTIME_DEFAULT,
      UNCONFINED,
      LOCALHOST
    }
  }

  /**
   * The CRI's LinuxContainerSecurityContext.
   *
   * @param runAsUser the uid, or null
   * @param runAsGroup the gid, or null (with a user or username only)
   * @param runAsUsername a user name of the image's /etc/passwd, or null
   * @param supplementalGroups further gids
   * @param capAdd capabilities added to the default set
   * @param capDrop capabilities dropped from it
   * @param seccomp null is the CRI's default: unconfined
   * @param maskedPaths the paths to mask, or null for docker's
   * @param readonlyPaths the read-only paths, or null for docker's
   * @param pid the pid namespace: null the pod's choice, POD, CONTAINER or NODE
   */
  public record Security(
      Long runAsUser,
      Long runAsGroup,
      String runAsUsername,
      List<Long> supplementalGroups,
      List<String> capAdd,
      List<String> capDrop,
      boolean privileged,
      boolean readonlyRootfs,
      boolean noNewPrivs,
      Seccomp seccomp,
      List<String> maskedPaths,
      List<String> readonlyPaths,
      Mode pid) {
    public static final Security NONE =
        new Security(
            null, null, null, null, null, null, false, false, false, null, null, null, null);

    public Security {
      supplementalGroups = supplementalGroups == null ? List.of() : List.copyOf(supplementalGroups);
      capAdd = capAdd == null ? List.of() : List.copyOf(capAdd);
      capDrop = capDrop == null ? List.of() : List.copyOf(capDrop);
      runAsUsername = runAsUsername == null || runAsUsername.isEmpty() ? null : runAsUsername;
    }
  }

  /**
   * The CRI's LinuxContainerResources; 0 or null is "not given".
   *
   * @param hugepageLimits bytes by page size ("2MB")
   */
  public record Resources(
      long cpuPeriod,
      long cpuQuota,
      long cpuShares,
      String cpusetCpus,
      String cpusetMems,
      long memoryLimit,
      long memorySwapLimit,
      Integer oomScoreAdj,
      Map<String, Long> hugepageLimits,
      Map<String, String> unified) {
    public static final Resources NONE = new Resources(0, 0, 0, null, null, 0, 0, null, null, null);

    public Resources {
      hugepageLimits = hugepageLimits == null ? Map.of() : Map.copyOf(hugepageLimits);
      unified = unified == null ? Map.of() : Map.copyOf(unified);
    }

    /**
     * In docker's terms: memory and swap together up to {@code memorySwapLimit} when given, else
     * Kubernetes' rule that a container has no swap beyond its memory limit. A negative limit, or a
     * swap limit without a memory limit or below it, is INVALID_ARGUMENT.
     */
    public ResourceOptions options() throws BerthException {
      if (memoryLimit < 0)
        throw invalid("container config: memory_limit_in_bytes " + memoryLimit + " is negative");
      if (memorySwapLimit < 0)
        throw invalid(
            "container config: memory_swap_limit_in_bytes " + memorySwapLimit + " is negative");
      if (memorySwapLimit > 0 && memorySwapLimit < memoryLimit
          || memorySwapLimit > 0 && memoryLimit == 0)
        throw invalid(
            "container config: memory_swap_limit_in_bytes "
                + memorySwapLimit
                + " (memory and swap together) needs a memory_limit_in_bytes at or below it (got "
                + memoryLimit
                + ")");
      return new ResourceOptions(
          memoryLimit,
          memorySwapLimit > 0 ? memorySwapLimit : memoryLimit > 0 ? memoryLimit : 0,
          0,
          cpuShares,
          cpusetCpus,
          0,
          cpuPeriod,
          cpuQuota,
          cpusetMems,
          hugepageLimits,
          unified);
    }
  }

  /**
   * The container's options before the pod's namespaces, files and cgroup are put over them ({@link
   * Pods#inPod}): CRI's rules (command replaces the entrypoint, args the Cmd; no swap beyond a
   * memory limit; seccomp unconfined unless asked) in docker's terms. INVALID_ARGUMENT naming the
   * field for what cannot be made one.
   */
  public ContainerOptions options(PodRecord pod) throws BerthException {
    if (name == null || name.isEmpty())
      throw invalid("container config: metadata.name is required");
    if (image == null || image.isEmpty()) throw invalid("container config: image is required");
    Security s = security;
    String user = null;
    if (s.runAsUsername() != null) user = s.runAsUsername();
    else if (s.runAsUser() != null) user = Long.toString(s.runAsUser());
    if (s.runAsGroup() != null) {
      if (user == null)
        throw invalid("container config: run_as_group needs run_as_user or run_as_username");
      user = user + ":" + s.runAsGroup();
    }
    List<String> securityOpts = new ArrayList<>();
    if (s.noNewPrivs()) securityOpts.add("no-new-privileges");
    Seccomp seccomp = s.seccomp();
    if (seccomp == null || seccomp.kind() == Seccomp.Kind.UNCONFINED) {
      securityOpts.add("seccomp=unconfined");
    } else if (seccomp.kind() == Seccomp.Kind.LOCALHOST) {
      if (seccomp.localhostPath() == null || !seccomp.localhostPath().startsWith("/"))
        throw invalid("container config: seccomp localhost profile needs an absolute path");
      securityOpts.add("seccomp=" + seccomp.localhostPath());
    }
    List<MountOption> binds = new ArrayList<>();
    for (Mount m : mounts) {
      if (m.containerPath() == null || !m.containerPath().startsWith("/"))
        throw invalid(
            "container config: mount container_path " + m.containerPath() + " is not absolute");
      if (m.hostPath() == null || !m.hostPath().startsWith("/"))
        throw invalid("container config: mount host_path " + m.hostPath() + " is not absolute");
      String propagation =
          switch (m.propagation()) {
            case PRIVATE -> "rprivate";
            case HOST_TO_CONTAINER -> "rslave";
            case BIDIRECTIONAL -> "rshared";
          };
      List<String> options = new ArrayList<>(List.of("bind-propagation=" + propagation));
      if (m.recursiveReadOnly()) {
        // containerd's rules: a mount below could otherwise come back writable by propagation
        if (!m.readonly())
          throw invalid(
              "container config: mount "
                  + m.containerPath()
                  + ": recursive read-only needs a read-only mount");
        if (m.propagation() != Propagation.PRIVATE)
          throw invalid(
              "container config: mount "
                  + m.containerPath()
                  + ": recursive read-only needs private propagation, not "
                  + propagation);
        options.add("bind-recursive=readonly");
      }
      if (m.idmapped()) options.add("idmap");
      binds.add(
          new MountOption(
              MountOption.Type.BIND, m.hostPath(), m.containerPath(), m.readonly(), options));
    }
    List<HostOptions.DeviceOption> devs = new ArrayList<>();
    for (Device d : devices) {
      try {
        devs.add(new HostOptions.DeviceOption(d.hostPath(), d.containerPath(), d.permissions()));
      } catch (IllegalArgumentException e) {
        throw invalid("container config: " + e.getMessage());
      }
    }
    List<String> groups = new ArrayList<>();
    for (long g : s.supplementalGroups()) groups.add(Long.toString(g));
    String log = null;
    String logDirectory = null;
    if (logPath != null && !logPath.isEmpty()) {
      if (pod.config().logDirectory() == null)
        throw invalid("container config: log_path " + logPath + " needs the pod's log_directory");
      log = logPathIn(pod.config().logDirectory(), logPath);
      logDirectory = Path.of(pod.config().logDirectory()).normalize().toString();
    }
    Resources r = resources;
    ResourceOptions res = r.options();
    HostOptions host =
        new HostOptions(
                null,
                null,
                null,
                null,
                null,
                null,
                log,
                groups,
                r.oomScoreAdj(),
                devs,
                s.maskedPaths(),
                s.readonlyPaths(),
                annotations)
            .withLogDirectory(logDirectory);
    Map<String, String> withMetadata = new java.util.LinkedHashMap<>(labels);
    withMetadata.put(NAME_LABEL, name);
    withMetadata.put(ATTEMPT_LABEL, Integer.toString(attempt));
    return new ContainerOptions.Builder(image)
        .name(engineName(pod.config()))
        .entrypoint(command.isEmpty() ? null : command)
        .command(args)
        .env(env)
        .workingDir(workingDir == null || workingDir.isEmpty() ? null : workingDir)
        .user(user)
        .tty(tty)
        .openStdin(stdin)
        .stdinOnce(stdinOnce)
        .labels(withMetadata)
        .mounts(binds)
        .resources(res)
        .capAdd(s.capAdd())
        .capDrop(s.capDrop())
        .privileged(s.privileged())
        .readOnlyRootfs(s.readonlyRootfs())
        .securityOpts(securityOpts)
        .host(host)
        .build();
  }

  private static BerthException invalid(String message) {
    return new BerthException(ErrorCategory.INVALID_ARGUMENT, message);
  }

  /**
   * The log file {@code logPath} names under the pod's {@code logDirectory}: a relative path that
   * stays beneath it once its ".." are resolved (the kubelet's is "name/restart.log"). An absolute
   * one, or one that climbs out ("../../etc/x"), would have the monitor create and append to a file
   * of the host's that the caller chose, as root: refused.
   */
  static String logPathIn(String logDirectory, String logPath) throws BerthException {
    Path dir;
    Path rel;
    try {
      dir = Path.of(logDirectory).normalize();
      rel = Path.of(logPath);
    } catch (java.nio.file.InvalidPathException e) {
      throw invalid("container config: log_path " + quoted(logPath) + ": " + e.getReason());
    }
    if (rel.isAbsolute())
      throw invalid(
          "container config: log_path "
              + quoted(logPath)
              + " must be relative to the pod's log_directory");
    Path log = dir.resolve(rel).normalize();
    if (!log.startsWith(dir) || log.equals(dir))
      throw invalid(
          "container config: log_path "
              + quoted(logPath)
              + " is not beneath the pod's log_directory "
              + dir);
    return log.toString();
  }

  private static String quoted(String s) {
    return "\"" + Printable.of(s, 100) + "\"";
  }
}
