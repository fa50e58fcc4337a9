package dev.berth.spec.image;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import java.util.List;

/**
 * docker's healthcheck of a container (image config's and container config's {@code Healthcheck}):
 * a test command and its timing. Durations are nanoseconds, 0 meaning "not set" (inherited, else
 * docker's default); {@code retries} 0 likewise.
 *
 * @param test empty (inherit), {@code ["NONE"]} (disabled), {@code ["CMD", argv...]} or {@code
 *     ["CMD-SHELL", command]}
 * @param interval between probes (default 30s)
 * @param timeout of one probe (default 30s)
 * @param startPeriod after a start, failures during it do not count (default 0)
 * @param startInterval between probes during the start period (default: the interval)
 * @param retries consecutive failures that make the container unhealthy (default 3)
 */
public record Healthcheck(
    List<String> test,
    long interval,
    long timeout,
    long startPeriod,
    long startInterval,
    int retries) {
  public static final long DEFAULT_INTERVAL = 30_000_000_000L;
  public static final long DEFAULT_TIMEOUT = 30_000_000_000L;
  public static final int DEFAULT_RETRIES = 3;

  /** The test of a disabled healthcheck ({@code --no-healthcheck}, {@code HEALTHCHECK NONE}). */
  public static final Healthcheck NONE = new Healthcheck(List.of("NONE"), 0, 0, 0, 0, 0);

  public Healthcheck {
    test = test == null ? List.of() : List.copyOf(test);
    if (interval < 0 || timeout < 0 || startPeriod < 0 || startInterval < 0 || retries < 0) {
      throw new IllegalArgumentException("healthcheck: durations and retries must be >= 0");
    }
  }

  /**
   * docker's check at create: null when fine, else what is wrong, naming the field (a test kind
   * other than NONE, CMD or CMD-SHELL; a CMD without a command; a duration under 1ms).
   */
  public String problem() {
    if (!test.isEmpty()) {
      String kind = test.getFirst();
      if (!kind.equals("NONE") && !kind.equals("CMD") && !kind.equals("CMD-SHELL")) {
        return "Healthcheck.Test: unknown kind \"" + kind + "\" (NONE, CMD or CMD-SHELL)";
      }
      if (!kind.equals("NONE") && test.size() < 2) {
        return "Healthcheck.Test: " + kind + " without a command";
      }
    }
    if (interval != 0 && interval < MIN_DURATION)
      return "Interval in Healthcheck cannot be less than 1ms";
    if (timeout != 0 && timeout < MIN_DURATION)
      return "Timeout in Healthcheck cannot be less than 1ms";
    if (startPeriod != 0 && startPeriod < MIN_DURATION)
      return "StartPeriod in Healthcheck cannot be less than 1ms";
    if (startInterval != 0 && startInterval < MIN_DURATION)
      return "StartInterval in Healthcheck cannot be less than 1ms";
    return null;
  }

  /** docker's least duration of a healthcheck's fields (1ms), 0 aside. */
  public static final long MIN_DURATION = 1_000_000L;

  /** Whether this healthcheck disables any inherited one. */
  public boolean disabled() {
    return !test.isEmpty() && test.getFirst().equals("NONE");
  }

  /** Whether probes run: a test that is neither missing nor NONE. */
  public boolean active() {
    return !test.isEmpty() && !disabled();
  }

  /** The interval between probes, docker's default when unset. */
  public long intervalOrDefault() {
    return interval > 0 ? interval : DEFAULT_INTERVAL;
  }

  /** The timeout of a probe, docker's default when unset. */
  public long timeoutOrDefault() {
    return timeout > 0 ? timeout : DEFAULT_TIMEOUT;
  }

  /** The failures in a row that make a container unhealthy, docker's default when unset. */
  public int retriesOrDefault() {
    return retries > 0 ? retries : DEFAULT_RETRIES;
  }

  /**
   * docker's merge of a container's healthcheck over its image's: each field set in {@code
   * container} wins, the image's fills the rest; either may be null. Null when neither has one.
   *
   * <p>An image's duration under docker's 1ms minimum (which {@link #problem} enforces on a
   * container's own) counts as unset, so docker's default applies: dockerd takes an image's 1ns
   * interval as it is, and its probes then run back to back, an exec after an exec, for as long as
   * the container runs. The image is not the user's to fix; its other fields still apply.
   */
  public static Healthcheck merge(Healthcheck image, Healthcheck container) {
    if (image != null) image = image.withoutDurationsUnder(MIN_DURATION);
    if (container == null) return image;
    if (image == null) return container;
    return new Healthcheck(
        container.test.isEmpty() ? image.test : container.test,
        container.interval != 0 ? container.interval : image.interval,
        container.timeout != 0 ? container.timeout : image.timeout,
        container.startPeriod != 0 ? container.startPeriod : image.startPeriod,
        container.startInterval != 0 ? container.startInterval : image.startInterval,
        container.retries != 0 ? container.retries : image.retries);
  }

  /** This healthcheck with each duration under {@code min} unset (0); itself when none is. */
  private Healthcheck withoutDurationsUnder(long min) {
    long i = interval < min ? 0 : interval;
    long t = timeout < min ? 0 : timeout;
    long p = startPeriod < min ? 0 : startPeriod;
    long si = startInterval < min ? 0 : startInterval;
    if (i == interval && t == timeout && p == startPeriod && si == startInterval) return this;
    return new Healthcheck(test, i, t, p, si, retries);
  }

  /**
   * The argv a probe runs: CMD's arguments, or CMD-SHELL's command under {@code /bin/sh -c}; empty
   * when no probe runs.
   */
  public List<String> argv() {
    if (!active()) return List.of();
    String kind = test.getFirst();
    List<String> rest = test.subList(1, test.size());
    return switch (kind) {
      case "CMD" -> rest;
      case "CMD-SHELL" -> List.of("/bin/sh", "-c", String.join(" ", rest));
      default -> List.of();
    };
  }

  /** docker's HealthConfig: durations in nanoseconds; null when absent or null. */
  public static Healthcheck read(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    List<String> test = null;
    long interval = 0, timeout = 0, startPeriod = 0, startInterval = 0;
    int retries = 0;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "Test" -> test = r.isNull() ? null : r.strings();
        case "Interval" -> interval = r.int64();
        case "Timeout" -> timeout = r.int64();
        case "StartPeriod" -> startPeriod = r.int64();
        case "StartInterval" -> startInterval = r.int64();
        case "Retries" -> retries = r.int32();
        default -> r.skip();
      }
    }
    try {
      return new Healthcheck(test, interval, timeout, startPeriod, startInterval, retries);
    } catch (IllegalArgumentException e) {
      throw r.error(e.getMessage());
    }
  }

  /** docker's HealthConfig, its zero fields left out as Go's omitempty does. */
  public void write(JsonWriter w) {
    w.beginObject();
    if (!test.isEmpty()) {
      w.name("Test");
      w.beginArray();
      for (String s : test) w.value(s);
      w.endArray();
    }
    if (interval != 0) w.field("Interval", interval);
    if (timeout != 0) w.field("Timeout", timeout);
    if (startPeriod != 0) w.field("StartPeriod", startPeriod);
    if (startInterval != 0) w.field("StartInterval", startInterval);
    if (retries != 0) w.field("Retries", retries);
    w.endObject();
  }
}
