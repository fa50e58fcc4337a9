package dev.berth.runtime.cgroups;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Writes {@link Stats} as the {@code "data"} object of runc's {@code events --stats} output, with runc's field
 * names and its habit of leaving out zero counters, so tools that parse runc's output parse ours.
 */
public final class StatsJson {
  private StatsJson() {}

  /** Writes {@code s} as one JSON object at the generator's current position. */
  public static void write(JsonGenerator g, Stats s) throws IOException {
    g.writeStartObject();

    g.writeObjectFieldStart("cpu");
    Stats.CpuUsage u = s.cpu().usage();
    g.writeObjectFieldStart("usage");
    nonZero(g, "total", u.total());
    numbers(g, "percpu", u.perCpu());
    numbers(g, "percpu_kernel", u.perCpuKernel());
    numbers(g, "percpu_user", u.perCpuUser());
    g.writeNumberField("kernel", u.kernel());
    g.writeNumberField("user", u.user());
    g.writeEndObject();
    Stats.Throttling t = s.cpu().throttling();
    g.writeObjectFieldStart("throttling");
    nonZero(g, "periods", t.periods());
    nonZero(g, "throttled_periods", t.throttledPeriods());
    nonZero(g, "throttled_time", t.throttledTime());
    g.writeEndObject();
    g.writeEndObject();

    Stats.Memory m = s.memory();
    g.writeObjectFieldStart("memory");
    nonZero(g, "cache", m.cache());
    memoryEntry(g, "usage", m.usage());
    memoryEntry(g, "swap", m.swap());
    memoryEntry(g, "kernel", m.kernel());
    memoryEntry(g, "kernelTCP", m.kernelTcp());
    if (!m.raw().isEmpty()) {
      g.writeObjectFieldStart("raw");
      for (Map.Entry<String, Long> e : m.raw().entrySet()) g.writeNumberField(e.getKey(), e.getValue());
      g.writeEndObject();
    }
    g.writeEndObject();

    g.writeObjectFieldStart("pids");
    g.writeNumberField("current", s.pids().current());
    g.writeNumberField("limit", s.pids().limit());
    g.writeEndObject();

    g.writeObjectFieldStart("blkio");
    blkio(g, "ioServiceBytesRecursive", s.blkio().ioServiceBytesRecursive());
    blkio(g, "ioServicedRecursive", s.blkio().ioServicedRecursive());
    g.writeEndObject();

    g.writeObjectFieldStart("hugetlb");
    for (Map.Entry<String, Stats.Hugetlb> e : s.hugetlb().entrySet()) {
      g.writeObjectFieldStart(e.getKey());
      nonZero(g, "usage", e.getValue().usage());
      nonZero(g, "max", e.getValue().max());
      g.writeNumberField("failcnt", e.getValue().failcnt());
      g.writeEndObject();
    }
    g.writeEndObject();

    g.writeEndObject();
  }

  private static void memoryEntry(JsonGenerator g, String name, Stats.MemoryEntry e) throws IOException {
    g.writeObjectFieldStart(name);
    g.writeNumberField("limit", e.limit());
    nonZero(g, "usage", e.usage());
    nonZero(g, "max", e.max());
    g.writeNumberField("failcnt", e.failcnt());
    g.writeEndObject();
  }

  private static void blkio(JsonGenerator g, String name, List<Stats.BlkioEntry> entries) throws IOException {
    if (entries.isEmpty()) return;
    g.writeArrayFieldStart(name);
    for (Stats.BlkioEntry e : entries) {
      g.writeStartObject();
      nonZero(g, "major", e.major());
      nonZero(g, "minor", e.minor());
      if (!e.op().isEmpty()) g.writeStringField("op", e.op());
      nonZero(g, "value", e.value());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void numbers(JsonGenerator g, String name, List<Long> values) throws IOException {
    if (values.isEmpty()) return;
    g.writeArrayFieldStart(name);
    for (long v : values) g.writeNumber(v);
    g.writeEndArray();
  }

  private static void nonZero(JsonGenerator g, String name, long value) throws IOException {
    if (value != 0) g.writeNumberField(name, value);
  }
}
