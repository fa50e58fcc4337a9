package dev.berth.engine.volume;

import static dev.berth.sys.LinuxConstants.EBUSY;
import static dev.berth.sys.LinuxConstants.ELOOP;
import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.ENOTDIR;
import static dev.berth.sys.LinuxConstants.EXDEV;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_PATH;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.O_WRONLY;
import static dev.berth.sys.LinuxConstants.RESOLVE_IN_ROOT;
import static dev.berth.sys.LinuxConstants.RESOLVE_NO_MAGICLINKS;

import dev.berth.engine.store.AtomicFiles;
import dev.berth.engine.store.ContainerNames;
import dev.berth.engine.store.StoreErrors;
import dev.berth.engine.store.Unreadable;
import dev.berth.image.dirs.Directories;
import dev.berth.image.dirs.LockFile;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.image.snapshot.Trees;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.MountInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Volumes of the local driver under an engine root, shared by processes like the container store:
 *
 * <pre>
 * &lt;root&gt;/volumes.lock                 flock: one writer at a time
 * &lt;root&gt;/volumes/&lt;name&gt;/volume.json     the metadata ({@link Volume}), replaced atomically
 * &lt;root&gt;/volumes/&lt;name&gt;/lock           flock: copy-up and remove of this volume
 * &lt;root&gt;/volumes/&lt;name&gt;/_data          what containers mount
 * </pre>
 *
 * A volume exists when its metadata does: create writes it last, remove unlinks it first, so a
 * crash leaves at most a directory without metadata, which readers ignore and the next create of
 * that name or a prune removes.
 *
 * <p>"In use" is what {@link VolumeUsers} says (the container records). Not closed: a container
 * created between rm's check and its removal would reference a removed volume; the engine creates
 * volumes before records and removes them after, so only a concurrent {@code volume rm} of a volume
 * being attached meets this.
 *
 * <p>Lock order: a volume's own lock, then the store's; never the other way.
 */
public final class VolumeStore {
  private static final String VOLUMES = "volumes";
  private static final String STORE_LOCK = "volumes.lock";
  private static final String META = "volume.json";
  private static final String LOCK = "lock";
  private static final String DATA = "_data";
  private static final String STAGING = "copyup";

  private final Path root;
  private final Path volumes;
  private final Path storeLock;
  private final VolumeUsers users;
  private volatile dev.berth.engine.events.ObjectEvents events =
      dev.berth.engine.events.ObjectEvents.NONE;

  private VolumeStore(Path root, VolumeUsers users) {
    this.root = root;
    this.volumes = root.resolve(VOLUMES);
    this.storeLock = root.resolve(STORE_LOCK);
    this.users = users;
  }

  /**
   * Where volume {@code name} keeps its data (its mountpoint), in the volumes directory {@code
   * volumes}.
   */
  public static Path dataDir(Path volumes, String name) {
    return volumes.resolve(name).resolve(DATA);
  }

  /** The directory that holds every volume. */
  public Path directory() {
    return volumes;
  }

  /**
   * Opens the volumes under {@code dir} (made private when missing); {@code users} says which are
   * in use.
   */
  public static VolumeStore open(Path dir, VolumeUsers users) throws BerthException {
    try {
      PrivateDirs.ensure(dir);
      VolumeStore s = new VolumeStore(dir.toAbsolutePath(), users);
      PrivateDirs.create(s.volumes);
      return s;
    } catch (IOException e) {
      throw StoreErrors.io("open volume store " + dir, e);
    }
  }

  /**
   * Docker's rule for a local volume name; INVALID_ARGUMENT with docker's message otherwise. (The
   * leading "/" of a container name is not accepted here: "/x" is a host path to the front doors,
   * not a volume.)
   */
  public static void checkName(String name) throws BerthException {
    if (!ContainerNames.isValidName(name)) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "\""
              + dev.berth.spec.error.Printable.of(name, 140)
              + "\" includes invalid characters for a"
              + " local volume name, only \""
              + ContainerNames.NAME_CHARS
              + "\" are allowed. If you intended to pass a host"
              + " directory, use absolute path");
    }
    // Each volume is a directory named after it: longer names than a file name can hold are
    // refused here, not by mkdir's ENAMETOOLONG as an internal error.
    if (name.length() > ContainerNames.MAX_NAME) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid volume name \""
              + name.substring(0, 20)
              + "...\": "
              + name.length()
              + " characters, at most "
              + ContainerNames.MAX_NAME);
    }
  }

  /** Where volume create and destroy events go (the engine's event log). */
  public void reportTo(dev.berth.engine.events.ObjectEvents events) {
    this.events = events;
  }

  private void event(String action, String name) {
    events.emit(dev.berth.engine.events.Event.VOLUME, action, name, Map.of("driver", Volume.LOCAL));
  }

  /**
   * Creates the volume {@code name}, or an anonymous one (64 random hex digits) when null. A volume
   * of that name that exists already is returned as it is, labels included (docker's create is
   * idempotent).
   */
  public Volume create(String name, Map<String, String> labels) throws BerthException {
    return create(name, labels, Map.of());
  }

  /**
   * {@link #create(String, Map)} with the local driver's {@code options} ({@link VolumeOptions}),
   * checked first: a volume that is a mount of its own (a tmpfs, a bind of a host directory, an NFS
   * export), made when a container using it starts ({@link #mount}).
   */
  public Volume create(String name, Map<String, String> labels, Map<String, String> options)
      throws BerthException {
    VolumeOptions.check(options);
    boolean anonymous = name == null;
    if (!anonymous) checkName(name);
    try (LockFile held = LockFile.acquire(storeLock)) {
      String n = anonymous ? ContainerNames.randomId() : name;
      Path dir = volumes.resolve(n);
      if (!anonymous) {
        Volume existing = readOrNull(n);
        if (existing != null) return existing;
      }
      if (Linux.exists(dir.toString()))
        Trees.remove(dir); // a create or remove that crashed half-way
      Volume v =
          new Volume(
              n, Volume.LOCAL, Instant.now(), labels, options, anonymous, true, dir.resolve(DATA));
      try {
        Linux.mkdir(dir.toString(), 0700);
        Linux.chmod(dir.toString(), 0700);
        Linux.mkdir(dir.resolve(DATA).toString(), 0755);
        Linux.chmod(dir.resolve(DATA).toString(), 0755);
        try (Fd lock = Linux.open(dir.resolve(LOCK).toString(), O_WRONLY | O_CREAT, 0600)) {
          // made now: removal never races a lock() that would create it again
        }
        AtomicFiles.replace(
            dir.resolve(META), VolumeJson.write(v)); // last: from here on the volume exists
        Directories.fsync(volumes);
      } catch (IOException | RuntimeException e) {
        try {
          Trees.remove(dir);
        } catch (IOException | RuntimeException u) {
          e.addSuppressed(u);
        }
        throw e;
      }
      event("create", n);
      return v;
    } catch (IOException e) {
      throw StoreErrors.io("create volume " + (anonymous ? "(anonymous)" : name), e);
    }
  }

  /** The volume; NOT_FOUND "No such volume: x" when there is none. */
  public Volume get(String name) throws BerthException {
    checkName(name);
    try {
      Volume v = readOrNull(name);
      if (v == null) throw noSuch(name);
      return v;
    } catch (IOException e) {
      throw StoreErrors.io("read volume " + name, e);
    }
  }

  /** What {@link #list} found: volumes sorted by name, and metadata it could not read. */
  public record Listing(List<Volume> volumes, List<Unreadable> unreadable) {}

  /** Every volume, by name; unreadable metadata is reported with its path, not fatal. */
  public Listing list() throws BerthException {
    List<Volume> found = new ArrayList<>();
    List<Unreadable> bad = new ArrayList<>();
    try {
      for (String n : names()) {
        try {
          Volume v = readOrNull(n);
          if (v != null) found.add(v);
        } catch (IOException e) {
          bad.add(new Unreadable(volumes.resolve(n).resolve(META), e.getMessage()));
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("list volumes in " + volumes, e);
    }
    return new Listing(found, bad);
  }

  /**
   * Removes the volume and its data. Refused (FAILED_PRECONDITION, docker's "remove x: volume is in
   * use - [ids]") while a container uses it, with or without {@code force}; {@code force} makes a
   * missing volume no error.
   */
  public void remove(String name, boolean force) throws BerthException {
    checkName(name);
    Path dir = volumes.resolve(name);
    try (LockFile own = LockFile.acquireExisting(dir.resolve(LOCK))) {
      if (own == null) {
        if (force) return;
        throw noSuch(name);
      }
      try (LockFile held = LockFile.acquire(storeLock)) {
        if (!Linux.exists(dir.resolve(META).toString())) {
          if (force) return;
          throw noSuch(name);
        }
        List<String> using = users.usersByVolume().get(name);
        if (using != null && !using.isEmpty()) {
          throw new BerthException(
              ErrorCategory.FAILED_PRECONDITION,
              "remove " + name + ": volume is in use - [" + String.join(", ", using) + "]");
        }
        delete(dir);
      }
      event("destroy", name);
    } catch (IOException e) {
      throw StoreErrors.io("remove volume " + name, e);
    }
  }

  /**
   * Mounts the device of a volume with options on its data directory, unless it is mounted already
   * (by an earlier start, which may have been another process'); a plain volume is left as it is.
   * Under the volume's lock, so two starts mount it once.
   */
  public void mount(String name) throws BerthException {
    checkName(name);
    Path dir = volumes.resolve(name);
    try (LockFile own = LockFile.acquireExisting(dir.resolve(LOCK))) {
      Volume v = own == null ? null : readOrNull(name);
      if (v == null) throw noSuch(name);
      if (!VolumeOptions.needsMount(v.options())) return;
      Path data = dir.resolve(DATA);
      if (MountInfo.isMountPoint(data.toString())) return;
      VolumeOptions.mount(name, v.options(), data);
    } catch (IOException e) {
      throw StoreErrors.io("mount volume " + name, e);
    }
  }

  /** What {@link #prune} removed: the volumes' names, and the bytes their data took. */
  public record Pruned(List<String> names, long reclaimedBytes) {}

  /**
   * Removes the volumes no container uses: anonymous ones only, as docker 23+ does, or named ones
   * too with {@code all}. A volume being copied into is skipped. Also removes what crashed creates
   * left.
   */
  public Pruned prune(boolean all) throws BerthException {
    return prune(all, v -> true);
  }

  /**
   * {@link #prune(boolean)} of the volumes {@code filter} accepts only (docker's --filter
   * label=...).
   */
  public Pruned prune(boolean all, java.util.function.Predicate<Volume> filter)
      throws BerthException {
    List<String> removed = new ArrayList<>();
    long bytes = 0;
    try {
      Map<String, List<String>> inUse = users.usersByVolume();
      for (String n : names()) {
        Path dir = volumes.resolve(n);
        // Never created here (O_CREAT could put a file back into a directory another process is
        // removing).
        try (LockFile own = LockFile.tryAcquireExisting(dir.resolve(LOCK))) {
          try (LockFile held = LockFile.acquire(storeLock)) {
            if (!Linux.exists(dir.resolve(META).toString())) {
              // Garbage of a crashed create or remove: no create runs (it holds the store's lock
              // throughout).
              Trees.remove(dir);
              continue;
            }
            if (own == null) continue; // a copy-up or a remove holds it
            Volume v;
            try {
              v = readOrNull(n);
            } catch (IOException e) {
              continue; // unreadable: reported by list, left for a person
            }
            List<String> using = inUse.get(n);
            if (v == null || (!all && !v.anonymous()) || (using != null && !using.isEmpty()))
              continue;
            if (!filter.test(v)) continue;
            long size = Trees.usage(dir.resolve(DATA));
            delete(dir);
            event("destroy", n);
            removed.add(n);
            bytes += size;
          }
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("prune volumes in " + volumes, e);
    }
    return new Pruned(removed, bytes);
  }

  /**
   * Copies the image's content at {@code target} (absolute, inside {@code rootfs}) into the volume,
   * once: only while the volume {@link Volume#needsCopyUp} and its data directory is empty
   * (docker's rule). The target is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT: an image's
   * symlink to /etc reaches the image's /etc, never the host's) and walked by fds ({@link
   * ImageCopy}). The data directory takes the owner and mode of the image's directory. The copy is
   * staged beside the data and renamed over it, so a crash never leaves a half-filled volume.
   * Returns whether anything was copied; a target missing from the image, or not a directory,
   * copies nothing and counts as done.
   */
  public boolean copyUp(String name, Path rootfs, String target) throws BerthException {
    checkName(name);
    Path dir = volumes.resolve(name);
    try (LockFile own = LockFile.acquireExisting(dir.resolve(LOCK))) {
      Volume v = own == null ? null : readOrNull(name);
      if (v == null) throw noSuch(name);
      if (!v.needsCopyUp()) return false;
      Path data = dir.resolve(DATA);
      Path staging = dir.resolve(STAGING);
      if (Linux.exists(staging.toString())) Trees.remove(staging); // a copy-up that crashed
      boolean copied = false;
      if (isEmptyDir(data)) {
        try (Fd root = Linux.open(rootfs.toString(), O_PATH | O_DIRECTORY, 0);
            Fd src = openInRoot(root, target)) {
          if (src != null && MountInfo.isMountPoint(data.toString())) {
            // A volume of its own mount (a tmpfs): filled in place, as docker does; its content
            // is not the store's to keep across a crash anyway.
            ImageCopy.copy(src, data);
            copied = true;
          } else if (src != null) {
            Linux.mkdir(staging.toString(), 0700);
            try {
              ImageCopy.copy(src, staging);
              Linux.rename(staging.toString(), data.toString(), 0); // over the empty data directory
              Directories.fsync(dir);
              copied = true;
            } catch (ErrnoException e) {
              Trees.remove(staging);
              // EBUSY: the data directory is mounted (a container uses the volume already); leave
              // it empty.
              if (e.errno() != EBUSY) throw e;
            } catch (IOException | RuntimeException e) {
              Trees.remove(staging);
              throw e;
            }
          }
        }
      }
      try (LockFile held = LockFile.acquire(storeLock)) {
        Volume now = readOrNull(name);
        if (now != null) AtomicFiles.replace(dir.resolve(META), VolumeJson.write(now.copiedUp()));
      }
      return copied;
    } catch (IOException e) {
      throw StoreErrors.io("copy " + target + " of the image into volume " + name, e);
    }
  }

  // ---- internals ----

  /** The directory at {@code target} inside {@code root}, or null when the image has none there. */
  private static Fd openInRoot(Fd root, String target) throws IOException {
    try {
      return Linux.openat2(
          root, target, O_RDONLY | O_DIRECTORY, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    } catch (ErrnoException e) {
      if (e.errno() == ENOENT || e.errno() == ENOTDIR || e.errno() == ELOOP || e.errno() == EXDEV)
        return null;
      throw e;
    }
  }

  private static boolean isEmptyDir(Path dir) throws IOException {
    try (Fd d = Linux.open(dir.toString(), O_RDONLY | O_DIRECTORY, 0)) {
      return Linux.readdir(d).isEmpty();
    }
  }

  /**
   * Metadata first (the volume is gone from then on), then the tree; fd-based, so a container's
   * symlinks hold.
   */
  private void delete(Path dir) throws IOException {
    // A volume's own mount goes first, and must be gone: the tree removal below would otherwise
    // delete what it shows (a bound host directory's files, an NFS export's).
    Path data = dir.resolve(DATA);
    if (MountInfo.isMountPoint(data.toString())) {
      Linux.umount2(data.toString(), LinuxConstants.MNT_DETACH);
      if (MountInfo.isMountPoint(data.toString()))
        throw new IOException(data + " is still mounted: not removed");
    }
    Linux.unlink(dir.resolve(META).toString());
    Directories.fsync(dir);
    Trees.remove(dir);
  }

  private Volume readOrNull(String name) throws IOException {
    Path dir = volumes.resolve(name);
    Path file = dir.resolve(META);
    byte[] json;
    try (Fd fd = Linux.open(file.toString(), O_RDONLY, 0)) {
      json = Linux.readAll(fd);
    } catch (IOException e) {
      if (StoreErrors.isMissing(e)) return null;
      throw e;
    }
    try {
      return VolumeJson.read(json, file.toString(), dir.resolve(DATA));
    } catch (SpecException e) {
      throw new IOException("unreadable volume metadata " + e.getMessage(), e);
    }
  }

  private List<String> names() throws IOException {
    List<String> names = new ArrayList<>();
    try (Fd d = Linux.open(volumes.toString(), O_RDONLY | O_DIRECTORY, 0)) {
      for (String n : Linux.readdir(d)) {
        if (ContainerNames.isValidName(n)) names.add(n);
      }
    }
    names.sort(null);
    return names;
  }

  private static BerthException noSuch(String name) {
    return new BerthException(ErrorCategory.NOT_FOUND, "No such volume: " + name);
  }
}
