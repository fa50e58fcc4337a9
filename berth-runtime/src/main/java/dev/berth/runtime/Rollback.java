package dev.berth.runtime;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Undo actions for a multi-step create, run in reverse unless {@link #commit()} was called (cri-o's
 * ResourceCleaner, crun's cleanup attributes): a failed create leaves no state dir, cgroup, mount
 * or process behind.
 */
public final class Rollback implements AutoCloseable {
  /** One undo step; it may throw, the rest still run. */
  @FunctionalInterface
  public interface Undo {
    void run() throws Exception;
  }

  private final Deque<Undo> undo = new ArrayDeque<>();
  private boolean committed;

  public void push(Undo u) {
    undo.push(u);
  }

  public void commit() {
    committed = true;
  }

  @Override
  public void close() {
    if (committed) return;
    while (!undo.isEmpty()) {
      try {
        undo.pop().run();
      } catch (Exception e) {
        System.err.println("berth: cleanup after failure: " + e.getMessage());
      }
    }
  }
}
