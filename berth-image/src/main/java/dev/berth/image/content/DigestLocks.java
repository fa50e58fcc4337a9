package dev.berth.image.content;

import dev.berth.spec.image.Digest;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * In-process exclusion per digest, in front of the ingest lock files: a second thread of this JVM
 * that ingests the same blob waits here, interruptibly, instead of in flock(2), which cannot be
 * interrupted. One instance per store root, whatever the number of {@link ContentStore} objects
 * opened on it. A semaphore rather than a lock, because an ingest may be opened on one thread and
 * committed on another.
 */
final class DigestLocks {
  private static final Map<Path, DigestLocks> BY_ROOT = new ConcurrentHashMap<>();

  private final Map<Digest, Entry> entries = new HashMap<>();

  private static final class Entry {
    final Semaphore permit = new Semaphore(1, true);
    int users; // threads holding or waiting for the permit: the entry goes when none is left
  }

  static DigestLocks forRoot(Path realRoot) {
    return BY_ROOT.computeIfAbsent(realRoot, r -> new DigestLocks());
  }

  /** A held permit for one digest; release it exactly once. */
  final class Permit {
    private final Digest digest;
    private final Entry entry;
    private boolean released;

    private Permit(Digest digest, Entry entry) {
      this.digest = digest;
      this.entry = entry;
    }

    void release() {
      synchronized (DigestLocks.this) {
        if (released) {
          return;
        }
        released = true;
        entry.permit.release();
        unuse(digest, entry);
      }
    }
  }

  Permit acquire(Digest digest) throws InterruptedIOException {
    Entry e = use(digest);
    try {
      e.permit.acquire();
    } catch (InterruptedException ie) {
      synchronized (this) {
        unuse(digest, e);
      }
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(
          "ingest of " + digest + ": interrupted while waiting for another ingest");
    }
    return new Permit(digest, e);
  }

  /** The permit if no other thread of this JVM has it, else null. */
  Permit tryAcquire(Digest digest) {
    Entry e = use(digest);
    if (e.permit.tryAcquire()) {
      return new Permit(digest, e);
    }
    synchronized (this) {
      unuse(digest, e);
    }
    return null;
  }

  private synchronized Entry use(Digest digest) {
    Entry e = entries.computeIfAbsent(digest, d -> new Entry());
    e.users++;
    return e;
  }

  private void unuse(Digest digest, Entry e) {
    if (--e.users == 0) {
      entries.remove(digest);
    }
  }
}
