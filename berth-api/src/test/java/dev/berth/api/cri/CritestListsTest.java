package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cri.v1.ContainerEventResponse;
import dev.berth.api.cri.v1.ContainerEventType;
import dev.berth.api.cri.v1.ContainerFilter;
import dev.berth.api.cri.v1.ContainerMetrics;
import dev.berth.api.cri.v1.ContainerState;
import dev.berth.api.cri.v1.ContainerStateValue;
import dev.berth.api.cri.v1.ContainerStatsFilter;
import dev.berth.api.cri.v1.ContainerStatus;
import dev.berth.api.cri.v1.GetEventsRequest;
import dev.berth.api.cri.v1.ListContainerStatsRequest;
import dev.berth.api.cri.v1.ListContainersRequest;
import dev.berth.api.cri.v1.ListMetricDescriptorsRequest;
import dev.berth.api.cri.v1.ListPodSandboxMetricsRequest;
import dev.berth.api.cri.v1.ListPodSandboxRequest;
import dev.berth.api.cri.v1.ListPodSandboxStatsRequest;
import dev.berth.api.cri.v1.Metric;
import dev.berth.api.cri.v1.MetricDescriptor;
import dev.berth.api.cri.v1.PodSandboxFilter;
import dev.berth.api.cri.v1.PodSandboxMetrics;
import dev.berth.api.cri.v1.PodSandboxState;
import dev.berth.api.cri.v1.PodSandboxStateValue;
import dev.berth.api.cri.v1.PodSandboxStatsFilter;
import dev.berth.api.cri.v1.RemoveContainerRequest;
import dev.berth.api.cri.v1.RemovePodSandboxRequest;
import dev.berth.api.cri.v1.RuntimeServiceGrpc;
import dev.berth.api.cri.v1.StopPodSandboxRequest;
import dev.berth.testkit.RequiresRoot;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * critest's "Streaming List" (streaming_list.go): the lists a kubelet with CRIListStreaming takes
 * (its client falls back to the unary List calls when the streaming ones answer UNIMPLEMENTED, as
 * berthd's do), with their filters, and the pod metrics the kubelet reads from the runtime
 * (ListMetricDescriptors, ListPodSandboxMetrics); and GetContainerEvents, which the kubelet's
 * evented PLEG follows.
 */
@RequiresRoot
@org.junit.jupiter.api.Timeout(120)
class CritestListsTest extends CriPodTestBase {

  @Test
  void podsContainersStatsAndMetricsAreListedWithTheirFilters() throws Exception {
    String pod = runPod(podConfig("stream-list-pod").putLabels("stream-test", "yes"));
    // pods: by id, by state, by labels (and not by a wrong one), none for an unknown id
    assertEquals(List.of(pod), pods(PodSandboxFilter.newBuilder().setId(pod)));
    assertTrue(
        pods(PodSandboxFilter.newBuilder()
                .setState(
                    PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_READY)))
            .contains(pod));
    assertEquals(
        List.of(pod), pods(PodSandboxFilter.newBuilder().putLabelSelector("stream-test", "yes")));
    assertEquals(
        List.of(), pods(PodSandboxFilter.newBuilder().putLabelSelector("stream-test", "no")));
    assertEquals(List.of(), pods(PodSandboxFilter.newBuilder().setId("non-existent-id")));

    // containers: created ones by id and pod, a started one by state, several, a removed one gone
    String one =
        startContainer(pod, container("one", "sleep", "600").putLabels("stream-stats", "yes"));
    String two = create(pod, container("two", "sleep", "600"));
    String three = create(pod, container("three", "sleep", "600"));
    assertEquals(List.of(two), containers(ContainerFilter.newBuilder().setId(two)));
    assertEquals(
        List.of(one, three, two).stream().sorted().toList(),
        containers(ContainerFilter.newBuilder().setPodSandboxId(pod)).stream().sorted().toList());
    assertEquals(
        List.of(one),
        containers(
            ContainerFilter.newBuilder()
                .setState(
                    ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_RUNNING))));
    rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(three).build());
    assertEquals(List.of(), containers(ContainerFilter.newBuilder().setId(three)));

    // container stats: by id, by labels (and not by a wrong one)
    assertEquals(List.of(one), containerStats(ContainerStatsFilter.newBuilder().setId(one)));
    assertEquals(
        List.of(one),
        containerStats(ContainerStatsFilter.newBuilder().putLabelSelector("stream-stats", "yes")));
    assertEquals(
        List.of(),
        containerStats(ContainerStatsFilter.newBuilder().putLabelSelector("stream-stats", "no")));

    // pod stats: by id (one), without a filter, by labels
    var byId =
        rt().listPodSandboxStats(
                ListPodSandboxStatsRequest.newBuilder()
                    .setFilter(PodSandboxStatsFilter.newBuilder().setId(pod))
                    .build())
            .getStatsList();
    assertEquals(1, byId.size());
    assertEquals(pod, byId.get(0).getAttributes().getId());
    assertTrue(
        rt()
            .listPodSandboxStats(ListPodSandboxStatsRequest.getDefaultInstance())
            .getStatsList()
            .stream()
            .anyMatch(s -> s.getAttributes().getId().equals(pod)));
    assertTrue(
        rt()
            .listPodSandboxStats(
                ListPodSandboxStatsRequest.newBuilder()
                    .setFilter(
                        PodSandboxStatsFilter.newBuilder().putLabelSelector("stream-test", "yes"))
                    .build())
            .getStatsList()
            .stream()
            .anyMatch(s -> s.getAttributes().getId().equals(pod)));

    // pod metrics: the pod with its running container, each metric described and labelled
    Map<String, MetricDescriptor> described = new HashMap<>();
    for (MetricDescriptor d :
        rt().listMetricDescriptors(ListMetricDescriptorsRequest.getDefaultInstance())
            .getDescriptorsList()) {
      described.put(d.getName(), d);
    }
    assertTrue(described.containsKey("container_memory_working_set_bytes"), described.toString());
    List<PodSandboxMetrics> metrics =
        rt().listPodSandboxMetrics(ListPodSandboxMetricsRequest.getDefaultInstance())
            .getPodMetricsList();
    PodSandboxMetrics mine =
        metrics.stream().filter(m -> m.getPodSandboxId().equals(pod)).findFirst().orElseThrow();
    assertEquals(
        List.of(one),
        mine.getContainerMetricsList().stream().map(ContainerMetrics::getContainerId).toList());
    List<Metric> ms = mine.getContainerMetrics(0).getMetricsList();
    assertFalse(ms.isEmpty());
    for (Metric m : ms) {
      MetricDescriptor d = described.get(m.getName());
      assertTrue(d != null, "undescribed metric " + m.getName());
      assertEquals(d.getLabelKeysCount(), m.getLabelValuesCount(), m.getName());
      assertEquals(one, m.getLabelValues(d.getLabelKeysList().indexOf("id")));
      assertEquals("stream-list-pod", m.getLabelValues(d.getLabelKeysList().indexOf("pod")));
    }
    long workingSet =
        ms.stream()
            .filter(m -> m.getName().equals("container_memory_working_set_bytes"))
            .findFirst()
            .orElseThrow()
            .getValue()
            .getValue();
    assertTrue(workingSet > 0, "a running sleep uses some memory");
    assertTrue(
        ms.stream()
                .filter(m -> m.getName().equals("container_processes"))
                .findFirst()
                .orElseThrow()
                .getValue()
                .getValue()
            >= 1);

    // a stopped pod has no metrics
    rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertTrue(
        rt()
            .listPodSandboxMetrics(ListPodSandboxMetricsRequest.getDefaultInstance())
            .getPodMetricsList()
            .stream()
            .noneMatch(m -> m.getPodSandboxId().equals(pod)));
    rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  @Test
  void containerEventsFollowAPodContainersLife() throws Exception {
    String pod = runPod(podConfig("events-pod"));
    BlockingQueue<ContainerEventResponse> events = new LinkedBlockingQueue<>();
    Context.CancellableContext call = Context.current().withCancellation();
    call.run(
        () ->
            RuntimeServiceGrpc.newStub(channel)
                .getContainerEvents(
                    GetEventsRequest.getDefaultInstance(),
                    new StreamObserver<>() {
                      @Override
                      public void onNext(ContainerEventResponse r) {
                        events.add(r);
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {}
                    }));
    try {
      // the stream is open once the server answers its headers: a first call after it is seen
      Thread.sleep(300);
      String id = startContainer(pod, container("short", "sh", "-c", "exit 3"));
      List<ContainerEventType> seen = new ArrayList<>();
      ContainerEventResponse stopped = next(events, id, seen);
      while (stopped.getContainerEventType() != ContainerEventType.CONTAINER_STOPPED_EVENT) {
        stopped = next(events, id, seen);
      }
      // the stopped event carries the pod's status and the container's, with its exit code
      assertEquals(pod, stopped.getPodSandboxStatus().getId());
      ContainerStatus s =
          stopped.getContainersStatusesList().stream()
              .filter(c -> c.getId().equals(id))
              .findFirst()
              .orElseThrow(() -> new AssertionError(seen.toString()));
      assertEquals(ContainerState.CONTAINER_EXITED, s.getState());
      assertEquals(3, s.getExitCode());
      rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
      next(events, id, seen);
      assertEquals(
          List.of(
              ContainerEventType.CONTAINER_CREATED_EVENT,
              ContainerEventType.CONTAINER_STARTED_EVENT,
              ContainerEventType.CONTAINER_STOPPED_EVENT,
              ContainerEventType.CONTAINER_DELETED_EVENT),
          seen);
    } finally {
      call.cancel(null);
    }
  }

  /** The next event of container {@code id} within 20 s; its type is added to {@code seen}. */
  private static ContainerEventResponse next(
      BlockingQueue<ContainerEventResponse> events, String id, List<ContainerEventType> seen)
      throws InterruptedException {
    while (true) {
      ContainerEventResponse r = events.poll(20, TimeUnit.SECONDS);
      if (r == null) throw new AssertionError("no further event; so far " + seen);
      if (!r.getContainerId().equals(id)) continue;
      seen.add(r.getContainerEventType());
      return r;
    }
  }

  private List<String> pods(PodSandboxFilter.Builder f) {
    return rt()
        .listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(f).build())
        .getItemsList()
        .stream()
        .map(p -> p.getId())
        .toList();
  }

  private List<String> containers(ContainerFilter.Builder f) {
    return rt()
        .listContainers(ListContainersRequest.newBuilder().setFilter(f).build())
        .getContainersList()
        .stream()
        .map(c -> c.getId())
        .toList();
  }

  private List<String> containerStats(ContainerStatsFilter.Builder f) {
    return rt()
        .listContainerStats(ListContainerStatsRequest.newBuilder().setFilter(f).build())
        .getStatsList()
        .stream()
        .map(s -> s.getAttributes().getId())
        .toList();
  }
}
