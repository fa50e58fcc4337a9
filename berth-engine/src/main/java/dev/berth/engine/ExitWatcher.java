package dev.berth.engine;

import dev.berth.engine.events.Event;
import dev.berth.engine.events.EventLog;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState;
import dev.berth.image.dirs.LockFile;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Records each container's end as soon as it happens, for a process that holds the engine for long
 * (berthd, an application embedding it): one thread polls the pidfds of the running containers'
 * monitors and reconciles a container whose monitor exited, so its "die" event (the CRI's
 * CONTAINER_STOPPED_EVENT, docker's {@code die}), its release and an {@code --rm} removal come
 * then, not at the next call that happens to look at it, and a restart its policy asks for after
 * that. While it watches it holds a shared lock on {@link Engine#exitWatchersLock()}: a monitor
 * whose exit command finds the lock held leaves the exit to it and starts no process (a {@code
 * berth container cleanup}, a JVM) for it; when no watcher runs (the service is down, or was
 * killed: the kernel drops its lock) the exit command does the same work from outside. Both are
 * harmless together (the reconciliation runs under the container's lock and the second finds it
 * ended). Starts are learned from the engine's event log, so containers started by any process on
 * the store are watched.
 */
public final class ExitWatcher implements AutoCloseable {
  /**
   * How long the watcher sleeps at most: the event log's changes wake it sooner (an inotify watch),
   * this only covers a file system that does not report them.
   */
  static final int BACKSTOP_MS = 1000;

  /** The pause after a failed round. */
  static final int POLL_MS = 100;

  private final Engine engine;
  private final Consumer<String> warn;
  private final EventLog.Follower events; // with its changes(): they wake the watcher
  private final Thread thread;
  private final LockFile watching;
  private volatile boolean closed;

  /** How many containers' ends are reconciled at once (each end under its container's lock). */
  static final int RECONCILERS = 4;

  private final ThreadPoolExecutor reconcilers =
      new ThreadPoolExecutor(
          0,
          RECONCILERS,
          30,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          r -> Thread.ofPlatform().name("berth-exit-reconciler").daemon().unstarted(r),
          new ThreadPoolExecutor.CallerRunsPolicy());

  /** The watched containers' monitor pidfds by container id; the watcher thread's alone. */
  private final Map<String, Fd> monitors = new HashMap<>();

  private ExitWatcher(Engine engine, Consumer<String> warn) throws IOException {
    this.engine = engine;
    this.warn = warn;
    this.events = engine.events().watch();
    try {
      // Taken before the scan below: an exit after it is left to this watcher, and one before it
      // is either seen by the scan or reconciled by its monitor's exit command.
      this.watching = LockFile.acquire(engine.exitWatchersLock(), false);
    } catch (IOException | RuntimeException e) {
      events.close();
      throw e;
    }
    this.thread = Thread.ofPlatform().name("berth-exit-watcher").daemon().unstarted(this::run);
  }

  /**
   * Watches the containers running now and those started from now on; {@code warn} hears of a
   * reconciliation that failed.
   */
  public static ExitWatcher start(Engine engine, Consumer<String> warn) throws BerthException {
    ExitWatcher w;
    try {
      w = new ExitWatcher(engine, warn);
    } catch (IOException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "container exits: read the event log: " + e.getMessage(), e);
    }
    // Followed before the scan: a start in between is seen twice, never missed.
    for (ContainerRecord r : engine.list()) w.watch(r);
    w.thread.start();
    return w;
  }

  /** The containers watched now (ids); for tests. */
  synchronized List<String> watched() {
    return List.copyOf(monitors.keySet());
  }

  private void run() {
    try {
      while (!closed) {
        try {
          for (Event e : events.poll()) {
            if (!Event.CONTAINER.equals(e.type()) || !e.action().equals("start")) continue;
            try {
              ContainerRecord r = engine.inspect(e.id());
              if (!watch(r)) restartIfItsPolicySays(r);
            } catch (BerthException x) {
              // gone again (an --rm container that ended at once)
            }
          }
          awaitExits();
        } catch (IOException | RuntimeException e) {
          // A failed round (an unreadable event log line, a full fd table) is said and tried
          // again: the watcher must outlive it.
          if (closed) return;
          warn.accept("container exits: " + e.getMessage());
          pause();
        }
      }
    } finally {
      synchronized (this) {
        monitors.values().forEach(Fd::close);
        monitors.clear();
      }
      events.close();
    }
  }

  private void pause() {
    try {
      Thread.sleep(POLL_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  /**
   * Starts watching {@code r}'s monitor if it runs; reconciles it now if the monitor is gone.
   * Returns whether {@code r} was running (as recorded).
   */
  private synchronized boolean watch(ContainerRecord r) {
    ContainerState.Status s = r.state().status();
    if (s != ContainerState.Status.RUNNING && s != ContainerState.Status.PAUSED) return false;
    int pid = r.state().monitorPid();
    if (pid <= 0) return true;
    Fd pidfd;
    try {
      pidfd = Linux.pidfdOpen(pid, 0);
    } catch (ErrnoException e) {
      reconcile(r.id());
      return true;
    }
    Fd old = monitors.put(r.id(), pidfd);
    if (old != null) old.close();
    return true;
  }

  /**
   * Polls the monitors' pidfds until one exits, the event log changes (a start to read) or {@link
   * #BACKSTOP_MS} passes; reconciles the containers whose monitors exited.
   */
  private void awaitExits() throws IOException {
    List<String> ids;
    Fd[] fds;
    synchronized (this) {
      ids = new ArrayList<>(monitors.keySet());
      fds = new Fd[ids.size() + 2];
      for (int i = 0; i < ids.size(); i++) fds[i] = monitors.get(ids.get(i));
    }
    EventLog.Changes changes = events.changes();
    Fd[] wake = changes.fds();
    fds[ids.size()] = wake[0];
    fds[ids.size() + 1] = wake[1];
    short[] in = new short[fds.length];
    java.util.Arrays.fill(in, LinuxConstants.POLLIN);
    short[] out = new short[fds.length];
    if (closed || Linux.poll(fds, in, out, BACKSTOP_MS) <= 0) return;
    if (out[ids.size()] != 0 || out[ids.size() + 1] != 0) changes.drain();
    for (int i = 0; i < ids.size(); i++) {
      if (out[i] == 0) continue;
      synchronized (this) {
        Fd fd = monitors.get(ids.get(i));
        // a restart watched a new monitor meanwhile: that one stays
        if (fd != fds[i]) continue;
        monitors.remove(ids.get(i));
        fd.close();
      }
      reconcile(ids.get(i));
    }
  }

  /**
   * Records the end of a container whose monitor is gone, then restarts it by its policy: on one of
   * {@link #RECONCILERS} threads, so that a slow release (a CNI plugin's DEL at its timeout) holds
   * up no other container's end; with all of them busy, on the watcher's own thread.
   */
  private void reconcile(String id) {
    reconcilers.execute(() -> reconcileNow(id));
  }

  private void reconcileNow(String id) {
    try {
      restartIfItsPolicySays(engine.inspect(id));
    } catch (BerthException e) {
      if (e.category() != ErrorCategory.NOT_FOUND) {
        warn.accept("container " + id.substring(0, Math.min(12, id.length())) + ": " + e);
      }
    }
  }

  /**
   * A container that ended by itself is started again when its restart policy says so, after the
   * policy's backoff: on a thread of its own, so the backoff holds up no other container's exit.
   */
  private void restartIfItsPolicySays(ContainerRecord r) {
    if (!Engine.restartsByPolicy(r)) return;
    Thread.ofPlatform()
        .name("berth-restart-" + r.shortId())
        .daemon()
        .start(
            () -> {
              try {
                engine.restartByPolicy(r.id());
              } catch (BerthException | RuntimeException e) {
                if (!closed)
                  warn.accept("restart container " + r.shortId() + ": " + e.getMessage());
              }
            });
  }

  @Override
  public void close() {
    // The lock first: an exit from now on runs its monitor's exit command, and one before is seen
    // by the round the thread is in.
    watching.close();
    closed = true;
    events.changes().wakeUp();
    try {
      thread.join(2 * POLL_MS + 1000);
      reconcilers.shutdown();
      reconcilers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
