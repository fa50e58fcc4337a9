package dev.berth.engine.events;

import dev.berth.engine.EngineException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * docker's event filters ({@code docker events --filter}, the API's {@code filters}): values of one
 * key ORed, different keys ANDed.
 */
public record EventFilter(Map<String, List<String>> byKey) {
  private static final List<String> KEYS =
      List.of("container", "event", "image", "label", "network", "type", "volume");

  public static EventFilter parse(List<String> specs) throws EngineException {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (String f : specs) {
      int eq = f.indexOf('=');
      if (eq <= 0)
        throw EngineException.invalid("bad format of filter (expected name=value): " + f);
      String key = f.substring(0, eq);
      if (!KEYS.contains(key)) throw EngineException.invalid("invalid filter '" + key + "'");
      m.computeIfAbsent(key, k -> new ArrayList<>()).add(f.substring(eq + 1));
    }
    return new EventFilter(m);
  }

  public boolean matches(Event e) {
    for (Map.Entry<String, List<String>> k : byKey.entrySet()) {
      boolean any = false;
      for (String v : k.getValue()) any |= matches(k.getKey(), v, e);
      if (!any) return false;
    }
    return true;
  }

  private static boolean matches(String key, String v, Event e) {
    return switch (key) {
      case "container" ->
          e.type().equals(Event.CONTAINER)
                  && (e.id().startsWith(v) || v.equals(e.attributes().get("name")))
              || v.equals(e.attributes().get("container"));
      case "network", "volume" ->
          e.type().equals(key) && (e.id().startsWith(v) || v.equals(e.attributes().get("name")));
      // "exec_start" matches "exec_start: sh -c ...", as docker's
      case "event" -> e.action().equals(v) || e.action().startsWith(v + ":");
      case "image" ->
          v.equals(e.attributes().get("image"))
              || e.type().equals(Event.IMAGE)
                  && (e.id().equals(v) || v.equals(e.attributes().get("name")));
      case "label" -> {
        int eq = v.indexOf('=');
        String got = e.attributes().get(eq < 0 ? v : v.substring(0, eq));
        yield got != null && (eq < 0 || got.equals(v.substring(eq + 1)));
      }
      case "type" -> e.type().equals(v);
      default -> false;
    };
  }
}
