package dev.berth.spec.image;

import dev.berth.spec.json.JsonWriter;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The writers behind {@link ImageJson}: compact JSON with the fields in the order of the
 * image-spec's Go structs and empty optional fields left out as Go's {@code omitempty} does, so
 * that what we write digests the same as what containerd, skopeo and docker write for the same
 * content.
 */
final class ImageJsonWriter {
  private ImageJsonWriter() {}

  static void manifest(JsonWriter w, Manifest m) {
    w.beginObject().field("schemaVersion", m.schemaVersion());
    optional(w, "mediaType", m.mediaType());
    optional(w, "artifactType", m.artifactType());
    w.name("config");
    descriptor(w, m.config());
    w.name("layers");
    descriptors(w, m.layers());
    if (m.subject() != null) {
      w.name("subject");
      descriptor(w, m.subject());
    }
    optionalMap(w, "annotations", m.annotations());
    w.endObject();
  }

  static void index(JsonWriter w, Index index) {
    w.beginObject().field("schemaVersion", index.schemaVersion());
    optional(w, "mediaType", index.mediaType());
    optional(w, "artifactType", index.artifactType());
    w.name("manifests");
    descriptors(w, index.manifests());
    if (index.subject() != null) {
      w.name("subject");
      descriptor(w, index.subject());
    }
    optionalMap(w, "annotations", index.annotations());
    w.endObject();
  }

  static void descriptor(JsonWriter w, Descriptor d) {
    // mediaType has no omitempty in the image-spec's Descriptor: it is always written
    w.beginObject()
        .field("mediaType", d.mediaType())
        .field("digest", d.digest().toString())
        .field("size", d.size());
    optionalList(w, "urls", d.urls());
    optionalMap(w, "annotations", d.annotations());
    if (d.platform() != null) {
      w.name("platform");
      platform(w, d.platform());
    }
    optional(w, "artifactType", d.artifactType());
    w.endObject();
  }

  static void config(JsonWriter w, ImageConfig c) {
    w.beginObject();
    optional(w, "created", c.created());
    optional(w, "author", c.author());
    // the embedded Platform of Go's Image: architecture and os have no omitempty
    w.field("architecture", c.architecture()).field("os", c.os());
    optional(w, "os.version", c.osVersion());
    optionalList(w, "os.features", c.osFeatures());
    optional(w, "variant", c.variant());
    w.name("config"); // a struct in Go, so written even when empty
    containerConfig(w, c.config());
    w.name("rootfs").beginObject().field("type", c.rootfs().type()).name("diff_ids").beginArray();
    for (Digest d : c.rootfs().diffIds()) {
      w.value(d.toString());
    }
    w.endArray().endObject();
    if (!c.history().isEmpty()) {
      w.name("history").beginArray();
      for (ImageConfig.History h : c.history()) {
        w.beginObject();
        optional(w, "created", h.created());
        optional(w, "created_by", h.createdBy());
        optional(w, "author", h.author());
        optional(w, "comment", h.comment());
        if (h.emptyLayer()) {
          w.field("empty_layer", true);
        }
        w.endObject();
      }
      w.endArray();
    }
    w.endObject();
  }

  private static void containerConfig(JsonWriter w, ImageConfig.ContainerConfig c) {
    w.beginObject();
    optional(w, "User", c.user());
    optionalKeys(w, "ExposedPorts", c.exposedPorts());
    optionalList(w, "Env", c.env());
    // Unlike Go's omitempty, an empty (not null) Entrypoint or Cmd is written as []: it means
    // "reset the
    // parent's", which docker keeps apart from "not set".
    if (c.entrypoint() != null) {
      w.name("Entrypoint");
      strings(w, c.entrypoint());
    }
    if (c.cmd() != null) {
      w.name("Cmd");
      strings(w, c.cmd());
    }
    optionalKeys(w, "Volumes", c.volumes());
    optional(w, "WorkingDir", c.workingDir());
    optionalMap(w, "Labels", c.labels());
    optional(w, "StopSignal", c.stopSignal());
    if (c.argsEscaped()) {
      w.field("ArgsEscaped", true);
    }
    if (c.healthcheck() != null) {
      c.healthcheck().write(w.name("Healthcheck"));
    }
    w.endObject();
  }

  private static void platform(JsonWriter w, Platform p) {
    w.beginObject().field("architecture", p.architecture()).field("os", p.os());
    optional(w, "os.version", p.osVersion());
    optionalList(w, "os.features", p.osFeatures());
    optional(w, "variant", p.variant());
    w.endObject();
  }

  private static void descriptors(JsonWriter w, List<Descriptor> list) {
    w.beginArray();
    for (Descriptor d : list) {
      descriptor(w, d);
    }
    w.endArray();
  }

  private static void strings(JsonWriter w, List<String> list) {
    w.beginArray();
    for (String s : list) {
      w.value(s);
    }
    w.endArray();
  }

  private static void optional(JsonWriter w, String name, String value) {
    if (!value.isEmpty()) {
      w.field(name, value);
    }
  }

  private static void optionalList(JsonWriter w, String name, List<String> list) {
    if (!list.isEmpty()) {
      w.name(name);
      strings(w, list);
    }
  }

  private static void optionalMap(JsonWriter w, String name, Map<String, String> map) {
    if (map.isEmpty()) {
      return;
    }
    w.name(name).beginObject();
    for (String key : goOrder(map.keySet())) {
      w.field(key, map.get(key));
    }
    w.endObject();
  }

  // Go's map[string]struct{}: every key with an empty object.
  private static void optionalKeys(JsonWriter w, String name, Collection<String> keys) {
    if (keys.isEmpty()) {
      return;
    }
    w.name(name).beginObject();
    for (String key : goOrder(keys)) {
      w.name(key).beginObject().endObject();
    }
    w.endObject();
  }

  // Go writes map keys sorted by their UTF-8 bytes, which is code point order; String.compareTo
  // compares UTF-16
  // units, which differs once a key holds characters past U+FFFF.
  private static String[] goOrder(Collection<String> keys) {
    String[] sorted = keys.toArray(new String[0]);
    Arrays.sort(sorted, CodePointOrder.INSTANCE);
    return sorted;
  }

  private static final class CodePointOrder implements Comparator<String> {
    static final CodePointOrder INSTANCE = new CodePointOrder();

    @Override
    public int compare(String a, String b) {
      int i = 0, j = 0;
      while (i < a.length() && j < b.length()) {
        int ca = a.codePointAt(i), cb = b.codePointAt(j);
        if (ca != cb) {
          return Integer.compare(ca, cb);
        }
        i += Character.charCount(ca);
        j += Character.charCount(cb);
      }
      return Boolean.compare(i < a.length(), j < b.length());
    }
  }
}
