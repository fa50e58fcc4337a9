package dev.berth.cli.runc;

import dev.berth.runtime.ContainerState;
import java.util.Map;
import java.util.TreeMap;

/**
 * runc's JSON for a container's state ({@code state}, {@code list --format json}): the same fields in the same order,
 * Go's escaping of strings, map keys sorted, annotations left out when empty.
 */
final class StateJson {
  private StateJson() {}

  /** Pretty-printed with two spaces and no final newline, as {@code runc state} prints it. */
  static String pretty(ContainerState s, String owner) {
    StringBuilder sb = new StringBuilder("{\n");
    field(sb, "  ", "ociVersion", str(s.ociVersion())).append(",\n");
    field(sb, "  ", "id", str(s.id())).append(",\n");
    field(sb, "  ", "pid", Integer.toString(s.pid())).append(",\n");
    field(sb, "  ", "status", str(s.status().toString())).append(",\n");
    field(sb, "  ", "bundle", str(s.bundle())).append(",\n");
    field(sb, "  ", "rootfs", str(s.rootfs())).append(",\n");
    field(sb, "  ", "created", str(s.created())).append(",\n");
    if (!s.annotations().isEmpty()) {
      sb.append("  \"annotations\": {\n");
      int i = 0;
      for (var e : new TreeMap<>(s.annotations()).entrySet()) {
        field(sb, "    ", e.getKey(), str(e.getValue()));
        sb.append(++i < s.annotations().size() ? ",\n" : "\n");
      }
      sb.append("  },\n");
    }
    field(sb, "  ", "owner", str(owner)).append("\n}");
    return sb.toString();
  }

  /** Compact, as one element of {@code list --format json}. */
  static String compact(ContainerState s, String owner) {
    StringBuilder sb = new StringBuilder("{");
    sb.append("\"ociVersion\":").append(str(s.ociVersion()))
        .append(",\"id\":").append(str(s.id()))
        .append(",\"pid\":").append(s.pid())
        .append(",\"status\":").append(str(s.status().toString()))
        .append(",\"bundle\":").append(str(s.bundle()))
        .append(",\"rootfs\":").append(str(s.rootfs()))
        .append(",\"created\":").append(str(s.created()));
    if (!s.annotations().isEmpty()) {
      sb.append(",\"annotations\":{");
      boolean first = true;
      for (Map.Entry<String, String> e : new TreeMap<>(s.annotations()).entrySet()) {
        if (!first) sb.append(',');
        first = false;
        sb.append(str(e.getKey())).append(':').append(str(e.getValue()));
      }
      sb.append('}');
    }
    return sb.append(",\"owner\":").append(str(owner)).append('}').toString();
  }

  private static StringBuilder field(StringBuilder sb, String indent, String name, String value) {
    return sb.append(indent).append(str(name)).append(": ").append(value);
  }

  /** A JSON string as Go's encoding/json writes it (it also escapes <, > and & for HTML safety). */
  static String str(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '<' -> sb.append("\\u003c");
        case '>' -> sb.append("\\u003e");
        case '&' -> sb.append("\\u0026");
        case '\u2028' -> sb.append("\\u2028");
        case '\u2029' -> sb.append("\\u2029");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    return sb.append('"').toString();
  }
}
