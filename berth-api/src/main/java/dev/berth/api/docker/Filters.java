package dev.berth.api.docker;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * docker's {@code filters} query parameter: a JSON object from a key to its values, either as a
 * list ({@code {"label":["a=b"]}}, old clients) or as a set ({@code {"label":{"a=b":true}}}, what
 * docker's Go client sends). Values of one key are ORed, different keys ANDed, by the callers.
 */
public record Filters(Map<String, List<String>> byKey) {
  public static final Filters NONE = new Filters(Map.of());

  public static Filters parse(String json) throws ApiError {
    if (json == null || json.isBlank()) return NONE;
    Map<String, List<String>> m = new LinkedHashMap<>();
    try (JsonReader r = JsonReader.of(json.getBytes(StandardCharsets.UTF_8), "filters")) {
      if (!r.beginObject()) return NONE;
      for (String k; (k = r.nextField()) != null; ) {
        List<String> values = m.computeIfAbsent(k, x -> new ArrayList<>());
        if (r.isNull()) {
          r.skip();
        } else if (r.isArray()) {
          r.beginArray();
          while (r.nextElement()) values.add(r.string());
        } else if (r.beginObject()) {
          for (String v; (v = r.nextField()) != null; ) {
            if (r.bool()) values.add(v);
          }
        }
      }
    } catch (SpecException e) {
      throw ApiError.badRequest("invalid filters: " + e.getMessage());
    }
    return new Filters(m);
  }

  /** The values of {@code key} (empty when absent). */
  public List<String> get(String key) {
    List<String> v = byKey.get(key);
    return v == null ? List.of() : v;
  }

  public boolean has(String key) {
    return !get(key).isEmpty();
  }

  /** Refuses keys outside {@code allowed}, with dockerd's message (400). */
  public Filters only(Collection<String> allowed) throws ApiError {
    for (String k : byKey.keySet()) {
      if (!allowed.contains(k)) throw ApiError.badRequest("invalid filter '" + k + "'");
    }
    return this;
  }

  /** The {@code key=value} strings of every filter, as the CLI's own filter parsers take them. */
  public List<String> asFlags() {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : byKey.entrySet())
      for (String v : e.getValue()) out.add(e.getKey() + "=" + v);
    return out;
  }

  /**
   * docker's label filter over {@code labels}: every {@code label} value ({@code key} or {@code
   * key=value}) must match, and no {@code label!} value.
   */
  public boolean labelsMatch(Map<String, String> labels) {
    for (String want : get("label")) if (!labelMatches(labels, want)) return false;
    for (String not : get("label!")) if (labelMatches(labels, not)) return false;
    return true;
  }

  static boolean labelMatches(Map<String, String> labels, String want) {
    int eq = want.indexOf('=');
    if (eq < 0) return labels.containsKey(want);
    String v = labels.get(want.substring(0, eq));
    return v != null && v.equals(want.substring(eq + 1));
  }
}
