package dev.berth.image.snapshot;

import static dev.berth.sys.LinuxConstants.EEXIST;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_RDONLY;

import dev.berth.image.dirs.Directories;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.image.unpack.Mode;
import dev.berth.spec.image.Digest;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The on-disk layout both snapshotters share, under {@code root}:
 *
 * <pre>
 *   snapshots/&lt;n&gt;/fs       a layer's tree (n: a small number, so overlay lowerdir strings stay short)
 *   snapshots/&lt;n&gt;/parent   the parent's chain id, absent for a bottom layer
 *   chains/&lt;hex&gt;          symlink to ../snapshots/&lt;n&gt;: the commit point
 *   active/&lt;key&gt;/          writable snapshots (fs, and work for overlay; parent)
 *   unsynced/&lt;mark&gt;        committed snapshots whose trees were not synced yet ({@link UnsyncedMarks})
 * </pre>
 *
 * A staging directory is a numbered snapshots/&lt;n&gt; that no chains/ link names yet. Committing
 * syncs the tree's file system (syncfs) or marks the snapshot unsynced ({@link
 * Snapshotter#commit}), then creates the link with symlink(2), which is atomic and fails when the
 * name exists: another process committed first, ours is removed. So a link a power cut left names a
 * tree whose data is on disk, or one that a mark says must be unpacked again. Numbers rather than
 * chain ids in paths: a 30-layer image's lowerdir is then about 30 * 30 bytes, far under the page
 * (4096 bytes) the kernel accepts for mount data, where 30 sha256 paths would not fit.
 *
 * <p>Every directory here but the trees is private ({@link PrivateDirs}): a tree's root (fs/) takes
 * the owner and mode of its layer's "/" entry, and what it holds may be setuid or world-writable,
 * so the snapshot directory around it keeps host users out.
 */
abstract class DirSnapshotter implements Snapshotter {
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  final Path root;
  final Path snapshots;
  final Path chains;
  final Path active;
  final Path trash;
  private final Trash trashDir;
  private final UnsyncedMarks marks;

  DirSnapshotter(Path root) throws IOException {
    this.root = root;
    this.snapshots = root.resolve("snapshots");
    this.chains = root.resolve("chains");
    this.active = root.resolve("active");
    this.trash = root.resolve(TRASH);
    PrivateDirs.ensure(trash);
    this.trashDir = new Trash(trash);
    this.marks = new UnsyncedMarks(root.resolve("unsynced"));
    boolean loose =
        PrivateDirs.ensure(snapshots) | PrivateDirs.ensure(chains) | PrivateDirs.ensure(active);
    // A store whose snapshots/ was private was made so by this code, which makes every snapshot
    // directory private:
    // only an older one (or one opened up by hand) needs each of them checked.
    if (loose) {
      for (Path dir : List.of(snapshots, active)) {
        try (Stream<Path> s = Files.list(dir)) {
          for (Path home : (Iterable<Path>) s::iterator) PrivateDirs.ensure(home);
        }
      }
    }
  }

  /** How a layer is unpacked: one with no parent ({@code bottom}) or one on a parent. */
  abstract Mode mode(boolean bottom);

  /** Fills a new staging fs/ from the parent (copy: the whole parent tree; overlay: nothing). */
  abstract void fillStaging(Path fs, Digest parent) throws IOException;

  @Override
  public boolean has(Digest chainId) throws IOException {
    return Files.isDirectory(chains.resolve(chainId.encoded()));
  }

  @Override
  public Staging stage(Digest chainId, Digest parent) throws IOException {
    // A copy starts from the parent's tree, so it must be committed now; an overlay layer only
    // names its parent, which may still be unpacking in parallel: it must be committed before this
    // one is (see commit).
    if (parent != null && !layersIndependent()) home(parent);
    Staging s = newStaging(parent == null, parent);
    try {
      name(s, chainId, parent);
    } catch (IOException | RuntimeException e) {
      Trees.remove(s.home());
      throw e;
    }
    return s;
  }

  @Override
  public Staging stageUnnamed(boolean bottom) throws IOException {
    if (!layersIndependent()) {
      throw new IllegalStateException(
          "a layer that starts as a copy of its parent is staged with its chain id");
    }
    return newStaging(bottom, null);
  }

  /** A numbered snapshot directory with an fs/ filled from {@code fillFrom} (null: empty). */
  private Staging newStaging(boolean bottom, Digest fillFrom) throws IOException {
    Path home = newNumbered();
    try {
      Path fs = home.resolve("fs");
      Files.createDirectory(fs);
      Linux.chmod(fs.toString(), 0755);
      fillStaging(fs, fillFrom);
    } catch (IOException | RuntimeException e) {
      Trees.remove(home);
      throw e;
    }
    return new Staging(home, bottom, mode(bottom));
  }

  @Override
  public void name(Staging s, Digest chainId, Digest parent) throws IOException {
    if (s.chainId() != null)
      throw new IllegalStateException("staging is " + s.chainId() + " already");
    if ((parent == null) != s.bottom()) {
      throw new IllegalArgumentException(
          s.bottom()
              ? "a bottom layer's staging named with parent " + parent
              : "a staging on a parent named as a bottom layer " + chainId);
    }
    if (parent != null) Files.writeString(s.home().resolve("parent"), parent.toString());
    s.named(chainId, parent);
  }

  @Override
  public void commit(Staging s) throws IOException {
    if (s.chainId() == null) throw new IllegalStateException("commit of an unnamed staging");
    Path link = chains.resolve(s.chainId().encoded());
    if (s.parent() != null) home(s.parent()); // a committed snapshot's parent chain is always whole
    finish(s);
    // The tree's data must outlive a power cut once the link says the snapshot is whole: a
    // committed snapshot is never re-checked, so one whose files a crash left empty (delayed
    // allocation) would stay broken through every re-pull (containerd's issues 5854 and 8895).
    // Either the file system is synced now, or a mark made durable before the link says that the
    // tree is to be synced later, or unpacked again from its blob after a reboot.
    if (s.blob() != null) marks.mark(s.chainId(), s.blob(), s.compression());
    else syncTree(s.home());
    try {
      Linux.symlink("../snapshots/" + s.home().getFileName(), link.toString());
    } catch (ErrnoException e) {
      if (e.errno() != EEXIST)
        throw new IOException("commit snapshot " + s.chainId() + ": " + e.getMessage(), e);
      Trees.remove(s.home()); // someone else committed this chain id first
    }
    if (s.blob() != null) syncLater();
  }

  /** Last touches to a staged tree before it is published (overlay: directories it made). */
  void finish(Staging s) throws IOException {}

  private static void syncTree(Path dir) throws IOException {
    try (Fd tree = Linux.open(dir.toString(), O_RDONLY | O_DIRECTORY, 0)) {
      Linux.syncfs(tree);
    }
  }

  @Override
  public List<Unsynced> unsynced() throws IOException {
    List<Unsynced> out = new ArrayList<>();
    for (Unsynced u : marks.list()) {
      if (has(u.chainId())) out.add(u);
      else marks.forget(u); // removed since, or its commit lost a race and never linked
    }
    return out;
  }

  @Override
  public boolean anyUnsynced() throws IOException {
    return marks.any();
  }

  @Override
  public void sync(List<Unsynced> done) throws IOException {
    if (done.isEmpty()) return;
    syncTree(root);
    for (Unsynced u : done) if (u.thisBoot()) marks.forget(u);
  }

  /** How long a mark waits for its sync: the kernel's default dirty_expire_centisecs. */
  static final long SETTLE_MILLIS = 30_000;

  /** The thread waiting to sync each snapshot root, in this process. */
  private static final Map<Path, Thread> SYNC_PENDING = new ConcurrentHashMap<>();

  @Override
  public void syncLater() {
    Thread pending = SYNC_PENDING.get(root);
    if (pending != null) {
      LockSupport.unpark(pending); // it looks at the marks' ages again
      return;
    }
    Thread t =
        Thread.ofPlatform()
            .daemon()
            .name("berth-snapshot-sync")
            .unstarted(
                () -> {
                  try {
                    for (long wait; (wait = SETTLE_MILLIS - marks.youngestAgeMillis()) > 0; )
                      LockSupport.parkNanos(wait * 1_000_000);
                    SYNC_PENDING.remove(root, Thread.currentThread()); // later marks: a new sync
                    List<Unsynced> mine = new ArrayList<>();
                    for (Unsynced u : unsynced()) if (u.thisBoot()) mine.add(u);
                    sync(mine);
                  } catch (IOException | RuntimeException e) {
                    if (Files.isDirectory(root))
                      System.err.println(
                          "berth: sync snapshots in " + root + ": " + e.getMessage());
                  } finally {
                    SYNC_PENDING.remove(root, Thread.currentThread());
                  }
                });
    if (SYNC_PENDING.putIfAbsent(root, t) == null) t.start();
    else syncLater();
  }

  @Override
  public void replace(Staging s) throws IOException {
    if (s.chainId() == null) throw new IllegalStateException("replace by an unnamed staging");
    Path link = chains.resolve(s.chainId().encoded());
    Path old = home(s.chainId());
    finish(s);
    syncTree(s.home());
    // A new link beside the staging, renamed over the chain's: readers see the old tree or the new.
    Path fresh = s.home().resolve("link");
    Linux.symlink("../snapshots/" + s.home().getFileName(), fresh.toString());
    Linux.rename(fresh.toString(), link.toString(), 0);
    Directories.fsync(chains);
    marks.forgetAll(s.chainId());
    Trees.remove(old);
  }

  @Override
  public void forget(Unsynced mark) throws IOException {
    marks.forget(mark);
  }

  @Override
  public Digest parent(Digest chainId) throws IOException {
    return parentOf(home(chainId));
  }

  @Override
  public void abort(Staging s) throws IOException {
    Trees.remove(s.home());
  }

  @Override
  public void remove(String key) throws IOException {
    Trees.remove(active.resolve(checkKey(key)));
  }

  @Override
  public void trash(String key) throws IOException {
    trashDir.moveIn(active.resolve(checkKey(key)), key);
  }

  @Override
  public int emptyTrash(boolean wait) throws IOException {
    return trashDir.empty(wait);
  }

  /**
   * Whether the trash of the snapshotter at {@code root} holds anything: a look that opens no
   * snapshotter, for a process that empties it only when needed (false for a root not made yet).
   */
  static boolean hasTrash(Path root) throws IOException {
    return !new Trash(root.resolve(TRASH)).isEmpty();
  }

  /** The directory under the root that {@link #trash} moves snapshots into. */
  static final String TRASH = "trash";

  @Override
  public void remove(Digest chainId) throws IOException {
    Path home = home(chainId);
    String id = chainId.toString();
    // Staging dirs count too: another process is about to commit a child.
    for (Path dir : List.of(snapshots, active)) {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          Path pf = p.resolve("parent");
          if (Files.isRegularFile(pf) && Files.readString(pf).trim().equals(id)) {
            throw new IOException(
                "remove snapshot " + chainId + ": snapshot " + describe(dir, p) + " depends on it");
          }
        }
      }
    }
    Files.delete(chains.resolve(chainId.encoded()));
    marks.forgetAll(chainId);
    Trees.remove(home);
  }

  private String describe(Path dir, Path p) throws IOException {
    if (dir == active) return "\"" + p.getFileName() + "\" (active)";
    try (Stream<Path> s = Files.list(chains)) {
      for (Path c : (Iterable<Path>) s::iterator) {
        if (Files.readSymbolicLink(c).getFileName().equals(p.getFileName()))
          return "sha256:" + c.getFileName();
      }
    }
    return "being staged (" + p.getFileName() + ")";
  }

  @Override
  public Set<Digest> committed() throws IOException {
    Set<Digest> out = new HashSet<>();
    try (Stream<Path> s = Files.list(chains)) {
      for (Path p : (Iterable<Path>) s::iterator)
        out.add(new Digest("sha256", p.getFileName().toString()));
    }
    return out;
  }

  @Override
  public int removeUncommitted() throws IOException {
    java.util.Set<String> named = new HashSet<>();
    try (Stream<Path> s = Files.list(chains)) {
      for (Path link : (Iterable<Path>) s::iterator)
        named.add(Files.readSymbolicLink(link).getFileName().toString());
    }
    int removed = 0;
    try (Stream<Path> s = Files.list(snapshots)) {
      for (Path dir : (Iterable<Path>) s::iterator) {
        if (!named.contains(dir.getFileName().toString())) {
          Trees.remove(dir);
          removed++;
        }
      }
    }
    return removed;
  }

  @Override
  public long usage(Digest chainId) throws IOException {
    return Trees.usage(home(chainId).resolve("fs"));
  }

  /** The committed snapshot directory of {@code chainId}. */
  Path home(Digest chainId) throws IOException {
    Path link = chains.resolve(chainId.encoded());
    try {
      return chains.resolve(Files.readSymbolicLink(link)).normalize();
    } catch (NoSuchFileException e) {
      throw new IOException("snapshot " + chainId + " is not committed", e);
    }
  }

  Digest parentOf(Path home) throws IOException {
    Path pf = home.resolve("parent");
    if (!Files.exists(pf)) return null;
    return Digest.parse(Files.readString(pf, StandardCharsets.US_ASCII).trim());
  }

  /** The fs/ directories of the chain ending in {@code chainId}, top first. */
  List<Path> chain(Digest chainId) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Digest d = chainId; d != null; ) {
      Path home = home(d);
      out.add(home.resolve("fs"));
      d = parentOf(home);
      if (out.size() > 1000) throw new IOException("snapshot " + chainId + ": parent chain loops");
    }
    return out;
  }

  @Override
  public List<Mount> mounts(String key) throws IOException {
    Path dir = active.resolve(checkKey(key));
    if (!Files.isDirectory(dir.resolve("fs"))) {
      throw new NoSuchFileException(dir.toString(), null, "no active snapshot \"" + key + "\"");
    }
    return activeMounts(dir, parentOf(dir));
  }

  /** How the active snapshot in {@code dir} (on {@code parent}, or null) is mounted. */
  abstract List<Mount> activeMounts(Path dir, Digest parent) throws IOException;

  /** A new active snapshot's directory, refused when the key is taken. */
  Path newActive(String key, Digest parent) throws IOException {
    if (parent != null) home(parent);
    Path dir = active.resolve(checkKey(key));
    if (!PrivateDirs.create(dir))
      throw new IOException("prepare snapshot \"" + key + "\": it already exists");
    if (parent != null) Files.writeString(dir.resolve("parent"), parent.toString());
    return dir;
  }

  private Path newNumbered() throws IOException {
    int n;
    try (Stream<Path> s = Files.list(snapshots)) {
      n = (int) s.count() + 1;
    }
    for (; ; n++) {
      Path p = snapshots.resolve(Integer.toString(n));
      if (PrivateDirs.create(p))
        return p; // atomic: two processes never get the same number; else try the next
    }
  }

  static String checkKey(String key) {
    if (key == null || !KEY.matcher(key).matches()) {
      throw new IllegalArgumentException(
          "invalid snapshot key \""
              + key
              + "\": want letters, digits, '.', '_', '-'"
              + " (up to 128, not starting with '.' or '-')");
    }
    return key;
  }
}
