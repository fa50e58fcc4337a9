package dev.berth.api.cri;

import dev.berth.api.cri.v1.ContainerAttributes;
import dev.berth.api.cri.v1.ContainerStats;
import dev.berth.api.cri.v1.ContainerStatsFilter;
import dev.berth.api.cri.v1.ContainerStatsRequest;
import dev.berth.api.cri.v1.ContainerStatsResponse;
import dev.berth.api.cri.v1.CpuUsage;
import dev.berth.api.cri.v1.FilesystemIdentifier;
import dev.berth.api.cri.v1.FilesystemUsage;
import dev.berth.api.cri.v1.LinuxPodSandboxStats;
import dev.berth.api.cri.v1.ListContainerStatsRequest;
import dev.berth.api.cri.v1.ListContainerStatsResponse;
import dev.berth.api.cri.v1.ListPodSandboxStatsRequest;
import dev.berth.api.cri.v1.ListPodSandboxStatsResponse;
import dev.berth.api.cri.v1.MemoryUsage;
import dev.berth.api.cri.v1.NetworkInterfaceUsage;
import dev.berth.api.cri.v1.NetworkUsage;
import dev.berth.api.cri.v1.PodSandboxAttributes;
import dev.berth.api.cri.v1.PodSandboxStats;
import dev.berth.api.cri.v1.PodSandboxStatsRequest;
import dev.berth.api.cri.v1.PodSandboxStatsResponse;
import dev.berth.api.cri.v1.ProcessUsage;
import dev.berth.api.cri.v1.UInt64Value;
import dev.berth.engine.Engine;
import dev.berth.engine.pod.PodConfig;
import dev.berth.engine.pod.PodRecord;
import dev.berth.engine.pod.Pods;
import dev.berth.engine.stats.HostUsage;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CRI's stats calls from the engine's stats (the runtime's cgroup counters): a container's
 * cumulative CPU time, its memory working set (usage less inactive file cache, as containerd and
 * cAdvisor count it), its writable layer's bytes; a pod's are its containers' summed, with its
 * network counters. usage_nano_cores needs two samples and is left to the kubelet, as berthd keeps
 * no samples.
 */
final class CriStats {
  private final Engine engine;
  private final CriContainers containers;

  CriStats(Engine engine, CriContainers containers) {
    this.engine = engine;
    this.containers = containers;
  }

  ContainerStatsResponse container(ContainerStatsRequest request) throws BerthException {
    ContainerRecord r = containers.container(request.getContainerId());
    return ContainerStatsResponse.newBuilder().setStats(stats(r)).build();
  }

  ListContainerStatsResponse list(ListContainerStatsRequest request) throws BerthException {
    ContainerStatsFilter f = request.getFilter();
    ListContainerStatsResponse.Builder b = ListContainerStatsResponse.newBuilder();
    for (ContainerRecord r : running(f.getId(), f.getPodSandboxId(), f.getLabelSelectorMap())) {
      try {
        b.addStats(stats(r));
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.NOT_FOUND) throw e; // removed meanwhile
      }
    }
    return b.build();
  }

  PodSandboxStatsResponse pod(PodSandboxStatsRequest request) throws BerthException {
    CriConfigs.required(request.getPodSandboxId(), "pod_sandbox_id");
    PodRecord p = engine.pods().status(request.getPodSandboxId());
    return PodSandboxStatsResponse.newBuilder().setStats(podStats(p)).build();
  }

  ListPodSandboxStatsResponse listPods(ListPodSandboxStatsRequest request) throws BerthException {
    var f = request.getFilter();
    ListPodSandboxStatsResponse.Builder b = ListPodSandboxStatsResponse.newBuilder();
    for (PodRecord p :
        engine
            .pods()
            .list(
                new PodRecord.Filter(f.getId(), PodRecord.State.READY, f.getLabelSelectorMap()))) {
      b.addStats(podStats(p));
    }
    return b.build();
  }

  /** The running pod containers the filter takes, as ListContainerStats lists them. */
  private List<ContainerRecord> running(String id, String pod, Map<String, String> labels)
      throws BerthException {
    List<ContainerRecord> out = new ArrayList<>();
    for (ContainerRecord r : engine.list()) {
      String podId = r.options().labels().get(Pods.POD_LABEL);
      if (podId == null || r.state().status() != Status.RUNNING) continue;
      if (!id.isEmpty() && !r.id().startsWith(id)) continue;
      if (!pod.isEmpty() && !podId.startsWith(pod)) continue;
      if (!CriContainers.matches(r, labels)) continue;
      out.add(r);
    }
    return out;
  }

  private PodSandboxStats podStats(PodRecord p) throws BerthException {
    PodConfig c = p.config();
    long now = CriConfigs.nanos(Instant.now());
    long cpu = 0;
    long workingSet = 0;
    long usage = 0;
    long rss = 0;
    long processes = 0;
    long[] net = null;
    LinuxPodSandboxStats.Builder linux = LinuxPodSandboxStats.newBuilder();
    for (ContainerRecord r : running("", p.id(), Map.of())) {
      dev.berth.engine.stats.ContainerStats s = engine.stats(r.id());
      if (!s.running()) continue;
      linux.addContainers(stats(r, s));
      cpu += s.stats().cpu().usage().total();
      workingSet += s.memoryUsage();
      usage += s.stats().memory().usage().usage();
      rss += rss(s);
      processes += s.pids();
      if (net == null && p.netns() != null) {
        try {
          net = HostUsage.network(r.state().pid());
        } catch (IOException e) {
          // exited meanwhile: the next container's tells
        }
      }
    }
    linux
        .setCpu(CpuUsage.newBuilder().setTimestamp(now).setUsageCoreNanoSeconds(u64(cpu)))
        .setMemory(
            MemoryUsage.newBuilder()
                .setTimestamp(now)
                .setWorkingSetBytes(u64(workingSet))
                .setUsageBytes(u64(usage))
                .setRssBytes(u64(rss)))
        .setProcess(ProcessUsage.newBuilder().setTimestamp(now).setProcessCount(u64(processes)));
    if (net != null) {
      linux.setNetwork(
          NetworkUsage.newBuilder()
              .setTimestamp(now)
              .setDefaultInterface(
                  NetworkInterfaceUsage.newBuilder()
                      .setName("eth0")
                      .setRxBytes(u64(net[0]))
                      .setTxBytes(u64(net[1]))));
    }
    return PodSandboxStats.newBuilder()
        .setAttributes(
            PodSandboxAttributes.newBuilder()
                .setId(p.id())
                .setMetadata(CriPods.metadata(c))
                .putAllLabels(c.labels())
                .putAllAnnotations(c.annotations()))
        .setLinux(linux)
        .build();
  }

  private ContainerStats stats(ContainerRecord r) throws BerthException {
    return stats(r, engine.stats(r.id()));
  }

  private ContainerStats stats(ContainerRecord r, dev.berth.engine.stats.ContainerStats s) {
    long now = CriConfigs.nanos(s.read());
    ContainerStats.Builder b =
        ContainerStats.newBuilder()
            .setAttributes(
                ContainerAttributes.newBuilder()
                    .setId(r.id())
                    .setMetadata(CriContainers.metadata(r))
                    .putAllLabels(CriContainers.labels(r))
                    .putAllAnnotations(r.options().host().annotations()));
    if (s.running()) {
      long limit = s.stats().memory().usage().limit();
      long workingSet = s.memoryUsage();
      MemoryUsage.Builder m =
          MemoryUsage.newBuilder()
              .setTimestamp(now)
              .setWorkingSetBytes(u64(workingSet))
              .setUsageBytes(u64(s.stats().memory().usage().usage()))
              .setRssBytes(u64(rss(s)))
              .setPageFaults(u64(raw(s, "pgfault")))
              .setMajorPageFaults(u64(raw(s, "pgmajfault")));
      // Only under a limit of its own (v1 reports "no limit" as a huge number).
      if (limit > 0
          && limit < Long.MAX_VALUE / 2
          && (s.hostMemory() <= 0 || limit <= s.hostMemory()))
        m.setAvailableBytes(u64(Math.max(0, limit - workingSet)));
      b.setCpu(
              CpuUsage.newBuilder()
                  .setTimestamp(now)
                  .setUsageCoreNanoSeconds(u64(s.stats().cpu().usage().total())))
          .setMemory(m);
    } else {
      b.setCpu(CpuUsage.newBuilder().setTimestamp(now))
          .setMemory(MemoryUsage.newBuilder().setTimestamp(now));
    }
    b.setWritableLayer(
        FilesystemUsage.newBuilder()
            .setTimestamp(now)
            .setFsId(
                FilesystemIdentifier.newBuilder()
                    .setMountpoint(engine.config().root().resolve("snapshots").toString()))
            .setUsedBytes(u64(engine.changesSize(r))));
    return b.build();
  }

  /** Anonymous memory: v1's total_rss, v2's anon. */
  private static long rss(dev.berth.engine.stats.ContainerStats s) {
    Long v = s.stats().memory().raw().get("total_rss");
    if (v == null) v = s.stats().memory().raw().get("anon");
    return v == null ? 0 : v;
  }

  /** A memory.stat counter, v1's hierarchical total_ one first. */
  private static long raw(dev.berth.engine.stats.ContainerStats s, String name) {
    Long v = s.stats().memory().raw().get("total_" + name);
    if (v == null) v = s.stats().memory().raw().get(name);
    return v == null ? 0 : v;
  }

  private static UInt64Value u64(long v) {
    return UInt64Value.newBuilder().setValue(Math.max(0, v)).build();
  }
}
