package dev.berth.engine;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.NetworkOptions;
import dev.berth.engine.health.HealthFile;
import dev.berth.engine.health.HealthState;
import dev.berth.engine.network.Endpoint;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.spec.image.Healthcheck;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Containers as docker shows them: {@link #inspect} is {@code docker inspect}'s object (the Engine
 * API's {@code /containers/{id}/json}), {@link #summary} an entry of {@code /containers/json}
 * ({@code docker ps}), with docker's field names and order, as trees of plain values (maps, lists,
 * strings, numbers) for a JSON writer or a {@code --format} template.
 */
public final class ContainerViews {
  private ContainerViews() {}

  /**
   * The extras key under which create keeps the resolved command (entrypoint + cmd) as a JSON
   * array.
   */
  public static final String ARGS = "args";

  /** The extras key of the container's host name. */
  public static final String HOSTNAME = "hostname";

  /**
   * The extras key of the ports the container exposes (the image's and {@code --expose}), comma
   * separated keys {@code 80/tcp}: kept at create, so inspect needs no image config.
   */
  public static final String EXPOSED = "exposedPorts";

  /** The extra that lists the targets of a container's anonymous volumes, one per line. */
  public static final String VOLUMES = "anonymousVolumes";

  /** The ports {@code r} exposes, sorted ({@code 80/tcp}). */
  /** The targets of {@code r}'s anonymous volumes (docker's Config.Volumes), as made at create. */
  public static List<String> volumes(ContainerRecord r) {
    String v = r.extras().get(VOLUMES);
    return v == null || v.isEmpty() ? List.of() : List.of(v.split("\n"));
  }

  public static List<String> exposed(ContainerRecord r) {
    String v = r.extras().get(EXPOSED);
    return v == null || v.isEmpty() ? List.of() : List.of(v.split(","));
  }

  /**
   * The exposed ports of an image config and of {@code --expose}, sorted, as keys. An image's key
   * that is no port is left out: the image is not the user's to fix.
   */
  static List<String> exposed(java.util.Set<String> image, List<String> more) {
    java.util.TreeSet<String> all = new java.util.TreeSet<>(more);
    for (String key : image) {
      try {
        all.add(dev.berth.engine.container.PortSpecs.exposed(key).key());
      } catch (dev.berth.spec.error.BerthException notAPort) {
        // left out
      }
    }
    return List.copyOf(all);
  }

  /** The command the container runs: its path and arguments, as resolved at create. */
  public static List<String> command(ContainerRecord r) {
    String json = r.extras().get(ARGS);
    List<String> out = new ArrayList<>();
    if (json == null) return out;
    try (JsonReader reader = JsonReader.of(json.getBytes(StandardCharsets.UTF_8), "args")) {
      List<String> args = reader.strings();
      if (args != null) out.addAll(args);
    } catch (SpecException e) {
      // a record written by hand: no command shown
    }
    return out;
  }

  static String encodeCommand(List<String> args) {
    return new JsonWriter(JsonWriter.COMPACT).tree(args).toString();
  }

  /**
   * docker's STATUS column: "Created", "Up 5 seconds", "Up 2 minutes (Paused)", "Exited (0) 3
   * seconds ago".
   */
  public static String statusText(ContainerState s, Instant now) {
    return statusText(s, null, now);
  }

  /**
   * {@link #statusText(ContainerState, Instant)} with docker's health suffix for a running
   * container with a healthcheck ({@code health} null without): "Up 3 seconds (healthy)", "(health:
   * starting)", "(unhealthy)".
   */
  public static String statusText(ContainerState s, HealthState health, Instant now) {
    if (health != null && s.status() == Status.RUNNING) {
      String h = health.status();
      return "Up "
          + human(s.startedAt(), now)
          + (h.equals(HealthState.STARTING) ? " (health: starting)" : " (" + h + ")");
    }
    return switch (s.status()) {
      case CREATED -> "Created";
      case RUNNING -> "Up " + human(s.startedAt(), now);
      case PAUSED -> "Up " + human(s.startedAt(), now) + " (Paused)";
      case EXITED -> "Exited (" + s.exitCode() + ") " + human(s.finishedAt(), now) + " ago";
      case REMOVING -> "Removal In Progress";
    };
  }

  private static String human(Instant since, Instant now) {
    return since == null
        ? HumanDuration.of(Duration.ZERO)
        : HumanDuration.of(Duration.between(since, now));
  }

  /**
   * The command as docker's list shows it: the path, then the arguments, one with a space in single
   * quotes ({@code sh -c 'echo a; sleep 1'}).
   */
  static String listedCommand(List<String> cmd) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < cmd.size(); i++) {
      String a = cmd.get(i);
      if (i > 0) b.append(' ');
      b.append(i > 0 && a.contains(" ") ? "'" + a + "'" : a);
    }
    return b.toString();
  }

  /** An entry of docker's container list. */
  public static Map<String, Object> summary(ContainerRecord r, Instant now) {
    return summary(r, null, now);
  }

  /** An entry of docker's container list, its Status with {@code health} (null: none). */
  public static Map<String, Object> summary(ContainerRecord r, HealthState health, Instant now) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Id", r.id());
    m.put("Names", List.of("/" + r.name()));
    m.put("Image", r.imageRef());
    m.put("ImageID", r.imageId());
    m.put("Command", listedCommand(command(r)));
    m.put("Created", r.created().getEpochSecond());
    List<Object> ports = new ArrayList<>();
    for (Endpoint.Port p : ports(r)) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("IP", p.hostIp().isEmpty() ? "0.0.0.0" : p.hostIp());
      x.put("PrivatePort", (long) p.containerPort());
      x.put("PublicPort", (long) p.hostPort());
      x.put("Type", p.protocol());
      ports.add(x);
    }
    m.put("Ports", ports);
    m.put("Labels", new LinkedHashMap<>(r.options().labels()));
    m.put("State", r.state().status().word());
    m.put("Status", statusText(r.state(), health, now));
    m.put("HostConfig", Map.of("NetworkMode", network(r.options())));
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("Networks", networkSettings(r, null).get("Networks"));
    m.put("NetworkSettings", settings);
    m.put("Mounts", mounts(r, null));
    return m;
  }

  private static String network(ContainerOptions o) {
    return o.network() == null ? "none" : o.network();
  }

  /** The endpoints of a running container (none when it does not run or has no network). */
  public static List<Endpoint> endpoints(ContainerRecord r) {
    return Endpoint.readEndpoints(r.extras().get(ContainerNetworking.ENDPOINTS));
  }

  /** The ports a running container publishes, as made (a free host port chosen). */
  public static List<Endpoint.Port> ports(ContainerRecord r) {
    return Endpoint.readPorts(r.extras().get(ContainerNetworking.PORTS));
  }

  /** docker ps's PORTS column: {@code 0.0.0.0:8080->80/tcp, 0.0.0.0:8443->443/tcp}. */
  public static String portsText(ContainerRecord r) {
    List<String> out = new ArrayList<>();
    for (Endpoint.Port p : ports(r)) out.add(p.text());
    return String.join(", ", out);
  }

  /**
   * The names of the networks a container is attached to (running or not), the default one as
   * "berth".
   */
  public static List<String> networkNames(ContainerRecord r) {
    List<Endpoint> eps = endpoints(r);
    List<String> out = new ArrayList<>();
    if (!eps.isEmpty()) {
      for (Endpoint e : eps) out.add(e.network());
      return out;
    }
    String kept = r.extras().get(ContainerNetworking.REQUESTS);
    if (kept != null) {
      for (Endpoint.Request q : Endpoint.readRequests(kept)) out.add(q.network());
      return out;
    }
    String mode = ContainerNetworking.mode(r.options());
    if (!ContainerNetworking.attaches(mode))
      return List.of(mode.startsWith("container:") ? "container" : mode);
    List<String> names = new ArrayList<>(List.of(mode));
    names.addAll(r.options().networking().networks());
    for (String n : names) {
      String name = n.equals("bridge") ? dev.berth.engine.network.NetworkStore.DEFAULT_NETWORK : n;
      if (!out.contains(name)) out.add(name);
    }
    return out;
  }

  /**
   * docker inspect's NetworkSettings: the first endpoint's address at the top, every network under
   * Networks.
   */
  static Map<String, Object> networkSettings(ContainerRecord r, Path sandbox) {
    List<Endpoint> eps = endpoints(r);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Bridge", "");
    m.put("SandboxID", eps.isEmpty() ? "" : r.id());
    m.put("HairpinMode", false);
    m.put("LinkLocalIPv6Address", "");
    m.put("LinkLocalIPv6PrefixLen", 0L);
    m.put("SecondaryIPAddresses", null);
    m.put("SecondaryIPv6Addresses", null);
    m.put("SandboxKey", eps.isEmpty() || sandbox == null ? "" : sandbox.toString());
    Map<String, Object> ports = new java.util.TreeMap<>();
    for (Endpoint.Port p : ports(r)) {
      @SuppressWarnings("unchecked")
      List<Object> bindings =
          (List<Object>)
              ports.computeIfAbsent(p.containerPort() + "/" + p.protocol(), k -> new ArrayList<>());
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("HostIp", p.hostIp().isEmpty() ? "0.0.0.0" : p.hostIp());
      b.put("HostPort", Integer.toString(p.hostPort()));
      bindings.add(b);
    }
    // Exposed and not published: docker lists them with no binding.
    if (!eps.isEmpty()) for (String key : exposed(r)) ports.putIfAbsent(key, null);
    m.put("Ports", ports);
    Endpoint first = eps.isEmpty() ? null : eps.get(0);
    m.put("EndpointID", first == null ? "" : endpointId(r, first));
    m.put("Gateway", first == null ? "" : first.gateway());
    m.put("GlobalIPv6Address", "");
    m.put("GlobalIPv6PrefixLen", 0L);
    m.put("IPAddress", first == null ? "" : first.ip());
    m.put("IPPrefixLen", first == null ? 0L : (long) first.prefix());
    m.put("IPv6Gateway", "");
    m.put("MacAddress", first == null ? "" : first.mac());
    Map<String, Object> nets = new LinkedHashMap<>();
    List<String> names = networkNames(r);
    for (String name : names) {
      Endpoint e = null;
      for (Endpoint x : eps) if (x.network().equals(name)) e = x;
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("IPAMConfig", null);
      n.put("Links", null);
      List<String> aliases = new ArrayList<>();
      if (e != null) aliases.addAll(e.aliases());
      n.put("Aliases", aliases.isEmpty() ? null : aliases);
      n.put("MacAddress", e == null ? "" : e.mac());
      n.put("NetworkID", e == null ? "" : e.networkId());
      n.put("EndpointID", e == null ? "" : endpointId(r, e));
      n.put("Gateway", e == null ? "" : e.gateway());
      n.put("IPAddress", e == null ? "" : e.ip());
      n.put("IPPrefixLen", e == null ? 0L : (long) e.prefix());
      n.put("IPv6Gateway", "");
      n.put("GlobalIPv6Address", "");
      n.put("GlobalIPv6PrefixLen", 0L);
      n.put("DriverOpts", null);
      List<String> dns = new ArrayList<>();
      if (e != null && !name.equals(dev.berth.engine.network.NetworkStore.DEFAULT_NETWORK)) {
        dns.add(r.name());
        dns.add(r.shortId());
        dns.addAll(e.aliases());
      }
      n.put("DNSNames", dns.isEmpty() ? null : dns);
      nets.put(name, n);
    }
    m.put("Networks", nets);
    return m;
  }

  /** A stable id of an endpoint: the container's and the interface's, hashed. */
  public static String endpointId(ContainerRecord r, Endpoint e) {
    // Not through the JCA: its first use costs a cold CLI ~11 ms (Sha256).
    byte[] d =
        dev.berth.spec.image.Sha256.digest(
            (r.id() + "/" + e.network() + "/" + e.ifName()).getBytes(StandardCharsets.UTF_8));
    return java.util.HexFormat.of().formatHex(d);
  }

  private static String time(Instant t) {
    return t == null ? "0001-01-01T00:00:00Z" : Rfc3339.format(t);
  }

  /** docker inspect's object for a container whose files are at {@code layout}. */
  public static Map<String, Object> inspect(ContainerRecord r, Engine.Layout layout) {
    ContainerOptions o = r.options();
    ContainerState s = r.state();
    List<String> cmd = command(r);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Id", r.id());
    m.put("Created", Rfc3339.format(r.created()));
    m.put("Path", cmd.isEmpty() ? "" : cmd.get(0));
    m.put("Args", cmd.size() > 1 ? cmd.subList(1, cmd.size()) : List.of());
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("Status", s.status().word());
    state.put("Running", s.status() == Status.RUNNING || s.status() == Status.PAUSED);
    state.put("Paused", s.status() == Status.PAUSED);
    state.put("Restarting", false);
    state.put("OOMKilled", s.oomKilled());
    state.put("Dead", false);
    state.put("Pid", s.pid());
    state.put("ExitCode", s.exitCode());
    state.put("Error", s.error());
    state.put("StartedAt", time(s.startedAt()));
    state.put("FinishedAt", time(s.finishedAt()));
    health(r, layout.dir()).ifPresent(h -> state.put("Health", healthView(h)));
    m.put("State", state);
    m.put("Image", r.imageId());
    m.put("ResolvConfPath", layout.dir().resolve("resolv.conf").toString());
    m.put("HostnamePath", layout.dir().resolve("hostname").toString());
    m.put("HostsPath", layout.dir().resolve("hosts").toString());
    m.put("LogPath", Engine.logPath(r, layout).toString());
    m.put("Name", "/" + r.name());
    m.put("RestartCount", s.restartCount());
    m.put("ExecIDs", null);
    m.put("Driver", "overlay");
    m.put("Platform", "linux");
    m.put("MountLabel", "");
    m.put("ProcessLabel", "");
    m.put("AppArmorProfile", "");
    m.put("HostConfig", hostConfig(r));
    m.put(
        "GraphDriver",
        Map.of("Name", "overlay", "Data", Map.of("MergedDir", layout.rootfs().toString())));
    m.put("Mounts", mounts(r, layout));
    m.put("Config", config(r));
    m.put("NetworkSettings", networkSettings(r, layout.netns()));
    return m;
  }

  private static Map<String, Object> config(ContainerRecord r) {
    ContainerOptions o = r.options();
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("Hostname", r.extras().getOrDefault(HOSTNAME, r.id().substring(0, 12)));
    c.put("Domainname", o.host().domainname() == null ? "" : o.host().domainname());
    c.put("User", o.user() == null ? "" : o.user());
    c.put("AttachStdin", o.openStdin());
    c.put("AttachStdout", true);
    c.put("AttachStderr", true);
    c.put("Tty", o.tty());
    c.put("OpenStdin", o.openStdin());
    c.put("StdinOnce", o.stdinOnce());
    c.put("Env", o.env().isEmpty() ? null : o.env());
    c.put("Cmd", o.command().isEmpty() ? null : o.command());
    c.put("Image", r.imageRef());
    c.put("WorkingDir", o.workingDir() == null ? "" : o.workingDir());
    c.put("Entrypoint", o.entrypoint());
    List<String> anonymous = volumes(r);
    Map<String, Object> volumes = new LinkedHashMap<>();
    for (String target : anonymous) volumes.put(target, Map.of());
    c.put("Volumes", volumes.isEmpty() ? null : volumes);
    c.put("OnBuild", null);
    c.put("Labels", new LinkedHashMap<>(o.labels()));
    List<String> exposed = exposed(r);
    if (!exposed.isEmpty()) {
      Map<String, Object> e = new LinkedHashMap<>();
      for (String key : exposed) e.put(key, Map.of());
      c.put("ExposedPorts", e);
    }
    if (o.stopSignal() != null) c.put("StopSignal", o.stopSignal());
    if (o.stopTimeout() != null) c.put("StopTimeout", o.stopTimeout());
    if (o.healthcheck() != null) c.put("Healthcheck", healthcheckView(o.healthcheck()));
    return c;
  }

  /**
   * The health of {@code r}, whose directory is {@code dir}: what its last probe left ("starting"
   * before the first), kept after it stops; empty without an active healthcheck.
   */
  public static java.util.Optional<HealthState> health(ContainerRecord r, Path dir) {
    Healthcheck h = r.options().healthcheck();
    if (h == null || !h.active()) return java.util.Optional.empty();
    return java.util.Optional.of(HealthFile.read(dir).orElse(HealthState.INITIAL));
  }

  /** docker's State.Health. */
  public static Map<String, Object> healthView(HealthState h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Status", h.status());
    m.put("FailingStreak", h.failingStreak());
    List<Object> log = new ArrayList<>();
    for (HealthState.Probe p : h.log()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("Start", Rfc3339.format(p.start()));
      e.put("End", Rfc3339.format(p.end()));
      e.put("ExitCode", p.exitCode());
      e.put("Output", p.output());
      log.add(e);
    }
    m.put("Log", log);
    return m;
  }

  /** docker's Config.Healthcheck (HealthConfig), zero fields left out. */
  public static Map<String, Object> healthcheckView(Healthcheck h) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (!h.test().isEmpty()) m.put("Test", h.test());
    if (h.interval() != 0) m.put("Interval", h.interval());
    if (h.timeout() != 0) m.put("Timeout", h.timeout());
    if (h.startPeriod() != 0) m.put("StartPeriod", h.startPeriod());
    if (h.startInterval() != 0) m.put("StartInterval", h.startInterval());
    if (h.retries() != 0) m.put("Retries", h.retries());
    return m;
  }

  private static Map<String, Object> hostConfig(ContainerRecord r) {
    ContainerOptions o = r.options();
    Map<String, Object> h = new LinkedHashMap<>();
    List<String> binds = new ArrayList<>();
    for (MountOption m : o.mounts()) {
      // docker lists -v host:ctr and -v name:ctr here; an anonymous volume is in Config.Volumes
      boolean named = m.type() == MountOption.Type.VOLUME && m.source() != null;
      if (m.type() == MountOption.Type.BIND || named)
        binds.add(m.source() + ":" + m.target() + (m.readOnly() ? ":ro" : ""));
    }
    h.put("Binds", binds.isEmpty() ? null : binds);
    h.put("ContainerIDFile", "");
    // the engine's own log is podman's k8s-file; a driver asked for is shown as asked
    var log = o.host().log();
    h.put(
        "LogConfig",
        log == null
            ? Map.of("Type", "k8s-file", "Config", Map.of())
            : Map.of("Type", log.driver(), "Config", new java.util.TreeMap<>(log.options())));
    h.put("NetworkMode", network(o));
    Map<String, Object> bindings = new java.util.TreeMap<>();
    for (NetworkOptions.PortOption p : o.networking().ports()) {
      @SuppressWarnings("unchecked")
      List<Object> l = (List<Object>) bindings.computeIfAbsent(p.key(), k -> new ArrayList<>());
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("HostIp", p.hostIp());
      b.put("HostPort", p.hostPort() == 0 ? "" : Integer.toString(p.hostPort()));
      l.add(b);
    }
    h.put("PortBindings", bindings);
    h.put("VolumeDriver", "");
    h.put("VolumesFrom", null);
    h.put("ConsoleSize", List.of(0, 0));
    h.put("PidMode", o.host().pidMode());
    h.put("IpcMode", o.host().ipcMode().isEmpty() ? "private" : o.host().ipcMode());
    h.put("UTSMode", o.host().utsMode());
    h.put("CgroupnsMode", o.host().cgroupnsMode().isEmpty() ? "private" : o.host().cgroupnsMode());
    h.put("CgroupParent", o.host().cgroupParent() == null ? "" : o.host().cgroupParent());
    h.put("Sysctls", o.host().sysctls().isEmpty() ? null : new LinkedHashMap<>(o.host().sysctls()));
    h.put("AutoRemove", o.autoRemove());
    List<Map<String, Object>> devices = new ArrayList<>();
    for (var d : o.host().devices()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("PathOnHost", d.hostPath());
      m.put("PathInContainer", d.containerPath());
      m.put("CgroupPermissions", d.permissions());
      devices.add(m);
    }
    h.put("Devices", devices);
    h.put("DeviceCgroupRules", null);
    h.put("DeviceRequests", null);
    h.put("Dns", o.networking().dns());
    h.put("DnsOptions", o.networking().dnsOptions());
    h.put("DnsSearch", o.networking().dnsSearch());
    h.put("ExtraHosts", o.networking().extraHosts().isEmpty() ? null : o.networking().extraHosts());
    h.put("GroupAdd", o.host().groupAdd().isEmpty() ? null : o.host().groupAdd());
    h.put("OomScoreAdj", o.host().oomScoreAdj() == null ? 0 : o.host().oomScoreAdj());
    h.put(
        "RestartPolicy",
        Map.of(
            "Name", o.host().restartPolicy().name(),
            "MaximumRetryCount", o.host().restartPolicy().maxRetries()));
    h.put("Privileged", o.privileged());
    h.put("ReadonlyRootfs", o.readOnlyRootfs());
    h.put("CapAdd", o.capAdd().isEmpty() ? null : o.capAdd());
    h.put("CapDrop", o.capDrop().isEmpty() ? null : o.capDrop());
    h.put("SecurityOpt", o.securityOpts().isEmpty() ? null : o.securityOpts());
    h.put("Runtime", r.runtime());
    h.put("ShmSize", o.shmSize() == 0 ? 64L << 20 : o.shmSize());
    h.put("Memory", o.resources().memory());
    h.put("MemorySwap", o.resources().memorySwap());
    h.put("NanoCpus", o.resources().nanoCpus());
    h.put("CpuShares", o.resources().cpuShares());
    h.put("CpusetCpus", o.resources().cpusetCpus() == null ? "" : o.resources().cpusetCpus());
    h.put("CpusetMems", o.resources().cpusetMems() == null ? "" : o.resources().cpusetMems());
    h.put("CpuPeriod", o.resources().cpuPeriod());
    h.put("CpuQuota", o.resources().cpuQuota());
    h.put("PidsLimit", o.resources().pidsLimit() == 0 ? null : o.resources().pidsLimit());
    List<Object> ulimits = new ArrayList<>();
    for (ContainerOptions.UlimitOption u : o.ulimits()) {
      ulimits.add(Map.of("Name", u.name(), "Soft", u.soft(), "Hard", u.hard()));
    }
    h.put("Ulimits", ulimits);
    // What docker answers for the settings berth has no flag for: their zero values, so that
    // clients reading them (templates, typed decoders) see what dockerd shows when unset.
    for (String zero :
        List.of(
            "BlkioWeight",
            "CpuCount",
            "CpuPercent",
            "CpuRealtimePeriod",
            "CpuRealtimeRuntime",
            "IOMaximumBandwidth",
            "IOMaximumIOps",
            "KernelMemory",
            "KernelMemoryTCP")) h.put(zero, 0L);
    h.put("MemoryReservation", o.resources().memoryReservation());
    for (String empty :
        List.of(
            "BlkioWeightDevice",
            "BlkioDeviceReadBps",
            "BlkioDeviceWriteBps",
            "BlkioDeviceReadIOps",
            "BlkioDeviceWriteIOps")) h.put(empty, List.of());
    h.put("MemorySwappiness", o.resources().memorySwappiness());
    h.put("OomKillDisable", o.resources().oomKillDisable());
    h.put("PublishAllPorts", o.networking().publishAll());
    h.put("Links", null);
    h.put("Cgroup", "");
    h.put("UsernsMode", "");
    h.put("Isolation", "");
    h.put("Init", o.init() ? Boolean.TRUE : null); // docker's null: not asked for
    return h;
  }

  /**
   * The container's mounts; a volume's Source is its data directory when {@code layout} is known.
   */
  private static List<Object> mounts(ContainerRecord r, Engine.Layout layout) {
    List<Object> out = new ArrayList<>();
    int volume = 0;
    for (MountOption m : r.options().mounts()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("Type", m.type().name().toLowerCase(java.util.Locale.ROOT));
      if (m.type() == MountOption.Type.VOLUME) {
        String name =
            m.source() != null
                ? m.source()
                : volume < r.volumes().size() ? r.volumes().get(volume) : "";
        volume++;
        x.put("Name", name);
        x.put("Source", layout == null || name.isEmpty() ? "" : layout.volumeData(name).toString());
        x.put("Driver", "local");
      } else {
        x.put("Source", m.source() == null ? "" : m.source());
      }
      x.put("Destination", m.target());
      x.put("Mode", m.readOnly() ? "ro" : "");
      x.put("RW", !m.readOnly());
      x.put("Propagation", "");
      out.add(x);
    }
    return out;
  }
}
