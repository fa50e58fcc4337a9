package dev.berth.image.snapshot;

import static dev.berth.sys.LinuxConstants.EEXIST;
import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.EXDEV;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.RENAME_NOREPLACE;

import dev.berth.image.dirs.LockFile;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A directory where removed trees wait to be deleted: a removal renames a tree in (one syscall,
 * gone from sight at once) and whoever empties the trash deletes it later, on a thread of its own
 * or at once. Everything in it is garbage, so emptying needs no record or repair. The snapshotter's
 * and the container store's trashes are ones.
 */
public final class Trash {
  private final Path dir;
  private final Path lock;

  /** The trash {@code dir}, emptied under the lock file {@code dir.lock} beside it. */
  public Trash(Path dir) {
    this.dir = dir;
    this.lock = dir.resolveSibling(dir.getFileName() + ".lock");
  }

  /**
   * Moves {@code tree} in under a name of its own ({@code key-<random>}: the same key may be
   * trashed again before the trash is emptied). Nothing there is fine; a tree on another file
   * system than the trash is deleted at once.
   */
  public void moveIn(Path tree, String key) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path to = dir.resolve(key + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
      try {
        Linux.rename(tree.toString(), to.toString(), RENAME_NOREPLACE);
        return;
      } catch (ErrnoException e) {
        if (e.errno() == ENOENT) return;
        if (e.errno() == EXDEV) {
          Trees.remove(tree);
          return;
        }
        if (e.errno() != EEXIST || attempt > 8) throw e;
      }
    }
  }

  /**
   * Deletes what is in the trash, by this process or another (one that died before it emptied it
   * included); returns how many trees. {@code wait}: after another process or thread that empties
   * it, so the caller returns with them gone; else that one's work is left to it. One that cannot
   * go (a mount left under it) does not keep the others: the failures are thrown together after,
   * and those trees tried again the next time.
   */
  public int empty(boolean wait) throws IOException {
    try (LockFile held = wait ? LockFile.acquire(lock) : LockFile.tryAcquire(lock)) {
      if (held == null) return 0;
      int removed = 0;
      IOException failed = null;
      for (String name : names()) {
        try {
          Trees.remove(dir.resolve(name));
          removed++;
        } catch (IOException e) {
          if (failed == null) failed = e;
          else failed.addSuppressed(e);
        }
      }
      if (failed != null) throw failed;
      return removed;
    }
  }

  /** Whether anything waits in it: a look at one directory (false when it is not made yet). */
  public boolean isEmpty() throws IOException {
    try {
      return names().isEmpty();
    } catch (ErrnoException e) {
      if (e.errno() == ENOENT) return true;
      throw e;
    }
  }

  private List<String> names() throws IOException {
    try (Fd fd = Linux.open(dir.toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
      return Linux.readdir(fd);
    }
  }
}
