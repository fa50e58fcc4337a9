package dev.berth.api.docker.containers;

import dev.berth.engine.EngineException;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.ContainerOptions.ResourceOptions;
import dev.berth.engine.container.ContainerOptions.UlimitOption;
import dev.berth.engine.container.DockerFlags;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.container.NetworkOptions;
import dev.berth.engine.container.NetworkOptions.PortOption;
import dev.berth.engine.container.PortSpecs;
import dev.berth.engine.container.RestartPolicy;
import dev.berth.engine.spec.SecurityOptions;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.image.Healthcheck;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The body of {@code POST /containers/create} (docker's Config with HostConfig and
 * NetworkingConfig) to {@link ContainerOptions}. Strings in docker's flag syntax (Binds, Tmpfs,
 * port keys) go through the CLI's own parsers ({@link DockerFlags}, {@link PortSpecs}), so both
 * front doors accept and refuse the same values. Unknown fields are skipped, as dockerd's decoder
 * does; so are fields the engine has no use for (RestartPolicy "no").
 */
final class CreateBody {
  private CreateBody() {}

  /** The mounts a HostConfig.VolumesFrom entry takes from another container. */
  @FunctionalInterface
  interface VolumesFrom {
    List<MountOption> mountsOf(String container, boolean readOnly) throws BerthException;
  }

  /**
   * The options of {@code body}, named {@code name} (null: generated); {@code environment} gives
   * the default network, {@code volumesFrom} the mounts of the containers VolumesFrom names.
   */
  static ContainerOptions parse(
      JsonReader r, String name, Map<String, String> environment, VolumesFrom volumesFrom)
      throws BerthException, SpecException {
    return parse(r, name, environment, volumesFrom, new ArrayList<>());
  }

  /**
   * {@link #parse(JsonReader, String, Map, VolumesFrom)}, adding to {@code warnings} what was asked
   * for and is not applied (docker's create answers its own "limitation discarded" so).
   */
  static ContainerOptions parse(
      JsonReader r,
      String name,
      Map<String, String> environment,
      VolumesFrom volumesFrom,
      List<String> warnings)
      throws BerthException, SpecException {
    Parsed p = new Parsed();
    p.warnings = warnings;
    if (!r.beginObject()) throw EngineException.invalid("config cannot be empty");
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "Image" -> p.image = r.string();
        case "Cmd" -> p.cmd = stringOrList(r);
        case "Entrypoint" -> p.entrypoint = r.isNull() ? skipNull(r) : stringOrList(r);
        case "Env" -> p.env = r.strings();
        case "WorkingDir" -> p.workingDir = r.string();
        case "User" -> p.user = r.string();
        case "Hostname" -> p.hostname = r.string();
        case "Tty" -> p.tty = r.bool();
        case "OpenStdin" -> p.openStdin = r.bool();
        case "StdinOnce" -> p.stdinOnce = r.bool();
        case "Labels" -> p.labels = r.stringMap();
        case "StopSignal" -> p.stopSignal = r.string();
        case "StopTimeout" -> p.stopTimeout = r.optInt32();
        case "Healthcheck" -> p.healthcheck = Healthcheck.read(r);
        case "MacAddress" -> {
          if (!r.isNull()) p.macAddress = emptyToNull(r.string());
        }
        case "ExposedPorts" -> {
          // {"80/tcp": {}}: ports beyond the image's, published by PublishAllPorts.
          if (r.beginObject()) {
            for (String port; (port = r.nextField()) != null; ) {
              r.skip();
              p.expose.addAll(PortSpecs.expose(port));
            }
          }
        }
        case "Volumes" -> {
          // Anonymous volumes, as -v /path, unless a bind or mount takes the path (below).
          if (r.beginObject()) {
            for (String v; (v = r.nextField()) != null; ) {
              r.skip();
              p.anonymous.add(DockerFlags.volume(v));
            }
          }
        }
        case "HostConfig" -> hostConfig(r, p);
        case "NetworkingConfig" -> networkingConfig(r, p);
        // docker run --network none's older form
        case "NetworkDisabled" -> p.networkDisabled = !r.isNull() && r.bool();
        case "Domainname" -> p.domainname = r.isNull() ? null : r.string();
        default -> r.skip();
      }
    }
    if (p.image == null || p.image.isEmpty()) throw EngineException.invalid("Image: required");
    if (p.networkDisabled) p.networkMode = "none";
    // Config.Volumes lists every target, named ones too (docker-py and compose send "/data": {}
    // beside Binds' "vol:/data"): like an image's volumes, it yields to a mount at the same path.
    Set<Path> taken = new HashSet<>();
    for (MountOption m : p.mounts) taken.add(Path.of(m.target()).normalize());
    // "container[:ro|rw]": its volumes and binds where the body mounts nothing of its own.
    for (String from : p.volumesFrom) {
      int colon = from.lastIndexOf(':');
      String mode = colon < 0 ? "rw" : from.substring(colon + 1);
      if (!mode.equals("rw") && !mode.equals("ro")) {
        throw EngineException.invalid("HostConfig.VolumesFrom: invalid mode in '" + from + "'");
      }
      String ref = colon < 0 ? from : from.substring(0, colon);
      for (MountOption m : volumesFrom.mountsOf(ref, mode.equals("ro"))) {
        if (taken.add(Path.of(m.target()).normalize())) p.mounts.add(m);
      }
    }
    for (MountOption m : p.anonymous) {
      if (taken.add(Path.of(m.target()).normalize())) p.mounts.add(m);
    }
    // The first network is NetworkMode's; NetworkingConfig's others are attached beside it.
    for (String n : p.endpointNetworks) {
      if (p.networkMode == null || p.networkMode.isEmpty() || p.networkMode.equals("default")) {
        p.networkMode = n;
      } else if (!n.equals(p.networkMode)) {
        p.moreNetworks.add(n);
      }
    }
    String network = p.networkMode;
    if (network == null || network.isEmpty() || network.equals("default")) {
      network = DockerFlags.defaultNetwork(environment);
    }
    NetworkOptions net =
        new NetworkOptions(
            p.moreNetworks,
            p.aliases,
            p.ip,
            p.extraHosts,
            p.dns,
            p.dnsSearch,
            p.dnsOptions,
            p.ports,
            p.publishAll,
            p.expose,
            p.macAddress);
    try {
      return new ContainerOptions(
          p.image,
          name == null || name.isEmpty() ? null : name.startsWith("/") ? name.substring(1) : name,
          p.entrypoint,
          p.cmd,
          p.env,
          emptyToNull(p.workingDir),
          emptyToNull(p.user),
          emptyToNull(p.hostname),
          p.tty,
          p.openStdin,
          p.stdinOnce,
          p.labels,
          p.mounts,
          new ResourceOptions(
                  p.memory,
                  p.memorySwap,
                  p.nanoCpus,
                  p.cpuShares,
                  emptyToNull(p.cpuset),
                  p.pidsLimit,
                  p.cpuPeriod,
                  p.cpuQuota,
                  emptyToNull(p.cpusetMems),
                  null,
                  null)
              .withMemoryExtras(p.memoryReservation, p.memorySwappiness, p.oomKillDisable),
          p.capAdd,
          p.capDrop,
          p.privileged,
          p.readOnlyRootfs,
          p.securityOpt,
          p.ulimits,
          emptyToNull(p.stopSignal),
          p.stopTimeout,
          emptyToNull(p.runtime),
          network,
          p.autoRemove,
          p.shmSize,
          p.init,
          net,
          new HostOptions(
                  ipcModeOf(p.pidMode),
                  ipcModeOf(p.ipcMode),
                  p.utsMode,
                  p.cgroupnsMode,
                  p.cgroupParent,
                  p.sysctls,
                  null)
              .withRestartPolicy(p.restartPolicy)
              .withMaskedPaths(p.maskedPaths)
              .withReadonlyPaths(p.readonlyPaths)
              .withDevices(p.devices)
              .withGroupAdd(p.groupAdd)
              .withOomScoreAdj(p.oomScoreAdj == null || p.oomScoreAdj == 0 ? null : p.oomScoreAdj)
              .withLog(p.log)
              .withDomainname(p.domainname)
              .withAnnotations(p.annotations),
          p.healthcheck);
    } catch (IllegalArgumentException e) {
      throw EngineException.invalid(e.getMessage());
    }
  }

  /**
   * HostConfig.LogConfig: {@code {"Type": "json-file", "Config": {"max-size": "10m"}}}. An empty
   * Type with no Config (what clients send by default) is the engine's own log; what berth accepts
   * and does not do is said in the answer's Warnings.
   */
  private static void logConfig(JsonReader r, Parsed p) throws BerthException, SpecException {
    if (!r.beginObject()) return;
    String type = "";
    Map<String, String> config = Map.of();
    for (String g; (g = r.nextField()) != null; ) {
      switch (g) {
        case "Type" -> type = r.isNull() ? "" : r.string();
        case "Config" -> config = r.stringMap();
        default -> r.skip();
      }
    }
    if (type.isEmpty() && config.isEmpty()) return;
    p.log = dev.berth.engine.container.LogOptions.of(type, config);
    p.warnings.addAll(p.log.warnings());
  }

  /** The warning for a HostConfig limit berth does not set, in dockerd's words for its own. */
  static String discarded(String field, String value) {
    return "HostConfig."
        + field
        + " ("
        + value
        + ") is not supported by berth: limitation discarded.";
  }

  /**
   * GPUs and other devices a driver would provide (docker run --gpus): berth has no device driver,
   * so a request for one fails in dockerd's words rather than running without the device.
   */
  private static void deviceRequests(JsonReader r) throws BerthException, SpecException {
    if (!r.beginArray()) return;
    while (r.nextElement()) {
      if (!r.beginObject()) continue;
      String driver = "";
      List<String> caps = new ArrayList<>();
      for (String g; (g = r.nextField()) != null; ) {
        switch (g) {
          case "Driver" -> driver = r.isNull() ? "" : r.string();
          case "Capabilities" -> {
            if (r.beginArray()) {
              while (r.nextElement()) caps.add("[" + String.join(" ", r.strings()) + "]");
            }
          }
          default -> r.skip();
        }
      }
      throw EngineException.invalid(
          "could not select device driver \""
              + driver
              + "\" with capabilities: ["
              + String.join(" ", caps)
              + "]");
    }
  }

  /** docker's names of the default ("private", "shareable") are ours "". */
  private static String ipcModeOf(String mode) {
    return mode == null || mode.equals("private") || mode.equals("shareable") ? "" : mode;
  }

  /** What the body says, field by field. */
  private static final class Parsed {
    Healthcheck healthcheck;
    RestartPolicy restartPolicy = RestartPolicy.NO;
    String pidMode;
    String ipcMode;
    String utsMode;
    String cgroupnsMode;
    String cgroupParent;
    Map<String, String> sysctls = Map.of();
    List<String> groupAdd = List.of();
    Integer oomScoreAdj;
    final List<HostOptions.DeviceOption> devices = new ArrayList<>();
    String image;
    List<String> cmd = List.of();
    List<String> entrypoint;
    List<String> env = List.of();
    String workingDir;
    String user;
    String hostname;
    boolean tty;
    boolean openStdin;
    boolean stdinOnce;
    Map<String, String> labels = Map.of();
    String stopSignal;
    Integer stopTimeout;
    final List<MountOption> mounts = new ArrayList<>();
    final List<MountOption> anonymous = new ArrayList<>();
    final List<String> volumesFrom = new ArrayList<>();
    long memory;
    long memorySwap;
    long nanoCpus;
    long cpuShares;
    String cpuset;
    long pidsLimit;
    long cpuPeriod;
    long cpuQuota;
    long memoryReservation;
    Long memorySwappiness;
    boolean oomKillDisable;
    String cpusetMems;
    List<String> maskedPaths;
    List<String> readonlyPaths;
    List<String> warnings;
    List<String> capAdd = List.of();
    List<String> capDrop = List.of();
    boolean privileged;
    boolean readOnlyRootfs;
    List<String> securityOpt = List.of();
    final List<UlimitOption> ulimits = new ArrayList<>();
    String runtime;
    dev.berth.engine.container.LogOptions log;
    boolean networkDisabled;
    String domainname;
    Map<String, String> annotations = Map.of();
    String networkMode;
    boolean autoRemove;
    long shmSize;
    boolean init;
    final List<PortOption> ports = new ArrayList<>();
    boolean publishAll;
    final List<String> expose = new ArrayList<>();
    String macAddress;
    List<String> extraHosts = List.of();
    List<String> dns = List.of();
    List<String> dnsSearch = List.of();
    List<String> dnsOptions = List.of();
    final List<String> moreNetworks = new ArrayList<>();
    final List<String> aliases = new ArrayList<>();
    String ip;
    final List<String> endpointNetworks = new ArrayList<>();
  }

  private static void hostConfig(JsonReader r, Parsed p) throws BerthException, SpecException {
    if (!r.beginObject()) return;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "Binds" -> {
          for (String b : r.strings()) p.mounts.add(DockerFlags.volume(b));
        }
        case "VolumesFrom" -> p.volumesFrom.addAll(r.strings());
        case "Mounts" -> {
          if (r.beginArray()) {
            while (r.nextElement()) p.mounts.add(mount(r));
          }
        }
        case "Tmpfs" -> {
          for (var e : r.stringMap().entrySet()) {
            p.mounts.add(
                DockerFlags.tmpfs(
                    e.getValue().isEmpty() ? e.getKey() : e.getKey() + ":" + e.getValue()));
          }
        }
        case "PortBindings" -> portBindings(r, p);
        case "PublishAllPorts" -> p.publishAll = r.bool();
        case "AutoRemove" -> p.autoRemove = r.bool();
        case "Init" -> p.init = !r.isNull() && r.bool();
        case "Privileged" -> p.privileged = r.bool();
        case "ReadonlyRootfs" -> p.readOnlyRootfs = r.bool();
        case "Memory" -> p.memory = r.int64();
        case "MemorySwap" -> p.memorySwap = r.int64();
        case "NanoCpus" -> p.nanoCpus = r.int64();
        case "CpuShares" -> p.cpuShares = r.int64();
        case "CpusetCpus" -> p.cpuset = r.string();
        case "CpuPeriod" -> p.cpuPeriod = r.isNull() ? 0 : r.int64();
        case "CpuQuota" -> p.cpuQuota = r.isNull() ? 0 : r.int64();
        case "CpusetMems" -> p.cpusetMems = r.isNull() ? null : r.string();
        // null: the runtime's defaults; [] (systempaths=unconfined): none
        case "MaskedPaths" -> p.maskedPaths = r.isNull() ? skipNull(r) : r.strings();
        case "ReadonlyPaths" -> p.readonlyPaths = r.isNull() ? skipNull(r) : r.strings();
        case "DeviceRequests" -> deviceRequests(r);
        // Limits berth does not set: discarded with a warning, as dockerd discards what its
        // kernel lacks ("... Limitation discarded."); their zero values are what every client
        // sends.
        case "MemoryReservation" -> p.memoryReservation = r.isNull() ? 0 : r.int64();
        case "MemorySwappiness" -> p.memorySwappiness = r.optInt64();
        case "OomKillDisable" -> p.oomKillDisable = !r.isNull() && r.bool();
        case "KernelMemory",
            "KernelMemoryTCP",
            "BlkioWeight",
            "CpuRealtimePeriod",
            "CpuRealtimeRuntime",
            "CpuCount",
            "CpuPercent",
            "IOMaximumIOps",
            "IOMaximumBandwidth" -> {
          Long v = r.optInt64();
          if (v != null && v != 0) p.warnings.add(discarded(f, Long.toString(v)));
        }
        case "BlkioWeightDevice",
            "BlkioDeviceReadBps",
            "BlkioDeviceWriteBps",
            "BlkioDeviceReadIOps",
            "BlkioDeviceWriteIOps",
            "DeviceCgroupRules" -> {
          int n = 0;
          if (r.beginArray()) {
            while (r.nextElement()) {
              r.skip();
              n++;
            }
          }
          if (n > 0) p.warnings.add(discarded(f, n + (n == 1 ? " entry" : " entries")));
        }
        case "PidsLimit" -> {
          Long v = r.optInt64();
          p.pidsLimit = v == null ? 0 : v == 0 ? 0 : v < 0 ? -1 : v;
        }
        case "CapAdd" -> p.capAdd = r.strings();
        case "CapDrop" -> p.capDrop = r.strings();
        case "SecurityOpt" -> p.securityOpt = securityOpt(r.strings());
        case "Ulimits" -> {
          if (r.beginArray()) {
            while (r.nextElement()) p.ulimits.add(ulimit(r));
          }
        }
        case "NetworkMode" -> p.networkMode = r.string();
        case "ExtraHosts" -> p.extraHosts = r.strings();
        case "Dns" -> p.dns = r.strings();
        case "DnsSearch" -> p.dnsSearch = r.strings();
        case "DnsOptions" -> p.dnsOptions = r.strings();
        case "ShmSize" -> p.shmSize = r.int64();
        case "Runtime" -> p.runtime = r.string();
        case "LogConfig" -> logConfig(r, p);
        case "Annotations" -> p.annotations = r.stringMap();
        case "StorageOpt" -> {
          if (!r.stringMap().isEmpty())
            throw EngineException.invalid(
                "HostConfig.StorageOpt: --storage-opt is not supported by berth (its snapshots"
                    + " have no quota)");
        }
        case "UsernsMode" -> {
          String m = r.isNull() ? "" : r.string();
          // only "host" is a mode (dockerd's remapping is its daemon's setting, not a
          // container's)
          if (!m.isEmpty() && !m.equals("host"))
            throw EngineException.invalid("invalid USER mode: " + m);
        }
        case "Isolation" -> {
          String m = r.isNull() ? "" : r.string();
          if (!m.isEmpty() && !m.equals("default"))
            throw EngineException.invalid(
                "Invalid isolation: \"" + m + "\" - linux only supports 'default'");
        }
        case "VolumeDriver" -> {
          String d = r.isNull() ? "" : r.string();
          if (!d.isEmpty() && !d.equals("local"))
            throw new BerthException(
                dev.berth.spec.error.ErrorCategory.NOT_FOUND,
                "error looking up volume plugin " + d + ": plugin not found");
        }
        case "Cgroup" -> {
          String c = r.isNull() ? "" : r.string();
          if (!c.isEmpty())
            throw EngineException.invalid(
                "HostConfig.Cgroup: sharing another container's cgroup is not supported by berth");
        }
        case "Links" -> {
          List<String> links = r.isNull() ? skipNull(r) : r.strings();
          if (links != null && !links.isEmpty())
            p.warnings.add(
                "HostConfig.Links is not supported by berth: containers reach each other by name"
                    + " and alias on a user network.");
        }
        case "RestartPolicy" -> p.restartPolicy = restartPolicy(r);
        case "PidMode" -> p.pidMode = r.isNull() ? null : r.string();
        case "IpcMode" -> p.ipcMode = r.isNull() ? null : r.string();
        case "UTSMode" -> p.utsMode = r.isNull() ? null : r.string();
        case "CgroupnsMode" -> p.cgroupnsMode = r.isNull() ? null : r.string();
        case "CgroupParent" -> p.cgroupParent = r.isNull() ? null : r.string();
        case "Sysctls" -> p.sysctls = r.stringMap();
        case "GroupAdd" -> p.groupAdd = r.strings();
        case "OomScoreAdj" -> p.oomScoreAdj = r.optInt32();
        case "Devices" -> {
          if (r.beginArray()) {
            while (r.nextElement()) {
              if (!r.beginObject()) continue;
              String host = "";
              String target = "";
              String perms = "";
              for (String g; (g = r.nextField()) != null; ) {
                switch (g) {
                  case "PathOnHost" -> host = r.string();
                  case "PathInContainer" -> target = r.string();
                  case "CgroupPermissions" -> perms = r.string();
                  default -> r.skip();
                }
              }
              p.devices.add(
                  DockerFlags.device(
                      host
                          + (target.isEmpty() ? "" : ":" + target)
                          + (perms.isEmpty() ? "" : ":" + perms)));
            }
          }
        }
        default -> r.skip();
      }
    }
  }

  /**
   * HostConfig.SecurityOpt as dockerd takes it: a seccomp profile is its JSON (the docker CLI reads
   * the file and sends the content), "unconfined" or "builtin"; never a path, which would have
   * berthd open a host file a client names (a device never ending, or a secret whose first token an
   * error would show).
   */
  private static List<String> securityOpt(List<String> opts) throws BerthException {
    if (SecurityOptions.parse(opts).seccompProfile() != null) {
      throw EngineException.invalid(
          "HostConfig.SecurityOpt: decoding seccomp profile failed: want the profile's JSON (as"
              + " the docker CLI sends it), unconfined or builtin, not a path");
    }
    return opts;
  }

  /** {@code {"Name": "on-failure", "MaximumRetryCount": 3}}. */
  private static RestartPolicy restartPolicy(JsonReader r) throws BerthException, SpecException {
    if (!r.beginObject()) return RestartPolicy.NO;
    String name = "";
    int max = 0;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "Name" -> name = r.isNull() ? "" : r.string();
        case "MaximumRetryCount" -> {
          Integer v = r.optInt32();
          max = v == null ? 0 : v;
        }
        default -> r.skip();
      }
    }
    return RestartPolicy.of(name, max);
  }

  /** {@code "80/tcp": [{"HostIp": "", "HostPort": ""}]}: an empty HostPort is a free port. */
  private static void portBindings(JsonReader r, Parsed p) throws BerthException, SpecException {
    if (!r.beginObject()) return;
    for (String key; (key = r.nextField()) != null; ) {
      if (!r.beginArray()) {
        p.ports.addAll(PortSpecs.parse(key));
        continue;
      }
      while (r.nextElement()) {
        String ip = "";
        String port = "";
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "HostIp" -> ip = r.string();
              case "HostPort" -> port = r.string();
              default -> r.skip();
            }
          }
        }
        String host = ip.contains(":") ? "[" + ip + "]" : ip;
        String spec = host.isEmpty() ? port + ":" + key : host + ":" + port + ":" + key;
        p.ports.addAll(PortSpecs.parse(spec));
      }
    }
  }

  /** One of HostConfig.Mounts, through the {@code --mount} parser. */
  private static MountOption mount(JsonReader r) throws BerthException, SpecException {
    List<String> fields = new ArrayList<>();
    if (!r.beginObject()) throw EngineException.invalid("HostConfig.Mounts: null mount");
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "Type" -> fields.add("type=" + r.string());
        case "Source" -> {
          String s = r.string();
          if (!s.isEmpty()) fields.add("source=" + s);
        }
        case "Target" -> fields.add("target=" + r.string());
        case "ReadOnly" -> fields.add("readonly=" + r.bool());
        case "BindOptions" -> {
          if (r.beginObject()) {
            for (String b; (b = r.nextField()) != null; ) {
              if (b.equals("Propagation")) {
                String v = r.string();
                if (!v.isEmpty()) fields.add("bind-propagation=" + v);
              } else if (b.equals("NonRecursive")) {
                if (r.bool()) fields.add("bind-nonrecursive=true");
              } else {
                r.skip();
              }
            }
          }
        }
        case "VolumeOptions" -> {
          if (r.beginObject()) {
            for (String v; (v = r.nextField()) != null; ) {
              switch (v) {
                case "NoCopy" -> {
                  if (r.bool()) fields.add("volume-nocopy=true");
                }
                case "Labels" -> {
                  for (var e : r.stringMap().entrySet())
                    fields.add("volume-label=" + e.getKey() + "=" + e.getValue());
                }
                case "DriverConfig" -> {
                  if (r.beginObject()) {
                    for (String d; (d = r.nextField()) != null; ) {
                      switch (d) {
                        case "Name" -> {
                          String name = r.isNull() ? null : r.string();
                          if (name != null && !name.isEmpty()) fields.add("volume-driver=" + name);
                        }
                        case "Options" -> {
                          for (var e : r.stringMap().entrySet())
                            fields.add("volume-opt=" + e.getKey() + "=" + e.getValue());
                        }
                        default -> r.skip();
                      }
                    }
                  }
                }
                default -> r.skip();
              }
            }
          }
        }
        case "TmpfsOptions" -> {
          if (r.beginObject()) {
            for (String t; (t = r.nextField()) != null; ) {
              switch (t) {
                case "SizeBytes" -> {
                  long n = r.int64();
                  if (n > 0) fields.add("tmpfs-size=" + n);
                }
                case "Mode" -> {
                  long m = r.int64();
                  if (m != 0) fields.add("tmpfs-mode=" + Long.toOctalString(m & 07777));
                }
                default -> r.skip();
              }
            }
          }
        }
        default -> r.skip();
      }
    }
    List<String> quoted = new ArrayList<>();
    for (String f : fields) quoted.add(DockerFlags.csvField(f));
    return DockerFlags.mount(String.join(",", quoted));
  }

  private static UlimitOption ulimit(JsonReader r) throws BerthException, SpecException {
    String name = null;
    long soft = 0;
    long hard = 0;
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "Name" -> name = r.string();
          case "Soft" -> soft = r.int64();
          case "Hard" -> hard = r.int64();
          default -> r.skip();
        }
      }
    }
    if (name == null) throw EngineException.invalid("HostConfig.Ulimits: Name required");
    return DockerFlags.ulimit(name + "=" + soft + ":" + hard);
  }

  /** {@code {"EndpointsConfig": {"net": {"Aliases": [...], "IPAMConfig": {...}}}}}. */
  private static void networkingConfig(JsonReader r, Parsed p)
      throws BerthException, SpecException {
    if (!r.beginObject()) return;
    for (String f; (f = r.nextField()) != null; ) {
      if (!f.equals("EndpointsConfig") || !r.beginObject()) {
        if (!f.equals("EndpointsConfig")) r.skip();
        continue;
      }
      Map<String, Boolean> seen = new LinkedHashMap<>();
      for (String net; (net = r.nextField()) != null; ) {
        seen.put(net, true);
        if (!r.beginObject()) continue;
        for (String e; (e = r.nextField()) != null; ) {
          switch (e) {
            case "Aliases" -> {
              for (String a : r.strings()) if (!p.aliases.contains(a)) p.aliases.add(a);
            }
            case "MacAddress" -> {
              // API 1.44 moved it here from Config.
              if (!r.isNull()) {
                String mac = emptyToNull(r.string());
                if (mac != null) p.macAddress = mac;
              }
            }
            case "IPAMConfig" -> {
              if (r.beginObject()) {
                for (String i; (i = r.nextField()) != null; ) {
                  if (i.equals("IPv4Address")) {
                    String ip = r.string();
                    if (!ip.isEmpty()) p.ip = ip;
                  } else {
                    r.skip();
                  }
                }
              }
            }
            default -> r.skip();
          }
        }
      }
      p.endpointNetworks.addAll(seen.keySet());
    }
  }

  private static List<String> stringOrList(JsonReader r) throws SpecException {
    if (r.isNull()) return List.of();
    if (r.isArray()) return r.strings();
    String s = r.string();
    return s.isEmpty() ? List.of() : List.of(s);
  }

  private static List<String> skipNull(JsonReader r) {
    return null;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
