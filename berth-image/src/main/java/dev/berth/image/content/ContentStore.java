package dev.berth.image.content;

import dev.berth.image.dirs.Directories;
import dev.berth.image.dirs.LockFile;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Blobs addressed by digest, under one root directory shared by every thread and process that opens
 * it:
 *
 * <pre>
 * root/lock                          store-wide lock: shared by leases, exclusive for garbage collection
 * root/blobs/sha256/&lt;hex&gt;             committed blobs, read-only, never partial
 * root/ingest/sha256-&lt;hex&gt;/data       a blob being written (kept across a crash or failure, for resume)
 * root/ingest/sha256-&lt;hex&gt;/lock       held (flock) by the one ingest writing it
 * </pre>
 *
 * A blob appears in {@code blobs/} only by an atomic rename of fully written, verified, fsynced
 * data, so a reader sees a whole blob or none, and no temporary file is ever under {@code blobs/}.
 *
 * <p>Writers should hold a {@link #lease()} from before their first ingest until the blobs are
 * referenced (an image record written), else a concurrent {@link #collect} may delete what they
 * committed.
 */
public final class ContentStore {
  static final String INGEST_DATA = "data";
  static final String INGEST_LOCK = "lock";

  /** Ingest directories unused for this long are removed by {@link #collect(Set, Function)}. */
  public static final Duration DEFAULT_STALE_INGEST_AGE = Duration.ofHours(24);

  private final Path root;
  private final Path blobs;
  private final Path ingests;
  private final Path storeLock;
  private final DigestLocks digestLocks;

  private ContentStore(Path root) {
    this.root = root;
    this.blobs = root.resolve("blobs");
    this.ingests = root.resolve("ingest");
    this.storeLock = root.resolve("lock");
    this.digestLocks = DigestLocks.forRoot(root);
  }

  /**
   * Opens the store at {@code root}, creating its directories (private: {@link PrivateDirs}) when
   * missing.
   */
  public static ContentStore open(Path root) throws IOException {
    for (String dir : new String[] {"", "blobs", "blobs/sha256", "ingest"})
      PrivateDirs.ensure(root.resolve(dir));
    return new ContentStore(root.toRealPath());
  }

  public Path root() {
    return root;
  }

  // ---- reading ----

  /**
   * Where the blob is (or would be): for zero-copy reads. The file is read-only; never write to it.
   */
  public Path path(Digest digest) {
    return blobs.resolve(digest.algorithm()).resolve(digest.encoded());
  }

  public boolean exists(Digest digest) {
    return Files.isRegularFile(path(digest));
  }

  /** The size of the blob, or -1 when it is not in the store. */
  public long size(Digest digest) throws IOException {
    try {
      return Files.readAttributes(path(digest), BasicFileAttributes.class).size();
    } catch (NoSuchFileException e) {
      return -1;
    }
  }

  /** Opens the blob for reading; {@link BlobNotFoundException} when it is not in the store. */
  public InputStream open(Digest digest) throws IOException {
    try {
      return Files.newInputStream(path(digest));
    } catch (NoSuchFileException e) {
      throw new BlobNotFoundException(digest);
    }
  }

  /**
   * Reads a whole small blob (a manifest, an index, a config) and checks it against its digest. A
   * blob larger than {@code maxBytes} is refused before anything is read: layers are streamed,
   * never held in memory.
   */
  public byte[] read(Digest digest, long maxBytes) throws IOException {
    byte[] content;
    try (FileChannel in = FileChannel.open(path(digest), StandardOpenOption.READ)) {
      long size = in.size();
      if (size > maxBytes) {
        throw new IOException(
            "blob " + digest + ": " + size + " bytes, more than the " + maxBytes + " read whole");
      }
      content = new byte[(int) size];
      ByteBuffer buf = ByteBuffer.wrap(content);
      while (buf.hasRemaining()) {
        if (in.read(buf) < 0) {
          throw new IOException("blob " + digest + ": changed size while being read");
        }
      }
    } catch (NoSuchFileException e) {
      throw new BlobNotFoundException(digest);
    }
    // A small sha256 blob (a config, a manifest) is hashed without the JCA, whose first use costs a
    // cold CLI ~11 ms (Sha256).
    Digest got =
        digest.algorithm().equals("sha256") && content.length <= Sha256.SMALL
            ? Digest.sha256Of(content)
            : new Digest(
                digest.algorithm(),
                HexFormat.of().formatHex(Ingest.newHasher(digest).digest(content)));
    if (!got.equals(digest)) {
      throw new IOException(
          "blob "
              + digest
              + ": content does not match its digest (got "
              + got
              + "): the store is damaged");
    }
    return content;
  }

  /**
   * Every committed blob, sorted. Files under {@code blobs/} that are not named as digests are
   * ignored.
   */
  public List<Digest> list() throws IOException {
    List<Digest> all = new ArrayList<>();
    try (DirectoryStream<Path> algorithms = Files.newDirectoryStream(blobs)) {
      for (Path algorithm : algorithms) {
        if (!Files.isDirectory(algorithm)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(algorithm)) {
          for (Path f : files) {
            Digest d = parseDigest(algorithm.getFileName().toString(), f.getFileName().toString());
            if (d != null) {
              all.add(d);
            }
          }
        }
      }
    }
    all.sort(Comparator.comparing(Digest::toString));
    return all;
  }

  // ---- writing ----

  /**
   * Writes and commits a small blob in one step; returns its descriptor. Does nothing if it is
   * already there.
   */
  public Descriptor put(byte[] content, String mediaType) throws IOException {
    Digest digest = Digest.sha256Of(content);
    try (Ingest ingest = ingest(digest, content.length, mediaType)) {
      if (!ingest.alreadyCommitted()) {
        if (ingest.offset() > 0) {
          ingest.restart();
        }
        ingest.write(content, 0, content.length);
      }
      return ingest.commit();
    }
  }

  /**
   * Opens or resumes the ingest of the blob {@code expected} describes; see {@link #ingest(Digest,
   * long, String)}.
   */
  public Ingest ingest(Descriptor expected) throws IOException {
    return ingest(expected.digest(), expected.size(), expected.mediaType());
  }

  /**
   * Opens or resumes the ingest of {@code digest}, of {@code expectedSize} bytes (-1: unknown),
   * waiting while another thread or process ingests it. When that one commits, or the blob was
   * already there, the returned ingest is {@link Ingest#alreadyCommitted() already committed}.
   * Close it in every case.
   */
  public Ingest ingest(Digest digest, long expectedSize, String mediaType) throws IOException {
    if (expectedSize < -1) {
      throw new IllegalArgumentException("ingest of " + digest + ": negative size " + expectedSize);
    }
    String type = mediaType == null ? "" : mediaType;
    Ingest done = committedIngest(digest, expectedSize, type);
    if (done != null) {
      return done;
    }
    DigestLocks.Permit permit = digestLocks.acquire(digest);
    boolean handedOver = false;
    try {
      PrivateDirs.ensure(path(digest).getParent()); // blobs/sha512 is made on its first use
      Path dir = ingests.resolve(digest.algorithm() + "-" + digest.encoded());
      while (true) {
        done = committedIngest(digest, expectedSize, type);
        if (done != null) {
          return done;
        }
        PrivateDirs.create(dir);
        LockFile lock;
        try {
          lock = LockFile.acquire(dir.resolve(INGEST_LOCK), true);
        } catch (IOException e) {
          if (LockFile.isMissing(e)) {
            continue; // the committing holder removed the directory between our mkdir and open
          }
          throw new IOException(
              "ingest of " + digest + ": lock " + dir.resolve(INGEST_LOCK) + ": " + e.getMessage(),
              e);
        }
        boolean ok = false;
        try {
          done = committedIngest(digest, expectedSize, type);
          if (done != null) {
            // Left by a crash between the rename into blobs/ and the removal of the ingest
            // directory.
            Files.deleteIfExists(dir.resolve(INGEST_DATA));
            lock.unlink();
            deleteEmptyDirectory(dir);
            return done;
          }
          FileChannel out =
              FileChannel.open(
                  dir.resolve(INGEST_DATA),
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE,
                  StandardOpenOption.APPEND);
          try {
            if (expectedSize >= 0 && out.size() > expectedSize) {
              out.truncate(0); // longer than the blob can be: not a prefix of it
            }
            Ingest ingest =
                new Ingest(digest, expectedSize, type, path(digest), dir, lock, permit, out);
            ingest.verifyIfComplete();
            ok = true;
            handedOver = true;
            return ingest;
          } finally {
            if (!ok) {
              out.close();
            }
          }
        } finally {
          if (!ok) {
            lock.close();
          }
        }
      }
    } finally {
      if (!handedOver) {
        permit.release();
      }
    }
  }

  private Ingest committedIngest(Digest digest, long expectedSize, String mediaType)
      throws IOException {
    long size = size(digest);
    if (size < 0) {
      return null;
    }
    if (expectedSize >= 0 && size != expectedSize) {
      throw new IOException(
          "blob "
              + digest
              + ": declared "
              + expectedSize
              + " bytes, but the stored blob has "
              + size);
    }
    return new Ingest(digest, mediaType, path(digest), size);
  }

  /**
   * Removes a blob; false when it was not there. Callers keep it from being referenced (or hold the
   * GC lock).
   */
  public boolean delete(Digest digest) throws IOException {
    return Files.deleteIfExists(path(digest));
  }

  // ---- leases and garbage collection ----

  /** Takes the store lock shared until the lease is closed: {@link #collect} waits for it. */
  public StoreLease lease() throws IOException {
    return new StoreLease(LockFile.acquire(storeLock, false));
  }

  /** {@link #collect(Set, Function, Duration)} with {@link #DEFAULT_STALE_INGEST_AGE}. */
  public GcResult collect(Set<Digest> roots, Function<Digest, Collection<Digest>> children)
      throws IOException {
    return collect(roots, children, DEFAULT_STALE_INGEST_AGE);
  }

  /**
   * Mark and sweep, under the store lock held exclusively (waiting for every lease to close): keeps
   * the blobs reachable from {@code roots} through {@code children} (which returns the digests a
   * blob references: a manifest's config and layers, an index's manifests; empty for a layer),
   * deletes the others, and removes ingest directories nobody holds that were last written more
   * than {@code staleIngestAge} ago. {@code children} is only asked about blobs present in the
   * store; a missing root is skipped. If {@code children} throws, nothing is deleted.
   */
  public GcResult collect(
      Set<Digest> roots, Function<Digest, Collection<Digest>> children, Duration staleIngestAge)
      throws IOException {
    return collect(() -> roots, children, staleIngestAge, () -> null);
  }

  /**
   * Runs {@code work} under the store lock held exclusively, if that is free now (no lease, no
   * collection): for cleanups that are safe only while nothing writes. Returns false, without
   * waiting, when it did not run.
   */
  public boolean ifUnused(Locked<?> work) throws IOException {
    try (LockFile exclusive = LockFile.tryAcquire(storeLock, true)) {
      if (exclusive == null) return false;
      work.run();
      return true;
    }
  }

  /** Work done under the store's exclusive lock. */
  @FunctionalInterface
  public interface Locked<T> {
    T run() throws IOException;
  }

  /**
   * As {@link #collect(Set, Function, Duration)}, with the roots read and {@code alsoUnderLock} run
   * while the lock is held: what the roots are made of (the image names) and what else is swept
   * (snapshots) must not change between the mark and the sweep, and no pull may be half-way (pulls
   * hold a lease throughout).
   */
  public GcResult collect(
      Locked<Set<Digest>> roots,
      Function<Digest, Collection<Digest>> children,
      Duration staleIngestAge,
      Locked<?> alsoUnderLock)
      throws IOException {
    try (LockFile exclusive = LockFile.acquire(storeLock, true)) {
      GcResult result = sweep(roots.run(), children, staleIngestAge);
      alsoUnderLock.run();
      return result;
    }
  }

  private GcResult sweep(
      Set<Digest> roots, Function<Digest, Collection<Digest>> children, Duration staleIngestAge)
      throws IOException {
    Set<Digest> reachable = mark(roots, children);
    List<Digest> removed = new ArrayList<>();
    long reclaimed = 0;
    int kept = 0;
    for (Digest d : list()) {
      if (reachable.contains(d)) {
        kept++;
        continue;
      }
      long size = size(d);
      if (delete(d)) {
        removed.add(d);
        reclaimed += Math.max(size, 0);
      }
    }
    if (!removed.isEmpty()) {
      for (String algorithm : removed.stream().map(Digest::algorithm).distinct().toList()) {
        Directories.fsync(blobs.resolve(algorithm));
      }
    }
    SweptIngests ingests = removeStaleIngests(staleIngestAge);
    return new GcResult(removed, reclaimed, kept, ingests.names(), ingests.bytes());
  }

  private Set<Digest> mark(Set<Digest> roots, Function<Digest, Collection<Digest>> children)
      throws IOException {
    Set<Digest> reachable = new HashSet<>();
    ArrayDeque<Digest> todo = new ArrayDeque<>(roots);
    while (!todo.isEmpty()) {
      Digest d = todo.poll();
      if (reachable.contains(d) || !exists(d)) {
        continue;
      }
      reachable.add(d);
      Collection<Digest> refs;
      try {
        refs = children.apply(d);
      } catch (UncheckedIOException e) {
        throw new IOException(
            "gc: references of " + d + ": " + e.getCause().getMessage() + " (nothing deleted)",
            e.getCause());
      } catch (RuntimeException e) {
        throw new IOException(
            "gc: references of " + d + ": " + e.getMessage() + " (nothing deleted)", e);
      }
      if (refs != null) {
        todo.addAll(refs);
      }
    }
    return reachable;
  }

  private record SweptIngests(List<String> names, long bytes) {}

  /**
   * Removes the ingest directories that nobody holds and nobody wrote for {@code maxAge} (zero:
   * every one nobody holds).
   */
  private SweptIngests removeStaleIngests(Duration maxAge) throws IOException {
    List<String> removed = new ArrayList<>();
    long bytes = 0;
    Instant cutoff = Instant.now().minus(maxAge);
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> all = Files.newDirectoryStream(ingests)) {
      all.forEach(dirs::add);
    }
    for (Path dir : dirs) {
      String name = dir.getFileName().toString();
      int dash = name.indexOf('-');
      Digest digest =
          dash < 0 ? null : parseDigest(name.substring(0, dash), name.substring(dash + 1));
      if (digest == null || !Files.isDirectory(dir)) {
        continue; // not ours
      }
      DigestLocks.Permit permit = digestLocks.tryAcquire(digest);
      if (permit == null) {
        continue; // being ingested by this JVM
      }
      try (LockFile lock = LockFile.tryAcquire(dir.resolve(INGEST_LOCK), true)) {
        if (lock == null) {
          continue; // being ingested by another process
        }
        Path data = dir.resolve(INGEST_DATA);
        Instant written =
            Files.exists(data)
                ? Files.getLastModifiedTime(data).toInstant()
                : Files.getLastModifiedTime(dir).toInstant();
        // Without data there is nothing to resume (a commit or a discard was cut short): remove it
        // at once.
        if (Files.exists(data) && written.isAfter(cutoff)) {
          continue;
        }
        long size = Files.exists(data) ? Files.size(data) : 0;
        if (Files.deleteIfExists(data)) bytes += size;
        lock.unlink();
        if (deleteEmptyDirectory(dir)) {
          removed.add(name);
        }
      } catch (IOException e) {
        if (!LockFile.isMissing(e)) {
          throw new IOException("gc: remove stale ingest " + dir + ": " + e.getMessage(), e);
        }
      } finally {
        permit.release();
      }
    }
    return new SweptIngests(removed, bytes);
  }

  // ---- helpers ----

  private static boolean deleteEmptyDirectory(Path dir) throws IOException {
    try {
      return Files.deleteIfExists(dir);
    } catch (DirectoryNotEmptyException e) {
      return false; // a new ingest of the same digest made its lock file meanwhile
    }
  }

  private static Digest parseDigest(String algorithm, String encoded) {
    try {
      return new Digest(algorithm, encoded);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
