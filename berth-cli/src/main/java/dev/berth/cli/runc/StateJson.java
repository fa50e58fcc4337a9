package dev.berth.cli.runc;

import dev.berth.runtime.ContainerState;
import dev.berth.spec.json.JsonWriter;
import java.util.TreeMap;

/**
 * runc's JSON for a container's state ({@code state}, {@code list --format json}): the same fields
 * in the same order, Go's escaping of strings, map keys sorted, annotations left out when empty.
 */
final class StateJson {
  private StateJson() {}

  /** Pretty-printed with two spaces and no final newline, as {@code runc state} prints it. */
  static String pretty(ContainerState s, String owner) {
    return write(new JsonWriter(JsonWriter.TWO_SPACES), s, owner).toString();
  }

  /** Compact, as one element of {@code list --format json}. */
  static String compact(ContainerState s, String owner) {
    return write(new JsonWriter(JsonWriter.COMPACT), s, owner).toString();
  }

  private static JsonWriter write(JsonWriter w, ContainerState s, String owner) {
    w.beginObject()
        .field("ociVersion", s.ociVersion())
        .field("id", s.id())
        .field("pid", s.pid())
        .field("status", s.status().toString())
        .field("bundle", s.bundle())
        .field("rootfs", s.rootfs())
        .field("created", s.created());
    if (!s.annotations().isEmpty()) {
      w.name("annotations").beginObject();
      for (var e : new TreeMap<>(s.annotations()).entrySet()) w.field(e.getKey(), e.getValue());
      w.endObject();
    }
    return w.field("owner", owner).endObject();
  }
}
