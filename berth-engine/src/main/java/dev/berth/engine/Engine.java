package dev.berth.engine;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.engine.store.ContainerStore;
import dev.berth.engine.store.LockFile;
import dev.berth.engine.spec.GeneratedSpec;
import dev.berth.engine.spec.VolumeNeed;
import dev.berth.engine.volume.Volume;
import dev.berth.engine.volume.VolumeStore;
import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.snapshot.ChainIds;
import dev.berth.image.snapshot.Mount;
import dev.berth.image.snapshot.Mounts;
import dev.berth.image.store.ImageRecord;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.driver.ContainerStatus;
import dev.berth.runtime.driver.RuntimeDriver;
import dev.berth.runtime.driver.RuntimeHandlers;
import dev.berth.runtime.monitor.ExitFile;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.ImageJson;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The engine: containers from images on one store that every {@code berth} process (and later {@code berthd})
 * shares, without a daemon. Every operation is a library call; the CLI only parses and prints.
 *
 * <p>Who holds what: a container's record (store), its writable snapshot (image store), its log and exit file
 * (its directory in the store) persist; its rootfs mount, bundle, runtime state and monitor sockets live under the
 * run root and vanish at reboot. The monitor, not this process, is the container's parent: the engine learns how a
 * container ended from the monitor's exit file, whenever it next looks ({@link #sync}).
 *
 * <p>Locks: the store serialises writes of records; lifecycle operations on one container (start, stop, remove,
 * the reconciliation of its state) take its own lock, so two processes never start or remove one container at once.
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

  private Engine(EngineConfig config, ImageService images, ContainerStore containers, VolumeStore volumes,
      RuntimeHandlers runtimes) {
    this.config = config;
    this.images = images;
    this.containers = containers;
    this.volumes = volumes;
    this.runtimes = runtimes;
    this.starter = new ContainerStarter(this);
  }

  /** Opens the engine's stores (made when missing). */
  public static Engine open(EngineConfig config) throws BerthException {
    try {
      ImageService images = new ImageService(new ImageService.Options(config.root(), config.registriesConfig(),
          null, null));
      ContainerStore containers = ContainerStore.open(config.root());
      VolumeStore volumes = VolumeStore.open(config.root(), containers::volumeUsers);
      RuntimeHandlers runtimes = new RuntimeHandlers(config.runRoot().resolve("runtimes"));
      return new Engine(config, images, containers, volumes, runtimes);
    } catch (IOException e) {
      throw EngineException.internal("open the engine at " + config.root() + ": " + e.getMessage(), e);
    }
  }

  public EngineConfig config() {
    return config;
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

  // ---- create ----

  /**
   * Creates a container from an image already in the store (the caller pulls a missing one): its record, name and
   * writable snapshot, and its volumes. Nothing runs yet (docker's "created"). A failure leaves nothing behind.
   */
  public ContainerRecord create(ContainerOptions options) throws BerthException {
    ImageRecord image = images.resolve(options.image());
    ImageConfig imageConfig = imageConfig(image);
    List<Digest> chain = ChainIds.of(imageConfig.rootfs().diffIds());
    String runtime = options.runtime() == null ? RuntimeHandlers.DEFAULT : options.runtime();
    runtimes.get(runtime);
    starter.check(options, imageConfig);
    ContainerRecord record = containers.create(ContainerRecord.of(containers.newId(), Instant.now(), options,
        image.config().toString(), runtime));
    String id = record.id();
    List<String> madeVolumes = new ArrayList<>();
    boolean snapshot = false;
    try {
      images.snapshots().prepare(id, chain.isEmpty() ? null : chain.getLast());
      snapshot = true;
      List<String> names = new ArrayList<>();
      for (VolumeNeed need : starter.volumes(imageConfig, options)) {
        boolean existed = need.name() != null && volumeExists(need.name());
        Volume v = volumes.create(need.name(), Map.of());
        if (!existed) madeVolumes.add(v.name());
        names.add(v.name());
      }
      Path dir = containers.containerDir(id);
      ContainerRecord made = containers.update(id, r -> r.withParts(id, layout(id).bundle(), dir.resolve("ctr.log"))
          .withVolumes(names));
      GeneratedSpec spec = starter.validate(made, imageConfig);
      Map<String, String> extras = new java.util.LinkedHashMap<>(made.extras());
      extras.put(ContainerViews.ARGS, ContainerViews.encodeCommand(spec.spec().process().args()));
      extras.put(ContainerViews.HOSTNAME, spec.hostname());
      return containers.update(id, r -> r.withExtras(extras));
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

  private boolean volumeExists(String name) throws BerthException {
    try {
      volumes.get(name);
      return true;
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND) return false;
      throw e;
    }
  }

  ImageConfig imageConfig(ImageRecord image) throws BerthException {
    try {
      return ImageJson.readConfig(images.content().read(image.config(), ImageService.MAX_METADATA),
          image.config().toString());
    } catch (IOException | dev.berth.spec.json.SpecException e) {
      throw new ImageException(ErrorCategory.INTERNAL, "read the config of image " + image.name() + ": "
          + e.getMessage(), e);
    }
  }

  // ---- start ----

  /** What {@link #start} tells its caller between the container's create and its start (attach now). */
  public interface StartListener {
    /** The container is created under its monitor, and has not run yet: attach to {@code attachSocket} now. */
    void created(ContainerRecord record, Path attachSocket) throws IOException;

    StartListener NONE = (r, s) -> {};
  }

  /**
   * Starts a created or exited container: mounts its rootfs, writes its spec, starts its monitor and, under it, the
   * container. A running container is left as it is (docker's start of a running container succeeds).
   */
  public ContainerRecord start(String ref, StartListener listener) throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    try (LockFile lock = containers.lock(r.id())) {
      r = syncLocked(r.id());
      Status s = r.state().status();
      if (s == Status.RUNNING) return r;
      if (s == Status.PAUSED) {
        throw EngineException.precondition("cannot start a paused container, try unpause instead");
      }
      if (s == Status.REMOVING) throw EngineException.precondition("container " + r.shortId() + " is being removed");
      return starter.start(r, listener);
    }
  }

  // ---- state ----

  /**
   * The record of {@code ref} with its state brought up to date: a container whose monitor recorded an exit is
   * exited (its mounts and runtime state released; an {@code --rm} one removed, then NOT_FOUND).
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

  /** Reconciles {@code r} with its monitor's exit file and the runtime, under its lock, if it claims to run. */
  ContainerRecord sync(ContainerRecord r) throws BerthException {
    Status s = r.state().status();
    if (s != Status.RUNNING && s != Status.PAUSED && !(r.options().autoRemove() && s == Status.EXITED)) return r;
    try (LockFile lock = containers.lock(r.id())) {
      return syncLocked(r.id());
    }
  }

  /** {@link #sync} with the container's lock held. */
  ContainerRecord syncLocked(String id) throws BerthException {
    ContainerRecord r = containers.get(id);
    Status s = r.state().status();
    if (s == Status.RUNNING || s == Status.PAUSED) {
      Optional<ExitFile.ExitStatus> exit = ExitFile.read(layout(id).exitFile());
      if (exit.isEmpty()) {
        if (alive(r)) return r;
        // The init is gone: its monitor drains the output and writes the exit file now, unless it is gone too (it
        // was killed, or the machine rebooted), and then nobody recorded how the container ended.
        awaitExit(r, MONITOR_GRACE_MS);
        exit = ExitFile.read(layout(id).exitFile());
      }
      ContainerState next;
      if (exit.isPresent()) {
        ExitFile.ExitStatus e = exit.get();
        next = r.state().exited(e.exitCode(), e.oomKilled(), e.finishedAt() == null ? Instant.now() : e.finishedAt());
      } else {
        next = r.state().exited(UNKNOWN_EXIT, false, Instant.now());
        next = new ContainerState(next.status(), 0, 0, next.startedAt(), next.finishedAt(), next.exitCode(), false,
            "the container's monitor is gone: its exit status was not recorded", next.restartCount());
      }
      starter.release(r);
      ContainerState n = next;
      r = containers.update(id, c -> c.withState(n));
    }
    if (r.state().status() == Status.EXITED && r.options().autoRemove()) {
      removeLocked(r, false);
      throw EngineException.notFound("No such container: " + id);
    }
    return r;
  }

  /** How long a monitor may take to write the exit file after its container's init is gone (it drains output). */
  static final long MONITOR_GRACE_MS = 5_000;

  /** docker's exit code for a container whose end was not seen (its monitor was killed, the host rebooted). */
  public static final int UNKNOWN_EXIT = 255;

  /** Whether the container's init still runs, as its runtime sees it. */
  private boolean alive(ContainerRecord r) throws BerthException {
    try {
      ContainerStatus st = runtimes.get(r.runtime()).state(r.id());
      return st.status() != dev.berth.runtime.state.Status.STOPPED;
    } catch (ContainerException e) {
      if (e.category() == ErrorCategory.NOT_FOUND) return false;
      throw e;
    }
  }

  // ---- stop, kill, wait ----

  /**
   * Stops a running container: its stop signal, then SIGKILL after {@code timeoutSeconds} (null: the container's
   * own, else 10). A container that is not running is left as it is.
   */
  public ContainerRecord stop(String ref, Integer timeoutSeconds) throws BerthException {
    ContainerRecord r = inspect(ref);
    if (r.state().status() != Status.RUNNING && r.state().status() != Status.PAUSED) return r;
    int timeout = timeoutSeconds != null && timeoutSeconds >= 0 ? timeoutSeconds
        : r.options().stopTimeout() != null ? r.options().stopTimeout() : DEFAULT_STOP_TIMEOUT;
    RuntimeDriver driver = runtimes.get(r.runtime());
    int signal = starter.stopSignal(r);
    try {
      if (r.state().status() == Status.PAUSED) {
        // A frozen process does not act on its signal: thaw it after the signal is queued (docker does the same).
        driver.kill(r.id(), signal, false);
        driver.resume(r.id());
      } else if (timeout > 0) {
        driver.kill(r.id(), signal, false);
      }
    } catch (ContainerException e) {
      if (e.category() != ErrorCategory.NOT_FOUND && e.category() != ErrorCategory.FAILED_PRECONDITION) throw e;
    }
    if (timeout > 0 && awaitExit(r, timeout * 1000L)) return stopped(r);
    try {
      driver.kill(r.id(), 9, true);
    } catch (ContainerException e) {
      if (e.category() != ErrorCategory.NOT_FOUND && e.category() != ErrorCategory.FAILED_PRECONDITION) throw e;
    }
    awaitExit(r, 30_000);
    return stopped(r);
  }

  /**
   * The record of {@code r} once it stopped. An {@code --rm} container is removed as it stops (here, or by its
   * monitor's exit command): docker's stop still succeeds, so its last state is made from its exit file.
   */
  private ContainerRecord stopped(ContainerRecord r) throws BerthException {
    // Read before the reconciliation, which removes an --rm container with its exit file.
    Optional<ExitFile.ExitStatus> exit = ExitFile.read(layout(r.id()).exitFile());
    try {
      return sync(containers.get(r.id()));
    } catch (BerthException e) {
      if (e.category() != ErrorCategory.NOT_FOUND || !r.options().autoRemove()) throw e;
      ExitFile.ExitStatus x = exit.orElse(null);
      return r.withState(r.state().exited(x == null ? UNKNOWN_EXIT : x.exitCode(), x != null && x.oomKilled(),
          x == null || x.finishedAt() == null ? Instant.now() : x.finishedAt()));
    }
  }

  /** Sends {@code signal} to a running container's init. */
  public void kill(String ref, int signal) throws BerthException {
    ContainerRecord r = inspect(ref);
    if (r.state().status() != Status.RUNNING && r.state().status() != Status.PAUSED) {
      throw EngineException.precondition("Cannot kill container: " + ref + ": Container " + r.id()
          + " is not running");
    }
    runtimes.get(r.runtime()).kill(r.id(), signal, false);
  }

  /** Waits until the container is not running and returns its exit code (docker wait). */
  public int await(String ref) throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    while (true) {
      // Read before the reconciliation, which removes an --rm container with its exit file (one that ended before
      // this call too: wait right after start of a short --rm container failed with "No such container").
      Optional<ExitFile.ExitStatus> exit = ExitFile.read(layout(r.id()).exitFile());
      try {
        r = sync(containers.get(r.id()));
      } catch (BerthException e) {
        if (e.category() == ErrorCategory.NOT_FOUND && exit.isPresent()) return exit.get().exitCode();
        throw e;
      }
      if (r.state().status() != Status.RUNNING && r.state().status() != Status.PAUSED) return r.state().exitCode();
      awaitExit(r, Long.MAX_VALUE);
    }
  }

  /**
   * Waits up to {@code millis} for the monitor of {@code r} to record the container's exit: the monitor exits right
   * after writing it, so this polls the monitor's pidfd; true when it did.
   */
  boolean awaitExit(ContainerRecord r, long millis) throws BerthException {
    Path exit = layout(r.id()).exitFile();
    long deadline = millis == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() / 1_000_000 + millis;
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
          // The monitor's pidfd turns readable when it exits; until then re-check every 200 ms (a monitor killed
          // before it wrote the file leaves the runtime to tell).
          if (Linux.poll(new Fd[] {pidfd}, new short[] {LinuxConstants.POLLIN}, new short[1],
              (int) Math.min(left, 200)) > 0) {
            return Files.exists(exit) || !alive(r);
          }
        } else {
          if (!alive(r)) return Files.exists(exit);
          Thread.sleep(Math.min(left, 50));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException(ErrorCategory.CANCELLED, "wait for container " + r.shortId() + ": interrupted");
    } catch (IOException e) {
      throw EngineException.internal("wait for container " + r.shortId() + ": " + e.getMessage(), e);
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
      containers.update(r.id(), c -> c.withState(c.state().withStatus(Status.PAUSED)));
    }
  }

  public void unpause(String ref) throws BerthException {
    ContainerRecord r = inspect(ref);
    if (r.state().status() != Status.PAUSED) {
      throw EngineException.precondition("Container " + r.id() + " is not paused");
    }
    try (LockFile lock = containers.lock(r.id())) {
      runtimes.get(r.runtime()).resume(r.id());
      containers.update(r.id(), c -> c.withState(c.state().withStatus(Status.RUNNING)));
    }
  }

  // ---- remove ----

  /**
   * Removes a container: record, snapshot, logs, and with {@code removeVolumes} its anonymous volumes. A running
   * one is refused unless {@code force}, which kills it first.
   */
  public void remove(String ref, boolean force, boolean removeVolumes) throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    r = sync(r);
    Status s = r.state().status();
    if ((s == Status.RUNNING || s == Status.PAUSED) && !force) {
      throw EngineException.precondition("You cannot remove a running container " + r.id()
          + ". Stop the container before attempting removal or force remove");
    }
    if (s == Status.RUNNING || s == Status.PAUSED) {
      RuntimeDriver driver = runtimes.get(r.runtime());
      try {
        driver.kill(r.id(), 9, true);
      } catch (ContainerException e) {
        // stopped meanwhile
      }
      awaitExit(r, 30_000);
    }
    try (LockFile lock = containers.lock(r.id())) {
      ContainerRecord now = containers.get(r.id());
      if (now.state().status() == Status.RUNNING || now.state().status() == Status.PAUSED) {
        starter.release(now);
      }
      removeLocked(now, removeVolumes);
    }
  }

  /** Removes a container whose lock is held and whose processes are gone. */
  private void removeLocked(ContainerRecord r, boolean removeVolumes) throws BerthException {
    containers.update(r.id(), c -> c.withState(c.state().withStatus(Status.REMOVING)));
    starter.release(r);
    try {
      images.snapshots().remove(r.id());
    } catch (IOException e) {
      throw EngineException.internal("remove the rootfs snapshot of container " + r.shortId() + ": "
          + e.getMessage(), e);
    }
    containers.remove(r.id());
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

  /** Renames a container (docker rename). */
  public ContainerRecord rename(String ref, String newName) throws BerthException {
    ContainerRecord r = containers.resolve(ref);
    return containers.rename(r.id(), newName.startsWith("/") ? newName.substring(1) : newName);
  }

  // ---- paths ----

  /** Where a container's files are. */
  public record Layout(Path dir, Path runDir, Path rootfs, Path bundle, Path exitFile, Path log, Path attachSocket,
      Path consoleSocket) {}

  /** The paths of container {@code id}: persistent ones in its store directory, the others under the run root. */
  public Layout layout(String id) {
    Path dir = containers.containerDir(id);
    Path run = config.runRoot().resolve("containers").resolve(id);
    return new Layout(dir, run, run.resolve("rootfs"), run.resolve("bundle"), dir.resolve("exit.json"),
        dir.resolve("ctr.log"), run.resolve("attach"), run.resolve("console"));
  }

  static boolean isMountPoint(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return false;
    return MountInfo.isMountPoint(MountInfo.current(), dir.toAbsolutePath().normalize().toString());
  }

  static void unmountIfMounted(Path dir) throws IOException {
    if (isMountPoint(dir)) Mounts.unmount(dir);
  }

  static void mountAll(List<Mount> mounts, Path target) throws IOException {
    Mounts.mount(mounts, target);
  }

  @Override
  public void close() {
    images.close();
  }
}
