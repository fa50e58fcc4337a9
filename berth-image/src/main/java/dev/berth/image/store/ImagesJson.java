package dev.berth.image.store;

import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageJson;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import java.time.Instant;
import java.util.Collection;
import java.util.TreeMap;

/**
 * The format of {@code images.json}:
 *
 * <pre>{@code
 * {"version": 1, "images": [{"name": "..", "target": {<descriptor>}, "config": "sha256:..", "created": "<RFC 3339>"}]}
 * }</pre>
 *
 * Descriptors are written as image-spec descriptors, so the file reads like the rest of an OCI
 * layout.
 */
final class ImagesJson {
  static final int VERSION = 1;

  private ImagesJson() {}

  static byte[] write(Collection<ImageRecord> images) {
    JsonWriter w = new JsonWriter(JsonWriter.TWO_SPACES);
    w.beginObject().field("version", VERSION).name("images").beginArray();
    for (ImageRecord r : images) {
      w.beginObject().field("name", r.name()).name("target");
      ImageJson.writeDescriptor(w, r.target());
      if (r.config() != null) {
        w.field("config", r.config().toString());
      }
      w.field("created", Rfc3339.format(r.created())).endObject();
    }
    w.endArray().endObject();
    byte[] json = w.toByteArray();
    byte[] withNewline = java.util.Arrays.copyOf(json, json.length + 1);
    withNewline[json.length] = '\n';
    return withNewline;
  }

  /** Parses the file; {@code source} (its path) and the field path prefix every error. */
  static TreeMap<String, ImageRecord> read(byte[] json, String source) throws SpecException {
    TreeMap<String, ImageRecord> images = new TreeMap<>();
    JsonReader r = JsonReader.of(json, source);
    if (!r.beginObject()) {
      throw r.error("expected object, got null");
    }
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "version" -> {
          int v = r.int32();
          if (v != VERSION) {
            throw r.error(
                "unsupported version " + v + " (this berth reads version " + VERSION + ")");
          }
        }
        case "images" -> {
          if (r.beginArray()) {
            while (r.nextElement()) {
              ImageRecord rec = record(r);
              if (images.putIfAbsent(rec.name(), rec) != null) {
                throw r.error("duplicate image name \"" + rec.name() + "\"");
              }
            }
          }
        }
        default -> r.skip();
      }
    }
    r.end();
    return images;
  }

  private static ImageRecord record(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      throw r.error("expected object, got null");
    }
    String name = "";
    Descriptor target = null;
    Digest config = null;
    Instant created = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "name" -> name = r.string();
        case "target" -> target = ImageJson.readDescriptor(r);
        case "config" -> config = r.isNull() ? null : digest(r);
        case "created" -> {
          String s = r.string();
          try {
            created = Rfc3339.parse(s);
          } catch (IllegalArgumentException e) {
            throw r.error(e.getMessage());
          }
        }
        default -> r.skip();
      }
    }
    if (name.isEmpty()) {
      throw r.error("name is required");
    }
    if (target == null) {
      throw r.error("target is required");
    }
    if (created == null) {
      throw r.error("created is required");
    }
    return new ImageRecord(name, target, config, created);
  }

  private static Digest digest(JsonReader r) throws SpecException {
    String s = r.string();
    try {
      return Digest.parse(s);
    } catch (IllegalArgumentException e) {
      throw r.error(e.getMessage());
    }
  }
}
