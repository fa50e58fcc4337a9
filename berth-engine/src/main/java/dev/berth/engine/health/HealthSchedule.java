package dev.berth.engine.health;

import dev.berth.spec.image.Healthcheck;
import java.time.Duration;
import java.time.Instant;

/**
 * When a container's probes run: docker's intervals, the start interval within the start period.
 */
public final class HealthSchedule {
  private HealthSchedule() {}

  /** Whether {@code t} lies within the start period of a container started at {@code startedAt}. */
  public static boolean inStartPeriod(Healthcheck h, Instant startedAt, Instant t) {
    return startedAt != null
        && h.startPeriod() > 0
        && t.isBefore(startedAt.plus(Duration.ofNanos(h.startPeriod())));
  }

  /**
   * Nanoseconds from {@code now} to the next probe: the start interval while the container is still
   * starting within its start period (when one is set), else the interval.
   */
  public static long nextDelayNanos(Healthcheck h, Instant startedAt, Instant now, String status) {
    long delay =
        h.startInterval() > 0
                && HealthState.STARTING.equals(status)
                && inStartPeriod(h, startedAt, now)
            ? h.startInterval()
            : h.intervalOrDefault();
    // never back to back, whatever a record says (one written before images' sub-millisecond
    // durations were dropped at create, or by hand): at least docker's 1ms minimum between probes
    return Math.max(delay, Healthcheck.MIN_DURATION);
  }
}
