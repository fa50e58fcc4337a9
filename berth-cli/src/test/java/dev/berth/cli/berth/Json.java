package dev.berth.cli.berth;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * berth's JSON output read back with berth-spec's JsonReader into maps, lists, strings, longs, booleans and nulls, so
 * tests can assert on fields and on null versus [] (the reader has no "what is next" call: each kind is tried in turn,
 * a mismatch does not move the reader).
 */
final class Json {
  private Json() {}

  /** Parses a whole document; malformed JSON or trailing bytes fail the test with the reader's position. */
  static Object parse(String json) {
    try {
      JsonReader r = JsonReader.of(json.getBytes(StandardCharsets.UTF_8), "berth output");
      Object v = value(r);
      r.end();
      return v;
    } catch (SpecException e) {
      throw new AssertionError("not valid JSON: " + e.getMessage() + "\n" + json, e);
    }
  }

  @SuppressWarnings("unchecked")
  static List<Object> array(Object v) {
    return (List<Object>) v;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Object v) {
    return (Map<String, Object>) v;
  }

  private static Object value(JsonReader r) throws SpecException {
    if (r.isNull()) return null;
    if (enters(r, true)) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (String f; (f = r.nextField()) != null; ) m.put(f, value(r));
      return m;
    }
    if (enters(r, false)) {
      List<Object> l = new ArrayList<>();
      while (r.nextElement()) l.add(value(r));
      return l;
    }
    try {
      return r.string();
    } catch (SpecException notString) {
      // a boolean or a number
    }
    try {
      return r.bool();
    } catch (SpecException notBool) {
      return r.int64();
    }
  }

  /** Enters an object (or array) when the reader is on one; a mismatch leaves the reader where it was. */
  private static boolean enters(JsonReader r, boolean object) {
    try {
      return object ? r.beginObject() : r.beginArray();
    } catch (SpecException other) {
      return false;
    }
  }
}
