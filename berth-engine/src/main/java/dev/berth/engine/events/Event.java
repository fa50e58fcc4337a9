package dev.berth.engine.events;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * One event as docker reports it: {@code container start <id> (image=busybox, name=web)}.
 *
 * @param time when it happened (a container's death: when its monitor saw it, not when the engine
 *     noticed)
 * @param type what it happened to: "container", "image", "volume" or "network"
 * @param action docker's word: create, start, die, stop, kill, destroy, pause, unpause, rename,
 *     oom, exec_create: CMD, exec_start: CMD, exec_die
 * @param id the object's id
 * @param attributes docker's: the container's image and name and labels, exitCode of die, signal of
 *     kill, oldName of rename; sorted by key
 */
public record Event(
    Instant time, String type, String action, String id, Map<String, String> attributes) {
  public static final String CONTAINER = "container";
  public static final String IMAGE = "image";
  public static final String VOLUME = "volume";
  public static final String NETWORK = "network";

  public Event {
    if (time == null || type == null || action == null || id == null) {
      throw new IllegalArgumentException("event: time, type, action and id are required");
    }
    attributes =
        attributes == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new TreeMap<>(attributes));
  }
}
