package dev.berth.engine.health;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.spec.image.Healthcheck;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The delay between probes is never under docker's 1ms, whatever a record says. */
class HealthScheduleTest {
  @Test
  void aNanosecondIntervalOrStartIntervalInARecordStillWaitsAMillisecond() {
    Instant started = Instant.now();
    Healthcheck h = new Healthcheck(List.of("CMD", "true"), 1, 1, 60_000_000_000L, 1, 0);
    assertEquals(
        1_000_000L, HealthSchedule.nextDelayNanos(h, started, started, HealthState.STARTING));
    assertEquals(
        1_000_000L, HealthSchedule.nextDelayNanos(h, started, started, HealthState.HEALTHY));
    Healthcheck sound = new Healthcheck(List.of("CMD", "true"), 0, 0, 0, 0, 0);
    assertEquals(
        Healthcheck.DEFAULT_INTERVAL,
        HealthSchedule.nextDelayNanos(sound, started, started, HealthState.STARTING));
  }
}
