package dev.berth.api.cri.streaming;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pending streaming requests, as kubelet's request cache: each under a random token that a
 * client uses once, within its time to live. A full cache (after dropping expired tokens) refuses
 * new requests, so a caller that never connects cannot grow it without bound.
 */
final class TokenCache {
  private record Entry(Object request, Instant expires) {}

  private final SecureRandom random = new SecureRandom();
  private final Map<String, Entry> entries = new LinkedHashMap<>(); // oldest first
  private final int capacity;
  private final Duration ttl;
  private final Clock clock;

  TokenCache(int capacity, Duration ttl, Clock clock) {
    this.capacity = capacity;
    this.ttl = ttl;
    this.clock = clock;
  }

  /** A new token for {@code request}; RESOURCE_EXHAUSTED when the cache is full. */
  synchronized String insert(Object request) throws BerthException {
    Instant now = clock.instant();
    dropExpired(now);
    if (entries.size() >= capacity) {
      throw new BerthException(
          ErrorCategory.RESOURCE_EXHAUSTED,
          "streaming requests: " + capacity + " pending, try again later");
    }
    String token;
    do {
      byte[] b = new byte[12];
      random.nextBytes(b);
      token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    } while (entries.containsKey(token));
    entries.put(token, new Entry(request, now.plus(ttl)));
    return token;
  }

  /** The request under {@code token}, which is gone from now on; null when unknown or expired. */
  synchronized Object consume(String token) {
    Entry e = entries.remove(token);
    if (e == null || !clock.instant().isBefore(e.expires())) return null;
    return e.request();
  }

  synchronized int size() {
    return entries.size();
  }

  private void dropExpired(Instant now) {
    for (Iterator<Entry> i = entries.values().iterator(); i.hasNext(); ) {
      if (now.isBefore(i.next().expires())) return; // the rest are younger
      i.remove();
    }
  }
}
