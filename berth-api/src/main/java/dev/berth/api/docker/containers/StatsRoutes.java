package dev.berth.api.docker.containers;

import dev.berth.api.docker.Exchange;
import dev.berth.api.docker.ResponseStream;
import dev.berth.api.docker.Router;
import dev.berth.engine.Engine;
import dev.berth.engine.stats.ContainerStats;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /containers/{id}/stats}: docker's stats JSON from the engine's samples ({@link
 * Engine#stats}): cpu (with the previous sample as {@code precpu_stats}, from which clients compute
 * CPU %), memory with the cgroup's raw counters, pids, block I/O and the container's network
 * interfaces' bytes (as one "eth0"). {@code stream=1} sends a sample every second until the client
 * leaves; {@code stream=0} one, taken a second after a first unless {@code one-shot}, as dockerd
 * does, so its CPU % means something.
 */
final class StatsRoutes {
  private static final long INTERVAL_MS = 1000;

  private final Engine engine;

  StatsRoutes(Engine engine) {
    this.engine = engine;
  }

  void register(Router r) {
    r.stream("GET", "/containers/{id}/stats", this::stats);
  }

  private void stats(Exchange x) throws Exception {
    String id = engine.inspect(x.param("id")).id();
    boolean stream = x.query("stream") == null || x.bool("stream");
    ContainerStats previous = null;
    if (!stream && !x.bool("one-shot")) {
      previous = engine.stats(id);
      if (previous.running()) Thread.sleep(INTERVAL_MS);
    }
    ContainerStats now = engine.stats(id);
    if (!stream) {
      x.json(200, view(now, previous));
      return;
    }
    ResponseStream s = x.stream(200, Exchange.JSON);
    while (true) {
      s.line(new JsonWriter(JsonWriter.COMPACT).tree(view(now, previous)).toByteArray());
      Thread.sleep(INTERVAL_MS);
      previous = now;
      now = engine.stats(id);
    }
  }

  static Map<String, Object> view(ContainerStats now, ContainerStats previous) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("read", Rfc3339.format(now.read()));
    m.put("preread", previous == null ? "0001-01-01T00:00:00Z" : Rfc3339.format(previous.read()));
    Stats st = now.stats();
    Map<String, Object> pids = new LinkedHashMap<>();
    pids.put("current", now.pids());
    if (st != null && st.pids().limit() > 0) pids.put("limit", st.pids().limit());
    m.put("pids_stats", pids);
    m.put("blkio_stats", blkio(st));
    m.put("num_procs", 0L);
    m.put("storage_stats", Map.of());
    m.put("cpu_stats", cpu(now));
    m.put("precpu_stats", previous == null ? cpu(null) : cpu(previous));
    m.put("memory_stats", memory(now));
    m.put("name", "/" + now.name());
    m.put("id", now.id());
    if (st != null) {
      Map<String, Object> eth = new LinkedHashMap<>();
      eth.put("rx_bytes", now.netRx());
      eth.put("rx_packets", 0L);
      eth.put("rx_errors", 0L);
      eth.put("rx_dropped", 0L);
      eth.put("tx_bytes", now.netTx());
      eth.put("tx_packets", 0L);
      eth.put("tx_errors", 0L);
      eth.put("tx_dropped", 0L);
      m.put("networks", Map.of("eth0", eth));
    }
    return m;
  }

  private static Map<String, Object> blkio(Stats st) {
    Map<String, Object> b = new LinkedHashMap<>();
    List<Object> bytes = new ArrayList<>();
    if (st != null) {
      for (Stats.BlkioEntry e : st.blkio().ioServiceBytesRecursive()) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("major", e.major());
        x.put("minor", e.minor());
        x.put("op", e.op());
        x.put("value", e.value());
        bytes.add(x);
      }
    }
    b.put("io_service_bytes_recursive", st == null ? null : bytes);
    for (String k :
        List.of(
            "io_serviced_recursive",
            "io_queue_recursive",
            "io_service_time_recursive",
            "io_wait_time_recursive",
            "io_merged_recursive",
            "io_time_recursive",
            "sectors_recursive")) b.put(k, null);
    return b;
  }

  /** A sample's cpu_stats; {@code s} null: docker's empty one (a first sample's precpu). */
  private static Map<String, Object> cpu(ContainerStats s) {
    Map<String, Object> c = new LinkedHashMap<>();
    Map<String, Object> usage = new LinkedHashMap<>();
    Stats st = s == null ? null : s.stats();
    usage.put("total_usage", st == null ? 0L : st.cpu().usage().total());
    if (st != null && !st.cpu().usage().perCpu().isEmpty())
      usage.put("percpu_usage", st.cpu().usage().perCpu());
    usage.put("usage_in_kernelmode", st == null ? 0L : st.cpu().usage().kernel());
    usage.put("usage_in_usermode", st == null ? 0L : st.cpu().usage().user());
    c.put("cpu_usage", usage);
    if (s != null && st != null) {
      c.put("system_cpu_usage", s.systemCpuNanos());
      c.put("online_cpus", (long) s.onlineCpus());
    }
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("periods", st == null ? 0L : st.cpu().throttling().periods());
    t.put("throttled_periods", st == null ? 0L : st.cpu().throttling().throttledPeriods());
    t.put("throttled_time", st == null ? 0L : st.cpu().throttling().throttledTime());
    c.put("throttling_data", t);
    return c;
  }

  private static Map<String, Object> memory(ContainerStats s) {
    Stats st = s.stats();
    Map<String, Object> m = new LinkedHashMap<>();
    if (st == null) return m;
    m.put("usage", st.memory().usage().usage());
    if (st.memory().usage().max() > 0) m.put("max_usage", st.memory().usage().max());
    m.put("stats", new java.util.TreeMap<>(st.memory().raw()));
    m.put("limit", s.memoryLimit());
    return m;
  }
}
