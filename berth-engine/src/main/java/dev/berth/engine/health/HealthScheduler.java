package dev.berth.engine.health;

import dev.berth.engine.Engine;
import dev.berth.engine.events.Event;
import dev.berth.engine.events.EventLog;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Healthcheck;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * berthd's healthcheck probes: every running container with a healthcheck is probed at its interval
 * (its start interval while it starts within the start period), the first probe one interval after
 * its start, as dockerd does. It learns of starts from the engine's event log, so a container
 * started by berthd, the CLI or the CRI alike is followed, and of the containers already running
 * from a scan at its own start; a container's probes end when a probe finds it no longer running.
 * One thread reading the log as it changes, one timer thread and a few probe threads, whatever the
 * number of containers.
 */
public final class HealthScheduler implements AutoCloseable {
  /**
   * How long the event log goes unread at most: its changes wake the reader sooner (an inotify
   * watch), this only covers a file system that does not report them.
   */
  static final int BACKSTOP_MILLIS = 1000;

  private final Engine engine;
  private final Consumer<String> warn;
  private final ScheduledExecutorService timer;
  private final ExecutorService probes;
  private final EventLog.Follower events; // with its changes(): they wake the reader
  private final Thread watcher;
  private volatile boolean closed;

  /** A generation per followed container: a start makes a new one, older probes end. */
  private final Map<String, Long> followed = new ConcurrentHashMap<>();

  private final AtomicLong generations = new AtomicLong();

  private HealthScheduler(Engine engine, int probeThreads, Consumer<String> warn)
      throws IOException {
    this.engine = engine;
    this.warn = warn;
    this.events = engine.events().watch();
    this.watcher = Thread.ofPlatform().name("berth-health-watch").daemon().unstarted(this::run);
    this.timer = Executors.newSingleThreadScheduledExecutor(threads("berth-health-timer"));
    this.probes = Executors.newFixedThreadPool(probeThreads, threads("berth-health-probe"));
  }

  /**
   * Starts following the containers of {@code engine}: those running now and those that start from
   * now on. {@code warn} hears of probes that could not run.
   */
  public static HealthScheduler start(Engine engine, int probeThreads, Consumer<String> warn)
      throws BerthException {
    HealthScheduler s;
    try {
      s = new HealthScheduler(engine, probeThreads, warn);
    } catch (IOException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "healthchecks: read the event log: " + e.getMessage(), e);
    }
    // Reading first (a start seen by both is followed once: the later generation wins); a failed
    // scan then closes everything the scheduler opened.
    s.watcher.start();
    try {
      for (ContainerRecord r : engine.list()) {
        if (r.state().status() == ContainerState.Status.RUNNING) s.follow(r);
      }
    } catch (BerthException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** The containers whose probes are scheduled now (ids). */
  public List<String> followed() {
    return List.copyOf(followed.keySet());
  }

  /** Reads the starts as the event log changes, until closed; then closes the log's reader. */
  private void run() {
    try {
      while (!closed) {
        watch();
        try {
          events.changes().await(BACKSTOP_MILLIS);
        } catch (IOException | RuntimeException e) {
          warn.accept("healthchecks: wait for the event log: " + e.getMessage());
          Thread.sleep(BACKSTOP_MILLIS);
        }
      }
    } catch (InterruptedException e) {
      // closed
    } finally {
      events.close();
    }
  }

  private void watch() {
    List<Event> news;
    try {
      news = events.poll();
    } catch (IOException | RuntimeException e) {
      warn.accept("healthchecks: read the event log: " + e.getMessage());
      return;
    }
    for (Event e : news) {
      if (!Event.CONTAINER.equals(e.type()) || !e.action().equals("start")) continue;
      try {
        follow(engine.inspect(e.id()));
      } catch (BerthException ex) {
        // gone again (an --rm container that ended)
      }
    }
  }

  /** Schedules the probes of {@code r} from its start on, ending those of an earlier start. */
  private void follow(ContainerRecord r) {
    Healthcheck h = r.options().healthcheck();
    if (h == null || !h.active()) return;
    long generation = generations.incrementAndGet();
    followed.put(r.id(), generation);
    Instant now = Instant.now();
    schedule(
        r.id(),
        generation,
        HealthSchedule.nextDelayNanos(h, r.state().startedAt(), now, HealthState.STARTING));
  }

  private void schedule(String id, long generation, long delayNanos) {
    try {
      timer.schedule(() -> submit(id, generation), delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  private void submit(String id, long generation) {
    try {
      probes.execute(() -> probe(id, generation));
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  private void probe(String id, long generation) {
    if (!Long.valueOf(generation).equals(followed.get(id))) return;
    ContainerRecord r;
    HealthState state;
    try {
      r = engine.inspect(id);
      if (r.state().status() != ContainerState.Status.RUNNING) {
        // stopped (or paused: docker does not probe a paused container either; its unpause is no
        // start, so it is looked at again at the next interval)
        if (r.state().status() != ContainerState.Status.PAUSED) {
          followed.remove(id, generation);
          return;
        }
        state = engine.health(r).orElse(HealthState.INITIAL);
      } else {
        state = engine.healthcheck(id);
      }
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND
          || e.category() == ErrorCategory.FAILED_PRECONDITION) {
        // removed, or it stopped meanwhile: its next start follows it again
        followed.remove(id, generation);
        return;
      }
      warn.accept("healthcheck of " + id.substring(0, 12) + ": " + e.getMessage());
      state = HealthState.INITIAL;
      try {
        r = engine.inspect(id);
      } catch (BerthException again) {
        followed.remove(id, generation);
        return;
      }
    }
    schedule(
        id,
        generation,
        HealthSchedule.nextDelayNanos(
            r.options().healthcheck(), r.state().startedAt(), Instant.now(), state.status()));
  }

  @Override
  public void close() {
    closed = true;
    events.changes().wakeUp();
    timer.shutdownNow();
    probes.shutdownNow();
    try {
      watcher.join(5_000);
      timer.awaitTermination(5, TimeUnit.SECONDS);
      probes.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    followed.clear();
  }

  private static ThreadFactory threads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
