package dev.berth.engine;

import dev.berth.engine.container.DockerFlags;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.spec.error.BerthException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * docker's container filters as {@code key=value} strings ({@code ps --filter}, {@code container
 * prune --filter}, the Engine API's {@code filters}): values of one key are ORed, keys ANDed, as
 * dockerd does. One parser for the CLI and the API.
 */
public final class ContainerFilters {
  private ContainerFilters() {}

  /** The keys of {@code docker ps} / {@code GET /containers/json}. */
  public static final List<String> LIST =
      List.of("id", "name", "label", "label!", "status", "ancestor", "exited", "network", "health");

  /** The keys of {@code docker container prune}. */
  public static final List<String> PRUNE = List.of("label", "label!", "until");

  /**
   * The predicate of {@code filters} ({@code key=value} each), only {@code allowed} keys;
   * INVALID_ARGUMENT names a malformed or unknown one.
   */
  public static Predicate<ContainerRecord> parse(List<String> filters, List<String> allowed)
      throws BerthException {
    return parse(filters, allowed, r -> NO_HEALTHCHECK);
  }

  /** docker's health filter value of a container without a healthcheck. */
  public static final String NO_HEALTHCHECK = "none";

  /**
   * {@link #parse(List, List)}, with {@code health} giving a container's health status for the
   * {@code health} key (starting, healthy, unhealthy, or {@link #NO_HEALTHCHECK}).
   */
  public static Predicate<ContainerRecord> parse(
      List<String> filters, List<String> allowed, Function<ContainerRecord, String> health)
      throws BerthException {
    Map<String, List<Predicate<ContainerRecord>>> byKey = new LinkedHashMap<>();
    for (String f : filters) {
      int eq = f.indexOf('=');
      if (eq <= 0)
        throw EngineException.invalid("bad format of filter (expected name=value): " + f);
      String key = f.substring(0, eq);
      if (!allowed.contains(key)) throw EngineException.invalid("invalid filter '" + key + "'");
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(one(key, f.substring(eq + 1), health));
    }
    List<Predicate<ContainerRecord>> all = new ArrayList<>();
    for (var e : byKey.entrySet()) {
      List<Predicate<ContainerRecord>> any = e.getValue();
      // label! values exclude each: all of them must hold, as for label.
      boolean and = e.getKey().startsWith("label");
      all.add(
          r -> and ? any.stream().allMatch(p -> p.test(r)) : any.stream().anyMatch(p -> p.test(r)));
    }
    return r -> all.stream().allMatch(p -> p.test(r));
  }

  /** Whether a status or exited filter is among {@code filters}: ps then lists stopped ones too. */
  public static boolean selectsStatus(List<String> filters) {
    for (String f : filters) {
      if (f.startsWith("status=") || f.startsWith("exited=")) return true;
    }
    return false;
  }

  private static Predicate<ContainerRecord> one(
      String key, String value, Function<ContainerRecord, String> health) throws BerthException {
    return switch (key) {
      case "health" -> {
        if (!List.of("starting", "healthy", "unhealthy", NO_HEALTHCHECK).contains(value)) {
          throw EngineException.invalid(
              "Unrecognised filter value for health: "
                  + value
                  + " (want starting, healthy, unhealthy or none)");
        }
        yield r -> health.apply(r).equals(value);
      }
      case "id" -> r -> r.id().startsWith(value);
      case "name" -> r -> r.name().contains(value.startsWith("/") ? value.substring(1) : value);
      case "label" -> r -> labelMatches(r.options().labels(), value);
      case "label!" -> r -> !labelMatches(r.options().labels(), value);
      case "status" -> {
        if (!List.of("created", "restarting", "running", "removing", "paused", "exited", "dead")
            .contains(value)) {
          throw EngineException.invalid(
              "invalid filter 'status="
                  + value
                  + "' (want created, restarting, running, removing, paused, exited or dead)");
        }
        yield r -> r.state().status().word().equals(value);
      }
      case "ancestor" ->
          r ->
              r.imageRef().equals(value)
                  || r.imageId().equals(value)
                  || r.imageId().startsWith("sha256:" + value);
      case "exited" ->
          r ->
              r.state().status() == Status.EXITED
                  && Integer.toString(r.state().exitCode()).equals(value);
      case "network" -> r -> ContainerViews.networkNames(r).contains(value);
      case "until" -> {
        Instant until = DockerFlags.time(value);
        yield r -> r.created().isBefore(until);
      }
      default -> throw EngineException.invalid("invalid filter '" + key + "'");
    };
  }

  /** {@code K} or {@code K=V} against {@code labels}. */
  public static boolean labelMatches(Map<String, String> labels, String filter) {
    int eq = filter.indexOf('=');
    String k = eq < 0 ? filter : filter.substring(0, eq);
    String v = labels.get(k);
    return v != null && (eq < 0 || v.equals(filter.substring(eq + 1)));
  }
}
