package dev.berth.engine.spec;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.container.NetworkOptions;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.error.Printable;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.ImageConfig.ContainerConfig;
import dev.berth.spec.json.SpecException;
import dev.berth.spec.runtime.Capabilities;
import dev.berth.spec.runtime.DefaultSpecs;
import dev.berth.spec.runtime.Device;
import dev.berth.spec.runtime.Linux;
import dev.berth.spec.runtime.Mount;
import dev.berth.spec.runtime.Namespace;
import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.Root;
import dev.berth.spec.runtime.Seccomp;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecValidator;
import dev.berth.spec.runtime.User;
import dev.berth.sys.Signals;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes a container's OCI spec from its image's config and the user's options, with docker's
 * defaults and docker's errors: the command (Entrypoint and Cmd), environment, working directory
 * and user (resolved in the image's /etc/passwd and /etc/group), capabilities, seccomp, namespaces,
 * mounts, masked and read-only paths, resources and rlimits. Every check comes before anything is
 * written: a refused request leaves nothing behind; an accepted one writes only /etc/hostname,
 * /etc/hosts and /etc/resolv.conf into the container's files directory.
 *
 * <p>Use: {@link #volumesNeeded} says which volumes the engine must provide; then {@link #generate}
 * with their directories.
 */
public final class SpecGenerator {
  /** docker's PATH for a container whose image and user set none. */
  public static final String DEFAULT_PATH =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** docker's masked paths: bound over by an empty file or directory. */
  public static final List<String> MASKED_PATHS =
      List.of(
          "/proc/asound",
          "/proc/acpi",
          "/proc/kcore",
          "/proc/keys",
          "/proc/latency_stats",
          "/proc/timer_list",
          "/proc/timer_stats",
          "/proc/sched_debug",
          "/proc/scsi",
          "/sys/firmware",
          "/sys/devices/virtual/powercap");

  /** docker's read-only paths. */
  public static final List<String> READONLY_PATHS =
      List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

  private final HostFacts host;

  private String hostGateway;
  private boolean writesFiles = true;

  public SpecGenerator(HostFacts host) {
    this.host = host;
  }

  /**
   * The address {@code --add-host NAME:host-gateway} stands for (the default network's gateway);
   * unset, such entries are left out of /etc/hosts.
   */
  public SpecGenerator hostGateway(String address) {
    this.hostGateway = address;
    return this;
  }

  /**
   * Whether {@link #generate} writes the container's hostname, hosts and resolv.conf (true by
   * default); false for a spec made only to be checked, whose files would be written again at the
   * start. {@link GeneratedSpec#files} names them either way.
   */
  public SpecGenerator writingFiles(boolean write) {
    this.writesFiles = write;
    return this;
  }

  /**
   * The limits of {@code r} as a runtime's update takes them (memory, cpu, pids, hugepages; no
   * device rules: an update keeps the container's), with docker's errors for bad values.
   */
  public static dev.berth.spec.runtime.Resources limits(
      ContainerOptions.ResourceOptions r, HostFacts host) throws BerthException {
    dev.berth.spec.runtime.Resources all = ContainerResources.resources(r, false, host.cpus());
    return new dev.berth.spec.runtime.Resources(
        List.of(),
        all.memory(),
        all.cpu(),
        all.pids(),
        all.blockIO(),
        all.hugepageLimits(),
        all.network(),
        all.unified());
  }

  /**
   * The volumes a container of {@code image} with {@code options} needs: the user's, then the
   * image's uncovered.
   */
  public static List<VolumeNeed> volumesNeeded(ImageConfig image, ContainerOptions options)
      throws BerthException {
    return ContainerMounts.volumesNeeded(new ArrayList<>(image.config().volumes()), options);
  }

  /**
   * The root's propagation its mounts need, as docker and containerd set it: a shared mount
   * (bidirectional) propagates back to the host only under a shared root, a slave one only under a
   * shared or slave root; otherwise the runtime's default (null).
   */
  static String rootfsPropagation(List<Mount> mounts) {
    String root = null;
    for (Mount m : mounts) {
      for (String o : m.options()) {
        if (o.equals("shared") || o.equals("rshared")) return "rshared";
        if (o.equals("slave") || o.equals("rslave")) root = "rslave";
      }
    }
    return root;
  }

  /**
   * The spec; writes the container's hostname, hosts and resolv.conf files into {@code
   * request.filesDir()}.
   */
  public GeneratedSpec generate(SpecRequest request) throws BerthException {
    ContainerOptions o = request.options();
    ContainerConfig image = request.image().config();

    List<String> args = processArgs(o, image);
    String network = o.network() == null || o.network().isEmpty() ? "none" : o.network();
    String utsMode = namespaceMode(o, "uts");
    String hostname = hostname(o, request.id(), request.joinedHostname());
    String cwd = workingDir(o, image);
    String userSpec = o.user() != null ? o.user() : image.user();
    ImageUsers.ExecUser user =
        request.userFiles() != null
            ? ImageUsers.resolve(request.userFiles(), userSpec)
            : ImageUsers.resolve(request.rootfs(), userSpec);
    dev.berth.runtime.PhaseTrace.mark("spec: user");
    List<String> env = env(o, image, hostname, user.home());
    SecurityOptions security = SecurityOptions.parse(o.securityOpts());
    List<String> caps =
        CapabilitySet.of(
            o.capAdd(), o.capDrop(), o.privileged(), host.capLastCap(), host.capBounding());
    Seccomp seccomp = seccomp(security, o.privileged(), caps);
    dev.berth.runtime.PhaseTrace.mark("spec: caps, seccomp");
    int stopSignal = stopSignal(o, image);
    Resources resources = ContainerResources.resources(o.resources(), o.privileged(), host.cpus());
    List<Device> devices =
        new ArrayList<>(o.privileged() ? ContainerResources.hostDevices(host.devDir()) : List.of());
    if (!o.host().devices().isEmpty()) {
      List<dev.berth.spec.runtime.DeviceRule> rules = new ArrayList<>(resources.devices());
      devices.addAll(ContainerResources.devices(o.host().devices(), rules));
      resources =
          new Resources(
              rules,
              resources.memory(),
              resources.cpu(),
              resources.pids(),
              resources.blockIO(),
              resources.hugepageLimits(),
              resources.network(),
              resources.unified());
    }
    List<Integer> gids = new ArrayList<>(user.additionalGids());
    List<Integer> added =
        request.userFiles() != null
            ? ImageUsers.groupIds(request.userFiles(), o.host().groupAdd())
            : ImageUsers.groupIds(request.rootfs(), o.host().groupAdd());
    for (int g : added) if (!gids.contains(g)) gids.add(g);
    if (o.host().oomScoreAdj() != null
        && (o.host().oomScoreAdj() < -1000 || o.host().oomScoreAdj() > 1000)) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid --oom-score-adj " + o.host().oomScoreAdj() + ": want -1000 to 1000");
    }

    List<VolumeNeed> volumes = volumesNeeded(request.image(), o);
    Path files = request.filesDir();
    Map<String, Path> etc = new LinkedHashMap<>();
    etc.put("/etc/resolv.conf", files.resolve("resolv.conf"));
    etc.put("/etc/hostname", files.resolve("hostname"));
    etc.put("/etc/hosts", files.resolve("hosts"));
    List<Mount> mounts = ContainerMounts.mounts(o, volumes, request.volumes(), etc, request.shm());
    dev.berth.runtime.PhaseTrace.mark("spec: resources, mounts");
    if (o.init()) {
      // --init: the host's static tini as PID 1, bound read-only where docker puts its own; it
      // forwards signals to the command and reaps orphans.
      mounts = new ArrayList<>(mounts);
      mounts.add(
          new Mount(
              INIT_PATH,
              "bind",
              initBinary().toString(),
              List.of("bind", "ro", "nosuid", "nodev"),
              List.of(),
              List.of()));
    }

    // docker 20.10+: a non-root process starts with no effective or permitted capabilities, only
    // the bounding set.
    Capabilities capabilities =
        user.uid() == 0
            ? new Capabilities(caps, caps, List.of(), caps, List.of())
            : new Capabilities(caps, List.of(), List.of(), List.of(), List.of());
    Process process =
        new Process(
            o.tty(),
            null,
            new User(user.uid(), user.gid(), null, gids, null),
            args,
            null,
            env,
            cwd,
            capabilities,
            ContainerResources.rlimits(o.ulimits()),
            security.noNewPrivileges(),
            null,
            o.host().oomScoreAdj(),
            null);

    List<Namespace> namespaces = new ArrayList<>();
    // A mode "host" has none of its own; a joined one (a container's, a pod's pin) its file.
    for (String ns : List.of("pid", "ipc", "uts", "mount", "cgroup")) {
      if (namespaceMode(o, ns).equals("host")) continue;
      namespaces.add(new Namespace(ns, request.namespaces().get(ns)));
    }
    // Every mode but "host" has a namespace of its own (or another container's): the engine's pin
    // when it gave one.
    if (!network.equals("host")) {
      namespaces.add(
          new Namespace(
              "network", request.netnsPath() == null ? null : request.netnsPath().toString()));
    }

    // A pod's user namespace, joined by its pin; its maps too, for handlers that cannot read a
    // pin's (runc 1.1 wants them with any user namespace).
    HostOptions.UserNamespaceOption userns = o.host().userns();
    if (userns != null) namespaces.add(new Namespace("user", userns.path()));
    boolean confined = !o.privileged() && !security.systemPathsUnconfined();
    Linux linux =
        new Linux(
            namespaces,
            userns == null ? null : userns.uidMappings(),
            userns == null ? null : userns.gidMappings(),
            null,
            devices,
            null,
            resources,
            o.host().sysctls(),
            seccomp,
            rootfsPropagation(mounts),
            o.host().maskedPaths() != null
                ? o.host().maskedPaths()
                : confined ? MASKED_PATHS : List.of(),
            o.host().readonlyPaths() != null
                ? o.host().readonlyPaths()
                : confined ? READONLY_PATHS : List.of(),
            null,
            null);
    Spec spec =
        new Spec(
            DefaultSpecs.OCI_VERSION,
            process,
            new Root(request.rootfs().toString(), o.readOnlyRootfs()),
            // A joined or the host's uts namespace keeps its own name: only /etc/hostname says it.
            utsMode.isEmpty() ? hostname : null,
            domainname(o, utsMode),
            mounts,
            null,
            o.host().annotations(),
            linux);
    dev.berth.runtime.PhaseTrace.mark("spec: made");
    List<String> problems = SpecValidator.validate(spec, true);
    dev.berth.runtime.PhaseTrace.mark("spec: validated");
    if (!problems.isEmpty()) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT, "container spec: " + String.join("; ", problems));
    }

    List<Path> written =
        writesFiles
            ? writeEtcFiles(files, hostname, network, o.networking())
            : List.of(
                files.resolve("hostname"), files.resolve("hosts"), files.resolve("resolv.conf"));
    dev.berth.runtime.PhaseTrace.mark("spec: etc files");
    return new GeneratedSpec(spec, hostname, stopSignal, written, volumes);
  }

  /** Where an {@code --init} process is in the container, as docker places its docker-init. */
  public static final String INIT_PATH = "/sbin/docker-init";

  /** The host's static init binaries for {@code --init}, by preference (Debian's tini-static). */
  static final List<Path> INIT_BINARIES =
      List.of(Path.of("/usr/bin/tini-static"), Path.of("/usr/bin/docker-init"));

  private static Path initBinary() throws BerthException {
    for (Path p : INIT_BINARIES) {
      if (Files.isExecutable(p)) {
        try {
          return p.toRealPath();
        } catch (java.io.IOException e) {
          // raced away: try the next
        }
      }
    }
    throw new BerthException(
        ErrorCategory.INVALID_ARGUMENT,
        "--init: no static init on the host (install tini: " + INIT_BINARIES.getFirst() + ")");
  }

  /**
   * docker's rule: the user's entrypoint replaces the image's and drops the image's Cmd; the user's
   * command replaces Cmd; the process runs entrypoint + cmd.
   */
  public static List<String> args(ContainerOptions o, ContainerConfig image) throws BerthException {
    List<String> entrypoint;
    List<String> cmd;
    if (o.entrypoint() != null) {
      entrypoint = o.entrypoint();
      cmd = o.command();
    } else {
      entrypoint = image.entrypoint() == null ? List.of() : image.entrypoint();
      cmd = !o.command().isEmpty() ? o.command() : image.cmd() == null ? List.of() : image.cmd();
    }
    List<String> args = new ArrayList<>(entrypoint);
    args.addAll(cmd);
    // "--entrypoint ''" is an empty entrypoint, not an empty program name.
    if (!args.isEmpty() && args.getFirst().isEmpty() && entrypoint.size() == 1) args.removeFirst();
    if (args.isEmpty())
      throw new BerthException(ErrorCategory.INVALID_ARGUMENT, "no command specified");
    return args;
  }

  /**
   * What a container's record keeps of its spec for inspect: the process's arguments and its host
   * name, as {@link #generate} makes them, without the image's files (known before the record is
   * written).
   */
  public record Facts(List<String> args, String hostname) {
    public Facts {
      args = List.copyOf(args);
    }
  }

  /** {@link Facts} of the spec {@link #generate} makes for the same container. */
  public Facts facts(ContainerOptions o, ContainerConfig image, String id, String joinedHostname)
      throws BerthException {
    return new Facts(processArgs(o, image), hostname(o, id, joinedHostname));
  }

  /** The process's arguments: the command, behind the init with {@code --init}. */
  private static List<String> processArgs(ContainerOptions o, ContainerConfig image)
      throws BerthException {
    if (!o.init()) return args(o, image);
    List<String> args = new ArrayList<>(List.of(INIT_PATH, "--"));
    args.addAll(args(o, image));
    return args;
  }

  /**
   * The container's host name: the host's in its uts namespace, the joined namespace's (or the one
   * asked for) when it joins one, else its own.
   */
  private String hostname(ContainerOptions o, String id, String joinedHostname)
      throws BerthException {
    String utsMode = namespaceMode(o, "uts");
    if (utsMode.equals("host")) return host.hostname();
    if (!utsMode.isEmpty()) {
      return o.hostname() != null && !o.hostname().isEmpty()
          ? checkHostname(o.hostname())
          : joinedHostname == null ? "" : joinedHostname;
    }
    String network = o.network() == null || o.network().isEmpty() ? "none" : o.network();
    return ownHostname(o, id, network);
  }

  private String ownHostname(ContainerOptions o, String id, String network) throws BerthException {
    String h;
    if (o.hostname() != null && !o.hostname().isEmpty()) {
      h = o.hostname();
    } else if (network.equals("host")) {
      h = host.hostname();
    } else {
      h = id.length() > 12 ? id.substring(0, 12) : id;
    }
    return checkHostname(h);
  }

  /**
   * {@code h} if it is a valid host name: sethostname(2) takes at most 64 bytes, docker refuses
   * names that are not host names, and it is written into /etc/hostname and /etc/hosts (a joined
   * uts namespace's too), where a newline would add lines.
   */
  /**
   * {@code --domainname}, set in the container's own uts namespace only (another's is not the
   * container's to rename), with the rule of a host name.
   */
  private static String domainname(ContainerOptions o, String utsMode) throws BerthException {
    String d = o.host().domainname();
    if (d == null) return null;
    if (!utsMode.isEmpty())
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT, "conflicting options: domainname and the UTS mode");
    return checkHostname(d);
  }

  private static String checkHostname(String h) throws BerthException {
    if (h.length() > 64 || !h.matches("[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?")) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid hostname format: "
              + Printable.of(h, 100)
              + " (want letters, digits, '-' and '.', at most 64)");
    }
    return h;
  }

  /**
   * The mode of namespace {@code type} of {@code o}: "" (its own), "host", or a joined one
   * (container:NAME, ns:PATH).
   */
  static String namespaceMode(ContainerOptions o, String type) {
    String m =
        switch (type) {
          case "pid" -> o.host().pidMode();
          case "ipc" -> o.host().ipcMode();
          case "uts" -> o.host().utsMode();
          case "cgroup" -> o.host().cgroupnsMode();
          default -> "";
        };
    return m.equals("private") || m.equals("shareable") ? "" : m;
  }

  static String workingDir(ContainerOptions o, ContainerConfig image) throws BerthException {
    String w =
        o.workingDir() != null && !o.workingDir().isEmpty()
            ? o.workingDir()
            : !image.workingDir().isEmpty() ? image.workingDir() : "/";
    if (!w.startsWith("/")) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "the working directory '" + w + "' is invalid, it needs to be an absolute path");
    }
    return Path.of(w).normalize().toString();
  }

  /**
   * docker's order: PATH, HOSTNAME and TERM (with a tty) first; then the user's variables and the
   * image's the user does not set, each replacing a variable of the same name where it stands; a
   * bare NAME removes it. HOME comes last from the user's passwd entry when no one set it (runc
   * would add the same).
   */
  static List<String> env(ContainerOptions o, ContainerConfig image, String hostname, String home) {
    List<String> merged = new ArrayList<>(o.env());
    for (String e : image.env()) {
      String key = key(e);
      boolean userSets = false;
      for (String u : o.env()) userSets |= key(u).equals(key);
      if (!userSets) merged.add(e);
    }
    LinkedHashMap<String, String> env = new LinkedHashMap<>();
    env.put("PATH", "PATH=" + DEFAULT_PATH);
    env.put("HOSTNAME", "HOSTNAME=" + hostname);
    if (o.tty()) env.put("TERM", "TERM=xterm");
    for (String e : merged) {
      String key = key(e);
      if (key.isEmpty()) continue;
      if (e.indexOf('=') < 0) {
        env.remove(key);
      } else {
        env.put(key, e);
      }
    }
    env.putIfAbsent("HOME", "HOME=" + home);
    return List.copyOf(env.values());
  }

  private static String key(String env) {
    int eq = env.indexOf('=');
    return eq < 0 ? env : env.substring(0, eq);
  }

  private Seccomp seccomp(SecurityOptions security, boolean privileged, List<String> caps)
      throws BerthException {
    if (privileged || security.seccompUnconfined()) return null;
    SeccompProfile profile = DefaultSeccompProfile.profile();
    if (security.seccompJson() != null) {
      try {
        profile =
            SeccompProfileReader.parse(
                security.seccompJson().getBytes(StandardCharsets.UTF_8), "seccomp profile");
      } catch (SpecException e) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "decoding seccomp profile failed: " + e.getMessage(),
            e);
      }
    } else if (security.seccompProfile() != null) {
      Path file = Path.of(security.seccompProfile());
      try {
        // A profile is a file: a device or a fifo named here would be read without end.
        if (!Files.isRegularFile(file)) throw new IOException(file + " is not a regular file");
        profile = SeccompProfileReader.parse(Files.readAllBytes(file), file.toString());
      } catch (IOException e) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "opening seccomp profile (" + file + ") failed: " + e.getMessage(),
            e);
      } catch (SpecException e) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "decoding seccomp profile failed: " + e.getMessage(),
            e);
      }
    }
    return profile.resolve(caps, host.goArch(), host.kernelRelease());
  }

  /** The signal that stops the container: the user's, the image's, else SIGTERM. */
  public static int stopSignal(ContainerOptions o, ContainerConfig image) throws BerthException {
    String s =
        o.stopSignal() != null && !o.stopSignal().isEmpty()
            ? o.stopSignal()
            : !image.stopSignal().isEmpty() ? image.stopSignal() : "SIGTERM";
    try {
      return Signals.parse(s);
    } catch (IllegalArgumentException e) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid signal: " + dev.berth.spec.error.Printable.of(s, 64));
    }
  }

  /** Writes the three files (replacing older ones atomically) and returns their paths. */
  private List<Path> writeEtcFiles(Path dir, String hostname, String network, NetworkOptions net)
      throws BerthException {
    String hosts;
    String resolv;
    try {
      if (network.equals("host")) {
        hosts =
            Files.exists(host.hosts())
                ? Files.readString(host.hosts())
                : EtcFiles.hosts(hostname, null);
        resolv =
            Files.exists(host.resolvConf())
                ? Files.readString(host.resolvConf())
                : EtcFiles.resolvConf("");
      } else {
        hosts = EtcFiles.hosts(hostname, null, net.extraHosts(), hostGateway);
        String hostResolv =
            Files.exists(host.resolvConf()) ? Files.readString(host.resolvConf()) : "";
        // systemd-resolved's stub is the host's loopback: use the servers it forwards to, as docker
        // does.
        if (EtcFiles.onlyResolvedStub(hostResolv) && Files.isReadable(host.resolvedResolvConf())) {
          hostResolv = Files.readString(host.resolvedResolvConf());
        }
        resolv = EtcFiles.resolvConf(hostResolv, net.dns(), net.dnsSearch(), net.dnsOptions());
      }
    } catch (IOException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "read the host's DNS configuration: " + e.getMessage(), e);
    }
    List<Path> written = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      written.add(write(dir.resolve("hostname"), EtcFiles.hostname(hostname)));
      written.add(write(dir.resolve("hosts"), hosts));
      written.add(write(dir.resolve("resolv.conf"), resolv));
    } catch (IOException e) {
      for (Path p : written) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // the first error is the one to report
        }
      }
      throw new BerthException(
          ErrorCategory.INTERNAL,
          "write the container's files in " + dir + ": " + e.getMessage(),
          e);
    }
    return written;
  }

  private static Path write(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return file;
  }
}
