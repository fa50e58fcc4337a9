package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Rfc3339Test {
  @Test
  void timesAreGosRfc3339Nano() {
    assertEquals("2026-11-23T19:10:22.658909892Z", Rfc3339.format(Instant.parse("2026-11-23T19:10:22.658909892Z")));
    assertEquals("2026-11-23T19:10:22.6589Z", Rfc3339.format(Instant.parse("2026-11-23T19:10:22.658900000Z")));
    assertEquals("2000-02-29T00:00:00Z", Rfc3339.format(Instant.parse("2000-02-29T00:00:00Z")));
    assertEquals("1970-01-01T00:00:00.000000001Z", Rfc3339.format(Instant.ofEpochSecond(0, 1)));
    DateTimeFormatter iso = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
    Random rnd = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      Instant t = Instant.ofEpochSecond(rnd.nextLong(0, 4_102_444_800L));
      assertEquals(iso.format(t) + "Z", Rfc3339.format(t));
    }
  }
}
