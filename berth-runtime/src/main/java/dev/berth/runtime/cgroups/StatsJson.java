package dev.berth.runtime.cgroups;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@link Stats} as the {@code "data"} object of runc's {@code events --stats} output, with
 * runc's field names and its habit of leaving out zero counters, so tools that parse runc's output
 * parse ours; and reads that object back (from runc, crun or berth-runc: {@code OciCliDriver}), an
 * absent counter as zero.
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

  /**
   * Reads the {@code "data"} object of a stats event at the reader's position; unknown fields are
   * skipped.
   */
  public static Stats read(JsonReader r) throws SpecException {
    Stats.CpuUsage usage = new Stats.CpuUsage(0, List.of(), List.of(), List.of(), 0, 0);
    Stats.Throttling throttling = new Stats.Throttling(0, 0, 0);
    Stats.Memory memory =
        new Stats.Memory(
            0,
            Stats.MemoryEntry.NONE,
            Stats.MemoryEntry.NONE,
            Stats.MemoryEntry.NONE,
            Stats.MemoryEntry.NONE,
            Map.of());
    Stats.Pids pids = new Stats.Pids(0, 0);
    Stats.Blkio blkio = new Stats.Blkio(List.of(), List.of());
    Map<String, Stats.Hugetlb> hugetlb = new LinkedHashMap<>();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "cpu" -> {
            if (!r.beginObject()) break;
            for (String g; (g = r.nextField()) != null; ) {
              switch (g) {
                case "usage" -> usage = readCpuUsage(r);
                case "throttling" -> throttling = readThrottling(r);
                default -> r.skip();
              }
            }
          }
          case "memory" -> memory = readMemory(r);
          case "pids" -> pids = readPids(r);
          case "blkio" -> blkio = readBlkio(r);
          case "hugetlb" -> {
            if (!r.beginObject()) break;
            for (String size; (size = r.nextField()) != null; ) hugetlb.put(size, readHugetlb(r));
          }
          default -> r.skip();
        }
      }
    }
    return new Stats(new Stats.Cpu(usage, throttling), memory, pids, blkio, hugetlb);
  }

  private static Stats.CpuUsage readCpuUsage(JsonReader r) throws SpecException {
    long total = 0, kernel = 0, user = 0;
    List<Long> perCpu = List.of(), perCpuKernel = List.of(), perCpuUser = List.of();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "total" -> total = r.uint64();
          case "percpu" -> perCpu = readNumbers(r);
          case "percpu_kernel" -> perCpuKernel = readNumbers(r);
          case "percpu_user" -> perCpuUser = readNumbers(r);
          case "kernel" -> kernel = r.uint64();
          case "user" -> user = r.uint64();
          default -> r.skip();
        }
      }
    }
    return new Stats.CpuUsage(total, perCpu, perCpuKernel, perCpuUser, kernel, user);
  }

  private static Stats.Throttling readThrottling(JsonReader r) throws SpecException {
    long periods = 0, throttledPeriods = 0, throttledTime = 0;
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "periods" -> periods = r.uint64();
          case "throttled_periods" -> throttledPeriods = r.uint64();
          case "throttled_time" -> throttledTime = r.uint64();
          default -> r.skip();
        }
      }
    }
    return new Stats.Throttling(periods, throttledPeriods, throttledTime);
  }

  private static Stats.Memory readMemory(JsonReader r) throws SpecException {
    long cache = 0;
    Stats.MemoryEntry usage = Stats.MemoryEntry.NONE, swap = Stats.MemoryEntry.NONE;
    Stats.MemoryEntry kernel = Stats.MemoryEntry.NONE, kernelTcp = Stats.MemoryEntry.NONE;
    Map<String, Long> raw = new LinkedHashMap<>();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "cache" -> cache = r.uint64();
          case "usage" -> usage = readMemoryEntry(r);
          case "swap" -> swap = readMemoryEntry(r);
          case "kernel" -> kernel = readMemoryEntry(r);
          case "kernelTCP" -> kernelTcp = readMemoryEntry(r);
          case "raw" -> {
            if (!r.beginObject()) break;
            for (String k; (k = r.nextField()) != null; ) raw.put(k, r.uint64());
          }
          default -> r.skip();
        }
      }
    }
    return new Stats.Memory(cache, usage, swap, kernel, kernelTcp, raw);
  }

  private static Stats.MemoryEntry readMemoryEntry(JsonReader r) throws SpecException {
    long limit = 0, usage = 0, max = 0, failcnt = 0;
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "limit" -> limit = r.uint64();
          case "usage" -> usage = r.uint64();
          case "max" -> max = r.uint64();
          case "failcnt" -> failcnt = r.uint64();
          default -> r.skip();
        }
      }
    }
    return new Stats.MemoryEntry(limit, usage, max, failcnt);
  }

  private static Stats.Pids readPids(JsonReader r) throws SpecException {
    long current = 0, limit = 0;
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "current" -> current = r.uint64();
          case "limit" -> limit = r.uint64();
          default -> r.skip();
        }
      }
    }
    return new Stats.Pids(current, limit);
  }

  private static Stats.Blkio readBlkio(JsonReader r) throws SpecException {
    List<Stats.BlkioEntry> bytes = List.of(), serviced = List.of();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "ioServiceBytesRecursive" -> bytes = readBlkioEntries(r);
          case "ioServicedRecursive" -> serviced = readBlkioEntries(r);
          default -> r.skip();
        }
      }
    }
    return new Stats.Blkio(bytes, serviced);
  }

  private static List<Stats.BlkioEntry> readBlkioEntries(JsonReader r) throws SpecException {
    List<Stats.BlkioEntry> out = new ArrayList<>();
    if (!r.beginArray()) return out;
    while (r.nextElement()) {
      long major = 0, minor = 0, value = 0;
      String op = "";
      if (r.beginObject()) {
        for (String f; (f = r.nextField()) != null; ) {
          switch (f) {
            case "major" -> major = r.uint64();
            case "minor" -> minor = r.uint64();
            case "op" -> op = r.string();
            case "value" -> value = r.uint64();
            default -> r.skip();
          }
        }
      }
      out.add(new Stats.BlkioEntry(major, minor, op, value));
    }
    return out;
  }

  private static Stats.Hugetlb readHugetlb(JsonReader r) throws SpecException {
    long usage = 0, max = 0, failcnt = 0;
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "usage" -> usage = r.uint64();
          case "max" -> max = r.uint64();
          case "failcnt" -> failcnt = r.uint64();
          default -> r.skip();
        }
      }
    }
    return new Stats.Hugetlb(usage, max, failcnt);
  }

  private static List<Long> readNumbers(JsonReader r) throws SpecException {
    List<Long> out = new ArrayList<>();
    if (!r.beginArray()) return out;
    while (r.nextElement()) out.add(r.uint64());
    return out;
  }
}
