package dev.berth.engine.container;

import dev.berth.spec.image.Healthcheck;
import java.util.List;
import java.util.Map;

/**
 * What a user asks for when creating a container: docker's and podman's {@code create}/{@code run}
 * flags as values, parsed and checked by the front door (CLI, Docker API, CRI) and merged with the
 * image's config by the engine. Null or empty means "not given": the image's value, then docker's
 * default, applies.
 *
 * @param image the image reference or id as the user gave it
 * @param name the container name, or null for a generated one
 * @param entrypoint replaces the image's Entrypoint when non-null (an empty list clears it, as
 *     {@code --entrypoint ""})
 * @param command replaces the image's Cmd when non-empty
 * @param env {@code KEY=VALUE} (or {@code KEY}: taken from the caller's environment by the front
 *     door), after the image's Env, later entries winning
 * @param workingDir the process cwd (absolute), or null for the image's, else "/"
 * @param user {@code user[:group]}, names or numbers, resolved in the image's /etc/passwd and
 *     /etc/group; null for the image's User
 * @param hostname the UTS hostname, or null for the first 12 hex digits of the id
 * @param tty allocate a terminal ({@code -t})
 * @param openStdin keep stdin open ({@code -i})
 * @param stdinOnce an attached client's stdin end closes the container's stdin (docker's
 *     Config.StdinOnce, the CRI's stdin_once); else it ends only that client's attach and the
 *     container's stdin stays open for the next one. A terminal ignores it (see {@link
 *     #stdinEndsWithAttach})
 * @param labels container labels, over the image's
 * @param mounts {@code -v}, {@code --mount} and {@code --tmpfs}, in the order given
 * @param resources memory, cpu and pids limits
 * @param capAdd capabilities added to docker's default set ("NET_ADMIN" or "CAP_NET_ADMIN", "ALL")
 * @param capDrop capabilities dropped from it (applied before capAdd, "ALL" drops every one)
 * @param privileged every capability and device, no seccomp, no masked or read-only paths
 * @param readOnlyRootfs the root filesystem mounted read-only
 * @param securityOpts docker's {@code --security-opt} values ({@code seccomp=unconfined|<file>},
 *     {@code no-new-privileges[:true|false]}, {@code label=disable}, {@code apparmor=unconfined})
 * @param ulimits rlimits ({@code --ulimit nofile=1024:2048})
 * @param stopSignal the signal {@code stop} sends, or null for the image's StopSignal, else SIGTERM
 * @param stopTimeout seconds {@code stop} waits before SIGKILL, or null for 10
 * @param runtime the runtime handler ("berth", "runc", ...), or null for the default
 * @param network the first network: "none", "host", "bridge" (the default network), a user
 *     network's name, "container:NAME" (its network namespace) or "ns:/path" (a namespace file
 *     pinned by someone else, podman's form: no CNI, no pin of the engine's; /etc/hosts and
 *     resolv.conf as for "none"); null: "none" (the front doors give docker's default, "bridge")
 * @param autoRemove remove the container when it exits ({@code --rm})
 * @param shmSize bytes of /dev/shm, or 0 for docker's 64 MiB
 * @param init run the host's static tini as PID 1 before the command ({@code --init})
 * @param networking further networks, aliases, addresses, hosts, DNS and published ports
 * @param host namespace modes, cgroup parent, sysctls and log path
 * @param healthcheck docker's healthcheck flags, or null; merged field by field over the image's at
 *     create, which stores the result here ({@link Healthcheck#NONE} disables the image's)
 */
public record ContainerOptions(
    String image,
    String name,
    List<String> entrypoint,
    List<String> command,
    List<String> env,
    String workingDir,
    String user,
    String hostname,
    boolean tty,
    boolean openStdin,
    boolean stdinOnce,
    Map<String, String> labels,
    List<MountOption> mounts,
    ResourceOptions resources,
    List<String> capAdd,
    List<String> capDrop,
    boolean privileged,
    boolean readOnlyRootfs,
    List<String> securityOpts,
    List<UlimitOption> ulimits,
    String stopSignal,
    Integer stopTimeout,
    String runtime,
    String network,
    boolean autoRemove,
    long shmSize,
    boolean init,
    NetworkOptions networking,
    HostOptions host,
    Healthcheck healthcheck) {

  public ContainerOptions {
    if (image == null || image.isEmpty()) throw new IllegalArgumentException("image: required");
    command = command == null ? List.of() : List.copyOf(command);
    entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
    env = env == null ? List.of() : List.copyOf(env);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    mounts = mounts == null ? List.of() : List.copyOf(mounts);
    resources = resources == null ? ResourceOptions.NONE : resources;
    capAdd = capAdd == null ? List.of() : List.copyOf(capAdd);
    capDrop = capDrop == null ? List.of() : List.copyOf(capDrop);
    securityOpts = securityOpts == null ? List.of() : List.copyOf(securityOpts);
    ulimits = ulimits == null ? List.of() : List.copyOf(ulimits);
    if (shmSize < 0) throw new IllegalArgumentException("shmSize: " + shmSize + " (must be >= 0)");
    networking = networking == null ? NetworkOptions.NONE : networking;
    host = host == null ? HostOptions.NONE : host;
  }

  /** The options without host options (namespace modes, cgroup parent, sysctls). */
  public ContainerOptions(
      String image,
      String name,
      List<String> entrypoint,
      List<String> command,
      List<String> env,
      String workingDir,
      String user,
      String hostname,
      boolean tty,
      boolean openStdin,
      Map<String, String> labels,
      List<MountOption> mounts,
      ResourceOptions resources,
      List<String> capAdd,
      List<String> capDrop,
      boolean privileged,
      boolean readOnlyRootfs,
      List<String> securityOpts,
      List<UlimitOption> ulimits,
      String stopSignal,
      Integer stopTimeout,
      String runtime,
      String network,
      boolean autoRemove,
      long shmSize,
      boolean init,
      NetworkOptions networking) {
    this(
        image,
        name,
        entrypoint,
        command,
        env,
        workingDir,
        user,
        hostname,
        tty,
        openStdin,
        false,
        labels,
        mounts,
        resources,
        capAdd,
        capDrop,
        privileged,
        readOnlyRootfs,
        securityOpts,
        ulimits,
        stopSignal,
        stopTimeout,
        runtime,
        network,
        autoRemove,
        shmSize,
        init,
        networking,
        HostOptions.NONE,
        null);
  }

  /** The options without networking flags beyond the mode. */
  public ContainerOptions(
      String image,
      String name,
      List<String> entrypoint,
      List<String> command,
      List<String> env,
      String workingDir,
      String user,
      String hostname,
      boolean tty,
      boolean openStdin,
      Map<String, String> labels,
      List<MountOption> mounts,
      ResourceOptions resources,
      List<String> capAdd,
      List<String> capDrop,
      boolean privileged,
      boolean readOnlyRootfs,
      List<String> securityOpts,
      List<UlimitOption> ulimits,
      String stopSignal,
      Integer stopTimeout,
      String runtime,
      String network,
      boolean autoRemove,
      long shmSize,
      boolean init) {
    this(
        image,
        name,
        entrypoint,
        command,
        env,
        workingDir,
        user,
        hostname,
        tty,
        openStdin,
        labels,
        mounts,
        resources,
        capAdd,
        capDrop,
        privileged,
        readOnlyRootfs,
        securityOpts,
        ulimits,
        stopSignal,
        stopTimeout,
        runtime,
        network,
        autoRemove,
        shmSize,
        init,
        NetworkOptions.NONE);
  }

  /**
   * {@code image} with every other option at its default, and {@code command} (may be empty: the
   * image's Cmd).
   */
  public static ContainerOptions of(String image, List<String> command) {
    return new ContainerOptions(
        image, null, null, command, null, null, null, null, false, false, null, null, null, null,
        null, false, false, null, null, null, null, null, null, false, 0, false);
  }

  /**
   * A {@code -v}, {@code --mount} or {@code --tmpfs} request.
   *
   * @param type bind, volume or tmpfs
   * @param source the host path (bind), the volume name (volume; null: anonymous), or null (tmpfs)
   * @param target the absolute path in the container
   * @param readOnly mounted read-only
   * @param options further mount options as given ({@code bind-propagation=rslave}, {@code
   *     tmpfs-size=64m}, {@code nocopy}, {@code z}): the engine checks them and names any it does
   *     not know
   */
  public record MountOption(
      Type type, String source, String target, boolean readOnly, List<String> options) {
    public enum Type {
      BIND,
      VOLUME,
      TMPFS
    }

    public MountOption {
      if (type == null) throw new IllegalArgumentException("mount type: required");
      if (target == null || !target.startsWith("/")) {
        throw new IllegalArgumentException(
            "mount target: " + target + " (must be an absolute path)");
      }
      options = options == null ? List.of() : List.copyOf(options);
    }
  }

  /**
   * Resource limits, docker's flags as numbers; 0 (or null) is "no limit".
   *
   * @param memory bytes ({@code --memory})
   * @param memorySwap bytes of memory plus swap ({@code --memory-swap}; -1 unlimited, 0 unset:
   *     twice memory)
   * @param nanoCpus billionths of a CPU ({@code --cpus 1.5} is 1,500,000,000)
   * @param cpuShares relative weight ({@code --cpu-shares})
   * @param cpusetCpus {@code --cpuset-cpus}, or null
   * @param pidsLimit {@code --pids-limit}; 0 unset, -1 unlimited
   * @param cpuPeriod {@code --cpu-period} (microseconds), 0 unset
   * @param cpuQuota {@code --cpu-quota} (microseconds per period), 0 unset
   * @param cpusetMems {@code --cpuset-mems}, or null
   * @param hugepageLimits bytes of huge pages by page size ("2MB", "1GB"): the CRI's
   * @param unified cgroup v2 files by name (the CRI's), written by the runtime on cgroup v2
   * @param memoryReservation soft limit in bytes ({@code --memory-reservation}), 0 unset
   * @param memorySwappiness 0-100 ({@code --memory-swappiness}), null unset
   * @param oomKillDisable {@code --oom-kill-disable}
   */
  public record ResourceOptions(
      long memory,
      long memorySwap,
      long nanoCpus,
      long cpuShares,
      String cpusetCpus,
      long pidsLimit,
      long cpuPeriod,
      long cpuQuota,
      String cpusetMems,
      Map<String, Long> hugepageLimits,
      Map<String, String> unified,
      long memoryReservation,
      Long memorySwappiness,
      boolean oomKillDisable) {
    public static final ResourceOptions NONE = new ResourceOptions(0, 0, 0, 0, null, 0);

    /** Without docker's memory reservation, swappiness and OOM-killer switch. */
    public ResourceOptions(
        long memory,
        long memorySwap,
        long nanoCpus,
        long cpuShares,
        String cpusetCpus,
        long pidsLimit,
        long cpuPeriod,
        long cpuQuota,
        String cpusetMems,
        Map<String, Long> hugepageLimits,
        Map<String, String> unified) {
      this(
          memory,
          memorySwap,
          nanoCpus,
          cpuShares,
          cpusetCpus,
          pidsLimit,
          cpuPeriod,
          cpuQuota,
          cpusetMems,
          hugepageLimits,
          unified,
          0,
          null,
          false);
    }

    /** These limits with docker's memory reservation, swappiness and OOM-killer switch. */
    public ResourceOptions withMemoryExtras(
        long reservation, Long swappiness, boolean oomKillDisable) {
      return new ResourceOptions(
          memory,
          memorySwap,
          nanoCpus,
          cpuShares,
          cpusetCpus,
          pidsLimit,
          cpuPeriod,
          cpuQuota,
          cpusetMems,
          hugepageLimits,
          unified,
          reservation,
          swappiness,
          oomKillDisable);
    }

    public ResourceOptions {
      cpusetMems = cpusetMems == null || cpusetMems.isEmpty() ? null : cpusetMems;
      hugepageLimits =
          hugepageLimits == null
              ? Map.of()
              : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(hugepageLimits));
      unified =
          unified == null
              ? Map.of()
              : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(unified));
    }

    /** docker's six resource flags; the rest unset. */
    public ResourceOptions(
        long memory,
        long memorySwap,
        long nanoCpus,
        long cpuShares,
        String cpusetCpus,
        long pidsLimit) {
      this(memory, memorySwap, nanoCpus, cpuShares, cpusetCpus, pidsLimit, 0, 0, null, null, null);
    }
  }

  /** The same options with other resource limits (an update's). */
  public ContainerOptions withResources(ResourceOptions r) {
    return with(r, host, healthcheck);
  }

  /** The same options with other host options. */
  public ContainerOptions withHost(HostOptions h) {
    return with(resources, h, healthcheck);
  }

  /** The same options with another healthcheck (null: none). */
  public ContainerOptions withHealthcheck(Healthcheck h) {
    return with(resources, host, h);
  }

  private ContainerOptions with(ResourceOptions r, HostOptions h, Healthcheck hc) {
    return new ContainerOptions(
        image,
        name,
        entrypoint,
        command,
        env,
        workingDir,
        user,
        hostname,
        tty,
        openStdin,
        stdinOnce,
        labels,
        mounts,
        r,
        capAdd,
        capDrop,
        privileged,
        readOnlyRootfs,
        securityOpts,
        ulimits,
        stopSignal,
        stopTimeout,
        runtime,
        network,
        autoRemove,
        shmSize,
        init,
        networking,
        h,
        hc);
  }

  /**
   * Whether an attached client's stdin end closes the container's stdin: docker's and containerd's
   * rule, StdinOnce without a terminal. Otherwise the end of a client's stdin ends that client's
   * attach (its output too) and leaves the container's stdin, or terminal, open.
   */
  public boolean stdinEndsWithAttach() {
    return openStdin && stdinOnce && !tty;
  }

  /** One {@code --ulimit name=soft[:hard]}; name without "RLIMIT_" ("nofile", "nproc", ...). */
  public record UlimitOption(String name, long soft, long hard) {}

  /** A builder, for callers that set a few options (tests, the Docker API's create). */
  public static final class Builder {
    private String image;
    private String name;
    private List<String> entrypoint;
    private List<String> command;
    private List<String> env;
    private String workingDir;
    private String user;
    private String hostname;
    private boolean tty;
    private boolean openStdin;
    private boolean stdinOnce;
    private Map<String, String> labels;
    private List<MountOption> mounts;
    private ResourceOptions resources;
    private List<String> capAdd;
    private List<String> capDrop;
    private boolean privileged;
    private boolean readOnlyRootfs;
    private List<String> securityOpts;
    private List<UlimitOption> ulimits;
    private String stopSignal;
    private Integer stopTimeout;
    private String runtime;
    private String network;
    private boolean autoRemove;
    private long shmSize;
    private boolean init;
    private NetworkOptions networking;
    private HostOptions host;
    private Healthcheck healthcheck;

    public Builder(String image) {
      this.image = image;
    }

    public Builder name(String v) {
      this.name = v;
      return this;
    }

    public Builder entrypoint(List<String> v) {
      this.entrypoint = v;
      return this;
    }

    public Builder command(List<String> v) {
      this.command = v;
      return this;
    }

    public Builder env(List<String> v) {
      this.env = v;
      return this;
    }

    public Builder workingDir(String v) {
      this.workingDir = v;
      return this;
    }

    public Builder user(String v) {
      this.user = v;
      return this;
    }

    public Builder hostname(String v) {
      this.hostname = v;
      return this;
    }

    public Builder tty(boolean v) {
      this.tty = v;
      return this;
    }

    public Builder openStdin(boolean v) {
      this.openStdin = v;
      return this;
    }

    public Builder stdinOnce(boolean v) {
      this.stdinOnce = v;
      return this;
    }

    public Builder labels(Map<String, String> v) {
      this.labels = v;
      return this;
    }

    public Builder mounts(List<MountOption> v) {
      this.mounts = v;
      return this;
    }

    public Builder resources(ResourceOptions v) {
      this.resources = v;
      return this;
    }

    public Builder capAdd(List<String> v) {
      this.capAdd = v;
      return this;
    }

    public Builder capDrop(List<String> v) {
      this.capDrop = v;
      return this;
    }

    public Builder privileged(boolean v) {
      this.privileged = v;
      return this;
    }

    public Builder readOnlyRootfs(boolean v) {
      this.readOnlyRootfs = v;
      return this;
    }

    public Builder securityOpts(List<String> v) {
      this.securityOpts = v;
      return this;
    }

    public Builder ulimits(List<UlimitOption> v) {
      this.ulimits = v;
      return this;
    }

    public Builder stopSignal(String v) {
      this.stopSignal = v;
      return this;
    }

    public Builder stopTimeout(Integer v) {
      this.stopTimeout = v;
      return this;
    }

    public Builder runtime(String v) {
      this.runtime = v;
      return this;
    }

    public Builder network(String v) {
      this.network = v;
      return this;
    }

    public Builder autoRemove(boolean v) {
      this.autoRemove = v;
      return this;
    }

    public Builder shmSize(long v) {
      this.shmSize = v;
      return this;
    }

    public Builder init(boolean v) {
      this.init = v;
      return this;
    }

    public Builder networking(NetworkOptions v) {
      this.networking = v;
      return this;
    }

    public Builder host(HostOptions v) {
      this.host = v;
      return this;
    }

    public Builder healthcheck(Healthcheck v) {
      this.healthcheck = v;
      return this;
    }

    public ContainerOptions build() {
      return new ContainerOptions(
          image,
          name,
          entrypoint,
          command,
          env,
          workingDir,
          user,
          hostname,
          tty,
          openStdin,
          stdinOnce,
          labels,
          mounts,
          resources,
          capAdd,
          capDrop,
          privileged,
          readOnlyRootfs,
          securityOpts,
          ulimits,
          stopSignal,
          stopTimeout,
          runtime,
          network,
          autoRemove,
          shmSize,
          init,
          networking,
          host,
          healthcheck);
    }
  }
}
