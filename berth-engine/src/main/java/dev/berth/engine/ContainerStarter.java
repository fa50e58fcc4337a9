package dev.berth.engine;

import dev.berth.engine.container.HostOptions;
import dev.berth.engine.spec.GeneratedSpec;
import dev.berth.engine.spec.HostFacts;
import dev.berth.engine.spec.ImageUsers;
import dev.berth.engine.spec.SpecGenerator;
import dev.berth.engine.spec.SpecRequest;
import dev.berth.engine.spec.VolumeNeed;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.volume.Volume;
import dev.berth.engine.volume.VolumeOptions;
import dev.berth.image.snapshot.Mount;
import dev.berth.image.snapshot.Mounts;
import dev.berth.image.snapshot.Trees;
import dev.berth.runtime.BundleConfig;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.PhaseTrace;
import dev.berth.runtime.cgroups.CgroupManager;
import dev.berth.runtime.cgroups.Cgroups;
import dev.berth.runtime.driver.CreateRequest;
import dev.berth.runtime.driver.RuntimeDriver;
import dev.berth.runtime.monitor.MonitorConfig;
import dev.berth.runtime.monitor.PauseProcess;
import dev.berth.runtime.process.ProcStat;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecWriter;
import dev.berth.sys.Fd;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The start path of {@link Engine}: rootfs mount, spec, monitor, runtime create and start; and its
 * undoing ({@link #release}). Everything here runs with the container's lock held.
 */
final class ContainerStarter {
  private final Engine engine;
  private HostFacts host;

  /**
   * The passwd and group files of images' layers by their top chain id (layers never change: the id
   * is their content's), for {@link #validate}; small ones only, the last few images.
   */
  private final ImageUserCache imageUsers = new ImageUserCache();

  ContainerStarter(Engine engine) {
    this.engine = engine;
  }

  private synchronized HostFacts host() {
    if (host == null) host = HostFacts.current();
    return host;
  }

  /**
   * Makes the spec of {@code r} on its mounted rootfs (the image's passwd decides the user, or
   * {@code userFiles}, the image's read already), filling its new volumes from the image first when
   * {@code copyUp}. {@code checkOnly}: made to be checked, not run, so the container's etc files
   * are not written (its start writes them). Throws with the generator's category (a user the image
   * lacks is INVALID_ARGUMENT) having written nothing but the container's etc files.
   */
  private GeneratedSpec generate(
      ContainerRecord r,
      ImageConfig image,
      boolean copyUp,
      Path netns,
      boolean atStart,
      ImageUsers.UserFiles userFiles,
      boolean checkOnly)
      throws BerthException {
    Engine.Layout l = engine.layout(r.id());
    Map<String, Path> volumeDirs = new LinkedHashMap<>();
    List<VolumeNeed> needs = SpecGenerator.volumesNeeded(image, r.options());
    for (int i = 0; i < needs.size() && i < r.volumes().size(); i++) {
      Volume v = engine.volumes().get(r.volumes().get(i));
      // a volume with a device of its own (driver options): mounted at its first start
      if (!checkOnly && VolumeOptions.needsMount(v.options())) engine.volumes().mount(v.name());
      if (copyUp && v.needsCopyUp() && !needs.get(i).noCopy()) {
        engine.volumes().copyUp(v.name(), l.rootfs(), needs.get(i).target());
      }
      volumeDirs.put(needs.get(i).target(), v.mountpoint());
    }
    ContainerNamespaces.Joined joined = ContainerNamespaces.resolve(engine, r, atStart);
    return new SpecGenerator(host())
        .hostGateway(hostGateway(engine, r))
        .writingFiles(!checkOnly)
        .generate(
            new SpecRequest(
                image,
                r.options(),
                r.id(),
                l.rootfs(),
                l.dir(),
                volumeDirs,
                netns,
                joined.paths(),
                joined.hostname(),
                joined.shm(),
                userFiles));
  }

  /**
   * The default network's gateway when the container's {@code --add-host} entries name {@code
   * host-gateway} (docker's docker0 address), else null: the default network is made on first use.
   */
  static String hostGateway(Engine engine, ContainerRecord r) throws BerthException {
    if (!dev.berth.engine.spec.EtcFiles.usesHostGateway(r.options().networking().extraHosts()))
      return null;
    String gw = engine.networks().defaultNetwork().gateway();
    return gw.isEmpty() ? null : gw;
  }

  /** The spec's facts a record keeps (command, host name), made without the image's files. */
  SpecGenerator.Facts facts(ContainerRecord r, ImageConfig image) throws BerthException {
    ContainerNamespaces.Joined joined = ContainerNamespaces.resolve(engine, r, false);
    return new SpecGenerator(host()).facts(r.options(), image.config(), r.id(), joined.hostname());
  }

  /**
   * What {@code create} checks on the image's files before it reports success: the whole spec is
   * made once on the image's files (a user the image lacks, a bad seccomp file fail here). A new
   * container's rootfs shows its image's layers alone, so their passwd and group files, read once
   * through a read-only mount, serve every later create on the same layers without one.
   */
  void validate(ContainerRecord r, ImageConfig image) throws BerthException, IOException {
    List<dev.berth.spec.image.Digest> chain =
        dev.berth.image.snapshot.ChainIds.of(image.rootfs().diffIds());
    String top = chain.isEmpty() ? "" : chain.getLast().toString();
    ImageUsers.UserFiles known = imageUsers.get(top);
    if (known != null) {
      generate(r, image, false, null, false, known, true);
      return;
    }
    // Read-only: the spec only reads the image's files, and a writable overlay's unmount would sync
    // the whole filesystem of its upper directory (CreateContainer's largest cost on a busy host).
    Path rootfs = engine.layout(r.id()).rootfs();
    Files.createDirectories(rootfs);
    List<Mount> readOnly = new ArrayList<>();
    for (Mount m : engine.images().snapshots().mounts(r.id())) readOnly.add(m.readOnly());
    Engine.mountAll(readOnly, rootfs);
    try {
      ImageUsers.UserFiles files = ImageUsers.UserFiles.read(rootfs);
      imageUsers.put(top, files); // the image's, whichever user this container asks for
      generate(r, image, false, null, false, files, true);
    } finally {
      Engine.Layout l = engine.layout(r.id());
      Engine.unmountIfMounted(l.rootfs());
      if (Files.exists(l.runDir())) Trees.remove(l.runDir());
    }
  }

  /** A bundle written for a start: the generated spec and the config.json made of it. */
  record Bundle(GeneratedSpec generated, BundleConfig config) {}

  /**
   * {@link #generate} with copy-up, then the bundle's config.json, written atomically (for OCI
   * tools and runtime binaries: berth's own runtime takes the returned config as it is).
   */
  Bundle writeBundle(ContainerRecord r, ImageConfig image) throws BerthException, IOException {
    Engine.Layout l = engine.layout(r.id());
    GeneratedSpec g = generate(r, image, true, engine.networking().netnsPath(r), true, null, false);
    PhaseTrace.mark("start: spec generated");
    Spec spec = withCgroupsPath(g.spec(), cgroupsPath(r));
    byte[] json = SpecWriter.write(spec, "\t");
    PhaseTrace.mark("start: spec json");
    Files.createDirectories(l.bundle());
    String config = l.bundle().resolve("config.json").toString();
    String tmp = config + ".tmp";
    try (Fd fd =
        dev.berth.sys.Linux.open(
            tmp,
            LinuxConstants.O_WRONLY
                | LinuxConstants.O_CREAT
                | LinuxConstants.O_TRUNC
                | LinuxConstants.O_CLOEXEC,
            0644)) {
      dev.berth.sys.Linux.writeAll(fd, json);
    }
    dev.berth.sys.Linux.rename(tmp, config, 0);
    return new Bundle(g, new BundleConfig(spec, json));
  }

  private static Spec withCgroupsPath(Spec s, String path) {
    return s.withLinux(s.linux().withCgroupsPath(path));
  }

  /**
   * Where the container's cgroups go: under its own parent ({@code --cgroup-parent}), else the
   * configured one, else relative to the caller's cgroup.
   */
  String cgroupsPath(ContainerRecord r) {
    String id = r.id();
    String parent = r.options().host().cgroupParent();
    if (parent == null) parent = engine.config().cgroupParent();
    if (parent == null || parent.isEmpty()) return "berth-" + id.substring(0, 12);
    return (parent.endsWith("/") ? parent : parent + "/") + "berth-" + id.substring(0, 12);
  }

  /**
   * The volumes and binds of stopped container {@code r} as its spec would mount them (rootfs
   * mounted, lock held), parents first: what cp reaches through them. Its own /etc files are left
   * out (made at start), as are tmpfs mounts (empty until it runs).
   */
  List<dev.berth.spec.runtime.Mount> volumeMounts(ContainerRecord r) throws BerthException {
    Engine.Layout l = engine.layout(r.id());
    List<dev.berth.spec.runtime.Mount> out = new ArrayList<>();
    for (var m :
        generate(r, engine.imageConfigOf(r), false, null, false, null, true).spec().mounts()) {
      if (!m.type().equals("bind")) continue;
      Path source = Path.of(m.source());
      if (source.startsWith(l.dir()) || source.startsWith(l.runDir())) continue;
      out.add(m);
    }
    return out;
  }

  /** Mounts the container's writable snapshot at its rootfs directory (once). */
  void mountRootfs(ContainerRecord r) throws IOException {
    mountRootfs(r, false);
  }

  /**
   * {@link #mountRootfs(ContainerRecord)}; with {@code forRun}, the mount of a container that runs
   * once (see {@link #runsOnce}) is an overlay with {@code volatile} (as podman's for --rm): its
   * unmount skips the sync of the whole upper filesystem (1-40 ms measured here, up to 0.9 s under
   * load: the dirty data of every other writer of that filesystem) that a snapshot never mounted
   * again does not need. The kernel then refuses any later mount of that snapshot (its work dir
   * keeps an "incompat/volatile" mark). A kernel without the option (before 5.10) gets the plain
   * mount.
   */
  private void mountRootfs(ContainerRecord r, boolean forRun) throws IOException {
    Path rootfs = engine.layout(r.id()).rootfs();
    if (Engine.isMountPoint(rootfs)) return;
    List<Mount> mounts = engine.images().snapshots().mounts(r.id());
    Files.createDirectories(rootfs);
    if (forRun && runsOnce(r) && volatileOverlay(mounts)) {
      try {
        mountRootfs(r, List.of(mounts.getFirst().withOptions("volatile")), rootfs);
        return;
      } catch (dev.berth.sys.ErrnoException e) {
        if (e.errno() != dev.berth.sys.LinuxConstants.EINVAL) throw e;
      }
    }
    mountRootfs(r, mounts, rootfs);
  }

  /**
   * {@code mounts} on {@code rootfs}; for a container in a user namespace of a pod's, idmapped
   * through it, so the image's files are its root's (scratch mounts under the run root: short
   * paths, as the kernel takes at most a page of overlay options).
   */
  private void mountRootfs(ContainerRecord r, List<Mount> mounts, Path rootfs) throws IOException {
    HostOptions.UserNamespaceOption userns = r.options().host().userns();
    if (userns == null) {
      Engine.mountAll(mounts, rootfs);
      return;
    }
    Path scratch = engine.config().runRoot().resolve("idmap").resolve(r.id().substring(0, 16));
    if (userns.path() != null) {
      Mounts.mountIdmapped(
          mounts,
          rootfs,
          Path.of(userns.path()),
          scratch,
          hostIdOfRoot(userns.uidMappings()),
          hostIdOfRoot(userns.gidMappings()));
      return;
    }
    // The container's own user namespace does not exist yet (the runtime makes it): the layers
    // are idmapped through a namespace with the same maps, held by a process for the mount's
    // length (an idmapped mount keeps its namespace), as crun does.
    int holder =
        PauseProcess.startInUserNamespace(
            Map.of("BERTH_IDMAP", r.id()),
            dev.berth.spec.runtime.IdMapping.mapText(userns.uidMappings()),
            dev.berth.spec.runtime.IdMapping.mapText(userns.gidMappings()),
            false);
    try {
      Mounts.mountIdmapped(
          mounts,
          rootfs,
          Path.of("/proc/" + holder + "/ns/user"),
          scratch,
          hostIdOfRoot(userns.uidMappings()),
          hostIdOfRoot(userns.gidMappings()));
    } finally {
      dev.berth.sys.Linux.kill(holder, LinuxConstants.SIGKILL);
    }
  }

  /** The host id container id 0 maps to, or -1. */
  private static int hostIdOfRoot(List<dev.berth.spec.runtime.IdMapping> mappings) {
    for (var m : mappings) if (m.containerID() == 0 && m.size() > 0) return (int) m.hostID();
    return -1;
  }

  /**
   * Whether {@code r}'s writable layer is never mounted after this run: an --rm container is
   * removed when it exits (after a crash, at the engine's next look), and a pod's container is
   * never started again (the kubelet makes a new one; after a reboot its pod is gone).
   */
  private static boolean runsOnce(ContainerRecord r) {
    return r.options().autoRemove()
        || r.options().labels().containsKey(dev.berth.engine.pod.Pods.POD_LABEL);
  }

  /** Whether {@code mounts} is one writable overlay, which can take {@code volatile}. */
  private static boolean volatileOverlay(List<Mount> mounts) {
    if (mounts.size() != 1 || !mounts.getFirst().type().equals("overlay")) return false;
    for (String o : mounts.getFirst().options()) {
      if (o.startsWith("upperdir=")) return true;
    }
    return false;
  }

  /**
   * Starts {@code r} (created or exited, lock held); on failure its state keeps docker's error and
   * exit code.
   */
  ContainerRecord start(ContainerRecord r, Engine.StartListener listener) throws BerthException {
    String id = r.id();
    Engine.Layout l = engine.layout(id);
    RuntimeDriver driver = engine.runtimes().get(r.runtime());
    boolean created = false;
    ContainerNetworking.PendingSetUp network = null;
    GeneratedSpec[] generatedSpec = {null};
    try {
      // What the last run left: its runtime state (stopped) and exit file.
      try {
        driver.delete(id, true);
      } catch (ContainerException e) {
        if (e.category() != ErrorCategory.NOT_FOUND) throw e;
      }
      Files.deleteIfExists(l.exitFile());
      ImageConfig config = engine.imageConfigOf(r);
      PhaseTrace.mark("start: runtime state cleared, image config read");
      mountRootfs(r, true);
      PhaseTrace.mark("start: rootfs mounted");
      Bundle bundle = writeBundle(r, config);
      GeneratedSpec generated = bundle.generated();
      generatedSpec[0] = generated;
      // A container created for an immediate start (run) learns its command and hostname here.
      // They are stored with its running state below (one synced write fewer), or now when its
      // networking reads the stored record to write the hostname into hosts files.
      // Not synced: the running state below stores them again, and a start that fails stores them
      // with its error, durably; lost by a power cut, the record reads as before the start.
      if (ContainerNetworking.pinned(ContainerNetworking.mode(r.options()))) {
        r = engine.containers().updateUnsynced(id, c -> Engine.withSpecFacts(c, generated));
      } else {
        r = Engine.withSpecFacts(r, generated);
      }
      PhaseTrace.mark("start: bundle written");
      network = engine.networking().setUpBeside(r, config);
      network.pinned();
      PhaseTrace.mark("start: network namespace pinned");
      Files.createDirectories(l.attachSocket().getParent());
      // A log beneath a directory of its own (the CRI's log_directory, the caller's, made as
      // given):
      // the monitor makes what is missing below it, following no symlink there.
      String logDirectory = r.options().host().logDirectory();
      Files.createDirectories(
          logDirectory != null ? Path.of(logDirectory) : Engine.logPath(r, l).getParent());
      Files.deleteIfExists(l.attachSocket());
      Files.deleteIfExists(l.consoleSocket());
      MonitorConfig m = MonitorConfig.of(id, l.exitFile()).withAttach(l.attachSocket());
      // --log-driver none keeps no log (attach still gets the output); json-file and local are
      // the log, rotated as their max-size and max-file say, else as the engine's configuration
      dev.berth.engine.container.LogOptions log = r.options().host().log();
      if (log == null || !log.none()) {
        Long maxSize = log == null ? null : log.maxSize();
        Integer maxFiles = log == null ? null : log.maxFiles();
        m =
            m.withLog(
                Engine.logPath(r, l),
                logDirectory == null ? null : Path.of(logDirectory),
                maxSize != null ? maxSize : engine.config().logMaxSize(),
                maxFiles != null ? maxFiles : engine.config().logMaxFiles());
      }
      if (r.options().tty()) m = m.withConsoleSocket(l.consoleSocket());
      // With stdin once, a client's stdin end is the container's (the monitor closes its pipe).
      if (r.options().openStdin() && !r.options().tty())
        m = m.withStdin(r.options().stdinEndsWithAttach());
      Path[] oom = oomCounter(r);
      if (oom != null) m = m.withOom(oom[0], oom[1].toString());
      if (!engine.config().exitCommand().isEmpty() && !listener.releasesAtExit()) {
        List<String> cmd = new ArrayList<>(engine.config().exitCommand());
        cmd.add(id);
        m = m.withExitCommand(cmd, engine.exitWatchersLock());
      }
      driver.create(CreateRequest.of(id, l.bundle()).withMonitor(m).withConfig(bundle.config()));
      created = true;
      PhaseTrace.mark("start: runtime create");
      network.done();
      PhaseTrace.mark("start: network set up");
      int pid = driver.state(id).pid();
      int monitorPid = ProcStat.of(pid).ppid();
      if (hasOwnEmptyNetns(generated.spec())) {
        // The runtime made the container a network namespace of its own (--network none): lo up, as
        // docker's.
        dev.berth.engine.network.netns.Loopback.upIn(Path.of("/proc/" + pid + "/ns/net"));
      }
      listener.created(r, l.attachSocket());
      PhaseTrace.mark("start: caller attached");
      driver.start(id);
      PhaseTrace.mark("start: runtime start");
      Instant now = Instant.now();
      // Not synced (ContainerStore#updateUnsynced): nothing runs after a reboot, and a record that
      // a power cut took back to "created" (or its last exit) is what a kill -9 of this process
      // just before this write leaves.
      return engine
          .containers()
          .updateUnsynced(
              id,
              c ->
                  Engine.withSpecFacts(c, generated)
                      .withState(c.state().running(pid, monitorPid, now)));
    } catch (BerthException | IOException | RuntimeException e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      int code = exitCode(e);
      if (network != null) network.settled();
      try {
        if (created) driver.delete(id, true);
      } catch (ContainerException ignored) {
        // the start error is the one to report
      }
      release(r);
      GeneratedSpec g = generatedSpec[0];
      engine
          .containers()
          .update(
              id,
              c ->
                  (g == null ? c : Engine.withSpecFacts(c, g))
                      .withState(c.state().failed(message, code)));
      if (e instanceof BerthException b) throw b;
      throw EngineException.internal("start container " + r.shortId() + ": " + message, e);
    }
  }

  /**
   * Whether the spec asks the runtime for a new, empty network namespace (not one joined by path).
   */
  static boolean hasOwnEmptyNetns(Spec spec) {
    if (spec.linux() == null) return false;
    for (dev.berth.spec.runtime.Namespace ns : spec.linux().namespaces()) {
      if (ns.type().equals("network")) return ns.path() == null || ns.path().isEmpty();
    }
    return false;
  }

  /**
   * docker's exit code for a failed start: 127 for a command that is not there, 126 if it cannot
   * run, else 125.
   */
  static int exitCode(Exception e) {
    String m = String.valueOf(e.getMessage());
    if (m.contains("no such file or directory")
        || m.contains("ENOENT")
        || m.contains("executable file not found")) {
      return 127;
    }
    if (m.contains("permission denied") || m.contains("EACCES")) return 126;
    return 125;
  }

  /**
   * The file and key of a container's OOM kill counter (its memory cgroup's), or null without one.
   */
  Path[] oomCounter(ContainerRecord r) {
    try {
      CgroupManager cg = Cgroups.forContainer(cgroupsPath(r), r.id());
      Map<String, String> paths = cg.paths();
      String memory = paths.get("memory");
      if (memory != null)
        return new Path[] {Path.of(memory, "memory.oom_control"), Path.of("oom_kill")};
      String unified = paths.get("");
      if (unified != null)
        return new Path[] {Path.of(unified, "memory.events"), Path.of("oom_kill")};
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Releases what a run of {@code r} held: its runtime state (the container is stopped), bundle,
   * rootfs mount, sockets and networking (CNI attachments, pinned namespace, its names in its
   * peers' hosts files). The snapshot, log and exit file stay. Each step goes on when another
   * fails.
   */
  void release(ContainerRecord r) throws BerthException {
    Engine.Layout l = engine.layout(r.id());
    List<String> errors = new ArrayList<>();
    // The network's teardown (CNI DEL: plugin processes) depends on none of the steps before it
    // here: it runs beside them.
    FutureTask<Void> network =
        new FutureTask<>(
            () -> {
              engine.networking().tearDown(r);
              return null;
            });
    if (engine.networking().hasTeardown(r)) {
      Thread.ofPlatform().name("berth-network-teardown").daemon().start(network);
    } else {
      network.run();
    }
    // The runtime's delete (its state, and on cgroup v1 a directory per hierarchy) shares nothing
    // with the unmount and the removal of the run directory: the runtime keeps its own copy of the
    // config, and an engine's spec has no hooks, which would read the bundle. Done here, not on a
    // thread of its own: the thread cost more than the overlap saved.
    try {
      engine.runtimes().get(r.runtime()).delete(r.id(), true);
    } catch (ContainerException e) {
      if (e.category() != ErrorCategory.NOT_FOUND) errors.add(e.getMessage());
    } catch (RuntimeException e) {
      errors.add(String.valueOf(e.getMessage()));
    }
    try {
      Engine.unmountIfMounted(l.rootfs());
      PhaseTrace.mark("release: unmounted");
      if (Files.exists(l.runDir())) Trees.remove(l.runDir());
      Files.deleteIfExists(l.attachSocket());
      Files.deleteIfExists(l.consoleSocket());
    } catch (IOException e) {
      errors.add(e.getMessage());
    }
    PhaseTrace.mark("release: run directory removed");
    try {
      network.get();
    } catch (ExecutionException e) {
      errors.add(e.getCause().getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      errors.add("interrupted while the network was torn down");
    }
    PhaseTrace.mark("release: runtime deleted, network torn down");
    if (!errors.isEmpty()) {
      throw EngineException.internal(
          "release container " + r.shortId() + ": " + String.join("; ", errors), null);
    }
  }

  /** The signal {@code stop} sends first: the container's, the image's, else SIGTERM. */
  int stopSignal(ContainerRecord r) throws BerthException {
    ImageConfig image;
    try {
      image = engine.imageConfigOf(r);
    } catch (BerthException e) {
      image = null; // the image is gone: the container's own, else SIGTERM
    }
    return SpecGenerator.stopSignal(
        r.options(), image == null ? ImageConfig.ContainerConfig.EMPTY : image.config());
  }
}
