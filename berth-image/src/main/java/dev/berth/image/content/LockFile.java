package dev.berth.image.content;

import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.EWOULDBLOCK;
import static dev.berth.sys.LinuxConstants.LOCK_EX;
import static dev.berth.sys.LinuxConstants.LOCK_NB;
import static dev.berth.sys.LinuxConstants.LOCK_SH;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_RDWR;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A held flock(2) on a lock file, shared between threads and processes.
 *
 * <p>flock rather than {@link java.nio.channels.FileChannel#lock}: FileChannel locks are POSIX record locks, which
 * belong to the process, so closing any other descriptor of the file drops them, and a second lock attempt from the
 * same JVM throws OverlappingFileLockException instead of waiting. flock locks belong to the open file description:
 * two threads that each open the file exclude each other exactly as two processes do.
 *
 * <p>A lock file may be unlinked by its holder (a committed ingest removes its directory). Whoever was waiting then
 * holds a lock on a file nobody else can reach; so after locking, the inode of the descriptor is compared with the
 * inode at the path, and on a difference the lock is taken again on the new file.
 */
final class LockFile implements AutoCloseable {
  private final Path path;
  private final Fd fd;

  private LockFile(Path path, Fd fd) {
    this.path = path;
    this.fd = fd;
  }

  /** Waits for the lock. A missing parent directory throws {@link ErrnoException} with ENOENT. */
  static LockFile acquire(Path path, boolean exclusive) throws IOException {
    return take(path, exclusive, true);
  }

  /** Takes the lock if nobody holds it, else returns null. */
  static LockFile tryAcquire(Path path, boolean exclusive) throws IOException {
    return take(path, exclusive, false);
  }

  private static LockFile take(Path path, boolean exclusive, boolean wait) throws IOException {
    String p = path.toString();
    while (true) {
      Fd fd = Linux.open(p, O_RDWR | O_CREAT, 0644);
      boolean held = false;
      try {
        try {
          Linux.flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB));
        } catch (ErrnoException e) {
          if (!wait && e.errno() == EWOULDBLOCK) {
            return null;
          }
          throw e;
        }
        if (sameFile(fd, p)) {
          held = true;
          return new LockFile(path, fd);
        }
      } finally {
        if (!held) {
          fd.close();
        }
      }
    }
  }

  private static boolean sameFile(Fd fd, String path) throws ErrnoException {
    Stat mine = Linux.fstat(fd);
    Stat there;
    try {
      there = Linux.stat(path);
    } catch (ErrnoException e) {
      if (e.errno() == ENOENT) {
        return false;
      }
      throw e;
    }
    return mine.ino() == there.ino() && mine.dev() == there.dev();
  }

  static boolean isMissing(IOException e) {
    return e instanceof ErrnoException errno && errno.errno() == ENOENT
        || e instanceof java.nio.file.NoSuchFileException;
  }

  /** Removes the lock file while holding it: a waiter then finds its inode unlinked and locks afresh. */
  void unlink() throws IOException {
    java.nio.file.Files.deleteIfExists(path);
  }

  Path path() {
    return path;
  }

  /** Releases the lock (closing the descriptor drops the flock). */
  @Override
  public void close() {
    fd.close();
  }
}
