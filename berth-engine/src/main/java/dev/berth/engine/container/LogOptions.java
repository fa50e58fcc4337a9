package dev.berth.engine.container;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.error.Printable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A container's log driver and its options ({@code --log-driver}, {@code --log-opt};
 * HostConfig.LogConfig). berth keeps a container's output in one log, rotated by size, which {@code
 * logs} and attach read: docker's json-file and local drivers are that log with their max-size and
 * max-file, none keeps no log. Other drivers (syslog, journald, fluentd...) are refused rather than
 * given a log they did not ask for.
 *
 * @param driver "json-file", "local" or "none"
 * @param options the options as given (inspect shows them)
 */
public record LogOptions(String driver, Map<String, String> options) {
  /** The drivers docker has that berth does not: named so in the refusal. */
  private static final Set<String> DOCKERS =
      Set.of(
          "syslog",
          "journald",
          "gelf",
          "fluentd",
          "awslogs",
          "splunk",
          "etwlogs",
          "gcplogs",
          "logentries");

  /** json-file's options (docker's list); local takes max-size, max-file and compress. */
  private static final Set<String> JSON_FILE =
      Set.of(
          "max-size", "max-file", "compress", "labels", "labels-regex", "env", "env-regex", "tag");

  private static final Set<String> LOCAL = Set.of("max-size", "max-file", "compress");

  /** What only tells a driver's other readers about the container: berth's log has no place. */
  private static final Set<String> METADATA =
      Set.of("labels", "labels-regex", "env", "env-regex", "tag");

  public LogOptions {
    options =
        options == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
  }

  /**
   * The driver {@code driver} (empty: json-file, docker's default) with {@code options}, checked
   * with docker's words: an unknown driver or option, a bad size or count, is INVALID_ARGUMENT.
   */
  public static LogOptions of(String driver, Map<String, String> options) throws BerthException {
    String d = driver == null || driver.isEmpty() ? "json-file" : driver;
    Map<String, String> o = options == null ? Map.of() : options;
    Set<String> known =
        switch (d) {
          case "json-file" -> JSON_FILE;
          case "local" -> LOCAL;
          case "none" -> Set.of();
          default -> {
            if (DOCKERS.contains(d))
              throw invalid(
                  "log driver " + d + " is not supported by berth (json-file, local and none are)");
            throw invalid(
                "logger: no log driver named '" + Printable.of(d, 100) + "' is registered");
          }
        };
    for (String k : o.keySet()) {
      if (!known.contains(k))
        throw invalid("unknown log opt '" + Printable.of(k, 100) + "' for " + d + " log driver");
    }
    String compress = o.get("compress");
    if (compress != null
        && !Set.of("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False")
            .contains(compress))
      throw invalid("compress: not a boolean: " + Printable.of(compress, 50));
    LogOptions l = new LogOptions(d, o);
    l.maxSize();
    l.maxFiles();
    return l;
  }

  /** Whether the container keeps no log (driver none). */
  public boolean none() {
    return driver.equals("none");
  }

  /** max-size in bytes, or null when not given (the engine's). */
  public Long maxSize() throws BerthException {
    String v = options.get("max-size");
    if (v == null) return null;
    long n = DockerFlags.bytes(v);
    if (n < 1) throw invalid("max-size: must be a positive size, not " + Printable.of(v, 50));
    return n;
  }

  /** max-file, or null when not given (the engine's). */
  public Integer maxFiles() throws BerthException {
    String v = options.get("max-file");
    if (v == null) return null;
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw invalid("max-file: not a number: " + Printable.of(v, 50));
    }
    if (n < 1) throw invalid("max-file cannot be less than 1");
    return n;
  }

  /**
   * What is accepted and not done, as lines for the create answer's Warnings: compression of the
   * rotated files, and the metadata other readers of docker's log would get.
   */
  public List<String> warnings() {
    List<String> out = new ArrayList<>();
    String compress = options.get("compress");
    if (compress != null && Set.of("1", "t", "T", "TRUE", "true", "True").contains(compress))
      out.add("LogConfig compress=true is not supported by berth: rotated logs stay uncompressed.");
    for (String k : options.keySet()) {
      if (METADATA.contains(k))
        out.add("LogConfig " + k + " is not supported by berth: log records carry no metadata.");
    }
    return out;
  }

  private static BerthException invalid(String message) {
    return new BerthException(ErrorCategory.INVALID_ARGUMENT, message);
  }
}
