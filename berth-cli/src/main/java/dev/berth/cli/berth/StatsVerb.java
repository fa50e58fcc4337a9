package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.format.Columns;
import dev.berth.cli.format.GoTemplate;
import dev.berth.cli.format.Sizes;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineException;
import dev.berth.engine.stats.ContainerStats;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code berth stats [--no-stream] [-a] [--format F] [CONTAINER...]}: docker's table of resource
 * usage. CPU % is over the time between two samples, so even {@code --no-stream} samples twice, a
 * second apart; streaming prints a fresh table every second (the screen cleared first, as docker)
 * until interrupted. Without names: the running containers (every one with {@code -a}), looked up
 * again at each refresh.
 */
final class StatsVerb {
  private StatsVerb() {}

  static final String TABLE =
      "{{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}\\t"
          + "{{.BlockIO}}\\t{{.PIDs}}";
  static final Map<String, String> HEADERS =
      Map.ofEntries(
          Map.entry("ID", "CONTAINER ID"),
          Map.entry("Container", "CONTAINER"),
          Map.entry("Name", "NAME"),
          Map.entry("CPUPerc", "CPU %"),
          Map.entry("MemUsage", "MEM USAGE / LIMIT"),
          Map.entry("MemPerc", "MEM %"),
          Map.entry("NetIO", "NET I/O"),
          Map.entry("BlockIO", "BLOCK I/O"),
          Map.entry("PIDs", "PIDS"));
  private static final long INTERVAL_MS = 1000;
  private static final String CLEAR_SCREEN = "\033[2J\033[H";

  static int run(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    boolean all = c.flags().getBool("all");
    boolean stream = !c.flags().getBool("no-stream");
    String format = c.flags().getString("format");
    Map<String, ContainerStats> previous = new HashMap<>();
    List<String> refs = c.args();
    // The first samples: CPU % needs a second one.
    sample(engine, refs, all, previous);
    while (true) {
      sleep();
      Map<String, ContainerStats> now = new HashMap<>();
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Sample s : sample(engine, refs, all, now))
        rows.add(row(s.ref(), s.stats(), previous.get(s.stats().id())));
      previous = now;
      if (stream) out.print(CLEAR_SCREEN);
      try {
        Columns.print(out, rows, format, TABLE, HEADERS);
      } catch (GoTemplate.TemplateException e) {
        throw EngineException.invalid("template: " + e.getMessage());
      }
      out.flush();
      if (!stream) return 0;
    }
  }

  private record Sample(String ref, ContainerStats stats) {}

  /** A sample of each container asked for (or listed), kept by id in {@code into}. */
  private static List<Sample> sample(
      Engine engine, List<String> refs, boolean all, Map<String, ContainerStats> into)
      throws BerthException {
    List<Sample> out = new ArrayList<>();
    if (refs.isEmpty()) {
      for (ContainerRecord r : engine.list()) {
        boolean running =
            r.state().status() == Status.RUNNING || r.state().status() == Status.PAUSED;
        if (!all && !running) continue;
        try {
          ContainerStats s = engine.stats(r.id());
          into.put(s.id(), s);
          out.add(new Sample(r.shortId(), s));
        } catch (BerthException e) {
          if (e.category() != ErrorCategory.NOT_FOUND) throw e;
          // removed meanwhile
        }
      }
      return out;
    }
    for (String ref : refs) {
      ContainerStats s = engine.stats(ref);
      into.put(s.id(), s);
      out.add(new Sample(ref, s));
    }
    return out;
  }

  /** One row: docker's fields as it formats them. */
  static Map<String, Object> row(String ref, ContainerStats s, ContainerStats previous) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("BlockIO", Sizes.decimal(s.blockRead(), 3) + " / " + Sizes.decimal(s.blockWrite(), 3));
    m.put("CPUPerc", percent(s.cpuPercent(previous)));
    m.put("Container", ref);
    m.put("ID", s.id().substring(0, 12));
    m.put("MemPerc", percent(s.memoryPercent()));
    m.put("MemUsage", Sizes.binary(s.memoryUsage()) + " / " + Sizes.binary(s.memoryLimit()));
    m.put("Name", s.name());
    m.put("NetIO", Sizes.decimal(s.netRx(), 3) + " / " + Sizes.decimal(s.netTx(), 3));
    m.put("PIDs", Long.toString(s.pids()));
    return m;
  }

  /** Go's {@code %.2f%%}. */
  static String percent(double p) {
    long hundredths = Math.round(p * 100);
    String frac = Long.toString(hundredths % 100);
    return hundredths / 100 + "." + (frac.length() < 2 ? "0" + frac : frac) + "%";
  }

  private static void sleep() {
    try {
      Thread.sleep(INTERVAL_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
