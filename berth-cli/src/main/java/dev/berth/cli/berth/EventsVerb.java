package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.format.GoTemplate;
import dev.berth.engine.Engine;
import dev.berth.engine.events.Event;
import dev.berth.engine.events.EventFilter;
import dev.berth.engine.events.EventLog;
import dev.berth.engine.events.EventMessages;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
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
    Instant since =
        sinceText.isEmpty() ? null : dev.berth.engine.container.DockerFlags.time(sinceText);
    Instant until =
        untilText.isEmpty() ? null : dev.berth.engine.container.DockerFlags.time(untilText);
    EventFilter filters = EventFilter.parse(c.flags().getList("filter"));
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

  /**
   * How an event is printed: docker's line, its JSON message, or a template over the message's
   * fields.
   */
  interface Printer {
    String print(Event e);

    static Printer of(String format) {
      if (format.isEmpty()) return EventsVerb::line;
      if (format.equals("json") || format.replace(" ", "").equals("{{json.}}")) {
        return e ->
            new JsonWriter(JsonWriter.COMPACT).tree(EventMessages.message(e, true)).toString();
      }
      GoTemplate t = GoTemplate.parse(format.replace("\\t", "\t").replace("\\n", "\n"));
      return e -> t.render(EventMessages.message(e, false));
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
}
