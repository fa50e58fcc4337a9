package dev.berth.engine.events;

import java.util.LinkedHashMap;
import java.util.Map;

/** docker's view of an event, shared by {@code berth events} and the API's {@code /events}. */
public final class EventMessages {
  private EventMessages() {}

  /**
   * docker's events message: with {@code json} its JSON names (status, id, from, Type, Action,
   * Actor, scope, time, timeNano), else its Go field names for templates ({{.Status}},
   * {{.Actor.Attributes.name}}, ...).
   */
  public static Map<String, Object> message(Event e, boolean json) {
    Map<String, Object> actor = new LinkedHashMap<>();
    actor.put("ID", e.id());
    actor.put("Attributes", new LinkedHashMap<>(e.attributes()));
    Map<String, Object> m = new LinkedHashMap<>();
    // docker's legacy fields, on container and image events only
    if (e.type().equals(Event.CONTAINER) || e.type().equals(Event.IMAGE)) {
      m.put(json ? "status" : "Status", e.action());
      m.put(json ? "id" : "ID", e.id());
      if (e.type().equals(Event.CONTAINER))
        m.put(json ? "from" : "From", e.attributes().getOrDefault("image", ""));
    }
    m.put("Type", e.type());
    m.put("Action", e.action());
    m.put("Actor", actor);
    m.put(json ? "scope" : "Scope", "local");
    m.put(json ? "time" : "Time", e.time().getEpochSecond());
    m.put(
        json ? "timeNano" : "TimeNano",
        e.time().getEpochSecond() * 1_000_000_000L + e.time().getNano());
    return m;
  }
}
