package dev.berth.spec.runtime;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Normalises the collections of the records: never null, immutable. */
final class Copies {
  private Copies() {}

  static <T> List<T> list(List<T> list) {
    return list == null || list.isEmpty() ? List.of() : List.copyOf(list);
  }

  // Sorted by key: that is the order Go's encoding/json writes maps in, so our output matches
  // runc's.
  static <V> Map<String, V> map(Map<String, V> map) {
    return map == null || map.isEmpty()
        ? Map.of()
        : Collections.unmodifiableSortedMap(new TreeMap<>(map));
  }
}
