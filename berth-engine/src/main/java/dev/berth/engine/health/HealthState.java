package dev.berth.engine.health;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * docker's State.Health of a container: its status, the failures in a row, the last probes.
 *
 * @param status {@link #STARTING}, {@link #HEALTHY} or {@link #UNHEALTHY}
 * @param failingStreak consecutive failed probes that counted (not those of the start period)
 * @param log the last {@link #MAX_LOG} probes, oldest first
 */
public record HealthState(String status, int failingStreak, List<Probe> log) {
  public static final String STARTING = "starting";
  public static final String HEALTHY = "healthy";
  public static final String UNHEALTHY = "unhealthy";

  /** docker keeps the last five probes. */
  public static final int MAX_LOG = 5;

  /** docker's exit code of a probe that could not run or exceeded its timeout. */
  public static final int PROBE_FAILED = -1;

  /** The state of a container that has just started. */
  public static final HealthState INITIAL = new HealthState(STARTING, 0, List.of());

  public HealthState {
    if (!status.equals(STARTING) && !status.equals(HEALTHY) && !status.equals(UNHEALTHY)) {
      throw new IllegalArgumentException("health status: \"" + status + "\"");
    }
    log = List.copyOf(log);
  }

  /**
   * One probe: when it ran, its exit code (0 healthy; {@link #PROBE_FAILED} when it did not finish)
   * and its first {@code HealthProbe.MAX_OUTPUT} bytes of output.
   */
  public record Probe(Instant start, Instant end, int exitCode, String output) {}

  /** The state at a (re)start: "starting", no failures counted, the log kept (docker's). */
  public HealthState restarted() {
    return new HealthState(STARTING, 0, log);
  }

  /**
   * docker's rule: a probe that exits 0 makes the container healthy and ends the streak; a failure
   * counts unless the container is still starting within its start period, and {@code retries}
   * counted failures in a row make it unhealthy.
   *
   * @param inStartPeriod whether the probe started within the start period after the start
   */
  public HealthState after(Probe p, int retries, boolean inStartPeriod) {
    List<Probe> next = new ArrayList<>(log);
    next.add(p);
    while (next.size() > MAX_LOG) next.removeFirst();
    if (p.exitCode() == 0) return new HealthState(HEALTHY, 0, next);
    if (status.equals(STARTING) && inStartPeriod)
      return new HealthState(status, failingStreak, next);
    int streak = failingStreak + 1;
    return new HealthState(streak >= retries ? UNHEALTHY : status, streak, next);
  }
}
