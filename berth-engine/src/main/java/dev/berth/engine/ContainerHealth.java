package dev.berth.engine;

import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.health.HealthFile;
import dev.berth.engine.health.HealthSchedule;
import dev.berth.engine.health.HealthState;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.image.dirs.LockFile;
import dev.berth.runtime.driver.ExecResult;
import dev.berth.runtime.driver.Stdio;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.image.Healthcheck;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * docker's healthcheck probes: one run of a container's test as an exec in it (output of stdout and
 * stderr together, its first {@link #MAX_OUTPUT} bytes kept; killed at its timeout), its result
 * folded into the state kept in {@link HealthFile}, a {@code health_status} event on a change.
 */
final class ContainerHealth {
  /** docker keeps 4096 bytes of a probe's output. */
  static final int MAX_OUTPUT = 4096;

  private final Engine engine;
  private final ContainerExec execs;

  ContainerHealth(Engine engine, ContainerExec execs) {
    this.engine = engine;
    this.execs = execs;
  }

  /** The state of {@code r}: kept, else "starting" for a container with an active healthcheck. */
  Optional<HealthState> state(ContainerRecord r) {
    return ContainerViews.health(r, engine.containers().containerDir(r.id()));
  }

  /** At a (re)start: "starting" again, the streak ended, the log kept. */
  void restarted(ContainerRecord r) {
    Healthcheck h = r.options().healthcheck();
    if (h == null || !h.active()) return;
    Path dir = engine.containers().containerDir(r.id());
    try {
      HealthFile.write(dir, HealthFile.read(dir).orElse(HealthState.INITIAL).restarted());
    } catch (IOException e) {
      // the first probe writes it; until then it reads as "starting"
    }
  }

  /** Runs one probe of running container {@code r} and records its result. */
  HealthState probe(ContainerRecord r) throws BerthException {
    Healthcheck h = r.options().healthcheck();
    Instant start = Instant.now();
    HealthState.Probe p = run(r, h);
    boolean inStart = HealthSchedule.inStartPeriod(h, r.state().startedAt(), start);
    Path dir = engine.containers().containerDir(r.id());
    HealthState before;
    HealthState after;
    try (LockFile lock = engine.containers().lock(r.id())) {
      before = state(r).orElse(HealthState.INITIAL);
      // A probe that outlived its run (the container stopped, or stopped and started again while
      // it ran) says nothing of the run there is now: dropped.
      ContainerRecord now = engine.containers().get(r.id());
      if (now.state().status() != dev.berth.engine.store.ContainerState.Status.RUNNING
          || !java.util.Objects.equals(now.state().startedAt(), r.state().startedAt())) {
        return before;
      }
      after = before.after(p, h.retriesOrDefault(), inStart);
      try {
        HealthFile.write(dir, after);
      } catch (IOException e) {
        throw EngineException.internal(
            "container " + r.shortId() + ": write " + HealthFile.NAME + ": " + e.getMessage(), e);
      }
    }
    if (!after.status().equals(before.status())) {
      engine.event("health_status: " + after.status(), r, Map.of(), p.end());
    }
    return after;
  }

  private HealthState.Probe run(ContainerRecord r, Healthcheck h) throws BerthException {
    Engine.Layout l = engine.layout(r.id());
    Path fifo =
        l.runDir()
            .resolve("health-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".out");
    long timeout = h.timeoutOrDefault();
    ExecSignals signals = new ExecSignals();
    Instant start = Instant.now();
    try (OutputHead head = OutputHead.open(fifo)) {
      Watchdog dog = new Watchdog(signals, timeout);
      ExecResult result;
      try {
        result =
            execs.run(
                r,
                new ExecOptions(h.argv(), null, null, null, false, 0, 0, false, false),
                new Stdio(Path.of("/dev/null"), fifo, fifo),
                null,
                signals);
      } catch (ExecFailedException e) {
        return new HealthState.Probe(
            start, Instant.now(), HealthState.PROBE_FAILED, e.getMessage());
      } finally {
        dog.done();
      }
      Instant end = Instant.now();
      if (dog.fired()) {
        return new HealthState.Probe(
            start,
            end,
            HealthState.PROBE_FAILED,
            "Health check exceeded timeout (" + Duration.ofNanos(timeout).toMillis() + "ms)");
      }
      return new HealthState.Probe(start, end, result.exitCode(), head.finish());
    } catch (IOException e) {
      throw EngineException.internal(
          "healthcheck of container " + r.shortId() + ": its output: " + e.getMessage(), e);
    }
  }

  /**
   * A probe's stdout and stderr: a FIFO in the container's run directory, read while the probe
   * runs, its first {@link #MAX_OUTPUT} bytes kept and the rest discarded (as docker's bounded
   * buffer): a probe that writes without end fills no file. Closing removes the FIFO.
   */
  private static final class OutputHead implements AutoCloseable {
    private final Path path;
    private final Fd fd;
    private final Thread reader;
    private final java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
    private volatile boolean execEnded;

    private OutputHead(Path path, Fd fd) {
      this.path = path;
      this.fd = fd;
      this.reader = Thread.ofVirtual().name("berth-health-output").start(this::drain);
    }

    static OutputHead open(Path path) throws IOException {
      Files.createDirectories(path.getParent());
      Linux.mkfifo(path.toString(), 0600);
      try {
        // Non-blocking: the open returns before the runtime opens the writing end, and a read
        // finds "nothing now" instead of waiting for it.
        return new OutputHead(
            path,
            Linux.open(
                path.toString(),
                LinuxConstants.O_RDONLY | LinuxConstants.O_NONBLOCK | LinuxConstants.O_CLOEXEC,
                0));
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(path);
        throw e;
      }
    }

    /**
     * Reads until the exec has returned and the pipe is empty: before the writer opens and after it
     * closes a read gives 0, so the exec's end, not the read, says when output is over.
     */
    private void drain() {
      ByteBuffer buf = ByteBuffer.allocateDirect(16 * 1024);
      try {
        while (true) {
          boolean last = execEnded;
          buf.clear();
          int n;
          try {
            n = Linux.read(fd, buf);
          } catch (ErrnoException e) {
            if (e.errno() != LinuxConstants.EAGAIN) return;
            n = 0;
          }
          if (n > 0) {
            int keep = Math.min(n, MAX_OUTPUT - kept.size());
            for (int i = 0; i < keep; i++) kept.write(buf.get(i));
            continue;
          }
          if (last) return;
          Thread.sleep(10);
        }
      } catch (InterruptedException e) {
        // closed
      }
    }

    /** The output kept, once the exec has returned. */
    String finish() {
      execEnded = true;
      join();
      return kept.toString(StandardCharsets.UTF_8);
    }

    private void join() {
      try {
        reader.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() throws IOException {
      execEnded = true;
      join();
      fd.close();
      Files.deleteIfExists(path);
    }
  }

  /**
   * Kills the probe's process at its timeout: a virtual thread that sleeps until then, and then
   * sends SIGKILL until the exec returns (the pid appears once the process runs).
   */
  private static final class Watchdog {
    private final Thread thread;
    private volatile boolean done;
    private volatile boolean fired;

    Watchdog(ExecSignals signals, long timeoutNanos) {
      thread =
          Thread.ofVirtual()
              .name("berth-health-timeout")
              .start(
                  () -> {
                    try {
                      Thread.sleep(Duration.ofNanos(timeoutNanos));
                      while (!done) {
                        fired = true;
                        signals.send(LinuxConstants.SIGKILL);
                        Thread.sleep(20);
                      }
                    } catch (InterruptedException e) {
                      // the probe ended first
                    }
                  });
    }

    void done() {
      done = true;
      thread.interrupt();
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    boolean fired() {
      return fired;
    }
  }
}
