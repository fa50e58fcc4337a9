package dev.berth.image.dirs;

import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.EWOULDBLOCK;
import static dev.berth.sys.LinuxConstants.LOCK_EX;
import static dev.berth.sys.LinuxConstants.LOCK_NB;
import static dev.berth.sys.LinuxConstants.LOCK_SH;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.O_RDWR;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A flock(2) on a lock file, shared or exclusive: the one lock of the stores (content, images,
 * containers, volumes, networks) that several processes share.
 *
 * <p>flock rather than {@link java.nio.channels.FileChannel#lock}: FileChannel locks are POSIX
 * record locks, owned by the process (closing any descriptor of the file drops them, and a second
 * lock from the same JVM throws instead of waiting), and loading FileChannel costs start time.
 * flock belongs to the open file description, so two threads exclude each other exactly as two
 * processes do, and the kernel drops it when its holder dies, {@code kill -9} included: a crash
 * never leaves a store locked.
 *
 * <p>A lock file may be unlinked by its holder (a committed ingest, a removed container's
 * directory). A waiter then holds a lock on a file nobody else can reach; so after locking, the
 * descriptor's inode is compared with the path's: {@link #acquire} locks the new file afresh,
 * {@link #acquireExisting} reports the object gone.
 */
public final class LockFile implements AutoCloseable {
  private final Path path;
  private final Fd fd;

  private LockFile(Path path, Fd fd) {
    this.path = path;
    this.fd = fd;
  }

  /**
   * Waits for the exclusive lock on {@code path}, creating the file when missing (its directory
   * must exist).
   */
  public static LockFile acquire(Path path) throws IOException {
    return take(path, true, true, true);
  }

  /**
   * Waits for the lock, exclusive or shared. A missing parent directory throws {@link
   * ErrnoException} ENOENT.
   */
  public static LockFile acquire(Path path, boolean exclusive) throws IOException {
    return take(path, exclusive, true, true);
  }

  /** The exclusive lock if nobody holds the file, else null. */
  public static LockFile tryAcquire(Path path) throws IOException {
    return take(path, true, true, false);
  }

  /** The lock, exclusive or shared, if nobody holds it in a conflicting way, else null. */
  public static LockFile tryAcquire(Path path, boolean exclusive) throws IOException {
    return take(path, exclusive, true, false);
  }

  /**
   * Waits for the exclusive lock on an existing {@code path} (never created here: a directory being
   * removed must not get a new file) in a directory that may go away meanwhile: null when the file
   * is gone, before or once we hold it, which means the object it guards was removed.
   */
  public static LockFile acquireExisting(Path path) throws IOException {
    return takeExisting(path, true);
  }

  /** Like {@link #acquireExisting} without waiting: null also when somebody holds the lock. */
  public static LockFile tryAcquireExisting(Path path) throws IOException {
    return takeExisting(path, false);
  }

  /**
   * {@link #acquireExisting} on a directory, the object it guards (a lock without a file of its
   * own: nothing to make beside it, nothing to delete with it): null when the directory is gone,
   * before or once we hold it, or was renamed away meanwhile.
   */
  public static LockFile acquireDirectory(Path dir) throws IOException {
    try {
      return take(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, true, false, true);
    } catch (ErrnoException e) {
      if (e.errno() == ENOENT) return null;
      throw e;
    }
  }

  private static LockFile takeExisting(Path path, boolean wait) throws IOException {
    try {
      return take(path, true, false, wait);
    } catch (ErrnoException e) {
      if (e.errno() == ENOENT) return null;
      throw e;
    }
  }

  private static LockFile take(Path path, boolean exclusive, boolean create, boolean wait)
      throws IOException {
    return take(path, create ? O_RDWR | O_CREAT : O_RDWR, exclusive, create, wait);
  }

  private static LockFile take(
      Path path, int flags, boolean exclusive, boolean create, boolean wait) throws IOException {
    String p = path.toString();
    while (true) {
      Fd fd = Linux.open(p, flags, 0600);
      boolean held = false;
      try {
        try {
          Linux.flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB));
        } catch (ErrnoException e) {
          if (!wait && e.errno() == EWOULDBLOCK) return null;
          throw e;
        }
        if (sameFile(fd, p)) {
          held = true;
          return new LockFile(path, fd);
        }
        if (!create) return null;
      } finally {
        if (!held) fd.close();
      }
    }
  }

  private static boolean sameFile(Fd fd, String path) throws ErrnoException {
    Stat mine = Linux.fstat(fd);
    Stat there;
    try {
      there = Linux.stat(path);
    } catch (ErrnoException e) {
      if (e.errno() == ENOENT) return false;
      throw e;
    }
    return mine.ino() == there.ino() && mine.dev() == there.dev();
  }

  /**
   * Whether {@code e} says a file is missing (berth-sys' ENOENT or the JDK's NoSuchFileException).
   */
  public static boolean isMissing(IOException e) {
    return e instanceof ErrnoException errno && errno.errno() == ENOENT
        || e instanceof java.nio.file.NoSuchFileException;
  }

  /**
   * Removes the lock file while holding it: a waiter then finds its inode unlinked and locks
   * afresh.
   */
  public void unlink() throws IOException {
    java.nio.file.Files.deleteIfExists(path);
  }

  public Path path() {
    return path;
  }

  /** Releases the lock: closing the descriptor drops the flock. */
  @Override
  public void close() {
    fd.close();
  }
}
