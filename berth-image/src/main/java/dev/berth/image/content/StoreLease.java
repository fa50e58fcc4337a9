package dev.berth.image.content;

import dev.berth.image.dirs.LockFile;

/**
 * The store-wide lock held shared for the length of a pull or an import: a garbage collection waits
 * until every lease is closed, so it never deletes a blob that a running pull wrote and has not yet
 * referenced from an image record. Leases of one JVM and of other processes are alike (flock(2) on
 * {@code <root>/lock}).
 */
public final class StoreLease implements AutoCloseable {
  private LockFile lock;

  StoreLease(LockFile lock) {
    this.lock = lock;
  }

  /** Releases the lease; a second call does nothing. */
  @Override
  public synchronized void close() {
    if (lock != null) {
      lock.close();
      lock = null;
    }
  }
}
