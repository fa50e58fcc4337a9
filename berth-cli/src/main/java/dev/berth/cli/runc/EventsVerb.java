package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.runtime.cgroups.StatsJson;
import dev.berth.spec.json.JsonWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;

/**
 * {@code events [--stats] [--interval 5s] <id>}: one JSON object per line, as runc prints them:
 * {@code {"type":"stats","id":...,"data":{...}}} every interval and {@code {"type":"oom","id":...}}
 * on an OOM kill, until the container stops; {@code --stats} prints the stats once and exits.
 */
final class EventsVerb {
  private EventsVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c, PrintStream out)
      throws ContainerException, IOException {
    String id = c.arg(0);
    if (c.flags().getBool("stats")) {
      print(out, "stats", id, rt.stats(id));
      return 0;
    }
    rt.events(
        id,
        c.flags().getDuration("interval"),
        new ContainerRuntime.EventListener() {
          @Override
          public void stats(Stats stats) throws IOException {
            print(out, "stats", id, stats);
          }

          @Override
          public void oom() throws IOException {
            print(out, "oom", id, null);
          }
        });
    return 0;
  }

  /**
   * One event line; a reader that went away (closed pipe) ends the stream rather than printing into
   * nothing.
   */
  private static void print(PrintStream out, String type, String id, Stats data)
      throws IOException {
    JsonWriter g = new JsonWriter(JsonWriter.COMPACT);
    g.beginObject().field("type", type).field("id", id);
    if (data != null) StatsJson.write(g.name("data"), data);
    g.endObject();
    ByteArrayOutputStream line = new ByteArrayOutputStream(2048);
    g.writeTo(line);
    line.write('\n');
    line.writeTo(out);
    out.flush();
    if (out.checkError()) throw new IOException("write events: standard output is closed");
  }
}
