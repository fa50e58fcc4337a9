package dev.berth.engine.pod;

import dev.berth.engine.Engine;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.network.netns.NetnsPins;
import dev.berth.engine.pod.PodConfig.Mode;
import dev.berth.engine.pod.PodRecord.State;
import dev.berth.engine.spec.EtcFiles;
import dev.berth.engine.spec.HostFacts;
import dev.berth.engine.spec.NamespacedSysctls;
import dev.berth.engine.store.AtomicFiles;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.image.dirs.LockFile;
import dev.berth.runtime.cgroups.Cgroups;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.error.Printable;
import dev.berth.spec.runtime.SpecValidator;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pod sandboxes ({@code engine.pods()}): the CRI's RunPodSandbox, StopPodSandbox, RemovePodSandbox,
 * PodSandboxStatus and ListPodSandbox as library calls, and the containers that join a pod.
 *
 * <p>A pod's namespaces are made and pinned without a process: its network namespace as the
 * engine's containers' are ({@link NetnsPins}, then CNI ADD with kubelet's CNI_ARGS and portmap),
 * its ipc and uts namespaces the same way (a thread unshares, writes the hostname and sysctls
 * through procfs, bind-mounts {@code /proc/thread-self/ns/X}). Only a pid namespace its containers
 * share needs a process, its pid 1 (see {@link PausePid}). Its containers are ordinary engine
 * containers whose modes are {@code ns:<pin>}, under its cgroup parent, with its hosts, hostname
 * and resolv.conf (one set per pod) and its /dev/shm bound in, and the label {@link #POD_LABEL}.
 *
 * <p>Records survive a crash and an engine restart; a pod whose pins are gone (a reboot) reads as
 * NOTREADY, and the engine's network recovery has released its CNI attachment then.
 */
public final class Pods {
  /** The label naming the pod a container belongs to. */
  public static final String POD_LABEL = "dev.berth.pod.id";

  private static final long SHM_SIZE = 64L << 20;

  private final Engine engine;
  private final PodStore store;
  private final PodNetwork network;
  private NetnsPins pins;

  public Pods(Engine engine, PodNetwork network) throws BerthException {
    this.engine = engine;
    this.store = PodStore.open(engine.config().root());
    this.network = network;
  }

  /** The ipc and uts pins, {@code <runRoot>/podns/<id>.ipc|.uts}, opened on first use. */
  private synchronized NetnsPins pins() throws BerthException {
    if (pins == null) pins = NetnsPins.open(engine.config().runRoot().resolve("podns"));
    return pins;
  }

  /** The directory of a pod's files (hostname, hosts, resolv.conf) in the store. */
  public Path filesDir(String id) {
    return store.podDir(id);
  }

  /** Where a pod's /dev/shm tmpfs is mounted while it exists. */
  public Path shmDir(String id) {
    return engine.config().runRoot().resolve("pods").resolve(id).resolve("shm");
  }

  // ---- run ----

  /**
   * RunPodSandbox: the pod's record, files, namespaces, network and cgroup; READY when it returns.
   * A failure leaves nothing (no record, pin, attachment, lease, cgroup, mount or file).
   */
  public PodRecord run(PodConfig c) throws BerthException {
    check(c);
    String id = store.newId();
    String hostname = c.hostnameOrHost();
    Mode net = c.namespaces().network();
    Mode ipc = c.namespaces().ipc();
    String cgroupParent;
    boolean ownsCgroup = c.cgroupParent() == null;
    if (ownsCgroup) {
      String base = engine.config().cgroupParent();
      String own = "berth-pod-" + id.substring(0, 12);
      cgroupParent =
          base == null || base.isEmpty() ? own : (base.endsWith("/") ? base : base + "/") + own;
    } else {
      cgroupParent = c.cgroupParent();
    }
    store.create(
        new PodRecord(
            id,
            c,
            Instant.now(),
            State.NOTREADY,
            null,
            null,
            null,
            null,
            0,
            "",
            cgroupParent,
            ownsCgroup));
    int[] pause = {0};
    PodConfig.UserNamespace userns = c.namespaces().userns();
    boolean sharedPid = c.namespaces().pid() == Mode.POD;
    try (LockFile lock = store.lock(id)) {
      writeFiles(id, c, hostname, net == Mode.NODE);
      if (userns != null) giveFilesToRoot(id, userns);
      if (ownsCgroup) Cgroups.forContainer(cgroupParent, id).create();
      Map<String, String> netSysctls = new LinkedHashMap<>();
      Map<String, String> ipcSysctls = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : c.sysctls().entrySet()) {
        (e.getKey().startsWith("net.") ? netSysctls : ipcSysctls).put(e.getKey(), e.getValue());
      }
      // With a user namespace of its own, a holder process makes it and the namespaces it owns
      // (a thread of this process cannot); they are pinned from its /proc/PID/ns. It stays only
      // as the init of a shared pid namespace.
      Path made = null;
      if (userns != null) {
        pause[0] = PausePid.startInUserNamespace(id, userns, sharedPid);
        made = Path.of("/proc/" + pause[0] + "/ns");
        pins().adopt(id + ".user", "user", made.resolve("user"), null);
      }
      String ipcNs = null;
      if (ipc == Mode.POD) {
        NetnsPins.Inside sysctls = () -> writeSysctls(ipcSysctls);
        ipcNs =
            (made == null
                    ? pins().create(id + ".ipc", "ipc", sysctls)
                    : pins().adopt(id + ".ipc", "ipc", made.resolve("ipc"), sysctls))
                .toString();
        mountShm(id, userns);
      }
      String utsNs = null;
      String netns = null;
      String ip = "";
      if (net == Mode.POD) {
        NetnsPins.Inside name = () -> write("/proc/sys/kernel/hostname", hostname);
        utsNs =
            (made == null
                    ? pins().create(id + ".uts", "uts", name)
                    : pins().adopt(id + ".uts", "uts", made.resolve("uts"), name))
                .toString();
        netns =
            network
                .pin(id, made == null ? null : made.resolve("net"), () -> writeSysctls(netSysctls))
                .toString();
        Map<String, String> args = new LinkedHashMap<>();
        args.put("K8S_POD_NAMESPACE", c.namespace());
        args.put("K8S_POD_NAME", c.name());
        args.put("K8S_POD_INFRA_CONTAINER_ID", id);
        args.put("K8S_POD_UID", c.uid());
        List<PodConfig.PortMapping> ports = new ArrayList<>();
        for (PodConfig.PortMapping m : c.portMappings()) if (m.hostPort() != 0) ports.add(m);
        ip = network.attach(id, c.network(), args, ports).ip();
      }
      String pidNs = null;
      int pausePid = 0;
      if (sharedPid) {
        if (userns == null) pause[0] = PausePid.start(id);
        pausePid = pause[0];
        pidNs = "/proc/" + pausePid + "/ns/pid";
      } else if (userns != null) {
        PausePid.stop(pause[0], id); // its namespaces are pinned
        pause[0] = 0;
      }
      String fIpc = ipcNs;
      String fUts = utsNs;
      String fNet = netns;
      String fIp = ip;
      String fPid = pidNs;
      int fPause = pausePid;
      return store.update(
          id,
          r ->
              new PodRecord(
                  id,
                  c,
                  r.created(),
                  State.READY,
                  fNet,
                  fIpc,
                  fUts,
                  fPid,
                  fPause,
                  fIp,
                  cgroupParent,
                  ownsCgroup));
    } catch (BerthException | IOException | RuntimeException e) {
      try {
        PausePid.stop(pause[0], id);
        release(store.get(id), true);
      } catch (BerthException | RuntimeException x) {
        e.addSuppressed(x);
      }
      if (e instanceof BerthException b) throw b;
      throw new BerthException(
          ErrorCategory.INTERNAL, "run pod " + c.fullName() + ": " + e.getMessage(), e);
    } finally {
      store.dropLock(id);
    }
  }

  /** RunPodSandbox's checks, before anything is made: INVALID_ARGUMENT naming the field. */
  private void check(PodConfig c) throws BerthException {
    if (c.name() == null || c.name().isEmpty())
      throw invalid("pod config: metadata.name is required");
    if (c.uid() == null || c.uid().isEmpty()) throw invalid("pod config: metadata.uid is required");
    if (c.namespace() == null || c.namespace().isEmpty())
      throw invalid("pod config: metadata.namespace is required");
    if (c.namespaces().network() == Mode.CONTAINER)
      throw invalid("pod config: namespace_options.network: CONTAINER is not a pod's mode");
    if (c.namespaces().ipc() == Mode.CONTAINER)
      throw invalid("pod config: namespace_options.ipc: CONTAINER is not a pod's mode");
    if (c.namespaces().userns() != null) checkUserns(c);
    // The host's own name, used when none is given, is the host's business.
    String hostname = c.hostname();
    if (hostname != null
        && c.namespaces().network() == Mode.POD
        && (hostname.length() > 64 || !hostname.matches("[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?")))
      throw invalid("pod config: invalid hostname " + hostname);
    // Its containers' logs are made beneath it by the monitor, as root (CRI-O's check).
    if (c.logDirectory() != null
        && (!c.logDirectory().startsWith("/") || c.logDirectory().indexOf('\0') >= 0))
      throw invalid(
          "pod config: log_directory "
              + Printable.of(c.logDirectory(), 200)
              + " must be an absolute path");
    if (c.dns() != null) {
      // Each becomes words of one line of the pod's /etc/resolv.conf, nothing more.
      EtcFiles.checkDns(
          List.of(
              "pod config: dns_config.servers",
              "pod config: dns_config.searches",
              "pod config: dns_config.options"),
          c.dns().servers(),
          c.dns().searches(),
          c.dns().options());
    }
    for (PodConfig.PortMapping m : c.portMappings()) {
      if (m.containerPort() < 1
          || m.containerPort() > 65535
          || m.hostPort() < 0
          || m.hostPort() > 65535)
        throw invalid("pod config: invalid port mapping " + m.hostPort() + ":" + m.containerPort());
      if (!Set.of("tcp", "udp", "sctp").contains(m.protocol()))
        throw invalid("pod config: invalid port mapping protocol " + m.protocol());
      // Handed to the portmap plugin's iptables rules: an address or nothing.
      if (m.hostIp() != null && !m.hostIp().isEmpty() && !EtcFiles.isIpAddress(m.hostIp()))
        throw invalid(
            "pod config: invalid port mapping host_ip "
                + Printable.of(m.hostIp(), 100)
                + ": not an IP address");
    }
    for (Map.Entry<String, String> e : c.sysctls().entrySet()) {
      String k = e.getKey();
      String what = "pod config: sysctl " + k + "=" + e.getValue() + ": ";
      NamespacedSysctls.Kind kind = NamespacedSysctls.of(k);
      if (kind == NamespacedSysctls.Kind.NET) {
        if (c.namespaces().network() == Mode.NODE)
          throw invalid(what + "not allowed with the host's network namespace");
      } else if (kind == NamespacedSysctls.Kind.IPC) {
        if (c.namespaces().ipc() == Mode.NODE)
          throw invalid(what + "not allowed with the host's ipc namespace");
      } else {
        throw invalid(what + "not a sysctl of the pod's namespaces");
      }
      if (SpecValidator.sysctlPath(k) == null) throw invalid(what + "not a sysctl name");
    }
    engine.runtimes().get(c.runtimeHandler() == null ? "berth" : c.runtimeHandler());
    if (c.network() != null && c.namespaces().network() == Mode.POD) engine.network(c.network());
  }

  /**
   * A pod's user namespace: one uid and one gid mapping that map its root, as containerd takes
   * them, and every namespace of its own (one of the host's would not be its root's to manage; the
   * kubelet refuses hostNetwork, hostIPC and hostPID with hostUsers: false).
   */
  private static void checkUserns(PodConfig c) throws BerthException {
    String f = "pod config: namespace_options.userns_options.";
    PodConfig.UserNamespace u = c.namespaces().userns();
    checkMapping(u.uids(), f + "uids");
    checkMapping(u.gids(), f + "gids");
    if (c.namespaces().network() != Mode.POD)
      throw invalid(f + "mode: POD needs the pod's own network namespace, not the host's");
    if (c.namespaces().ipc() != Mode.POD)
      throw invalid(f + "mode: POD needs the pod's own ipc namespace, not the host's");
    if (c.namespaces().pid() == Mode.NODE)
      throw invalid(f + "mode: POD cannot be used with the host's pid namespace");
  }

  private static void checkMapping(List<dev.berth.spec.runtime.IdMapping> m, String field)
      throws BerthException {
    if (m.size() != 1) throw invalid(field + ": exactly one mapping is supported, got " + m.size());
    var one = m.getFirst();
    if (one.containerID() != 0)
      throw invalid(field + ": the mapping must start at container id 0, not " + one.containerID());
    if (one.size() < 1 || one.hostID() < 0 || one.hostID() + one.size() > 1L << 32)
      throw invalid(
          field
              + ": host ids "
              + one.hostID()
              + " to "
              + (one.hostID() + one.size() - 1)
              + " are out of range");
  }

  private static void writeSysctls(Map<String, String> sysctls) throws ErrnoException {
    for (Map.Entry<String, String> e : sysctls.entrySet())
      write("/proc/sys/" + SpecValidator.sysctlPath(e.getKey()), e.getValue());
  }

  /** A procfs write by the calling thread (so in its namespaces). */
  private static void write(String file, String value) throws ErrnoException {
    try (Fd fd = Linux.open(file, LinuxConstants.O_WRONLY, 0)) {
      Linux.write(fd, java.nio.ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
    }
  }

  /** The pod's hostname, hosts and resolv.conf, which its containers bind. */
  private void writeFiles(String id, PodConfig c, String hostname, boolean hostNetwork)
      throws IOException {
    HostFacts host = HostFacts.current();
    Path dir = store.podDir(id);
    String hosts;
    String resolv;
    String hostResolv = Files.exists(host.resolvConf()) ? Files.readString(host.resolvConf()) : "";
    if (hostNetwork) {
      hosts =
          Files.exists(host.hosts())
              ? Files.readString(host.hosts())
              : EtcFiles.hosts(host.hostname(), null);
      hostname = host.hostname();
    } else {
      hosts = EtcFiles.hosts(hostname, null);
    }
    PodConfig.Dns dns = c.dns();
    resolv =
        dns == null
            ? (hostNetwork ? hostResolv : EtcFiles.resolvConf(hostResolv))
            : EtcFiles.resolvConf(hostResolv, dns.servers(), dns.searches(), dns.options());
    AtomicFiles.replace(
        dir.resolve("hostname"), EtcFiles.hostname(hostname).getBytes(StandardCharsets.UTF_8));
    AtomicFiles.replace(dir.resolve("hosts"), hosts.getBytes(StandardCharsets.UTF_8));
    AtomicFiles.replace(dir.resolve("resolv.conf"), resolv.getBytes(StandardCharsets.UTF_8));
    // Bound into containers whose process may run as any user: readable by all, as docker's.
    for (String f : List.of("hostname", "hosts", "resolv.conf")) {
      Files.setPosixFilePermissions(
          dir.resolve(f), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }
  }

  /**
   * The pod's /dev/shm, a tmpfs its containers bind; with a user namespace of the pod's its root is
   * that namespace's root's, as a container's own /dev/shm would be.
   */
  private void mountShm(String id, PodConfig.UserNamespace userns) throws IOException {
    Path shm = shmDir(id);
    Files.createDirectories(shm);
    String owner =
        userns == null ? "" : ",uid=" + hostRoot(userns.uids()) + ",gid=" + hostRoot(userns.gids());
    Linux.mount(
        "shm",
        shm.toString(),
        "tmpfs",
        LinuxConstants.MS_NOSUID | LinuxConstants.MS_NODEV | LinuxConstants.MS_NOEXEC,
        "mode=1777,size=" + SHM_SIZE + owner);
  }

  /**
   * The pod's hostname, hosts and resolv.conf given to its user namespace's root, as containerd
   * does: owned by the host's root they would show as nobody's inside, and its root could not
   * change them as a container's root can elsewhere.
   */
  private void giveFilesToRoot(String id, PodConfig.UserNamespace userns) throws IOException {
    Path dir = store.podDir(id);
    for (String f : List.of("hostname", "hosts", "resolv.conf"))
      Linux.lchown(
          dir.resolve(f).toString(), (int) hostRoot(userns.uids()), (int) hostRoot(userns.gids()));
  }

  /** The host id a pod's user namespace maps its root to (checked to be mapped at run). */
  private static long hostRoot(List<dev.berth.spec.runtime.IdMapping> mappings) {
    return mappings.getFirst().hostID();
  }

  // ---- stop, remove ----

  /**
   * StopPodSandbox: its containers killed at once (as containerd: the kubelet stopped them with
   * their grace periods before), its pause process ended, CNI DEL and its network namespace
   * unpinned; the record stays, NOTREADY. Stopping a stopped pod is fine; an unknown id is
   * NOT_FOUND.
   */
  public PodRecord stop(String ref) throws BerthException {
    PodRecord p = store.resolve(ref);
    try (LockFile lock = store.lock(p.id())) {
      for (ContainerRecord r : containers(p.id())) engine.stop(r.id(), 0);
      PausePid.stop(p.pausePid(), p.id());
      if (p.config().namespaces().network() == Mode.POD) network.teardown(p.id());
      return store.update(p.id(), r -> r.withoutNetwork().withoutPause().withState(State.NOTREADY));
    }
  }

  /**
   * RemovePodSandbox: its containers removed (killed if running), then everything the pod had:
   * network, pins, /dev/shm, the cgroup the engine made, files, record. Removing a pod that is gone
   * is fine.
   */
  public void remove(String ref) throws BerthException {
    PodRecord p;
    try {
      p = store.resolve(ref);
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND) return;
      throw e;
    }
    try (LockFile lock = store.lock(p.id())) {
      for (ContainerRecord r : containers(p.id())) engine.remove(r.id(), true, true);
      release(p, true);
    } finally {
      store.dropLock(p.id());
    }
  }

  /**
   * Undoes a pod: pause, network, and with {@code all} its pins, shm, cgroup, files and record.
   * Each step goes on when another fails; the first error is thrown after.
   */
  private void release(PodRecord p, boolean all) throws BerthException {
    List<String> errors = new ArrayList<>();
    try {
      PausePid.stop(p.pausePid(), p.id());
    } catch (BerthException e) {
      errors.add(e.getMessage());
    }
    try {
      network.teardown(p.id());
    } catch (BerthException e) {
      errors.add(e.getMessage());
    }
    if (all) {
      for (String type : List.of("ipc", "uts", "user")) {
        try {
          pins().remove(p.id() + "." + type);
        } catch (BerthException e) {
          errors.add(e.getMessage());
        }
      }
      try {
        Path shm = shmDir(p.id());
        try {
          Linux.umount2(shm.toString(), LinuxConstants.MNT_DETACH);
        } catch (ErrnoException e) {
          if (e.errno() != LinuxConstants.EINVAL && e.errno() != LinuxConstants.ENOENT) throw e;
        }
        PodStore.deleteTree(shm.getParent());
      } catch (IOException e) {
        errors.add("remove the /dev/shm of pod " + p.shortId() + ": " + e.getMessage());
      }
      if (p.ownsCgroup()) {
        try {
          Cgroups.forContainer(p.cgroupParent(), p.id()).destroy();
        } catch (IOException e) {
          errors.add("remove the cgroup of pod " + p.shortId() + ": " + e.getMessage());
        }
      }
      if (errors.isEmpty()) store.remove(p.id());
    }
    if (!errors.isEmpty()) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "release pod " + p.shortId() + ": " + String.join("; ", errors));
    }
  }

  // ---- status, list ----

  /**
   * PodSandboxStatus: the record, its state brought up to date (a READY pod whose pins or pause
   * process are gone, as after a reboot, is NOTREADY). An unknown id is NOT_FOUND.
   */
  public PodRecord status(String ref) throws BerthException {
    return sync(store.resolve(ref));
  }

  /** ListPodSandbox: the pods {@code filter} accepts, states brought up to date, oldest first. */
  public List<PodRecord> list(PodRecord.Filter filter) throws BerthException {
    List<PodRecord> out = new ArrayList<>();
    for (PodRecord p : store.list()) {
      PodRecord now = sync(p);
      if (filter == null || filter.test(now)) out.add(now);
    }
    out.sort(java.util.Comparator.comparing(PodRecord::created));
    return out;
  }

  /** The ids of READY pods whose network namespace is pinned: what network recovery keeps. */
  public Set<String> liveIds() throws BerthException {
    Set<String> out = new LinkedHashSet<>();
    for (PodRecord p : store.list()) {
      if (p.state() == State.READY && p.netns() != null && network.pinned(p.id())) out.add(p.id());
    }
    return out;
  }

  private PodRecord sync(PodRecord p) throws BerthException {
    if (p.state() != State.READY) return p;
    boolean lost =
        p.netns() != null && !network.pinned(p.id())
            || p.ipcNs() != null && !pins().exists(p.id() + ".ipc")
            || p.utsNs() != null && !pins().exists(p.id() + ".uts")
            || p.config().namespaces().userns() != null && !pins().exists(p.id() + ".user")
            || p.pausePid() > 0 && !PausePid.alive(p.pausePid(), p.id());
    if (!lost) return p;
    return store.update(p.id(), r -> r.withState(State.NOTREADY));
  }

  // ---- containers ----

  /** The pod's containers, newest first. */
  public List<ContainerRecord> containers(String podId) throws BerthException {
    List<ContainerRecord> out = new ArrayList<>();
    for (ContainerRecord r : engine.containers().list().containers()) {
      if (podId.equals(r.options().labels().get(POD_LABEL))) out.add(r);
    }
    return out;
  }

  /**
   * {@code base} made a container of pod {@code p}: its namespaces the pod's pins (or the host's),
   * its pid namespace by {@code pid} (POD: the pod's shared one, CONTAINER: its own, NODE: the
   * host's), the pod's cgroup parent, runtime handler, hostname and files, /dev/shm and label.
   */
  public ContainerOptions inPod(PodRecord p, ContainerOptions base, Mode pid)
      throws BerthException {
    if (p.state() != State.READY) {
      throw new BerthException(
          ErrorCategory.FAILED_PRECONDITION, "pod " + p.id() + " is not ready");
    }
    PodConfig c = p.config();
    String network = c.namespaces().network() == Mode.NODE ? "host" : "ns:" + p.netns();
    String ipc = c.namespaces().ipc() == Mode.NODE ? "host" : "ns:" + p.ipcNs();
    String uts = c.namespaces().network() == Mode.NODE ? "host" : "ns:" + p.utsNs();
    String pidMode =
        switch (pid == null ? c.namespaces().pid() : pid) {
          case POD -> {
            if (p.pidNs() == null) {
              throw new BerthException(
                  ErrorCategory.INVALID_ARGUMENT,
                  "pod " + p.shortId() + " has no shared pid namespace");
            }
            yield "ns:" + p.pidNs();
          }
          case NODE -> "host";
          case CONTAINER -> "";
        };
    Map<String, String> labels = new LinkedHashMap<>(base.labels());
    labels.put(POD_LABEL, p.id());
    List<MountOption> mounts = new ArrayList<>(base.mounts());
    Path files = store.podDir(p.id());
    Set<String> targets = new java.util.HashSet<>();
    for (MountOption m : base.mounts()) targets.add(m.target());
    for (String f : List.of("hostname", "hosts", "resolv.conf")) {
      if (!targets.contains("/etc/" + f)) {
        mounts.add(
            new MountOption(
                MountOption.Type.BIND,
                files.resolve(f).toString(),
                "/etc/" + f,
                base.readOnlyRootfs(),
                List.of()));
      }
    }
    if (ipc.startsWith("ns:") && !targets.contains("/dev/shm")) {
      mounts.add(
          new MountOption(
              MountOption.Type.BIND, shmDir(p.id()).toString(), "/dev/shm", false, List.of()));
    }
    HostOptions h =
        base.host()
            .withPidMode(pidMode)
            .withIpcMode(ipc)
            .withUtsMode(uts)
            .withCgroupParent(p.cgroupParent());
    PodConfig.UserNamespace userns = c.namespaces().userns();
    if (userns != null) {
      if (pidMode.equals("host"))
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "pod "
                + p.shortId()
                + " has a user namespace: its containers cannot use the host's pid"
                + " namespace");
      h =
          h.withUserns(
              new HostOptions.UserNamespaceOption(
                  pins().path(p.id() + ".user").toString(), userns.uids(), userns.gids()));
    }
    String hostname = c.hostnameOrHost();
    return new ContainerOptions(
        base.image(),
        base.name(),
        base.entrypoint(),
        base.command(),
        base.env(),
        base.workingDir(),
        base.user(),
        c.namespaces().network() == Mode.NODE ? null : hostname,
        base.tty(),
        base.openStdin(),
        base.stdinOnce(),
        labels,
        mounts,
        base.resources(),
        base.capAdd(),
        base.capDrop(),
        base.privileged(),
        base.readOnlyRootfs(),
        base.securityOpts(),
        base.ulimits(),
        base.stopSignal(),
        base.stopTimeout(),
        base.runtime() != null ? base.runtime() : c.runtimeHandler(),
        network,
        false,
        base.shmSize(),
        base.init(),
        null,
        h,
        null); // the CRI has no docker healthchecks (the kubelet probes)
  }

  /**
   * CreateContainer: {@code c} made options ({@link PodContainerConfig#options}), put in the pod
   * ({@link #inPod}, its pid namespace by the container's security context), then the engine's
   * create. A pod that is not READY is FAILED_PRECONDITION; an unknown one NOT_FOUND.
   */
  public ContainerRecord createContainer(String podRef, PodContainerConfig c)
      throws BerthException {
    PodRecord p = status(podRef);
    return engine.create(inPod(p, c.options(p), c.security().pid()));
  }

  /** CreateContainer of a pod: {@link #inPod} then the engine's create. */
  public ContainerRecord createContainer(String podRef, ContainerOptions base, Mode pid)
      throws BerthException {
    return engine.create(inPod(status(podRef), base, pid));
  }

  private static BerthException invalid(String message) {
    return new BerthException(ErrorCategory.INVALID_ARGUMENT, message);
  }
}
