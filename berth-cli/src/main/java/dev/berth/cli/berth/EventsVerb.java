package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.format.GoTemplate;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineException;
import dev.berth.engine.events.Event;
import dev.berth.engine.events.EventLog;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code berth events [--since T] [--until T] [--filter K=V] [--format F]}: container events from
 * the store's event file as docker prints them ({@code 2026-12-05T20:31:41.123456789Z container
 * start <id> (image=busybox, name=web)}, in local time). Without {@code --since} only new events;
 * without {@code --until} it follows until interrupted.
 */
final class EventsVerb {
  private EventsVerb() {}

  private static final long POLL_MS = 200;

  static int run(ParsedCommand c, PrintStream out) throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    String sinceText = c.flags().getString("since");
    String untilText = c.flags().getString("until");
    Instant since = sinceText.isEmpty() ? null : ContainerVerbs.time(sinceText);
    Instant until = untilText.isEmpty() ? null : ContainerVerbs.time(untilText);
    Filters filters = Filters.parse(c.flags().getList("filter"));
    Printer printer = Printer.of(c.flags().getString("format"));
    boolean history = since != null || until != null;
    try (EventLog.Follower f = engine.events().follow(history)) {
      while (true) {
        for (Event e : f.poll()) {
          if (since != null && e.time().isBefore(since)) continue;
          if (until != null && e.time().isAfter(until)) continue;
          if (filters.matches(e)) out.println(printer.print(e));
        }
        out.flush();
        if (until != null && !Instant.now().isBefore(until)) return 0;
        try {
          Thread.sleep(
              until == null
                  ? POLL_MS
                  : Math.max(
                      1, Math.min(POLL_MS, until.toEpochMilli() - System.currentTimeMillis() + 1)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return 0;
        }
      }
    }
  }

  /** docker's {@code --filter}: the same key ORed, different keys ANDed. */
  record Filters(Map<String, List<String>> byKey) {
    private static final List<String> KEYS =
        List.of("container", "event", "image", "label", "type");

    static Filters parse(List<String> specs) throws EngineException {
      Map<String, List<String>> m = new LinkedHashMap<>();
      for (String f : specs) {
        int eq = f.indexOf('=');
        if (eq <= 0)
          throw EngineException.invalid("bad format of filter (expected name=value): " + f);
        String key = f.substring(0, eq);
        if (!KEYS.contains(key)) throw EngineException.invalid("invalid filter '" + key + "'");
        m.computeIfAbsent(key, k -> new ArrayList<>()).add(f.substring(eq + 1));
      }
      return new Filters(m);
    }

    boolean matches(Event e) {
      for (Map.Entry<String, List<String>> k : byKey.entrySet()) {
        boolean any = false;
        for (String v : k.getValue()) any |= matches(k.getKey(), v, e);
        if (!any) return false;
      }
      return true;
    }

    private static boolean matches(String key, String v, Event e) {
      return switch (key) {
        case "container" -> e.id().startsWith(v) || v.equals(e.attributes().get("name"));
        // "exec_start" matches "exec_start: sh -c ...", as docker's
        case "event" -> e.action().equals(v) || e.action().startsWith(v + ":");
        case "image" -> v.equals(e.attributes().get("image"));
        case "label" -> {
          int eq = v.indexOf('=');
          String got = e.attributes().get(eq < 0 ? v : v.substring(0, eq));
          yield got != null && (eq < 0 || got.equals(v.substring(eq + 1)));
        }
        case "type" -> e.type().equals(v);
        default -> false;
      };
    }
  }

  /**
   * How an event is printed: docker's line, its JSON message, or a template over the message's
   * fields.
   */
  interface Printer {
    String print(Event e);

    static Printer of(String format) {
      if (format.isEmpty()) return EventsVerb::line;
      if (format.equals("json") || format.replace(" ", "").equals("{{json.}}")) {
        return e -> new JsonWriter(JsonWriter.COMPACT).tree(message(e, true)).toString();
      }
      GoTemplate t = GoTemplate.parse(format.replace("\\t", "\t").replace("\\n", "\n"));
      return e -> t.render(message(e, false));
    }
  }

  /** docker's default line. */
  static String line(Event e) {
    StringBuilder b =
        new StringBuilder(localTime(e.time(), ZoneId.systemDefault()))
            .append(' ')
            .append(e.type())
            .append(' ')
            .append(e.action())
            .append(' ')
            .append(e.id());
    if (!e.attributes().isEmpty()) {
      b.append(" (");
      boolean first = true;
      for (Map.Entry<String, String> a : e.attributes().entrySet()) {
        if (!first) b.append(", ");
        b.append(a.getKey()).append('=').append(a.getValue());
        first = false;
      }
      b.append(')');
    }
    return b.toString();
  }

  /**
   * Go's "2006-01-02T15:04:05.000000000Z07:00" of {@code t} in {@code zone}: nine fraction digits,
   * Z for UTC.
   */
  static String localTime(Instant t, ZoneId zone) {
    int offset = zone.getRules().getOffset(t).getTotalSeconds();
    String local = Rfc3339.format(Instant.ofEpochSecond(t.getEpochSecond() + offset));
    String nanos = Integer.toString(t.getNano() + 1_000_000_000).substring(1);
    StringBuilder b = new StringBuilder(local.substring(0, 19)).append('.').append(nanos);
    if (offset == 0) return b.append('Z').toString();
    int abs = Math.abs(offset) / 60;
    b.append(offset < 0 ? '-' : '+');
    if (abs / 60 < 10) b.append('0');
    b.append(abs / 60).append(':');
    if (abs % 60 < 10) b.append('0');
    return b.append(abs % 60).toString();
  }

  /**
   * docker's events message: with {@code json} its JSON names (status, id, from, Type, Action,
   * Actor, scope, time, timeNano), else its Go field names for templates ({{.Status}},
   * {{.Actor.Attributes.name}}, ...).
   */
  static Map<String, Object> message(Event e, boolean json) {
    Map<String, Object> actor = new LinkedHashMap<>();
    actor.put("ID", e.id());
    actor.put("Attributes", new LinkedHashMap<>(e.attributes()));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(json ? "status" : "Status", e.action());
    m.put(json ? "id" : "ID", e.id());
    m.put(json ? "from" : "From", e.attributes().getOrDefault("image", ""));
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
