package dev.berth.engine;

import dev.berth.engine.commit.Changes;
import dev.berth.engine.commit.Commit;
import dev.berth.engine.config.BerthConfig;
import dev.berth.engine.config.RuntimeHandlerConfig;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.container.RestartPolicy;
import dev.berth.engine.events.Event;
import dev.berth.engine.events.EventLog;
import dev.berth.engine.fs.ContainerFiles;
import dev.berth.engine.fs.OverlayChanges;
import dev.berth.engine.fs.PathStat;
import dev.berth.engine.health.HealthState;
import dev.berth.engine.spec.GeneratedSpec;
import dev.berth.engine.spec.SpecGenerator;
import dev.berth.engine.spec.VolumeNeed;
import dev.berth.engine.stats.ContainerStats;
import dev.berth.engine.stats.HostUsage;
import dev.berth.engine.store.AtomicFiles;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.engine.store.ContainerStore;
import dev.berth.engine.volume.Volume;
import dev.berth.engine.volume.VolumeStore;
import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.dirs.LockFile;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.image.snapshot.ChainIds;
import dev.berth.image.snapshot.Mount;
import dev.berth.image.snapshot.Mounts;
import dev.berth.image.store.ImageRecord;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.PhaseTrace;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.runtime.driver.ExecResult;
import dev.berth.runtime.driver.RuntimeDriver;
import dev.berth.runtime.driver.RuntimeHandlers;
import dev.berth.runtime.driver.Stdio;
import dev.berth.runtime.monitor.ExitFile;
import dev.berth.runtime.seccomp.SeccompCache;
import dev.berth.runtime.terminal.PtyHandler;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.Healthcheck;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.ImageJson;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.MountInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The engine: containers from images on one store that every {@code berth} process (and later
 * {@code berthd}) shares, without a daemon. Every operation is a library call; the CLI only parses
 * and prints.
 *
 * <p>Who holds what: a container's record (store), its writable snapshot (image store), its log and
 * exit file (its directory in the store) persist; its rootfs mount, bundle, runtime state and
 * monitor sockets live under the run root and vanish at reboot. The monitor, not this process, is
 * the container's parent: the engine learns how a container ended from the monitor's exit file,
 * whenever it next looks ({@link #sync}).
 *
 * <p>Locks: the store serialises writes of records; lifecycle operations on one container (start,
 * stop, remove, the reconciliation of its state) take its own lock, so two processes never start or
 * remove one container at once.
 */
public final class Engine implements AutoCloseable {
  /** docker's stop timeout when neither the container nor the caller gives one. */
  public static final int DEFAULT_STOP_TIMEOUT = 10;

  private final EngineConfig config;
  private final ImageService images;
  private final ContainerStore containers;
  private final VolumeStore volumes;
  private final RuntimeHandlers runtimes;
  private final ContainerStarter starter;
  private final ContainerExec execs;
  private final ContainerHealth health;
  private final EventLog events;
  private final ContainerNetworking networking;

  /**
   * The image config parsed last, with its digest ({@link #imageConfig}): a run's start, and the
   * next create of the same image, read and hash it again otherwise.
   */
  private volatile ParsedConfig lastConfig;

  /** An image config and the digest that names it. */
  private record ParsedConfig(String digest, ImageConfig config) {}

  /**
   * The thread that empties the trashes when removal is in the background (none while idle; a
   * request made while one waits is that one), else null.
   */
  private final java.util.concurrent.ThreadPoolExecutor trashEmptier;

  private Engine(
      EngineConfig config,
      ImageService images,
      ContainerStore containers,
      VolumeStore volumes,
      RuntimeHandlers runtimes) {
    this.trashEmptier =
        config.backgroundRemoval()
            ? new java.util.concurrent.ThreadPoolExecutor(
                0,
                1,
                30,
                java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(1),
                r -> Thread.ofPlatform().name("berth-trash").daemon().unstarted(r),
                new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy())
            : null;
    this.config = config;
    this.images = images;
    this.containers = containers;
    this.volumes = volumes;
    this.runtimes = runtimes;
    this.starter = new ContainerStarter(this);
    this.execs = new ContainerExec(this);
    this.health = new ContainerHealth(this, execs);
    this.events = new EventLog(config.root(), EventLog.DEFAULT_MAX_SIZE);
    this.networking = new ContainerNetworking(this);
  }

  /** Opens the engine's stores (made when missing). */
  public static Engine open(EngineConfig config) throws BerthException {
    // The configuration first: a bad file fails before anything is opened.
    // Compiled seccomp programs live in the store (root's alone, as the rest of it): one compile of
    // a profile instead of one per start.
    RuntimeHandlers runtimes =
        new RuntimeHandlers(
            config.runRoot().resolve("runtimes"),
            SeccompCache.in(config.root().resolve("seccomp")));
    if (config.configFile() != null) {
      configure(runtimes, BerthConfig.read(config.configFile()), config.configFile());
    }
    try {
      ImageService images =
          new ImageService(
              new ImageService.Options(config.root(), config.registriesConfig(), null, null));
      PhaseTrace.mark("open: images");
      // The run root holds containers' mounted root filesystems (setuid binaries of images
      // included): no host user
      // may reach them, as none may reach the image store.
      if (!traversableBySocketGroup(config.runRoot())) PrivateDirs.ensure(config.runRoot());
      PrivateDirs.ensure(config.runRoot().resolve("containers"));
      // A removal cut short after its record went left its snapshot: the store's repair trashes it.
      ContainerStore containers =
          ContainerStore.open(config.root(), id -> images.snapshots().trash(id));
      VolumeStore volumes = VolumeStore.open(config.root(), containers::volumeUsers);
      PhaseTrace.mark("open: containers, volumes");
      Engine engine = new Engine(config, images, containers, volumes, runtimes);
      volumes.reportTo(engine::objectEvent);
      images.reportTo(
          (action, id, attributes) -> engine.objectEvent(Event.IMAGE, action, id, attributes));
      try {
        engine.networking.recoverIfNeeded();
        // What a removal left in the trash when its process died (a look at one directory).
        if (images.hasSnapshotTrash() || containers.hasTrash()) engine.emptyTrash(false);
      } catch (BerthException | IOException | RuntimeException e) {
        engine.close();
        throw e;
      }
      return engine;
    } catch (IOException e) {
      throw EngineException.internal(
          "open the engine at " + config.root() + ": " + e.getMessage(), e);
    }
  }

  public EngineConfig config() {
    return config;
  }

  /** The configuration file's runtime handlers, registered; an error names the file and handler. */
  private static void configure(RuntimeHandlers runtimes, BerthConfig file, Path source)
      throws BerthException {
    for (RuntimeHandlerConfig h : file.runtimes()) {
      try {
        if (h.inProcess()) runtimes.configureInProcess(h.name(), h.root());
        else runtimes.configure(h.name(), h.runtime(), h.root(), h.options());
      } catch (BerthException e) {
        throw new BerthException(
            e.category(), source + ": runtimes." + h.name() + ": " + e.getMessage(), e);
      }
    }
  }

  public ImageService images() {
    return images;
  }

  public ContainerStore containers() {
    return containers;
  }

  public VolumeStore volumes() {
    return volumes;
  }

  public RuntimeHandlers runtimes() {
    return runtimes;
  }

  ContainerNetworking networking() {
    return networking;
  }

  private dev.berth.engine.pod.Pods pods;

  /** The pod sandboxes (the CRI's), opened on first use. */
  public synchronized dev.berth.engine.pod.Pods pods() throws BerthException {
    if (pods == null) pods = new dev.berth.engine.pod.Pods(this, new PodNetworking(networking));
    return pods;
  }

  // ---- networks ----

  /** The networks (docker network create/ls/inspect/rm), opened on first use. */
  public dev.berth.engine.network.NetworkStore networks() throws BerthException {
    return networking.store();
  }

  /** A network by name or id, "bridge" being the default network (made on first use). */
  public dev.berth.engine.network.Network network(String ref) throws BerthException {
    return networking.resolve(ref);
  }

  /** Running containers with an endpoint on each network, by network name. */
  public Map<String, List<String>> networkUsers() throws BerthException {
    return networking.usersByNetwork();
  }

  /**
   * docker network rm: refused while a running container uses it (docker's "has active endpoints");
   * its bridge and isolation rules go with it.
   */
  public void removeNetwork(String ref) throws BerthException {
    dev.berth.engine.network.Network n = networks().get(ref);
    networks().remove(n.id());
    networking.cleanup().removeBridge(n);
  }

  /** docker network connect: {@code aliases} and {@code ip} (null: any) on that network. */
  public void connect(String network, String container, List<String> aliases, String ip)
      throws BerthException {
    networking.connect(network, container, aliases, ip);
    networkEvent("connect", network, container);
  }

  /** docker network disconnect. */
  public void disconnect(String network, String container) throws BerthException {
    networking.disconnect(network, container);
    networkEvent("disconnect", network, container);
  }

  /** A connect or disconnect that happened; one whose objects are gone meanwhile goes unlogged. */
  private void networkEvent(String action, String network, String container) {
    try {
      dev.berth.engine.network.Network n = network(network);
      objectEvent(
          Event.NETWORK,
          action,
          n.id(),
          Map.of(
              "container",
              containers.resolve(container).id(),
              "name",
              n.name(),
              "type",
              n.driver()));
    } catch (BerthException e) {
      // removed by another process since: the operation itself has succeeded
    }
  }

  /**
   * docker network prune: every user network no running container uses, that {@code filter}
   * accepts.
   */
  public List<String> pruneNetworks(
      java.util.function.Predicate<dev.berth.engine.network.Network> filter) throws BerthException {
    List<String> removed = new ArrayList<>();
    Map<String, List<String>> users = networkUsers();
    for (dev.berth.engine.network.Network n : networks().list(null)) {
      if (n.name().equals(dev.berth.engine.network.NetworkStore.DEFAULT_NETWORK) || !filter.test(n))
        continue;
      List<String> u = users.get(n.name());
      if (u != null && !u.isEmpty()) continue;
      try {
        removeNetwork(n.name());
        removed.add(n.name());
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.FAILED_PRECONDITION
            && e.category() != ErrorCategory.NOT_FOUND) throw e;
      }
    }
    return removed;
  }

  /**
   * A container made from the image {@code nameOrId}, if any: docker refuses to remove an image a
   * container uses unless forced. Empty too when there is no such image (the removal reports it).
   */
  public Optional<ContainerRecord> imageUser(String nameOrId) throws BerthException {
    ImageRecord image;
    try {
      image = images.resolve(nameOrId);
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND) return Optional.empty();
      throw e;
    }
    for (ContainerRecord r : containers.list().containers()) {
      if (r.imageId().equals(image.config().toString())) return Optional.of(r);
    }
    return Optional.empty();
  }

  /** The store's event file: what {@code berth events} reads and follows. */
  public EventLog events() {
    return events;
  }

  // ---- create ----

  /**
   * Creates a container from an image already in the store (the caller pulls a missing one): its
   * record, name and writable snapshot, and its volumes. Nothing runs yet (docker's "created"). A
   * failure leaves nothing behind.
   */
  public ContainerRecord create(ContainerOptions options) throws BerthException {
    return create(options, true);
  }

  /**
   * {@link #create(ContainerOptions)}; with {@code checkNow} false the spec is not made on the
   * image's files yet: for a caller that starts the container at once (run), whose start makes the
   * same spec and fails the same way, one rootfs mount and one spec generation later. Such a caller
   * removes the container when that start fails.
   */
  public ContainerRecord create(ContainerOptions options, boolean checkNow) throws BerthException {
    ImageRecord image = images.resolve(options.image());
    ImageConfig imageConfig = imageConfig(image);
    options = withHealthcheck(options, imageConfig);
    PhaseTrace.mark("create: image resolved");
    List<Digest> chain = ChainIds.of(imageConfig.rootfs().diffIds());
    String runtime = options.runtime() == null ? RuntimeHandlers.DEFAULT : options.runtime();
    runtimes.get(runtime);
    // Checked before anything is written: the volumes the options and the image name, and the
    // network options.
    if (options.name() != null) dev.berth.engine.store.ContainerNames.checkName(options.name());
    ContainerOptionStrings.check(options);
    List<VolumeNeed> needs = SpecGenerator.volumesNeeded(imageConfig, options);
    networking.check(options);
    ContainerNamespaces.check(this, options);
    PhaseTrace.mark("create: options checked");
    if (options.autoRemove() && !options.host().restartPolicy().name().equals("no")) {
      throw EngineException.invalid("Conflicting options: --restart and --rm");
    }
    if (options.host().logPath() != null && !options.host().logPath().startsWith("/")) {
      throw EngineException.invalid(
          "invalid log path " + options.host().logPath() + ": it must be absolute");
    }
    String newId = containers.newId();
    PhaseTrace.mark("create: id");
    // What is known before anything is made is stored with it, one record write fewer: its parts,
    // the ports it exposes, its anonymous volumes' targets, and the spec's facts (command, host
    // name) that inspect shows, as its start stores them again.
    ContainerRecord draft =
        ContainerRecord.of(newId, Instant.now(), options, image.config().toString(), runtime)
            .withParts(
                newId,
                layout(newId).bundle(),
                options.host().logPath() != null
                    ? Path.of(options.host().logPath())
                    : containers.containerDir(newId).resolve("ctr.log"));
    Map<String, String> known = new java.util.LinkedHashMap<>(draft.extras());
    List<String> exposed =
        ContainerViews.exposed(imageConfig.config().exposedPorts(), options.networking().expose());
    if (!exposed.isEmpty()) known.put(ContainerViews.EXPOSED, String.join(",", exposed));
    List<String> anonymous = new ArrayList<>();
    for (VolumeNeed need : needs) if (need.anonymous()) anonymous.add(need.target());
    if (!anonymous.isEmpty()) known.put(ContainerViews.VOLUMES, String.join("\n", anonymous));
    draft = withSpecFacts(draft.withExtras(known), starter.facts(draft, imageConfig));
    PhaseTrace.mark("create: spec facts");
    ContainerRecord record = containers.create(draft);
    String id = record.id();
    PhaseTrace.mark("create: record made");
    List<String> madeVolumes = new ArrayList<>();
    boolean snapshot = false;
    try {
      images.snapshots().prepare(id, chain.isEmpty() ? null : chain.getLast());
      snapshot = true;
      PhaseTrace.mark("create: snapshot prepared");
      List<String> names = new ArrayList<>();
      for (VolumeNeed need : needs) {
        boolean existed = need.name() != null && volumeExists(need.name());
        Volume v = volumes.create(need.name(), need.labels(), need.driverOptions());
        if (!existed) madeVolumes.add(v.name());
        names.add(v.name());
      }
      ContainerRecord made = record;
      if (!names.isEmpty()) {
        Map<String, String> extras = new java.util.LinkedHashMap<>(record.extras());
        if (!madeVolumes.isEmpty()) extras.put(MADE_VOLUMES, String.join(",", madeVolumes));
        made = containers.update(id, r -> r.withVolumes(names).withExtras(extras));
      }
      keepImageConfig(containers.containerDir(id), image.config());
      PhaseTrace.mark("create: volumes, image config kept");
      if (checkNow) {
        starter.validate(made, imageConfig);
        PhaseTrace.mark("create: spec checked on the image's files");
      }
      event("create", made, Map.of(), Instant.now());
      PhaseTrace.mark("create: recorded");
      return made;
    } catch (BerthException | IOException | RuntimeException e) {
      try {
        Engine.unmountIfMounted(layout(id).rootfs());
      } catch (IOException ignored) {
        // the error that made create fail is the one to report
      }
      if (snapshot) {
        try {
          images.snapshots().remove(id);
        } catch (IOException ignored) {
          // idem
        }
      }
      containers.remove(id);
      for (String v : madeVolumes) {
        try {
          volumes.remove(v, true);
        } catch (BerthException ignored) {
          // idem
        }
      }
      if (e instanceof BerthException b) throw b;
      throw EngineException.internal("create container: " + e.getMessage(), e);
    }
  }

  /**
   * {@code o} with docker's healthcheck: its own over the image's, field by field; checked as
   * docker checks it.
   */
  private static ContainerOptions withHealthcheck(ContainerOptions o, ImageConfig image)
      throws BerthException {
    if (o.healthcheck() != null) {
      String problem = o.healthcheck().problem();
      if (problem != null) throw EngineException.invalid(problem);
    }
    Healthcheck merged = Healthcheck.merge(image.config().healthcheck(), o.healthcheck());
    return merged == o.healthcheck() ? o : o.withHealthcheck(merged);
  }

  // ---- health ----

  /**
   * Runs running container {@code ref}'s healthcheck once now (podman's {@code healthcheck run};
   * berthd's scheduler calls it at the intervals) and returns the health it leads to.
   * FAILED_PRECONDITION when the container has no healthcheck (or NONE).
   */
  public HealthState healthcheck(String ref) throws BerthException {
    ContainerRecord r = running(ref);
    Healthcheck h = r.options().healthcheck();
    if (h == null || !h.active()) {
      throw EngineException.precondition("container " + r.shortId() + " has no healthcheck");
    }
    return health.probe(r);
  }

  /**
   * The health of {@code r} as docker's inspect shows it: the state the last probe left ("starting"
   * before the first), kept after the container stops; empty without an active healthcheck.
   */
  public Optional<HealthState> health(ContainerRecord r) {
    return health.state(r);
  }

  /** The health status of {@code r} as docker's {@code health} filter sees it ("none" without). */
  public String healthStatus(ContainerRecord r) {
    return health(r).map(HealthState::status).orElse(ContainerFilters.NO_HEALTHCHECK);
  }

  /**
   * Whether {@code runRoot} is ours with mode 0710: berthd's {@code --group} lets that group
   * traverse it to reach the sockets it holds (no listing; the containers' directory stays 0700;
   * others get nothing), and an engine opened by the CLI meanwhile keeps it so.
   */
  private static boolean traversableBySocketGroup(Path runRoot) {
    try {
      dev.berth.sys.Stat st = Linux.stat(runRoot.toString());
      return st.isDirectory() && st.uid() == Linux.geteuid() && st.permissions() == 0710;
    } catch (ErrnoException e) {
      return false;
    }
  }

  /**
   * {@code r} with what its spec says that docker's views show (the command, the hostname); the
   * same object when it has them already.
   */
  static ContainerRecord withSpecFacts(ContainerRecord r, GeneratedSpec spec) {
    return withSpecFacts(r, new SpecGenerator.Facts(spec.spec().process().args(), spec.hostname()));
  }

  static ContainerRecord withSpecFacts(ContainerRecord r, SpecGenerator.Facts facts) {
    String args = ContainerViews.encodeCommand(facts.args());
    if (args.equals(r.extras().get(ContainerViews.ARGS))
        && facts.hostname().equals(r.extras().get(ContainerViews.HOSTNAME))) {
      return r;
    }
    Map<String, String> extras = new java.util.LinkedHashMap<>(r.extras());
    extras.put(ContainerViews.ARGS, args);
    extras.put(ContainerViews.HOSTNAME, facts.hostname());
    return r.withExtras(extras);
  }

  private boolean volumeExists(String name) throws BerthException {
    try {
      volumes.get(name);
      return true;
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND) return false;
      throw e;
    }
  }

  /**
   * The file in a container's directory that keeps its image's config: the container needs no image
   * to start.
   */
  static final String IMAGE_CONFIG = "image-config.json";

  /**
   * Keeps the image's config in a container's directory: a hard link to the content store's blob
   * (immutable, checked against its digest when it came in), so nothing is written and nothing
   * synced. The next synced record write in that directory (the spec's facts at create, a stop's
   * exit) makes the link durable with it; were a power cut to lose it before, {@link
   * #imageConfigOf} reads the image store's. A store across filesystems gets a copy.
   */
  private void keepImageConfig(Path dir, Digest config) throws IOException {
    Path kept = dir.resolve(IMAGE_CONFIG);
    try {
      Files.createLink(kept, images.content().path(config));
    } catch (IOException e) {
      AtomicFiles.replace(kept, images.content().read(config, ImageService.MAX_METADATA));
    }
  }

  /**
   * The config of the image a container was made from: its own copy (kept at create, so removing or
   * re-tagging the image, and a GC of its blobs, never stop the container from starting: its layers
   * are kept by its snapshot), else the image store's.
   */
  ImageConfig imageConfigOf(ContainerRecord r) throws BerthException {
    // A config is named by its digest: the one this engine parsed last (a run's create, for its
    // start) is the kept copy's content.
    ParsedConfig last = lastConfig;
    if (last != null && last.digest().equals(r.imageId())) return last.config();
    Path copy = containers.containerDir(r.id()).resolve(IMAGE_CONFIG);
    try {
      return ImageJson.readConfig(Files.readAllBytes(copy), copy.toString());
    } catch (java.nio.file.NoSuchFileException e) {
      return imageConfig(images.resolve(r.imageId()));
    } catch (IOException | dev.berth.spec.json.SpecException e) {
      throw EngineException.internal("read " + copy + ": " + e.getMessage(), e);
    }
  }

  /**
   * What docker's {@code --volumes-from} takes from container {@code ref}: each of its volumes (by
   * name, anonymous and image ones included) and binds, at the same targets; read-only when {@code
   * readOnly} or mounted so there. Its tmpfs mounts are its own.
   */
  public List<ContainerOptions.MountOption> volumesFrom(String ref, boolean readOnly)
      throws BerthException {
    ContainerRecord r = inspect(ref);
    List<ContainerOptions.MountOption> out = new ArrayList<>();
    Map<String, Boolean> readOnlyAt = new java.util.HashMap<>();
    for (ContainerOptions.MountOption m : r.options().mounts()) {
      readOnlyAt.put(m.target(), m.readOnly());
      if (m.type() == ContainerOptions.MountOption.Type.BIND) {
        out.add(
            new ContainerOptions.MountOption(
                m.type(), m.source(), m.target(), readOnly || m.readOnly(), m.options()));
      }
    }
    // The record names its volumes in the order the options and the image need them.
    List<VolumeNeed> needs = SpecGenerator.volumesNeeded(imageConfigOf(r), r.options());
    for (int i = 0; i < needs.size() && i < r.volumes().size(); i++) {
      String target = needs.get(i).target();
      out.add(
          new ContainerOptions.MountOption(
              ContainerOptions.MountOption.Type.VOLUME,
              r.volumes().get(i),
              target,
              readOnly || readOnlyAt.getOrDefault(target, false),
              List.of()));
    }
    return out;
  }

  ImageConfig imageConfig(ImageRecord image) throws BerthException {
    // Named by its digest: the config parsed last is this one when the digests are equal (a node
    // creates many containers of one image; its blob was checked against the digest then).
    ParsedConfig last = lastConfig;
    if (last != null && last.digest().equals(image.config().toString())) return last.config();
    try {
      ImageConfig c =
          ImageJson.readConfig(
              images.content().read(image.config(), ImageService.MAX_METADATA),
              image.config().toString());
      lastConfig = new ParsedConfig(image.config().toString(), c);
      return c;
    } catch (IOException | dev.berth.spec.json.SpecException e) {
      throw new ImageException(
          ErrorCategory.INTERNAL,
          "read the config of image " + image.name() + ": " + e.getMessage(),
          e);
    }
  }

  // ---- start ----

  /**
   * What {@link #start} tells its caller between the container's create and its start (attach now).
   */
  public interface StartListener {
    /**
     * The container is created under its monitor, and has not run yet: attach to {@code
     * attachSocket} now.
     */
    void created(ContainerRecord record, Path attachSocket) throws IOException;

    /**
     * Whether the caller stays attached and releases the container itself when it exits (a
     * foreground run): then its monitor runs no exit command, which would start a second process
     * for the same work. Should the caller die first, the release happens at the next engine call
     * that looks at the container.
     */
    default boolean releasesAtExit() {
      return false;
    }

    /**
     * Nothing to do. A class, not a lambda: every listener initialises this interface (it has a
     * default method), and a lambda here is spun at run time on each run's start path (the AOT
     * cache does not keep it).
     */
    StartListener NONE =
        new StartListener() {
          @Override
          public void created(ContainerRecord record, Path attachSocket) {}
        };
  }

  /**
   * Starts a created or exited container: mounts its rootfs, writes its spec, starts its monitor
   * and, under it, the container. A running container is left as it is (docker's start of a running
   * container succeeds).
   */
  public ContainerRecord start(String ref, StartListener listener) throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    try (LockFile lock = containers.lock(r.id())) {
      r = syncLocked(r.id());
      Status s = r.state().status();
      if (s == Status.RUNNING) return r;
      if (!r.options().host().restartPolicy().name().equals("no")) {
        // A start by its user: the policy applies again, from a count of 0 (docker's).
        r =
            containers.update(
                r.id(), x -> withoutStoppedByUser(x.withState(x.state().withRestartCount(0))));
      }
      if (s == Status.PAUSED) {
        throw EngineException.precondition("cannot start a paused container, try unpause instead");
      }
      if (s == Status.REMOVING)
        throw EngineException.precondition("container " + r.shortId() + " is being removed");
      ContainerRecord started = starter.start(r, listener);
      health.restarted(started);
      networkEvents("connect", started, started.state().startedAt());
      event("start", started, Map.of(), started.state().startedAt());
      return started;
    }
  }

  /**
   * dockerd's network events of a run's start ("connect", before "start") or end ("disconnect",
   * after "die"): one per network the run is attached to, the pseudo-networks "host" and "none"
   * too; a container sharing another's namespace has none.
   */
  private void networkEvents(String action, ContainerRecord r, Instant time) {
    String mode = ContainerNetworking.mode(r.options());
    if (mode.startsWith("container:")) return;
    if (mode.equals("host") || mode.equals("none")) {
      objectEvent(
          Event.NETWORK,
          action,
          dev.berth.engine.network.NetworkStore.pseudoNetworkId(mode),
          Map.of("container", r.id(), "name", mode, "type", mode.equals("host") ? "host" : "null"),
          time);
      return;
    }
    List<dev.berth.engine.network.Endpoint> endpoints;
    try {
      endpoints =
          dev.berth.engine.network.Endpoint.readEndpoints(
              r.extras().get(ContainerNetworking.ENDPOINTS));
    } catch (RuntimeException e) {
      return; // unreadable: the run itself is what matters
    }
    for (dev.berth.engine.network.Endpoint e : endpoints) {
      try {
        dev.berth.engine.network.Network n = networking.resolve(e.network());
        objectEvent(
            Event.NETWORK,
            action,
            n.id(),
            Map.of("container", r.id(), "name", n.name(), "type", n.driver()),
            time);
      } catch (BerthException gone) {
        // removed since by another process
      }
    }
  }

  // ---- state ----

  /**
   * The record of {@code ref} with its state brought up to date: a container whose monitor recorded
   * an exit is exited (its mounts and runtime state released; an {@code --rm} one removed, then
   * NOT_FOUND).
   */
  public ContainerRecord inspect(String ref) throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    return sync(r);
  }

  /** Every container, states brought up to date, newest first. */
  public List<ContainerRecord> list() throws BerthException {
    List<ContainerRecord> out = new ArrayList<>();
    for (ContainerRecord r : containers.list().containers()) {
      try {
        out.add(sync(r));
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.NOT_FOUND) throw e;
        // removed meanwhile (an --rm container that exited)
      }
    }
    out.sort(Comparator.comparing(ContainerRecord::created).reversed());
    return out;
  }

  /**
   * Reconciles {@code r} with its monitor's exit file and the runtime, under its lock, if it claims
   * to run.
   */
  ContainerRecord sync(ContainerRecord r) throws BerthException {
    Status s = r.state().status();
    if (s != Status.RUNNING
        && s != Status.PAUSED
        && !(r.options().autoRemove() && (s == Status.EXITED || s == Status.REMOVING))) return r;
    // A running container whose monitor wrote no exit file and whose init lives has nothing to
    // reconcile: told without the lock and a second read of its record (ps of N running
    // containers did both N times). Racing an exit is as a lock-free reader of the store races
    // it: the exit file, once written, stays until the next start or the removal, which the
    // next look sees.
    if ((s == Status.RUNNING || s == Status.PAUSED)
        && !Files.exists(layout(r.id()).exitFile())
        && alive(r)) return r;
    try (LockFile lock = containers.lock(r.id())) {
      return syncLocked(r.id());
    }
  }

  /** {@link #sync} with the container's lock held. */
  ContainerRecord syncLocked(String id) throws BerthException {
    return syncLocked(id, true);
  }

  private ContainerRecord syncLocked(String id, boolean autoRemove) throws BerthException {
    ContainerRecord r = containers.get(id);
    Status s = r.state().status();
    // An --rm container's end and its removal's start are one write: one synced record fewer.
    boolean removeNow = autoRemove && r.options().autoRemove();
    boolean released = false;
    if (s == Status.RUNNING || s == Status.PAUSED) {
      Optional<ExitFile.ExitStatus> exit = ExitFile.read(layout(id).exitFile());
      if (exit.isEmpty()) {
        if (alive(r)) return r;
        // The init is gone: its monitor drains the output and writes the exit file now, unless it
        // is gone too (it
        // was killed, or the machine rebooted), and then nobody recorded how the container ended.
        awaitExit(r, MONITOR_GRACE_MS);
        exit = ExitFile.read(layout(id).exitFile());
      }
      ContainerState next;
      if (exit.isPresent()) {
        ExitFile.ExitStatus e = exit.get();
        Instant finished = e.finishedAt() == null ? Instant.now() : e.finishedAt();
        // A process that ended before its start was recorded ended at that record, not before:
        // its die event and inspect never precede its start.
        Instant started = r.state().startedAt();
        if (started != null && finished.isBefore(started)) finished = started;
        next = r.state().exited(e.exitCode(), e.oomKilled(), finished);
      } else {
        next = r.state().exited(UNKNOWN_EXIT, false, Instant.now());
        next =
            new ContainerState(
                next.status(),
                0,
                0,
                next.startedAt(),
                next.finishedAt(),
                next.exitCode(),
                false,
                "the container's monitor is gone: its exit status was not recorded",
                next.restartCount());
      }
      ContainerRecord attached = r; // its endpoints, before the release forgets them
      PhaseTrace.mark("rm: exit read");
      starter.release(r);
      PhaseTrace.mark("rm: released");
      released = true;
      ContainerState n = removeNow ? next.withStatus(Status.REMOVING) : next;
      // An --rm container is removed just below, its end not written first: should this process
      // die before the removal ends, the next look finds the record running beside its exit file,
      // as this one did, and removes it then.
      r = removeNow ? r.withState(n) : containers.update(id, c -> c.withState(n));
      if (n.oomKilled()) event("oom", r, Map.of(), n.finishedAt());
      Map<String, String> die = new java.util.LinkedHashMap<>();
      die.put("exitCode", Integer.toString(n.exitCode()));
      if (n.startedAt() != null && n.finishedAt() != null) {
        die.put(
            "execDuration",
            Long.toString(
                Math.max(0, n.finishedAt().getEpochSecond() - n.startedAt().getEpochSecond())));
      }
      event("die", r, die, n.finishedAt());
      networkEvents("disconnect", attached, n.finishedAt());
    }
    // REMOVING under the lock: a removal that did not finish (the process died), finished now.
    if (removeNow
        && (r.state().status() == Status.EXITED || r.state().status() == Status.REMOVING)) {
      removeLocked(r, false, released);
      throw EngineException.notFound("No such container: " + id);
    }
    return r;
  }

  /**
   * How long a monitor may take to write the exit file after its container's init is gone (it
   * drains output).
   */
  static final long MONITOR_GRACE_MS = 5_000;

  /**
   * docker's exit code for a container whose end was not seen (its monitor was killed, the host
   * rebooted).
   */
  public static final int UNKNOWN_EXIT = 255;

  /** Whether the container's init still runs, as its runtime sees it. */
  private boolean alive(ContainerRecord r) throws BerthException {
    return runtimes.get(r.runtime()).alive(r.id());
  }

  // ---- stop, kill, wait ----

  /**
   * Stops a running container: its stop signal, then SIGKILL after {@code timeoutSeconds} (null:
   * the container's own, else 10). A container that is not running is left as it is.
   */
  public ContainerRecord stop(String ref, Integer timeoutSeconds) throws BerthException {
    ContainerRecord r = inspect(ref);
    // Also when it is not running: a restart its policy has scheduled (a cleanup in its backoff)
    // is called off, as docker's stop of a restarting container.
    r = markStoppedByUser(r);
    if (r.state().status() != Status.RUNNING && r.state().status() != Status.PAUSED) return r;
    int timeout =
        timeoutSeconds != null && timeoutSeconds >= 0
            ? timeoutSeconds
            : r.options().stopTimeout() != null ? r.options().stopTimeout() : DEFAULT_STOP_TIMEOUT;
    RuntimeDriver driver = runtimes.get(r.runtime());
    int signal = starter.stopSignal(r);
    try {
      if (r.state().status() == Status.PAUSED) {
        // A frozen process does not act on its signal: thaw it after the signal is queued (docker
        // does the same).
        driver.kill(r.id(), signal, false);
        killEvent(r, signal);
        driver.resume(r.id());
      } else if (timeout > 0) {
        driver.kill(r.id(), signal, false);
        killEvent(r, signal);
      }
    } catch (ContainerException e) {
      if (e.category() != ErrorCategory.NOT_FOUND
          && e.category() != ErrorCategory.FAILED_PRECONDITION) throw e;
    }
    if (timeout > 0 && awaitExit(r, timeout * 1000L)) return stopped(r);
    try {
      driver.kill(r.id(), 9, true);
      killEvent(r, 9);
    } catch (ContainerException e) {
      if (e.category() != ErrorCategory.NOT_FOUND
          && e.category() != ErrorCategory.FAILED_PRECONDITION) throw e;
    }
    awaitExit(r, 30_000);
    return stopped(r);
  }

  /**
   * The record of {@code r} once {@link #stop} ended it, its "stop" event recorded after its "die".
   * An {@code --rm} container is removed as it stops (here, or by its monitor's exit command):
   * docker's stop still succeeds, so its last state is made from its exit file.
   */
  private ContainerRecord stopped(ContainerRecord r) throws BerthException {
    // Read before the reconciliation, which removes an --rm container with its exit file.
    Optional<ExitFile.ExitStatus> exit = ExitFile.read(layout(r.id()).exitFile());
    ContainerRecord now;
    try {
      now = sync(containers.get(r.id()));
    } catch (BerthException e) {
      if (e.category() != ErrorCategory.NOT_FOUND || !r.options().autoRemove()) throw e;
      ExitFile.ExitStatus x = exit.orElse(null);
      now =
          r.withState(
              r.state()
                  .exited(
                      x == null ? UNKNOWN_EXIT : x.exitCode(),
                      x != null && x.oomKilled(),
                      x == null || x.finishedAt() == null ? Instant.now() : x.finishedAt()));
    }
    event("stop", now, Map.of(), Instant.now());
    return now;
  }

  private void killEvent(ContainerRecord r, int signal) {
    event("kill", r, Map.of("signal", Integer.toString(signal)), Instant.now());
  }

  /** Sends {@code signal} to a running container's init. */
  public void kill(String ref, int signal) throws BerthException {
    ContainerRecord r = inspect(ref);
    if (r.state().status() != Status.RUNNING && r.state().status() != Status.PAUSED) {
      throw EngineException.precondition(
          "Cannot kill container: " + ref + ": Container " + r.id() + " is not running");
    }
    markStoppedByUser(r);
    runtimes.get(r.runtime()).kill(r.id(), signal, false);
    killEvent(r, signal);
  }

  // ---- restart policies ----

  /** The extras key set when its user stopped or killed a container: no policy restarts it. */
  static final String STOPPED_BY_USER = "stoppedByUser";

  /** docker's restart backoff: from 100 ms, doubled at each restart in a row, at most a minute. */
  private static final long RESTART_DELAY_MS = 100;

  private static final long RESTART_DELAY_MAX_MS = 60_000;

  /** A run this long resets the backoff (docker's). */
  private static final java.time.Duration RESTART_RESET = java.time.Duration.ofSeconds(10);

  /** Marks {@code r} stopped by its user when it has a restart policy (else nothing to keep). */
  private ContainerRecord markStoppedByUser(ContainerRecord r) throws BerthException {
    if (r.options().host().restartPolicy().name().equals("no")) return r;
    if (r.extras().containsKey(STOPPED_BY_USER)) return r;
    return containers.update(
        r.id(),
        x -> {
          Map<String, String> e = new java.util.LinkedHashMap<>(x.extras());
          e.put(STOPPED_BY_USER, "true");
          return x.withExtras(e);
        });
  }

  private static ContainerRecord withoutStoppedByUser(ContainerRecord r) {
    if (!r.extras().containsKey(STOPPED_BY_USER)) return r;
    Map<String, String> e = new java.util.LinkedHashMap<>(r.extras());
    e.remove(STOPPED_BY_USER);
    return r.withExtras(e);
  }

  /**
   * After a container's exit (an {@link ExitWatcher} calls this, else its monitor's exit command):
   * starts it again when its restart policy says so — it exited by itself (nobody stopped or killed
   * it), and for "on-failure" with a non-zero code within the retries — after docker's backoff.
   * Returns whether it was started.
   */
  public boolean restartByPolicy(String ref) throws BerthException {
    ContainerRecord r = inspect(ref);
    if (!restartsByPolicy(r)) return false;
    ContainerState s = r.state();
    boolean ranLong =
        s.startedAt() != null
            && s.finishedAt() != null
            && java.time.Duration.between(s.startedAt(), s.finishedAt()).compareTo(RESTART_RESET)
                >= 0;
    long delay =
        ranLong
            ? RESTART_DELAY_MS
            : Math.min(RESTART_DELAY_MS << Math.min(s.restartCount(), 20), RESTART_DELAY_MAX_MS);
    try {
      Thread.sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    try (LockFile lock = containers.lock(r.id())) {
      r = syncLocked(r.id());
      // Stopped, started, removed or restarted by another process meanwhile: theirs to decide.
      if (!exitedByItself(r) || r.state().restartCount() != s.restartCount()) return false;
      int count = s.restartCount() + 1;
      r = containers.update(r.id(), x -> x.withState(x.state().withRestartCount(count)));
      ContainerRecord started = starter.start(r, StartListener.NONE);
      health.restarted(started);
      event("start", started, Map.of(), started.state().startedAt());
      return true;
    }
  }

  /**
   * Whether {@code r}, as recorded, ended in a way its restart policy restarts (what {@link
   * #restartByPolicy} checks first).
   */
  static boolean restartsByPolicy(ContainerRecord r) {
    return exitedByItself(r)
        && r.options()
            .host()
            .restartPolicy()
            .restarts(r.state().exitCode(), r.state().restartCount());
  }

  private static boolean exitedByItself(ContainerRecord r) {
    return r.state().status() == Status.EXITED
        && !r.extras().containsKey(STOPPED_BY_USER)
        && !r.options().autoRemove()
        && !r.options().host().restartPolicy().name().equals("no");
  }

  /**
   * At an engine service's start (berthd, as dockerd at its start): starts the containers whose
   * policy is "always", or "unless-stopped" and not stopped by their user, that are not running.
   * Returns the ids started; a failure to start one is reported and does not stop the others.
   */
  public List<String> startByPolicy(java.util.function.Consumer<String> report)
      throws BerthException {
    List<String> started = new ArrayList<>();
    for (ContainerRecord r : list()) {
      RestartPolicy p = r.options().host().restartPolicy();
      Status st = r.state().status();
      if (st != Status.EXITED && st != Status.CREATED) continue;
      if (!p.startsWithEngine(r.extras().containsKey(STOPPED_BY_USER))) continue;
      if (st == Status.CREATED && r.state().startedAt() == null) continue; // never started
      try {
        start(r.id(), StartListener.NONE);
        started.add(r.id());
      } catch (BerthException e) {
        report.accept(
            "start container " + r.shortId() + " (restart policy " + p + "): " + e.getMessage());
      }
    }
    return started;
  }

  /** Waits until the container is not running and returns its exit code (docker wait). */
  public int await(String ref) throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    while (true) {
      Status s = r.state().status();
      if (s != Status.RUNNING && s != Status.PAUSED) {
        int code = r.state().exitCode();
        try {
          sync(r); // an --rm container goes now
        } catch (BerthException e) {
          if (e.category() != ErrorCategory.NOT_FOUND) throw e;
        }
        return code;
      }
      awaitExit(r, Long.MAX_VALUE);
      // Read before the reconciliation, which removes an --rm container with its exit file.
      Optional<ExitFile.ExitStatus> exit = ExitFile.read(layout(r.id()).exitFile());
      try {
        r = syncWithoutRemoval(r.id());
      } catch (BerthException e) {
        if (e.category() == ErrorCategory.NOT_FOUND && exit.isPresent())
          return exit.get().exitCode();
        throw e;
      }
    }
  }

  /**
   * {@link #sync} of a container that may have just exited, keeping an --rm one for {@link #await}
   * to read.
   */
  private ContainerRecord syncWithoutRemoval(String id) throws BerthException {
    ContainerRecord r = containers.get(id);
    Status s = r.state().status();
    if (s != Status.RUNNING && s != Status.PAUSED) return r;
    try (LockFile lock = containers.lock(id)) {
      return syncLocked(id, false);
    }
  }

  /**
   * Waits up to {@code millis} for the monitor of {@code r} to record the container's exit: the
   * monitor exits right after writing it, so this polls the monitor's pidfd; true when it did.
   */
  boolean awaitExit(ContainerRecord r, long millis) throws BerthException {
    Path exit = layout(r.id()).exitFile();
    long deadline =
        millis == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() / 1_000_000 + millis;
    Fd pidfd = null;
    try {
      if (r.state().monitorPid() > 0) {
        try {
          pidfd = Linux.pidfdOpen(r.state().monitorPid(), 0);
        } catch (ErrnoException e) {
          // gone already
        }
      }
      while (true) {
        if (Files.exists(exit)) return true;
        long left = deadline == Long.MAX_VALUE ? 200 : deadline - System.nanoTime() / 1_000_000;
        if (left <= 0) return false;
        if (pidfd != null) {
          // The monitor's pidfd turns readable when it exits; until then re-check every 200 ms (a
          // monitor killed
          // before it wrote the file leaves the runtime to tell).
          if (Linux.poll(
                  new Fd[] {pidfd},
                  new short[] {LinuxConstants.POLLIN},
                  new short[1],
                  (int) Math.min(left, 200))
              > 0) {
            return Files.exists(exit) || !alive(r);
          }
        } else {
          if (!alive(r)) return Files.exists(exit);
          Thread.sleep(Math.min(left, 50));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException(
          ErrorCategory.CANCELLED, "wait for container " + r.shortId() + ": interrupted");
    } catch (IOException e) {
      throw EngineException.internal(
          "wait for container " + r.shortId() + ": " + e.getMessage(), e);
    } finally {
      if (pidfd != null) pidfd.close();
    }
  }

  // ---- pause ----

  public void pause(String ref) throws BerthException {
    ContainerRecord r = inspect(ref);
    if (r.state().status() == Status.PAUSED) {
      throw EngineException.precondition("Container " + r.id() + " is already paused");
    }
    if (r.state().status() != Status.RUNNING) {
      throw EngineException.precondition("Container " + r.id() + " is not running");
    }
    try (LockFile lock = containers.lock(r.id())) {
      runtimes.get(r.runtime()).pause(r.id());
      event(
          "pause",
          containers.update(r.id(), c -> c.withState(c.state().withStatus(Status.PAUSED))),
          Map.of(),
          Instant.now());
    }
  }

  public void unpause(String ref) throws BerthException {
    ContainerRecord r = inspect(ref);
    if (r.state().status() != Status.PAUSED) {
      throw EngineException.precondition("Container " + r.id() + " is not paused");
    }
    try (LockFile lock = containers.lock(r.id())) {
      runtimes.get(r.runtime()).resume(r.id());
      event(
          "unpause",
          containers.update(r.id(), c -> c.withState(c.state().withStatus(Status.RUNNING))),
          Map.of(),
          Instant.now());
    }
  }

  // ---- remove ----

  /**
   * Removes a container: record, snapshot, logs, and with {@code removeVolumes} its anonymous
   * volumes. A running one is refused unless {@code force}, which kills it first.
   */
  /** The extra that lists the volumes a container's create made (named ones included). */
  static final String MADE_VOLUMES = "madeVolumes";

  /**
   * Removes a container whose first start failed (a run), with every volume its create made, named
   * ones too: a failed run leaves nothing behind. A volume another container uses by then stays.
   */
  public void discard(String ref) throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    String made = r.extras().get(MADE_VOLUMES);
    remove(r.id(), true, true);
    if (made == null) return;
    for (String v : made.split(",")) {
      try {
        volumes.remove(v, true);
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.FAILED_PRECONDITION) throw e;
      }
    }
  }

  public void remove(String ref, boolean force, boolean removeVolumes) throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    r = sync(r);
    Status s = r.state().status();
    if ((s == Status.RUNNING || s == Status.PAUSED) && !force) {
      throw EngineException.precondition(
          "You cannot remove a running container "
              + r.id()
              + ". Stop the container before attempting removal or force remove");
    }
    if (s == Status.RUNNING || s == Status.PAUSED) {
      RuntimeDriver driver = runtimes.get(r.runtime());
      try {
        driver.kill(r.id(), 9, true);
        killEvent(r, 9);
      } catch (ContainerException e) {
        // stopped meanwhile
      }
      awaitExit(r, 30_000);
    }
    try (LockFile lock = containers.lock(r.id())) {
      ContainerRecord now = containers.get(r.id());
      if (now.state().status() == Status.RUNNING || now.state().status() == Status.PAUSED) {
        // Its end recorded (exit code, "die") as any other's; an --rm one is removed by that
        // already.
        try {
          now = syncLocked(now.id());
        } catch (BerthException e) {
          if (e.category() == ErrorCategory.NOT_FOUND) return;
          throw e;
        }
        if (now.state().status() == Status.RUNNING || now.state().status() == Status.PAUSED)
          starter.release(now);
      }
      removeLocked(now, removeVolumes, false);
    }
  }

  /**
   * Removes a container whose lock is held and whose processes are gone; {@code released}: its
   * run's mounts and runtime state were released just now, under this lock.
   */
  private void removeLocked(ContainerRecord r, boolean removeVolumes, boolean released)
      throws BerthException {
    // Its run released first (as a stop does: a crash after it leaves an exited container), then
    // the record goes in one durable step, then what it owned (ContainerStore.remove says what a
    // crash at each step leaves, and its repair finishes).
    if (!released) starter.release(r);
    PhaseTrace.mark("rm: released");
    // The snapshot goes out of sight with the record (a rename into the trash, in the record's
    // removal); its files are deleted once the record is gone: here, or on the engine's own thread
    // with background removal. Not beside the directory's removal on a thread of its own: the
    // thread cost more than the overlap saved (both are mostly the kernel's work on two cores).
    boolean[] trashed = {false};
    try {
      containers.remove(
          r.id(),
          id -> {
            images.snapshots().trash(id);
            trashed[0] = true;
          });
    } catch (BerthException e) {
      if (trashed[0]) {
        try {
          emptyTrash(true);
        } catch (BerthException ignored) {
          // the removal's own error is the one to report; the trash waits for the next removal
        }
      }
      throw e;
    }
    event("destroy", r, Map.of(), Instant.now());
    PhaseTrace.mark("rm: record removed");
    emptyTrash(true);
    PhaseTrace.mark("rm: removed");
    // Anonymous volumes go with --rm and -v, as docker's; named ones stay.
    if (removeVolumes || r.options().autoRemove()) {
      for (String name : r.volumes()) {
        try {
          if (volumes.get(name).anonymous()) volumes.remove(name, false);
        } catch (BerthException e) {
          // in use by another container, or gone: docker leaves it too
        }
      }
    }
  }

  /** What {@link #prune} removed: the containers' ids, and the bytes their changes took. */
  public record Pruned(List<String> ids, long reclaimedBytes) {}

  /**
   * docker container prune: removes every container that is not running or paused and that {@code
   * filter} accepts. One that starts meanwhile is left alone.
   */
  public Pruned prune(java.util.function.Predicate<ContainerRecord> filter) throws BerthException {
    List<String> ids = new ArrayList<>();
    long bytes = 0;
    for (ContainerRecord r : list()) {
      Status s = r.state().status();
      if (s == Status.RUNNING || s == Status.PAUSED || s == Status.REMOVING || !filter.test(r))
        continue;
      long size = changesSize(r);
      try {
        remove(r.id(), false, false);
      } catch (BerthException e) {
        if (e.category() == ErrorCategory.FAILED_PRECONDITION
            || e.category() == ErrorCategory.NOT_FOUND) continue;
        throw e;
      }
      ids.add(r.id());
      bytes += size;
    }
    return new Pruned(ids, bytes);
  }

  /**
   * Bytes of a container's changes (its snapshot's upper directory: docker's SizeRw, the CRI's
   * writable layer), 0 when unknown.
   */
  public long changesSize(ContainerRecord r) {
    try {
      for (Mount m : images.snapshots().mounts(r.id())) {
        if (m.type().equals("bind"))
          return dev.berth.image.snapshot.Trees.usage(Path.of(m.source()));
        for (String opt : m.options()) {
          if (opt.startsWith("upperdir=")) {
            return dev.berth.image.snapshot.Trees.usage(
                Path.of(opt.substring("upperdir=".length())));
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // the size is only reported
    }
    return 0;
  }

  /** Renames a container (docker rename). */
  public ContainerRecord rename(String ref, String newName) throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    ContainerRecord renamed =
        containers.rename(r.id(), newName.startsWith("/") ? newName.substring(1) : newName);
    event("rename", renamed, Map.of("oldName", "/" + r.name()), Instant.now());
    return renamed;
  }

  // ---- exec, top, stats ----

  /**
   * Runs a process in a running container (docker exec): made from the container's own process with
   * {@code options} over it, through the container's runtime. In the foreground it returns once the
   * process has exited, with its status (128+signal when killed); detached, once it runs (exit code
   * -1), its stdio discarded.
   *
   * @param stdio the process's stdio without a terminal ({@link Stdio#INHERIT}: this process's own)
   * @param pty takes the pty master of a process with a terminal (e.g. a {@code TerminalProxy});
   *     unused without
   * @throws ExecFailedException when the process could not start (docker's exit code 126 or 127)
   */
  public ExecResult exec(String ref, ExecOptions options, Stdio stdio, PtyHandler pty)
      throws BerthException {
    return exec(ref, options, stdio, pty, null);
  }

  /**
   * {@link #exec(String, ExecOptions, Stdio, PtyHandler)}, with {@code signals} (may be null) able
   * to reach the process of a foreground exec without a terminal while it runs (docker's
   * sig-proxy).
   */
  public ExecResult exec(
      String ref, ExecOptions options, Stdio stdio, PtyHandler pty, ExecSignals signals)
      throws BerthException {
    ContainerOptionStrings.check(options);
    ContainerRecord r = running(ref);
    String command = String.join(" ", options.command());
    Map<String, String> execId = Map.of("execID", containers.newId());
    event("exec_create: " + command, r, execId, Instant.now());
    // As docker's, before the process runs: a foreground exec returns only at its end.
    event("exec_start: " + command, r, execId, Instant.now());
    ExecResult result = execs.run(r, options, stdio, pty, signals);
    if (!result.detached()) {
      Map<String, String> die = new java.util.LinkedHashMap<>(execId);
      die.put("exitCode", Integer.toString(result.exitCode()));
      event("exec_die", r, die, Instant.now());
    }
    return result;
  }

  /**
   * A running container, else docker's error for exec and top: NOT_FOUND, or FAILED_PRECONDITION.
   */
  private ContainerRecord running(String ref) throws BerthException {
    ContainerRecord r = inspect(ref);
    if (r.state().status() == Status.PAUSED) {
      throw EngineException.precondition(
          "container " + r.id() + " is paused, unpause the container before exec");
    }
    if (r.state().status() != Status.RUNNING)
      throw EngineException.precondition("container " + r.id() + " is not running");
    return r;
  }

  /**
   * docker top: the host's {@code ps} with {@code psArgs} (none: {@code -ef}), only the container's
   * processes.
   */
  public ProcessTable top(String ref, List<String> psArgs) throws BerthException {
    ContainerRecord r = inspect(ref);
    if (r.state().status() != Status.RUNNING && r.state().status() != Status.PAUSED) {
      throw EngineException.precondition("container " + r.id() + " is not running");
    }
    List<Integer> pids = runtimes.get(r.runtime()).pids(r.id());
    return ContainerTop.run(psArgs, new java.util.HashSet<>(pids));
  }

  /**
   * One sample of a container's resource usage (zeros when it does not run); docker's CPU % needs
   * two.
   */
  public ContainerStats stats(String ref) throws BerthException {
    ContainerRecord r = inspect(ref);
    try {
      long[] cpu = HostUsage.cpu();
      long memory = HostUsage.memory();
      Status s = r.state().status();
      if (s == Status.RUNNING || s == Status.PAUSED) {
        try {
          Stats stats = runtimes.get(r.runtime()).stats(r.id());
          long[] net = {0, 0};
          if (!"host".equals(r.options().network())) {
            try {
              net = HostUsage.network(r.state().pid());
            } catch (IOException e) {
              // exited meanwhile: no traffic to show
            }
          }
          return new ContainerStats(
              r.id(), r.name(), Instant.now(), stats, cpu[0], (int) cpu[1], memory, net[0], net[1]);
        } catch (ContainerException e) {
          if (e.category() != ErrorCategory.NOT_FOUND
              && e.category() != ErrorCategory.FAILED_PRECONDITION) throw e;
          // stopped meanwhile: zeros
        }
      }
      return new ContainerStats(
          r.id(), r.name(), Instant.now(), null, cpu[0], (int) cpu[1], memory, 0, 0);
    } catch (IOException e) {
      throw EngineException.internal(
          "stats of container " + r.shortId() + ": " + e.getMessage(), e);
    }
  }

  // ---- update, log ----

  /**
   * Changes a container's resource limits (docker update, the CRI's UpdateContainerResources): kept
   * in its record for its next start, applied by its runtime now when it runs. A bad value is
   * INVALID_ARGUMENT with docker's message, and changes nothing.
   */
  public ContainerRecord update(String ref, ContainerOptions.ResourceOptions resources)
      throws BerthException {
    return update(ref, resources, null);
  }

  /**
   * docker update: {@link #update(String, ContainerOptions.ResourceOptions)}, and the restart
   * policy too when {@code restart} is not null (an {@code --rm} container takes none).
   */
  public ContainerRecord update(
      String ref, ContainerOptions.ResourceOptions resources, RestartPolicy restart)
      throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    if (restart != null && r.options().autoRemove() && !restart.name().equals("no")) {
      throw EngineException.invalid(
          "Restart policy cannot be updated because AutoRemove is enabled for the container");
    }
    dev.berth.spec.runtime.Resources limits =
        dev.berth.engine.spec.SpecGenerator.limits(
            resources, dev.berth.engine.spec.HostFacts.current());
    try (LockFile lock = containers.lock(r.id())) {
      r = syncLocked(r.id());
      Status s = r.state().status();
      if (s == Status.RUNNING || s == Status.PAUSED) {
        runtimes.get(r.runtime()).update(r.id(), limits);
      }
      ContainerRecord updated =
          containers.update(
              r.id(),
              c -> {
                ContainerOptions o = c.options().withResources(resources);
                if (restart != null) o = o.withHost(o.host().withRestartPolicy(restart));
                return c.withOptions(o);
              });
      event("update", updated, Map.of(), Instant.now());
      return updated;
    }
  }

  /**
   * Has a running container's monitor reopen its log file (after it was renamed away: the CRI's
   * ReopenContainerLog, kubelet's log rotation); returns once the new file is there (a monitor from
   * before that answer existed is not waited for). A container that does not run is
   * FAILED_PRECONDITION: nothing writes its log.
   */
  public void reopenLog(String ref) throws BerthException {
    ContainerRecord r = inspect(ref);
    if (r.state().status() != Status.RUNNING && r.state().status() != Status.PAUSED)
      throw EngineException.precondition("container " + r.id() + " is not running");
    try (dev.berth.runtime.monitor.AttachClient c =
        dev.berth.runtime.monitor.AttachClient.connect(layout(r.id()).attachSocket())) {
      c.reopenLog();
    } catch (ErrnoException e) {
      throw EngineException.internal(
          "reopen the log of container " + r.shortId() + ": " + e.getMessage(), e);
    }
  }

  // ---- events ----

  /**
   * Records docker's restart event for container {@code ref}, once its restart (a stop, then a
   * start) is done: clients that follow events (docker-compose events, docker-py) wait for it.
   */
  public void restarted(String ref) throws BerthException {
    event("restart", inspect(ref), Map.of(), Instant.now());
  }

  /**
   * Records a container event: its image, name and labels with {@code extra}, as docker's. Best
   * effort: an event that cannot be written never fails the operation it reports.
   */
  void event(String action, ContainerRecord r, Map<String, String> extra, Instant time) {
    Map<String, String> attributes = new java.util.TreeMap<>(r.options().labels());
    attributes.put("image", r.imageRef());
    attributes.put("name", r.name());
    attributes.putAll(extra);
    try {
      events.append(
          new Event(
              time == null ? Instant.now() : time, Event.CONTAINER, action, r.id(), attributes));
    } catch (IOException | RuntimeException e) {
      // a full disk or a store we cannot write: the operation itself has succeeded
    }
  }

  /**
   * An image, volume or network event into the log (the stores report theirs here); a log that
   * cannot be written loses the event, not the operation.
   */
  void objectEvent(String type, String action, String id, Map<String, String> attributes) {
    objectEvent(type, action, id, attributes, null);
  }

  /** {@link #objectEvent} at {@code time} (null: now). */
  void objectEvent(
      String type, String action, String id, Map<String, String> attributes, Instant time) {
    try {
      events.append(new Event(time == null ? Instant.now() : time, type, action, id, attributes));
    } catch (IOException | RuntimeException e) {
      // a full disk or a store we cannot write: the operation itself has succeeded
    }
  }

  // ---- files: cp, export ----

  /**
   * docker's stat of a path in a container (of any state): itself, or with {@code followLink} what
   * it leads to.
   */
  public PathStat statPath(String ref, String path, boolean followLink) throws BerthException {
    return onRootfs(ref, true, (files, r) -> files.stat(path, followLink));
  }

  /**
   * docker cp out: writes the file or tree at {@code path} in container {@code ref} as a tar to
   * {@code tar}, its top entry named {@code as} (null: the path's last component; ".": a
   * directory's contents). See {@link ContainerFiles#archive}.
   */
  public PathStat copyFrom(String ref, String path, boolean followLink, String as, OutputStream tar)
      throws BerthException {
    return onRootfs(ref, true, (files, r) -> files.archive(path, followLink, as, tar));
  }

  /**
   * docker cp in: extracts {@code tar} into the directory {@code path} of container {@code ref}.
   * Without {@code keepOwners} (docker cp -a), every entry is owned by the container's root.
   */
  public void copyTo(String ref, String path, InputStream tar, boolean keepOwners)
      throws BerthException {
    onRootfs(
        ref,
        true,
        (files, r) -> {
          files.extract(
              path, tar, keepOwners ? null : new int[] {0, 0}, r.options().readOnlyRootfs());
          return null;
        });
  }

  /** docker export: the container's root filesystem as a tar. */
  public void export(String ref, OutputStream tar) throws BerthException {
    onRootfs(
        ref,
        false,
        (files, r) -> {
          files.export(tar);
          return null;
        });
  }

  // ---- commit ----

  /**
   * docker commit: a new image of the container's image plus its changes as one layer, with the
   * container's config and {@code o.changes()}; a running container is paused meanwhile unless
   * {@code o.pause()} is false.
   */
  public ImageRecord commit(String ref, Commit.Options o) throws BerthException {
    Changes.check(o.changes());
    ContainerRecord r = inspect(ref);
    ImageRecord base = images.resolve(r.imageId());
    ImageConfig baseConfig = imageConfig(base);
    Path upper = upperDir(r);
    boolean paused = false;
    if (o.pause() && r.state().status() == Status.RUNNING) {
      pause(r.id());
      paused = true;
    }
    try {
      return Commit.build(
          images,
          base,
          baseConfig,
          r.options(),
          upper,
          String.join(" ", ContainerViews.command(r)),
          o,
          config.root().resolve("tmp"));
    } finally {
      if (paused) {
        try {
          unpause(r.id());
        } catch (BerthException e) {
          // it exited or was removed meanwhile: nothing left to thaw
        }
      }
    }
  }

  /**
   * The files the engine binds into every container, made in its tree when the image lacks them.
   */
  private static final java.util.Set<String> ENGINE_MOUNT_POINTS =
      java.util.Set.of("/etc/hostname", "/etc/hosts", "/etc/resolv.conf");

  /**
   * docker diff: what the container changed in its image's tree, sorted by path ({@code C /etc},
   * {@code A /etc/new}, {@code D /bin/gone}).
   */
  public List<OverlayChanges.Change> changes(String ref) throws BerthException {
    ContainerRecord r = inspect(ref);
    Path upper = upperDir(r);
    List<Path> lowers = new ArrayList<>();
    try {
      for (Mount m : images.snapshots().mounts(r.id())) {
        for (String opt : m.options()) {
          if (!opt.startsWith("lowerdir=")) continue;
          for (String l : opt.substring("lowerdir=".length()).split(":")) lowers.add(Path.of(l));
        }
      }
      return OverlayChanges.of(upper, lowers, ENGINE_MOUNT_POINTS);
    } catch (IOException e) {
      throw EngineException.internal(
          "changes of container " + r.shortId() + ": " + e.getMessage(), e);
    }
  }

  /** The directory holding a container's changes: its overlay snapshot's upper directory. */
  private Path upperDir(ContainerRecord r) throws BerthException {
    try {
      var snapshots = images.snapshots();
      if (!(snapshots instanceof dev.berth.image.snapshot.OverlaySnapshotter)) {
        throw new EngineException(
            ErrorCategory.UNIMPLEMENTED,
            "a container's changes need the overlay snapshotter; the store at "
                + config.root()
                + " uses the copy snapshotter");
      }
      for (Mount m : snapshots.mounts(r.id())) {
        if (m.type().equals("bind"))
          return Path.of(m.source()); // an image without layers: all is the container's
        for (String opt : m.options()) {
          if (opt.startsWith("upperdir=")) return Path.of(opt.substring("upperdir=".length()));
        }
      }
      throw EngineException.internal(
          "container " + r.shortId() + ": its snapshot has no upper directory", null);
    } catch (IOException e) {
      throw EngineException.internal("container " + r.shortId() + ": " + e.getMessage(), e);
    }
  }

  /** Work on a container's root filesystem. */
  interface RootfsWork<T> {
    T apply(ContainerFiles files, ContainerRecord r) throws BerthException;
  }

  /**
   * Runs {@code work} on the mounted root filesystem of {@code ref}, with the container's lock held
   * (no start, stop or removal meanwhile): a running container's mount as it is, else its snapshot
   * mounted for the while. With {@code withMounts} (cp), paths go through the container's mount
   * table instead: a running container's as its init sees it, a stopped one's volumes and binds
   * mounted over its rootfs for the while (see {@link ContainerFsView}).
   */
  <T> T onRootfs(String ref, boolean withMounts, RootfsWork<T> work) throws BerthException {
    ContainerRecord r = inspect(ref);
    try (LockFile lock = containers.lock(r.id())) {
      r = syncLocked(r.id());
      if (r.state().status() == Status.REMOVING) {
        throw EngineException.precondition("container " + r.shortId() + " is being removed");
      }
      Layout l = layout(r.id());
      boolean live = r.state().status() == Status.RUNNING || r.state().status() == Status.PAUSED;
      boolean mounted = false;
      try {
        if (withMounts && live) {
          try (ContainerFsView view = ContainerFsView.ofProcess(r.state().pid())) {
            return work.apply(new ContainerFiles(view.root(), ref), r);
          }
        }
        if (!isMountPoint(l.rootfs())) {
          starter.mountRootfs(r);
          mounted = true;
        }
        List<dev.berth.spec.runtime.Mount> binds = withMounts ? starter.volumeMounts(r) : List.of();
        try (ContainerFsView view = ContainerFsView.withBinds(l.rootfs(), binds)) {
          return work.apply(new ContainerFiles(view.root(), ref), r);
        }
      } catch (IOException e) {
        throw EngineException.internal(
            "mount the root filesystem of container " + r.shortId() + ": " + e.getMessage(), e);
      } finally {
        if (mounted) {
          try {
            unmountIfMounted(l.rootfs());
            if (Files.exists(l.runDir())) dev.berth.image.snapshot.Trees.remove(l.runDir());
          } catch (IOException e) {
            throw EngineException.internal(
                "unmount the root filesystem of container " + r.shortId() + ": " + e.getMessage(),
                e);
          }
        }
      }
    }
  }

  // ---- paths ----

  /** Where a container's files are. */
  public record Layout(
      Path dir,
      Path runDir,
      Path rootfs,
      Path bundle,
      Path exitFile,
      Path log,
      Path attachSocket,
      Path consoleSocket,
      Path netns,
      Path volumes) {
    /** Where the named volume's data is: docker shows it as a volume mount's Source. */
    public Path volumeData(String name) {
      return dev.berth.engine.volume.VolumeStore.dataDir(volumes, name);
    }
  }

  /**
   * The file an {@link ExitWatcher} holds a shared lock on while it watches: a monitor runs its
   * exit command only when nobody holds it, so an exit that a watcher reconciles costs no second
   * process (a JVM) doing it again.
   */
  Path exitWatchersLock() {
    return config.runRoot().resolve("exit-watchers.lock");
  }

  /**
   * The paths of container {@code id}: persistent ones in its store directory, the others under the
   * run root.
   */
  public Layout layout(String id) {
    Path dir = containers.containerDir(id);
    Path run = config.runRoot().resolve("containers").resolve(id);
    return new Layout(
        dir,
        run,
        run.resolve("rootfs"),
        run.resolve("bundle"),
        dir.resolve("exit.json"),
        dir.resolve("ctr.log"),
        run.resolve("attach"),
        run.resolve("console"),
        config.runRoot().resolve("netns").resolve(id),
        volumes.directory());
  }

  /**
   * {@link #logPath} for a reader ({@code logs}): UNIMPLEMENTED with docker's words for a container
   * whose log driver keeps none.
   */
  public static Path readableLogPath(ContainerRecord r, Layout layout) throws BerthException {
    if (r.options().host().log() != null && r.options().host().log().none())
      throw new BerthException(
          ErrorCategory.UNIMPLEMENTED, "configured logging driver does not support reading");
    return logPath(r, layout);
  }

  /**
   * Where the monitor writes {@code r}'s log: its own path ({@code HostOptions.logPath}, the CRI's
   * log_directory/log_path), else {@code <container dir>/ctr.log}.
   */
  public static Path logPath(ContainerRecord r, Layout layout) {
    String own = r.options().host().logPath();
    return own != null ? Path.of(own) : layout.log();
  }

  static boolean isMountPoint(Path dir) throws IOException {
    return MountInfo.isMountPoint(dir.toString());
  }

  static void unmountIfMounted(Path dir) throws IOException {
    if (isMountPoint(dir)) Mounts.unmount(dir);
  }

  static void mountAll(List<Mount> mounts, Path target) throws IOException {
    Mounts.mount(mounts, target);
  }

  /**
   * Deletes what removals left in the trashes (the snapshotter's, the container store's): on the
   * engine's own thread with background removal, else now ({@code wait}: after another process that
   * empties them, so a CLI's removal returns with its files gone). A failure leaves them for the
   * next removal or open to delete.
   */
  private void emptyTrash(boolean wait) throws BerthException {
    if (trashEmptier != null) {
      trashEmptier.execute(
          () -> {
            try {
              images.snapshots().emptyTrash(true);
              containers.emptyTrash(true);
            } catch (BerthException | IOException | RuntimeException e) {
              System.err.println("berth: empty the trash: " + e.getMessage());
            }
          });
      return;
    }
    try {
      images.snapshots().emptyTrash(wait);
    } catch (IOException e) {
      throw EngineException.internal("empty the snapshot trash: " + e.getMessage(), e);
    }
    containers.emptyTrash(wait);
  }

  @Override
  public void close() {
    if (trashEmptier != null) {
      // What is being deleted is finished (a daemon's stop waits for it); what is left is the next
      // open's.
      trashEmptier.shutdown();
      try {
        trashEmptier.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    networking.close();
    images.close();
  }
}
