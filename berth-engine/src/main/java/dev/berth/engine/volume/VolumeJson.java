package dev.berth.engine.volume;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The format of {@code volume.json}: name, driver, created, labels, options, anonymous,
 * needsCopyUp. Unknown fields are ignored, missing ones defaulted; the mountpoint is where the file
 * is, not what it says.
 */
final class VolumeJson {
  static final int VERSION = 1;

  private VolumeJson() {}

  static byte[] write(Volume v) {
    JsonWriter w = new JsonWriter(JsonWriter.TWO_SPACES);
    w.beginObject()
        .field("version", VERSION)
        .field("name", v.name())
        .field("driver", v.driver())
        .field("created", Rfc3339.format(v.created()));
    map(w.name("labels"), v.labels());
    map(w.name("options"), v.options());
    w.field("anonymous", v.anonymous()).field("needsCopyUp", v.needsCopyUp()).endObject();
    byte[] json = w.toByteArray();
    byte[] out = java.util.Arrays.copyOf(json, json.length + 1);
    out[json.length] = '\n';
    return out;
  }

  private static void map(JsonWriter w, Map<String, String> map) {
    w.beginObject();
    for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet())
      w.field(e.getKey(), e.getValue());
    w.endObject();
  }

  static Volume read(byte[] json, String source, Path mountpoint) throws SpecException {
    JsonReader r = JsonReader.of(json, source);
    if (!r.beginObject()) throw r.error("expected object, got null");
    String name = null;
    String driver = Volume.LOCAL;
    Instant created = null;
    Map<String, String> labels = Map.of();
    Map<String, String> options = Map.of();
    boolean anonymous = false;
    boolean needsCopyUp = false;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "name" -> name = r.string();
        case "driver" -> driver = r.string();
        case "created" -> {
          String s = r.string();
          try {
            created = Rfc3339.parse(s);
          } catch (IllegalArgumentException e) {
            throw r.error(e.getMessage());
          }
        }
        case "labels" -> labels = r.stringMap();
        case "options" -> options = r.stringMap();
        case "anonymous" -> anonymous = r.bool();
        case "needsCopyUp" -> needsCopyUp = r.bool();
        default -> r.skip();
      }
    }
    r.end();
    if (name == null || name.isEmpty()) throw r.error("name is required");
    if (created == null) throw r.error("created is required");
    return new Volume(name, driver, created, labels, options, anonymous, needsCopyUp, mountpoint);
  }
}
