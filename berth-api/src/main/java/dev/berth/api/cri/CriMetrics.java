package dev.berth.api.cri;

import dev.berth.api.cri.v1.ContainerMetrics;
import dev.berth.api.cri.v1.ListMetricDescriptorsResponse;
import dev.berth.api.cri.v1.ListPodSandboxMetricsResponse;
import dev.berth.api.cri.v1.Metric;
import dev.berth.api.cri.v1.MetricDescriptor;
import dev.berth.api.cri.v1.MetricType;
import dev.berth.api.cri.v1.PodSandboxMetrics;
import dev.berth.api.cri.v1.UInt64Value;
import dev.berth.engine.Engine;
import dev.berth.engine.pod.PodRecord;
import dev.berth.engine.pod.Pods;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ListMetricDescriptors and ListPodSandboxMetrics: the running containers' cgroup counters under
 * cAdvisor's metric names, as the kubelet reads them when it takes pod metrics from the runtime
 * instead of cAdvisor. As containerd's: CPU times in whole seconds (a metric's value is an
 * integer), sizes in bytes, every metric labelled with {@link #LABEL_KEYS} in that order.
 */
final class CriMetrics {
  /** The label keys of every metric, in the order of its label values. */
  static final List<String> LABEL_KEYS = List.of("container", "pod", "namespace", "id");

  /** The metrics served: name -> help text and type. */
  private static final Map<String, Descriptor> DESCRIPTORS = new LinkedHashMap<>();

  private record Descriptor(String help, MetricType type) {}

  static {
    counter("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.");
    counter("container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.");
    counter(
        "container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.");
    counter("container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.");
    counter("container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.");
    counter(
        "container_cpu_cfs_throttled_seconds_total",
        "Total time duration the container has been throttled.");
    gauge(
        "container_memory_usage_bytes",
        "Current memory usage in bytes, including all memory regardless of when it was accessed.");
    gauge("container_memory_working_set_bytes", "Current working set in bytes.");
    gauge("container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes.");
    gauge("container_memory_rss", "Size of RSS in bytes.");
    gauge("container_memory_cache", "Number of bytes of page cache memory.");
    counter("container_memory_failcnt", "Number of memory usage hits limits.");
    gauge("container_processes", "Number of processes running inside the container.");
  }

  private static void counter(String name, String help) {
    DESCRIPTORS.put(name, new Descriptor(help, MetricType.COUNTER));
  }

  private static void gauge(String name, String help) {
    DESCRIPTORS.put(name, new Descriptor(help, MetricType.GAUGE));
  }

  private final Engine engine;

  CriMetrics(Engine engine) {
    this.engine = engine;
  }

  ListMetricDescriptorsResponse descriptors() {
    ListMetricDescriptorsResponse.Builder b = ListMetricDescriptorsResponse.newBuilder();
    DESCRIPTORS.forEach(
        (name, d) ->
            b.addDescriptors(
                MetricDescriptor.newBuilder()
                    .setName(name)
                    .setHelp(d.help())
                    .addAllLabelKeys(LABEL_KEYS)));
    return b.build();
  }

  /** Every ready pod, with the metrics of its running containers. */
  ListPodSandboxMetricsResponse podMetrics() throws BerthException {
    Map<String, PodSandboxMetrics.Builder> pods = new LinkedHashMap<>();
    Map<String, PodRecord> records = new LinkedHashMap<>();
    for (PodRecord p : engine.pods().list(PodRecord.Filter.ALL)) {
      if (p.state() != PodRecord.State.READY) continue;
      pods.put(p.id(), PodSandboxMetrics.newBuilder().setPodSandboxId(p.id()));
      records.put(p.id(), p);
    }
    for (ContainerRecord r : engine.list()) {
      String podId = r.options().labels().get(Pods.POD_LABEL);
      PodSandboxMetrics.Builder pod = podId == null ? null : pods.get(podId);
      if (pod == null || r.state().status() != Status.RUNNING) continue;
      dev.berth.engine.stats.ContainerStats s;
      try {
        s = engine.stats(r.id());
      } catch (BerthException e) {
        if (e.category() == ErrorCategory.NOT_FOUND) continue; // removed meanwhile
        throw e;
      }
      if (!s.running()) continue;
      PodRecord p = records.get(podId);
      List<String> labels =
          List.of(
              CriContainers.metadata(r).getName(),
              p.config().name(),
              p.config().namespace(),
              r.id());
      pod.addContainerMetrics(
          ContainerMetrics.newBuilder()
              .setContainerId(r.id())
              .addAllMetrics(metrics(s, labels, CriConfigs.nanos(s.read()))));
    }
    ListPodSandboxMetricsResponse.Builder out = ListPodSandboxMetricsResponse.newBuilder();
    for (PodSandboxMetrics.Builder b : pods.values()) out.addPodMetrics(b);
    return out.build();
  }

  private static List<Metric> metrics(
      dev.berth.engine.stats.ContainerStats s, List<String> labels, long timestamp) {
    Stats.Cpu cpu = s.stats().cpu();
    Stats.Memory memory = s.stats().memory();
    Map<String, Long> values = new LinkedHashMap<>();
    values.put("container_cpu_usage_seconds_total", cpu.usage().total() / 1_000_000_000L);
    values.put("container_cpu_user_seconds_total", cpu.usage().user() / 1_000_000_000L);
    values.put("container_cpu_system_seconds_total", cpu.usage().kernel() / 1_000_000_000L);
    values.put("container_cpu_cfs_periods_total", cpu.throttling().periods());
    values.put("container_cpu_cfs_throttled_periods_total", cpu.throttling().throttledPeriods());
    values.put(
        "container_cpu_cfs_throttled_seconds_total",
        cpu.throttling().throttledTime() / 1_000_000_000L);
    values.put("container_memory_usage_bytes", memory.usage().usage());
    values.put("container_memory_working_set_bytes", s.memoryUsage());
    values.put("container_memory_max_usage_bytes", memory.usage().max());
    values.put("container_memory_rss", counter(memory, "rss", "anon"));
    values.put("container_memory_cache", counter(memory, "cache", "file"));
    values.put("container_memory_failcnt", memory.usage().failcnt());
    values.put("container_processes", s.pids());
    List<Metric> out = new ArrayList<>();
    values.forEach(
        (name, v) ->
            out.add(
                Metric.newBuilder()
                    .setName(name)
                    .setTimestamp(timestamp)
                    .setMetricType(DESCRIPTORS.get(name).type())
                    .addAllLabelValues(labels)
                    .setValue(UInt64Value.newBuilder().setValue(Math.max(0, v)))
                    .build()));
    return out;
  }

  /** A memory.stat counter: v1's hierarchical total_ one, else v2's name for it. */
  private static long counter(Stats.Memory m, String v1, String v2) {
    Long v = m.raw().get("total_" + v1);
    if (v == null) v = m.raw().get(v2);
    return v == null ? 0 : v;
  }
}
