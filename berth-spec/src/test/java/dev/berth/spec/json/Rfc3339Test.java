package dev.berth.spec.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Rfc3339Test {
  @Test
  void timesAreGosRfc3339Nano() {
    assertEquals(
        "2026-11-23T19:10:22.658909892Z",
        Rfc3339.format(Instant.parse("2026-11-23T19:10:22.658909892Z")));
    assertEquals(
        "2026-11-23T19:10:22.6589Z",
        Rfc3339.format(Instant.parse("2026-11-23T19:10:22.658900000Z")));
    assertEquals("2000-02-29T00:00:00Z", Rfc3339.format(Instant.parse("2000-02-29T00:00:00Z")));
    assertEquals("1970-01-01T00:00:00.000000001Z", Rfc3339.format(Instant.ofEpochSecond(0, 1)));
    DateTimeFormatter iso =
        DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
    Random rnd = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      Instant t = Instant.ofEpochSecond(rnd.nextLong(0, 4_102_444_800L));
      assertEquals(iso.format(t) + "Z", Rfc3339.format(t));
    }
  }

  @Test
  void logTimestampsKeepAllNineDigitsAsDockersDo() {
    assertEquals(
        "2026-12-06T00:27:22.516767970Z",
        Rfc3339.formatFixedNanos(Instant.parse("2026-12-06T00:27:22.51676797Z")));
    assertEquals(
        "2000-02-29T00:00:00.000000000Z",
        Rfc3339.formatFixedNanos(Instant.parse("2000-02-29T00:00:00Z")));
  }

  @Test
  void parsesWhatGoWritesAndRefusesTheRest() {
    assertEquals(
        Instant.parse("2026-11-23T19:10:22.658909892Z"),
        Rfc3339.parse("2026-11-23T19:10:22.658909892Z"));
    assertEquals(Instant.parse("2026-11-23T19:10:22.6Z"), Rfc3339.parse("2026-11-23T19:10:22.6Z"));
    assertEquals(Instant.parse("2026-11-23T17:10:22Z"), Rfc3339.parse("2026-11-23T19:10:22+02:00"));
    assertEquals(Instant.parse("2026-11-23T21:40:22Z"), Rfc3339.parse("2026-11-23T19:10:22-02:30"));
    assertEquals(Instant.parse("2000-02-29T00:00:00Z"), Rfc3339.parse("2000-02-29 00:00:00z"));
    assertEquals(Instant.parse("1969-12-31T23:59:59Z"), Rfc3339.parse("1969-12-31T23:59:59Z"));
    Random rnd = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      Instant t =
          Instant.ofEpochSecond(
              rnd.nextLong(-2_000_000_000L, 4_102_444_800L), rnd.nextInt(1_000_000_000));
      assertEquals(t, Rfc3339.parse(Rfc3339.format(t)));
    }
    for (String bad :
        new String[] {
          "yesterday",
          "2026-13-01T00:00:00Z",
          "2026-02-29T00:00:00Z",
          "2026-01-01T24:00:00Z",
          "2026-01-01T00:00:00",
          "2026-01-01T00:00:00.Z",
          "2026-01-01T00:00:00.1234567890Z",
          "2026-01-01T00:00:00+0200",
          "2026-01-01T00:00:00Zjunk",
          "2026/01/01T00:00:00Z"
        }) {
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> Rfc3339.parse(bad), bad);
      assertEquals(
          "invalid time \"" + bad + "\": want RFC 3339, e.g. 2026-01-02T03:04:05Z", e.getMessage());
    }
  }
}
