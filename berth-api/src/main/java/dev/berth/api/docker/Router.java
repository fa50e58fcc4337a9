package dev.berth.api.docker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one route table of the Docker API: method + path pattern to a {@link Handler}. Patterns are
 * segments: literals, {@code {name}} (one segment) and {@code {name*}} (one or more segments, for
 * image names with slashes: {@code /images/{name*}/json}). Paths are matched after the version
 * prefix is taken off ({@link ApiVersions}).
 *
 * <p>Bodies: a route's request body is read whole, up to the server's limit, before its handler
 * runs ({@link Exchange#body()}), unless the route is added with {@link Body#STREAM}: then the
 * handler reads it as it arrives ({@link Exchange#bodyStream()}), as image loads and archive
 * uploads need.
 */
public final class Router {
  /** Handles one request on a worker thread: it may block (engine calls do). */
  @FunctionalInterface
  public interface Handler {
    void handle(Exchange x) throws Exception;
  }

  /** How a route takes its request body. */
  public enum Body {
    /** Read whole and bounded before the handler runs. */
    BOUNDED,
    /** Streamed to the handler, unbounded. */
    STREAM
  }

  /**
   * How long a route's handler may hold its thread: a short call, or a stream whose length the
   * client decides (events, logs -f, attach, wait, exec, stats). Each runs on a pool of its own, so
   * no number of open streams starves short calls ({@link DockerApiServer}).
   */
  public enum Length {
    SHORT,
    STREAM
  }

  /** One route. */
  public record Route(
      String method,
      String pattern,
      List<String> segments,
      Body body,
      Length length,
      Handler handler) {}

  /** A matched route and the values of its path parameters. */
  public record Match(Route route, Map<String, String> params) {}

  private final List<Route> routes = new ArrayList<>();

  public Router get(String pattern, Handler h) {
    return add("GET", pattern, Body.BOUNDED, h);
  }

  public Router head(String pattern, Handler h) {
    return add("HEAD", pattern, Body.BOUNDED, h);
  }

  public Router post(String pattern, Handler h) {
    return add("POST", pattern, Body.BOUNDED, h);
  }

  public Router put(String pattern, Handler h) {
    return add("PUT", pattern, Body.BOUNDED, h);
  }

  public Router delete(String pattern, Handler h) {
    return add("DELETE", pattern, Body.BOUNDED, h);
  }

  /** A route of any method, with its body mode. */
  public Router add(String method, String pattern, Body body, Handler h) {
    return add(method, pattern, body, Length.SHORT, h);
  }

  /**
   * A route whose answer is a stream that lasts as long as its client wants (its body read whole).
   */
  public Router stream(String method, String pattern, Handler h) {
    return add(method, pattern, Body.BOUNDED, Length.STREAM, h);
  }

  /** A route of any method, with its body mode and length. */
  public Router add(String method, String pattern, Body body, Length length, Handler h) {
    routes.add(new Route(method, pattern, split(pattern), body, length, h));
    return this;
  }

  public List<Route> routes() {
    return List.copyOf(routes);
  }

  /**
   * The route for {@code method} and {@code path} (decoded segments), or null; {@link #pathKnown}
   * tells a wrong method from an unknown path.
   */
  public Match match(String method, List<String> path) {
    for (Route r : routes) {
      if (!r.method().equals(method)) continue;
      Map<String, String> params = new LinkedHashMap<>();
      if (match(r.segments(), 0, path, 0, params)) return new Match(r, params);
    }
    return null;
  }

  /** Whether some route of another method has this path. */
  public boolean pathKnown(List<String> path) {
    for (Route r : routes) {
      if (match(r.segments(), 0, path, 0, new LinkedHashMap<>())) return true;
    }
    return false;
  }

  private static boolean match(
      List<String> pattern, int pi, List<String> path, int si, Map<String, String> params) {
    if (pi == pattern.size()) return si == path.size();
    if (si == path.size()) return false;
    String p = pattern.get(pi);
    if (p.startsWith("{") && p.endsWith("*}")) {
      String name = p.substring(1, p.length() - 2);
      // Greedy: the longest run that still lets the rest of the pattern match.
      for (int end = path.size(); end > si; end--) {
        if (match(pattern, pi + 1, path, end, params)) {
          params.put(name, String.join("/", path.subList(si, end)));
          return true;
        }
      }
      return false;
    }
    if (p.startsWith("{") && p.endsWith("}")) {
      if (path.get(si).isEmpty()) return false;
      if (!match(pattern, pi + 1, path, si + 1, params)) return false;
      params.put(p.substring(1, p.length() - 1), path.get(si));
      return true;
    }
    return p.equals(path.get(si)) && match(pattern, pi + 1, path, si + 1, params);
  }

  /** "/images/{name*}/json" to its segments; "/" to none. */
  static List<String> split(String path) {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/", -1)) if (!s.isEmpty()) out.add(s);
    return out;
  }
}
