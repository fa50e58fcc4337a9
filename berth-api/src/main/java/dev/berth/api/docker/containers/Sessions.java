package dev.berth.api.docker.containers;

import dev.berth.engine.Engine;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.monitor.AttachClient;
import dev.berth.spec.error.BerthException;
import dev.berth.sys.ErrnoException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What the daemon's clients wait for on containers, between requests: docker's CLI attaches and
 * asks to wait <em>before</em> it starts a container ({@code docker run}), so an attach to a
 * container that does not run yet is parked here and connected to the monitor by the start, before
 * the container's first instruction (no output is lost). The container's monitor keeps its exit
 * command: it runs only when no exit watcher (berthd's) holds its lock, so it releases a container
 * whose end berthd, killed or stopped, cannot see. Starts and removals by this daemon wake the
 * waiters of {@code wait?condition=next-exit|removed} at once; changes made by another process (the
 * {@code berth} CLI) are seen at their next look.
 */
final class Sessions {
  private final Engine engine;
  private final Map<String, List<CompletableFuture<AttachClient>>> parked = new HashMap<>();
  private final Map<String, Integer> lastExit = new HashMap<>();
  private long generation;

  Sessions(Engine engine) {
    this.engine = engine;
  }

  /** Parks an attach to container {@code id} until its next start connects it. */
  synchronized CompletableFuture<AttachClient> park(String id) {
    CompletableFuture<AttachClient> f = new CompletableFuture<>();
    parked.computeIfAbsent(id, k -> new ArrayList<>()).add(f);
    return f;
  }

  /** Forgets a parked attach whose client went away (closing the client if it was connected). */
  synchronized void unpark(String id, CompletableFuture<AttachClient> f) {
    List<CompletableFuture<AttachClient>> l = parked.get(id);
    if (l != null) {
      l.remove(f);
      if (l.isEmpty()) parked.remove(id);
    }
    if (!f.cancel(false) && !f.isCompletedExceptionally()) f.join().close();
  }

  /** Records how a container's run ended, as an attach saw it (the monitor's exit frame). */
  synchronized void exited(String id, int code) {
    lastExit.put(id, code);
    changed();
  }

  /** The last exit code this daemon saw for {@code id}, or null. */
  synchronized Integer lastExit(String id) {
    return lastExit.get(id);
  }

  /**
   * Starts {@code ref}, connecting its parked attaches before the container runs. An AutoRemove
   * container whose start fails is removed, as dockerd does: the client's wait for its removal (the
   * docker CLI's {@code run --rm}) then ends.
   */
  ContainerRecord start(String ref) throws BerthException {
    ContainerRecord r = engine.inspect(ref);
    String id = r.id();
    try {
      return engine.start(
          id,
          new Engine.StartListener() {
            @Override
            public void created(ContainerRecord rec, Path socket) {
              List<CompletableFuture<AttachClient>> l;
              synchronized (Sessions.this) {
                l = parked.remove(id);
                lastExit.remove(id);
              }
              if (l == null) return;
              for (CompletableFuture<AttachClient> f : l) {
                try {
                  AttachClient c = AttachClient.connect(socket);
                  if (!f.complete(c)) c.close();
                } catch (ErrnoException e) {
                  f.completeExceptionally(e);
                }
              }
            }
          });
    } catch (BerthException e) {
      if (r.options().autoRemove()) {
        try {
          engine.remove(id, true, true);
        } catch (BerthException ignored) {
          // the start error is the one to report
        }
      }
      throw e;
    } finally {
      synchronized (this) {
        changed();
      }
    }
  }

  /** Something changed (a start, an exit, a removal): wakes every {@link #await}. */
  synchronized void changed() {
    generation++;
    notifyAll();
  }

  /** Waits up to {@code millis} for the next {@link #changed}. */
  synchronized void await(long millis) throws InterruptedException {
    long g = generation;
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (g == generation) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) return;
      wait(left);
    }
  }
}
