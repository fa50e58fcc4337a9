package dev.berth.api.cri.streaming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The token cache's rules, on a clock the test moves: one use, a time to live, a bound. */
class TokenCacheTest {
  /** A clock that moves only when told. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void aTokenIsUsedOnceAndExpiresAfterItsTimeToLive() throws Exception {
    ManualClock clock = new ManualClock();
    TokenCache cache = new TokenCache(10, Duration.ofMinutes(1), clock);
    String a = cache.insert("a");
    String b = cache.insert("b");
    assertNotEquals(a, b);
    assertEquals("a", cache.consume(a));
    assertNull(cache.consume(a), "used");
    clock.now = clock.now.plusSeconds(60);
    assertNull(cache.consume(b), "expired");
    assertNull(cache.consume("nosuchtoken"));
  }

  @Test
  void aFullCacheRefusesUntilTokensExpire() throws Exception {
    ManualClock clock = new ManualClock();
    TokenCache cache = new TokenCache(3, Duration.ofMinutes(1), clock);
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < 3; i++) tokens.add(cache.insert(i));
    BerthException e = assertThrows(BerthException.class, () -> cache.insert("more"));
    assertEquals(ErrorCategory.RESOURCE_EXHAUSTED, e.category());
    clock.now = clock.now.plusSeconds(61);
    cache.insert("more"); // the expired ones made room
    assertEquals(1, cache.size());
  }

  @Test
  void resizesAreParsedAcrossSplitsAndBadObjectsAreSkipped() {
    List<TerminalSize> got = new ArrayList<>();
    ResizeDecoder d = new ResizeDecoder(got::add);
    d.feed("{\"Width\":80,\"He".getBytes());
    d.feed("ight\":24}\n{\"Width\":\"x\"}{\"Width\":0,\"Height\":1}".getBytes());
    d.feed("{\"Height\":50,\"Width\":200,\"Other\":{\"a\":\"}\"}}".getBytes());
    assertEquals(List.of(new TerminalSize(80, 24), new TerminalSize(200, 50)), got);
  }
}
