package dev.berth.engine.store;

import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.EWOULDBLOCK;
import static dev.berth.sys.LinuxConstants.LOCK_EX;
import static dev.berth.sys.LinuxConstants.LOCK_NB;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_RDWR;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An exclusive flock(2) on a lock file, held by one thread of one process at a time.
 *
 * <p>flock rather than {@link java.nio.channels.FileChannel#lock}: FileChannel locks are POSIX record locks, owned by
 * the process (closing any descriptor of the file drops them, and a second lock from the same JVM throws instead of
 * waiting), and loading FileChannel costs start time. flock belongs to the open file description, so two threads
 * exclude each other exactly as two processes do, and the kernel drops it when its holder dies, {@code kill -9}
 * included: a crash never leaves the store locked.
 *
 * <p>The lock file of an object lives in the object's directory and goes with it ({@link ContainerStore#remove}). A
 * waiter then holds a lock on an unlinked file; so after locking, the descriptor's inode is compared with the path's,
 * and a lock whose file is gone reports the object gone (null from {@link #acquireExisting}). (berth-image has the
 * same class, package-private to its content store; this one adds {@link #acquireExisting}.)
 */
public final class LockFile implements AutoCloseable {
  private final Fd fd;

  private LockFile(Fd fd) {
    this.fd = fd;
  }

  /** Waits for the lock on {@code path}, creating the file when missing (its directory must exist). */
  public static LockFile acquire(Path path) throws IOException {
    return take(path, true, true);
  }

  /** The lock if nobody holds it, else null. */
  public static LockFile tryAcquire(Path path) throws IOException {
    return take(path, true, false);
  }

  /**
   * Waits for the lock on an existing {@code path} (never created here: a directory being removed must not get a new
   * file) in a directory that may go away meanwhile: null when the file is gone, before or once we hold it, which
   * means the object it guards was removed.
   */
  public static LockFile acquireExisting(Path path) throws IOException {
    return takeExisting(path, true);
  }

  /** Like {@link #acquireExisting} without waiting: null also when somebody holds the lock. */
  public static LockFile tryAcquireExisting(Path path) throws IOException {
    return takeExisting(path, false);
  }

  private static LockFile takeExisting(Path path, boolean wait) throws IOException {
    try {
      return take(path, false, wait);
    } catch (ErrnoException e) {
      if (e.errno() == ENOENT) return null;
      throw e;
    }
  }

  private static LockFile take(Path path, boolean retryWhenGone, boolean wait) throws IOException {
    String p = path.toString();
    while (true) {
      Fd fd = Linux.open(p, retryWhenGone ? O_RDWR | O_CREAT : O_RDWR, 0600);
      boolean held = false;
      try {
        try {
          Linux.flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
        } catch (ErrnoException e) {
          if (!wait && e.errno() == EWOULDBLOCK) return null;
          throw e;
        }
        if (sameFile(fd, p)) {
          held = true;
          return new LockFile(fd);
        }
        if (!retryWhenGone) return null;
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

  /** Releases the lock: closing the descriptor drops the flock. */
  @Override
  public void close() {
    fd.close();
  }
}
