package dev.berth.engine.network.cni;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Any JSON value as plain Java values (maps in document order, lists, strings, longs, booleans,
 * null), for the parts of a CNI config that belong to a plugin and that the client passes on
 * without knowing them, as libcni does with its {@code map[string]interface{}}. {@link
 * dev.berth.spec.json.JsonWriter#tree} writes such a tree back.
 *
 * <p>{@link JsonReader} does not say what kind of value it is on, so the kinds are tried in turn (a
 * mismatch throws and consumes nothing). Configs are small; a {@code JsonReader.kind()} in
 * berth-spec would remove the probing. Floating-point numbers are refused: no plugin config of ours
 * has one, and the reader cannot return them.
 */
public final class JsonTree {
  private JsonTree() {}

  /** Reads the value the reader is on. */
  public static Object read(JsonReader r) throws SpecException {
    if (r.isNull()) return null;
    try {
      return r.string();
    } catch (SpecException notString) {
      // not a string: try the next kind
    }
    boolean object;
    try {
      object = r.beginObject();
    } catch (SpecException notObject) {
      object = false;
    }
    if (object) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (String f; (f = r.nextField()) != null; ) m.put(f, read(r));
      return m;
    }
    boolean array;
    try {
      array = r.beginArray();
    } catch (SpecException notArray) {
      array = false;
    }
    if (array) {
      List<Object> l = new ArrayList<>();
      while (r.nextElement()) l.add(read(r));
      return l;
    }
    try {
      return r.bool();
    } catch (SpecException notBool) {
      // a number, then
    }
    try {
      return r.int64();
    } catch (SpecException e) {
      throw r.error("unsupported number (only integers are read): " + e.detail());
    }
  }

  /** The object at the reader as a map; an error naming the path when it is not an object. */
  public static Map<String, Object> object(JsonReader r) throws SpecException {
    if (!(read(r) instanceof Map<?, ?> m)) throw r.error("expected object");
    @SuppressWarnings("unchecked")
    Map<String, Object> typed = (Map<String, Object>) m;
    return typed;
  }
}
