package dev.berth.api.socket;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads a front door runs its calls on (they block on the engine; the event loop must not):
 * none kept while idle, a new one per call in flight up to {@code max}, each gone after 30 s idle,
 * daemon threads with small stacks.
 */
public final class Workers {
  private Workers() {}

  /** A pool of threads named {@code prefix-N}, at most {@code max} at once. */
  public static ThreadPoolExecutor pool(String prefix, int max) {
    return pool(prefix, max, 512 << 10);
  }

  /** A pool of threads named {@code prefix-N}, at most {@code max} at once, on {@code stack}. */
  public static ThreadPoolExecutor pool(String prefix, int max, long stack) {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(
        0,
        max,
        30,
        TimeUnit.SECONDS,
        new SynchronousQueue<>(),
        r -> {
          Thread t = new Thread(null, r, prefix + "-" + n.incrementAndGet(), stack);
          t.setDaemon(true);
          return t;
        });
  }
}
