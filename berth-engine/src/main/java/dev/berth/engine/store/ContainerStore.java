package dev.berth.engine.store;

import static dev.berth.sys.LinuxConstants.EEXIST;
import static dev.berth.sys.LinuxConstants.EINVAL;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.O_RDWR;

import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.image.dirs.Directories;
import dev.berth.image.dirs.LockFile;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.image.snapshot.Trash;
import dev.berth.image.snapshot.Trees;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The containers of one engine root, shared by every {@code berth} process and {@code berthd}: see
 * the package documentation for the layout, the locking and what a crash leaves.
 *
 * <p>Writers ({@link #create}, {@link #update}, {@link #rename}, {@link #remove}) run one at a time
 * under {@code containers.lock}; readers ({@link #get}, {@link #resolve}, {@link #list}) take no
 * lock. Lifecycle operations of one container (start against rm, stop against start) exclude each
 * other with {@link #lock}, taken before and never while holding the store's lock.
 */
public final class ContainerStore {
  static final String RECORD = "container.json";

  /**
   * A removed container's record, renamed: the tombstone of a removal that has not finished ({@link
   * #remove(String, Leftovers)}).
   */
  static final String REMOVED = "removed";

  private static final String CONTAINERS = "containers";

  /**
   * Where removed containers' directories wait for {@link #emptyTrash}: everything in it is
   * garbage, so deleting it needs no record, marker or repair.
   */
  static final String TRASH = "containers.trash";

  private static final String NAMES = "names";
  private static final String STORE_LOCK = "containers.lock";
  private static final String DIRTY = "containers.dirty";

  private final Path root;
  private final Path containers;
  private final Path trash;
  private final Trash trashDir;
  private final Path names;
  private final Path storeLock;
  private final Path dirty;

  /** Removes what cut removals' containers owned outside the store; null: tombstones are kept. */
  private final Leftovers cutRemovals;

  private ContainerStore(Path root, Leftovers leftovers) {
    this.cutRemovals = leftovers;
    this.root = root;
    this.containers = root.resolve(CONTAINERS);
    this.trash = root.resolve(TRASH);
    this.trashDir = new Trash(trash);
    this.names = root.resolve(NAMES);
    this.storeLock = root.resolve(STORE_LOCK);
    this.dirty = root.resolve(DIRTY);
  }

  /**
   * Opens the store under {@code dir} (made private, 0700, when missing), and repairs what a writer
   * that crashed mid-change left (only then: its marker says so).
   */
  public static ContainerStore open(Path dir) throws BerthException {
    return open(dir, null);
  }

  /**
   * {@link #open(Path)}, with what removes the things a container owned outside the store (its
   * snapshot): a repair then also finishes the removals a crash cut short (tombstones); without it,
   * it leaves them.
   */
  public static ContainerStore open(Path dir, Leftovers leftovers) throws BerthException {
    ContainerStore s;
    try {
      PrivateDirs.ensure(dir);
      s = new ContainerStore(dir.toAbsolutePath(), leftovers);
      PrivateDirs.create(s.containers);
      PrivateDirs.create(s.trash);
      PrivateDirs.create(s.names);
    } catch (IOException e) {
      throw StoreErrors.io("open container store " + dir, e);
    }
    try {
      if (s.marked()) {
        try (LockFile held = LockFile.acquire(s.storeLock)) {
          if (s.marked()) s.repairLocked();
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("repair container store " + dir, e);
    }
    return s;
  }

  /** The engine root this store lives in. */
  public Path root() {
    return root;
  }

  /**
   * The directory of the container's own files (hostname, hosts, resolv.conf, exit file, logs,
   * bundle).
   */
  public Path containerDir(String id) {
    if (!ContainerNames.isId(id))
      throw new IllegalArgumentException("container id \"" + id + "\": not a full id");
    return containers.resolve(id);
  }

  /** A fresh random id no container of this store has. */
  public String newId() throws BerthException {
    try {
      while (true) {
        String id = ContainerNames.randomId();
        if (!Linux.exists(containers.resolve(id).toString())) return id;
      }
    } catch (IOException e) {
      throw StoreErrors.io("new container id", e);
    }
  }

  // ---- writers ----

  /**
   * Stores a new container. Its name is reserved atomically: of two processes creating one name,
   * exactly one succeeds, the other gets ALREADY_EXISTS with docker's message. A null name is
   * generated ({@code adjective_surname}). Returns the stored record (with its name), durable: a
   * created container survives a power cut. The container's directory ({@link #containerDir})
   * exists from then on.
   */
  public ContainerRecord create(ContainerRecord record) throws BerthException {
    String id = record.id();
    ContainerRecord stored;
    java.nio.channels.FileChannel recordDir = null;
    try (Writing w = beginWrite()) {
      Path dir = containers.resolve(id);
      if (Linux.exists(dir.toString())) {
        throw new BerthException(
            ErrorCategory.ALREADY_EXISTS, "container id " + id + " is already in use");
      }
      String name = record.name() == null ? freeGeneratedName() : record.name();
      claimable(name);
      stored = record.withName(name);
      Path nameLink = names.resolve(name);
      w.changing();
      // The name first: a crash after it leaves a name pointing at no record, which nobody counts
      // as taken.
      Linux.symlink(id, nameLink.toString());
      try {
        Linux.mkdir(dir.toString(), 0700);
        Linux.chmod(dir.toString(), 0700);
        // Everything the record stands on is made durable before the rename makes the record
        // exist: its data (written O_SYNC), its name link, its directory. Synced together, after
        // all of them are made, they cost one journal commit (ext4, xfs: the fsyncs after the
        // first find their entries committed) where a sync after each step cost three; the order a
        // power cut can observe is the same: no record without its name and its directory, never
        // a torn record. The last fsync, once the store is unlocked, makes the record itself
        // durable: a created container survives a power cut.
        Path file = dir.resolve(RECORD);
        AtomicFiles.writeTemp(file, RecordJson.write(stored));
        Directories.fsync(names);
        Directories.fsync(containers);
        Linux.rename(file + AtomicFiles.TEMP_SUFFIX, file.toString(), 0);
        // Opened now: the fsync reaches this directory even if it is removed meanwhile.
        recordDir = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ);
      } catch (IOException | RuntimeException e) {
        undo(e, dir, nameLink);
        w.changed();
        throw e;
      }
      w.changed();
    } catch (IOException e) {
      throw StoreErrors.io("create container " + id + " in " + root, e);
    }
    try (java.nio.channels.FileChannel ch = recordDir) {
      ch.force(true);
    } catch (IOException e) {
      throw StoreErrors.io("create container " + id + " in " + root, e);
    }
    return stored;
  }

  /**
   * Takes back a create that failed half-way (the cause stays the error; a failed undo is left for
   * repair).
   */
  private static void undo(Exception cause, Path dir, Path nameLink) {
    try {
      Trees.remove(dir);
      Linux.unlink(nameLink.toString());
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  /** A change of one record, made under the store's lock; it may refuse by throwing. */
  @FunctionalInterface
  public interface Change {
    ContainerRecord apply(ContainerRecord current) throws BerthException;
  }

  /**
   * Read-modify-write of one record under the store's lock: {@code change} sees the current record
   * and returns the new one (the same object: nothing is written). It must keep the id and the name
   * ({@link #rename} changes names). NOT_FOUND when the container is gone.
   */
  public ContainerRecord update(String id, Change change) throws BerthException {
    return update(id, change, true);
  }

  /**
   * {@link #update} of a change that a reboot makes moot (a container's running state: after a
   * reboot nothing runs, and the record is reconciled as exited either way), or facts a later step
   * stores again (a created container's command and hostname, stored anew by its start): the new
   * record is whole after a power cut (its data is synced before the rename) but the rename is not,
   * so a power cut may bring back the record before the change. That record is what a {@code kill
   * -9} just before the update leaves, a state every reader handles already. One journal commit
   * fewer than {@link #update}.
   */
  public ContainerRecord updateUnsynced(String id, Change change) throws BerthException {
    return update(id, change, false);
  }

  private ContainerRecord update(String id, Change change, boolean durable) throws BerthException {
    if (!ContainerNames.isId(id)) throw noSuch(id);
    try (LockFile held = LockFile.acquire(storeLock)) {
      ContainerRecord current = read(id);
      ContainerRecord next = change.apply(current);
      if (next == current) return current;
      if (!next.id().equals(id) || !java.util.Objects.equals(next.name(), current.name())) {
        throw new IllegalArgumentException("update of container " + id + " changed its id or name");
      }
      byte[] json = RecordJson.write(next);
      // An equal record is not written again. Compared as JSON, not with the records' equals: a
      // record's generated equals costs ~20 ms of method-handle spinning at its first call in a
      // JVM (the AOT cache does not keep it), more than the whole rest of an update.
      if (java.util.Arrays.equals(json, RecordJson.write(current))) return current;
      // One file replaced: a crash leaves the old record or the new one, and at most a .tmp the
      // next write truncates.
      if (durable) {
        AtomicFiles.replace(containers.resolve(id).resolve(RECORD), json);
      } else {
        AtomicFiles.replaceUnsynced(containers.resolve(id).resolve(RECORD), json);
      }
      return next;
    } catch (IOException e) {
      throw StoreErrors.io("update container " + id, e);
    }
  }

  /**
   * Gives the container {@code newName} (with or without "/"); ALREADY_EXISTS when another
   * container has it.
   */
  public ContainerRecord rename(String id, String newName) throws BerthException {
    String name = ContainerNames.checkName(newName);
    if (!ContainerNames.isId(id)) throw noSuch(id);
    try (Writing w = beginWrite()) {
      ContainerRecord current = read(id);
      if (name.equals(current.name())) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "Renaming a container with the same name as its current name");
      }
      claimable(name);
      Path newLink = names.resolve(name);
      ContainerRecord next = current.withName(name);
      w.changing();
      // New name, then the record, then the old name goes: in between, the record says which of the
      // two is its own.
      Linux.symlink(id, newLink.toString());
      try {
        Directories.fsync(names);
        AtomicFiles.replace(containers.resolve(id).resolve(RECORD), RecordJson.write(next));
      } catch (IOException | RuntimeException e) {
        try {
          Linux.unlink(newLink.toString());
          w.changed();
        } catch (IOException | RuntimeException u) {
          e.addSuppressed(u);
        }
        throw e;
      }
      if (current.name() != null) unlinkIfPointsTo(names.resolve(current.name()), id);
      Directories.fsync(names);
      w.changed();
      return next;
    } catch (IOException e) {
      throw StoreErrors.io("rename container " + id, e);
    }
  }

  /**
   * Removes the container's record, its name and its directory (everything in it). The caller holds
   * {@link #lock(String)} and has unmounted what it mounted there. NOT_FOUND when it is gone
   * already. A record that does not parse is removed too (its name found by the links that point at
   * its id).
   */
  public void remove(String id) throws BerthException {
    remove(id, NO_LEFTOVERS);
    emptyTrash(true);
  }

  /**
   * What a container owned outside the store (its snapshot), removed once its record is durably
   * gone; idempotent: a repair ({@link #open(Path, Leftovers)}) may call it again for the same id,
   * also for one that owned nothing.
   */
  @FunctionalInterface
  public interface Leftovers {
    void remove(String id) throws IOException;
  }

  private static final Leftovers NO_LEFTOVERS = id -> {};

  /**
   * {@link #remove(String)}, with what the container owned outside the store, and its directory's
   * files left in the trash for {@link #emptyTrash} (a removal returns sooner when that runs later,
   * on a thread of its own). The record goes first, in one durable step (renamed to the tombstone
   * {@code removed} in its directory, and that directory fsynced: a power cut before that brings
   * back the container whole, after it never), then the name goes, {@code leftovers} runs, and the
   * directory moves into the trash. A process that dies after the record went leaves the tombstone:
   * the next repair finishes such removals, and until then nobody sees the container (no record)
   * and no create reuses its id (its directory exists). A failing {@code leftovers} leaves the
   * tombstone too, for the same repair (its crash marker stays).
   */
  public void remove(String id, Leftovers leftovers) throws BerthException {
    if (!ContainerNames.isId(id)) throw noSuch(id);
    try (Writing w = beginWrite()) {
      Path dir = containers.resolve(id);
      Path file = dir.resolve(RECORD);
      byte[] json;
      try (Fd fd = openRead(file)) {
        json = Linux.readAll(fd);
      } catch (IOException e) {
        if (StoreErrors.isMissing(e)) throw noSuch(id);
        throw e;
      }
      String name = null;
      try {
        name = RecordJson.read(json, file.toString()).name();
      } catch (SpecException e) {
        // unreadable: its names are found below by what they point at
      }
      w.changing();
      // The one durable step: from then on the container is gone, its name and directory garbage
      // whatever happens next, and what it owned elsewhere may go (never before: a power cut must
      // not bring back a record whose snapshot was deleted).
      Linux.rename(file.toString(), dir.resolve(REMOVED).toString(), 0);
      Directories.fsync(dir);
      // Not synced: a power cut may bring back a link to a record that is gone, which nobody
      // counts as a name taken.
      if (name != null) {
        unlinkIfPointsTo(names.resolve(name), id);
      } else {
        for (String n : entries(names)) unlinkIfPointsTo(names.resolve(n), id);
      }
      leftovers.remove(id);
      // Not synced either: a directory without a record is garbage every reader ignores.
      trashDir.moveIn(dir, id);
      w.changed();
    } catch (IOException e) {
      throw StoreErrors.io("remove container " + id, e);
    }
  }

  /**
   * Deletes the removed containers' directories in the trash ({@link Trash#empty}); returns how
   * many.
   */
  public int emptyTrash(boolean wait) throws BerthException {
    try {
      return trashDir.empty(wait);
    } catch (IOException e) {
      throw StoreErrors.io("empty the container trash " + trash, e);
    }
  }

  /** Whether {@link #emptyTrash} has anything to do: a look at one directory. */
  public boolean hasTrash() throws BerthException {
    try {
      return !trashDir.isEmpty();
    } catch (IOException e) {
      throw StoreErrors.io("read the container trash " + trash, e);
    }
  }

  /**
   * Sweeps what crashed writers left (see the package documentation): names that no record owns,
   * container directories without a record, temporary files; a record whose name link is missing
   * gets it back when the name is free. Returns one line per thing repaired or found wrong. {@link
   * #open} runs it when a writer crashed mid-change.
   */
  public List<String> repair() throws BerthException {
    try (LockFile held = LockFile.acquire(storeLock)) {
      return repairLocked();
    } catch (IOException e) {
      throw StoreErrors.io("repair container store " + root, e);
    }
  }

  // ---- readers ----

  /**
   * The container's record; NOT_FOUND when there is none, INTERNAL naming the file when it does not
   * parse.
   */
  public ContainerRecord get(String id) throws BerthException {
    if (!ContainerNames.isId(id)) throw noSuch(id);
    try {
      return read(id);
    } catch (IOException e) {
      throw StoreErrors.io("read container " + id, e);
    }
  }

  /**
   * The id of the container {@code ref} names, by docker's rules: a full id, else an exact name
   * (with or without "/"), else a unique id prefix. NOT_FOUND "No such container: x" when nothing
   * matches, INVALID_ARGUMENT when a prefix matches several ("multiple IDs found with provided
   * prefix: x").
   */
  public String resolveId(String ref) throws BerthException {
    if (ref == null || ref.isEmpty()) throw noSuch("");
    try {
      if (ContainerNames.isId(ref)
          && Linux.exists(containers.resolve(ref).resolve(RECORD).toString())) return ref;
      String bare = ref.startsWith("/") ? ref.substring(1) : ref;
      if (ContainerNames.isValidName(bare) && bare.length() <= ContainerNames.MAX_NAME) {
        String owner = nameOwner(bare);
        if (owner != null) return owner;
      }
      if (ContainerNames.isHex(ref)) {
        String found = null;
        for (String id : ids()) {
          if (id.startsWith(ref)
              && Linux.exists(containers.resolve(id).resolve(RECORD).toString())) {
            if (found != null) {
              throw new BerthException(
                  ErrorCategory.INVALID_ARGUMENT,
                  "multiple IDs found with provided prefix: " + ref);
            }
            found = id;
          }
        }
        if (found != null) return found;
      }
    } catch (IOException e) {
      throw StoreErrors.io("resolve container " + ref, e);
    }
    throw noSuch(ref);
  }

  /** The record of the container {@code ref} names ({@link #resolveId}). */
  public ContainerRecord resolve(String ref) throws BerthException {
    return get(resolveId(ref));
  }

  /** What {@link #list} found: the records, newest first, and the files it could not read. */
  public record Listing(List<ContainerRecord> containers, List<Unreadable> unreadable) {}

  /**
   * Every container, newest first. A record that does not parse is reported in {@link
   * Listing#unreadable} with its path and left on disk (for {@code rm} to remove, or a person to
   * look at); a directory without a record (a create in progress, or one that crashed) is not a
   * container.
   */
  public Listing list() throws BerthException {
    try {
      return scan();
    } catch (IOException e) {
      throw StoreErrors.io("list containers in " + containers, e);
    }
  }

  private Listing scan() throws IOException {
    List<ContainerRecord> found = new ArrayList<>();
    List<Unreadable> bad = new ArrayList<>();
    for (String id : ids()) {
      Path file = containers.resolve(id).resolve(RECORD);
      byte[] json;
      try (Fd fd = openRead(file)) {
        json = Linux.readAll(fd);
      } catch (IOException e) {
        if (StoreErrors.isMissing(e)) continue;
        bad.add(new Unreadable(file, e.getMessage()));
        continue;
      }
      try {
        found.add(RecordJson.read(json, file.toString()));
      } catch (SpecException e) {
        bad.add(new Unreadable(file, e.getMessage()));
      }
    }
    found.sort(NEWEST_FIRST);
    return new Listing(found, bad);
  }

  // A class, not a lambda: no invokedynamic bootstrap on the start path of `ps`.
  private static final Comparator<ContainerRecord> NEWEST_FIRST =
      new Comparator<>() {
        @Override
        public int compare(ContainerRecord a, ContainerRecord b) {
          int c = b.created().compareTo(a.created());
          return c != 0 ? c : a.id().compareTo(b.id());
        }
      };

  /**
   * Which containers use which volume: a volume named in a record's {@code volumes} or in a volume
   * mount of its options, mapped to the ids of those containers, sorted. For the volume store's "in
   * use" refusal.
   */
  public Map<String, List<String>> volumeUsers() throws BerthException {
    Map<String, LinkedHashSet<String>> users = new TreeMap<>();
    for (ContainerRecord c : list().containers()) {
      for (String v : c.volumes()) users.computeIfAbsent(v, k -> new LinkedHashSet<>()).add(c.id());
      for (MountOption m : c.options().mounts()) {
        if (m.type() == MountOption.Type.VOLUME && m.source() != null && !m.source().isEmpty()) {
          users.computeIfAbsent(m.source(), k -> new LinkedHashSet<>()).add(c.id());
        }
      }
    }
    Map<String, List<String>> out = new TreeMap<>();
    users.forEach((v, ids) -> out.put(v, ids.stream().sorted().toList()));
    return out;
  }

  /**
   * The container's exclusive lock, for lifecycle operations across processes (start against rm).
   * Waits for it; NOT_FOUND when the container is gone, before or while waiting. Take it before,
   * never inside, a store change.
   */
  public LockFile lock(String id) throws BerthException {
    if (!ContainerNames.isId(id)) throw noSuch(id);
    Path dir = containers.resolve(id);
    try {
      // The directory itself is locked: a lock file would be one more inode to make per create.
      LockFile held = LockFile.acquireDirectory(dir);
      if (held == null) throw noSuch(id);
      if (!Linux.exists(
          dir.resolve(RECORD).toString())) { // removed while we waited, its directory not yet
        held.close();
        throw noSuch(id);
      }
      return held;
    } catch (IOException e) {
      throw StoreErrors.io("lock container " + id, e);
    }
  }

  // ---- internals ----

  /**
   * The crash marker's byte: {@code 1} while a multi-step change runs, {@code 0} when none does.
   * The file stays: rewriting a byte costs a fraction of making and unlinking a file, which
   * allocates and frees an inode each time. Marked is any content but {@link #CLEAN} (an empty
   * marker too, what berth made before).
   */
  private static final byte CLEAN = '0';

  private static final byte MARKED = '1';

  /** Whether the crash marker says a writer died mid-change. */
  private boolean marked() throws IOException {
    Fd fd;
    try {
      fd = Linux.open(dirty.toString(), O_RDONLY | O_NOFOLLOW, 0);
    } catch (ErrnoException e) {
      if (StoreErrors.isMissing(e)) return false;
      throw e;
    }
    try (fd) {
      return marked(fd);
    }
  }

  private static boolean marked(Fd fd) throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(1);
    return Linux.pread(fd, b, 0) != 1 || b.get(0) != CLEAN;
  }

  private static void mark(Fd fd, byte value) throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(1).put(0, value);
    if (Linux.pwrite(fd, b, 0) != 1) throw new IOException("short write of " + fd);
  }

  /**
   * A multi-step change in progress: the store's lock, and the crash marker, set by {@link
   * #changing()} and cleared by {@link #changed()}. A change that fails between the two leaves the
   * marker, so the next writer or open repairs.
   */
  private final class Writing implements AutoCloseable {
    private final LockFile held;
    private final Fd marker;
    private boolean marked;

    Writing(LockFile held, Fd marker) {
      this.held = held;
      this.marker = marker;
    }

    void changing() throws IOException {
      mark(marker, MARKED);
      marked = true;
    }

    void changed() throws IOException {
      if (marked) mark(marker, CLEAN);
      marked = false;
    }

    @Override
    public void close() {
      try {
        marker.close();
      } finally {
        held.close();
      }
    }
  }

  private Writing beginWrite() throws IOException {
    LockFile held = LockFile.acquire(storeLock);
    Fd marker = null;
    try {
      marker = Linux.open(dirty.toString(), O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
      if (Linux.fstat(marker).size() > 0 && marked(marker)) repairLocked();
      return new Writing(held, marker);
    } catch (IOException | RuntimeException e) {
      if (marker != null) marker.close();
      held.close();
      throw e;
    }
  }

  private ContainerRecord read(String id) throws IOException, BerthException {
    Path file = containers.resolve(id).resolve(RECORD);
    byte[] json;
    try (Fd fd = openRead(file)) {
      json = Linux.readAll(fd);
    } catch (IOException e) {
      if (StoreErrors.isMissing(e)) throw noSuch(id);
      throw e;
    }
    try {
      return RecordJson.read(json, file.toString());
    } catch (SpecException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "container " + id + ": unreadable record " + e.getMessage(), e);
    }
  }

  private static Fd openRead(Path file) throws IOException {
    return Linux.open(file.toString(), O_RDONLY, 0);
  }

  private List<String> ids() throws IOException {
    List<String> ids = new ArrayList<>();
    for (String n : entries(containers)) {
      if (ContainerNames.isId(n)) ids.add(n);
    }
    return ids;
  }

  private static List<String> entries(Path dir) throws IOException {
    try (Fd d = Linux.open(dir.toString(), O_RDONLY | O_DIRECTORY, 0)) {
      return Linux.readdir(d);
    }
  }

  /**
   * The id that owns {@code name}, or null. A name is a container's when {@code names/<name>}
   * points at its id and its record says that name; a record that does not parse keeps the names
   * that point at it (it may be theirs).
   */
  private String nameOwner(String name) throws IOException {
    String id;
    try {
      id = Linux.readlink(names.resolve(name).toString());
    } catch (ErrnoException e) {
      if (StoreErrors.isMissing(e) || e.errno() == EINVAL) return null;
      throw e;
    }
    if (!ContainerNames.isId(id)) return null;
    Path file = containers.resolve(id).resolve(RECORD);
    byte[] json;
    try (Fd fd = openRead(file)) {
      json = Linux.readAll(fd);
    } catch (IOException e) {
      if (StoreErrors.isMissing(e)) return null;
      throw e;
    }
    try {
      return name.equals(RecordJson.read(json, file.toString()).name()) ? id : null;
    } catch (SpecException e) {
      return id;
    }
  }

  /**
   * Under the lock: refuses a name another container owns, and clears a stale link of that name.
   */
  private void claimable(String name) throws IOException, BerthException {
    String owner = nameOwner(name);
    if (owner != null) throw nameInUse(name, owner);
    Path link = names.resolve(name);
    try {
      Linux.unlink(link.toString());
    } catch (ErrnoException e) {
      if (!StoreErrors.isMissing(e)) throw e;
    }
  }

  private String freeGeneratedName() throws IOException, BerthException {
    for (int attempt = 0; ; attempt++) {
      String name = ContainerNames.generate(ContainerNames.randomId(), attempt);
      if (nameOwner(name) == null) return name;
      if (attempt > 64)
        throw new BerthException(ErrorCategory.INTERNAL, "no free container name after 64 tries");
    }
  }

  private static void unlinkIfPointsTo(Path link, String id) throws IOException {
    try {
      if (id.equals(Linux.readlink(link.toString()))) Linux.unlink(link.toString());
    } catch (ErrnoException e) {
      if (!StoreErrors.isMissing(e) && e.errno() != EINVAL) throw e;
    }
  }

  private List<String> repairLocked() throws IOException {
    List<String> done = new ArrayList<>();
    // Container directories without a record: a create or a remove that did not finish.
    for (String id : ids()) {
      Path dir = containers.resolve(id);
      Path file = dir.resolve(RECORD);
      if (!Linux.exists(file.toString())) {
        // A removal's tombstone: what the container owned outside the store may still be there,
        // and goes first, when the store was told how.
        boolean tombstone = Linux.exists(dir.resolve(REMOVED).toString());
        if (tombstone && cutRemovals == null) continue;
        try {
          if (tombstone) cutRemovals.remove(id);
          Trees.remove(dir);
          done.add("removed " + dir + ": no record");
        } catch (IOException e) {
          done.add("could not remove " + dir + " (no record): " + e.getMessage());
        }
        continue;
      }
      Path temp = Path.of(file + AtomicFiles.TEMP_SUFFIX);
      if (Linux.exists(temp.toString())) {
        Linux.unlink(temp.toString());
        done.add("removed " + temp);
      }
    }
    // Names no record owns.
    for (String n : entries(names)) {
      if (nameOwner(n) == null) {
        Linux.unlink(names.resolve(n).toString());
        done.add("removed name " + n + ": no container has it");
      }
    }
    // Records whose name link is missing (only a hand-made change or a lost directory entry does
    // that).
    for (ContainerRecord c : scan().containers()) {
      if (c.name() == null || c.id().equals(nameOwner(c.name()))) continue;
      try {
        Linux.symlink(c.id(), names.resolve(c.name()).toString());
        done.add("restored name " + c.name() + " of container " + c.id());
      } catch (ErrnoException e) {
        if (e.errno() != EEXIST) throw e;
        done.add(
            "container " + c.id() + " has name " + c.name() + ", which another container holds");
      }
    }
    Directories.fsync(names);
    Directories.fsync(containers);
    // repair() runs without a marker too
    try (Fd marker = Linux.open(dirty.toString(), O_RDWR | O_CREAT | O_NOFOLLOW, 0600)) {
      mark(marker, CLEAN);
    }
    return done;
  }

  private static BerthException noSuch(String ref) {
    return new BerthException(
        ErrorCategory.NOT_FOUND,
        "No such container: " + dev.berth.spec.error.Printable.of(ref, 300));
  }

  /** Docker's words, which scripts match. */
  private static BerthException nameInUse(String name, String id) {
    return new BerthException(
        ErrorCategory.ALREADY_EXISTS,
        "Conflict. The container name \"/"
            + name
            + "\" is already in use by container \""
            + id
            + "\". You have to remove (or rename) that container to be able"
            + " to reuse that name.");
  }
}
