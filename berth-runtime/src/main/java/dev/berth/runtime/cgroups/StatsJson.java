package dev.berth.runtime.cgroups;

import dev.berth.spec.json.JsonWriter;
import java.util.List;
import java.util.Map;

/**
 * Writes {@link Stats} as the {@code "data"} object of runc's {@code events --stats} output, with runc's field
 * names and its habit of leaving out zero counters, so tools that parse runc's output parse ours.
 */
public final class StatsJson {
  private StatsJson() {}

  /** Writes {@code s} as one JSON object at the writer's current position. */
  public static void write(JsonWriter g, Stats s) {
    g.beginObject();

    g.name("cpu").beginObject();
    Stats.CpuUsage u = s.cpu().usage();
    g.name("usage").beginObject();
    nonZero(g, "total", u.total());
    numbers(g, "percpu", u.perCpu());
    numbers(g, "percpu_kernel", u.perCpuKernel());
    numbers(g, "percpu_user", u.perCpuUser());
    g.field("kernel", u.kernel());
    g.field("user", u.user());
    g.endObject();
    Stats.Throttling t = s.cpu().throttling();
    g.name("throttling").beginObject();
    nonZero(g, "periods", t.periods());
    nonZero(g, "throttled_periods", t.throttledPeriods());
    nonZero(g, "throttled_time", t.throttledTime());
    g.endObject();
    g.endObject();

    Stats.Memory m = s.memory();
    g.name("memory").beginObject();
    nonZero(g, "cache", m.cache());
    memoryEntry(g, "usage", m.usage());
    memoryEntry(g, "swap", m.swap());
    memoryEntry(g, "kernel", m.kernel());
    memoryEntry(g, "kernelTCP", m.kernelTcp());
    if (!m.raw().isEmpty()) {
      g.name("raw").beginObject();
      for (Map.Entry<String, Long> e : m.raw().entrySet()) g.field(e.getKey(), e.getValue());
      g.endObject();
    }
    g.endObject();

    g.name("pids").beginObject();
    g.field("current", s.pids().current());
    g.field("limit", s.pids().limit());
    g.endObject();

    g.name("blkio").beginObject();
    blkio(g, "ioServiceBytesRecursive", s.blkio().ioServiceBytesRecursive());
    blkio(g, "ioServicedRecursive", s.blkio().ioServicedRecursive());
    g.endObject();

    g.name("hugetlb").beginObject();
    for (Map.Entry<String, Stats.Hugetlb> e : s.hugetlb().entrySet()) {
      g.name(e.getKey()).beginObject();
      nonZero(g, "usage", e.getValue().usage());
      nonZero(g, "max", e.getValue().max());
      g.field("failcnt", e.getValue().failcnt());
      g.endObject();
    }
    g.endObject();

    g.endObject();
  }

  private static void memoryEntry(JsonWriter g, String name, Stats.MemoryEntry e) {
    g.name(name).beginObject();
    g.field("limit", e.limit());
    nonZero(g, "usage", e.usage());
    nonZero(g, "max", e.max());
    g.field("failcnt", e.failcnt());
    g.endObject();
  }

  private static void blkio(JsonWriter g, String name, List<Stats.BlkioEntry> entries) {
    if (entries.isEmpty()) return;
    g.name(name).beginArray();
    for (Stats.BlkioEntry e : entries) {
      g.beginObject();
      nonZero(g, "major", e.major());
      nonZero(g, "minor", e.minor());
      if (!e.op().isEmpty()) g.field("op", e.op());
      nonZero(g, "value", e.value());
      g.endObject();
    }
    g.endArray();
  }

  private static void numbers(JsonWriter g, String name, List<Long> values) {
    if (values.isEmpty()) return;
    g.name(name).beginArray();
    for (long v : values) g.value(v);
    g.endArray();
  }

  private static void nonZero(JsonWriter g, String name, long value) {
    if (value != 0) g.field(name, value);
  }
}
