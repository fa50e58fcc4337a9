package dev.berth.engine.config;

import java.util.List;
import java.util.Map;

/**
 * One value of a configuration file, read from TOML or JSON, with the line it was given on (0 when
 * the format does not say: JSON). A value is a {@code String}, {@code Boolean}, {@code Long}, a
 * {@code List<String>}, or a table: a {@code Map<String, ConfigNode>} in the file's order.
 */
record ConfigNode(Object value, int line) {
  @SuppressWarnings("unchecked")
  Map<String, ConfigNode> table() {
    return (Map<String, ConfigNode>) value;
  }

  @SuppressWarnings("unchecked")
  List<String> strings() {
    return (List<String>) value;
  }

  /** The value's kind as an error names it. */
  String kind() {
    return switch (value) {
      case String s -> "a string";
      case Boolean b -> "a boolean";
      case Long l -> "an integer";
      case List<?> l -> "an array";
      case Map<?, ?> m -> "a table";
      default -> "a " + value.getClass().getSimpleName();
    };
  }
}
