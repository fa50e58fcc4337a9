package dev.berth.api.cri;

import dev.berth.api.cri.v1.ContainerEventResponse;
import dev.berth.api.cri.v1.ContainerEventType;
import dev.berth.api.cri.v1.ContainerFilter;
import dev.berth.api.cri.v1.ContainerStatusRequest;
import dev.berth.api.cri.v1.ListContainersRequest;
import dev.berth.api.cri.v1.PodSandboxStatusRequest;
import dev.berth.engine.Engine;
import dev.berth.engine.events.Event;
import dev.berth.engine.events.EventLog;
import dev.berth.engine.pod.Pods;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;

/**
 * GetContainerEvents, the kubelet's evented PLEG: the life events of pod containers (created,
 * started, stopped, deleted) as the engine records them, each with its pod's status and the
 * statuses of the pod's containers as they are when it is sent, for as long as the client keeps the
 * stream. A thread of its own follows the engine's event log, so a kubelet's stream holds no worker
 * of the call pool.
 */
final class CriContainerEvents {
  /** How often the event log is read for new events. */
  private static final long POLL_MS = 100;

  private final Engine engine;
  private final CriPods pods;
  private final CriContainers containers;

  CriContainerEvents(Engine engine, CriPods pods, CriContainers containers) {
    this.engine = engine;
    this.pods = pods;
    this.containers = containers;
  }

  void stream(StreamObserver<ContainerEventResponse> observer) {
    ServerCallStreamObserver<ContainerEventResponse> out =
        (ServerCallStreamObserver<ContainerEventResponse>) observer;
    EventLog.Follower follower;
    try {
      follower = engine.events().follow(false);
    } catch (IOException e) {
      out.onError(
          Status.INTERNAL.withDescription("follow the engine's events: " + e).asException());
      return;
    }
    Thread.ofPlatform()
        .name("berth-cri-events")
        .daemon()
        .start(
            () -> {
              try (follower) {
                while (!out.isCancelled()) {
                  for (Event e : follower.poll()) {
                    ContainerEventResponse r = response(e);
                    if (r == null) continue;
                    synchronized (out) {
                      if (out.isCancelled()) return;
                      out.onNext(r);
                    }
                  }
                  Thread.sleep(POLL_MS);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (IOException | RuntimeException e) {
                if (!out.isCancelled()) {
                  out.onError(
                      Status.INTERNAL
                          .withDescription("follow the engine's events: " + e)
                          .asException());
                }
              }
            });
  }

  /** The CRI event for {@code e}, or null when it is none (not a pod container's life event). */
  ContainerEventResponse response(Event e) {
    if (!e.type().equals(Event.CONTAINER)) return null;
    String pod = e.attributes().get(Pods.POD_LABEL);
    if (pod == null) return null;
    ContainerEventType type =
        switch (e.action()) {
          case "create" -> ContainerEventType.CONTAINER_CREATED_EVENT;
          case "start" -> ContainerEventType.CONTAINER_STARTED_EVENT;
          case "die" -> ContainerEventType.CONTAINER_STOPPED_EVENT;
          case "destroy" -> ContainerEventType.CONTAINER_DELETED_EVENT;
          default -> null;
        };
    if (type == null) return null;
    ContainerEventResponse.Builder b =
        ContainerEventResponse.newBuilder()
            .setContainerId(e.id())
            .setContainerEventType(type)
            .setCreatedAt(CriConfigs.nanos(e.time()));
    try {
      b.setPodSandboxStatus(
          pods.status(PodSandboxStatusRequest.newBuilder().setPodSandboxId(pod).build())
              .getStatus());
      for (var c :
          containers
              .list(
                  ListContainersRequest.newBuilder()
                      .setFilter(ContainerFilter.newBuilder().setPodSandboxId(pod))
                      .build())
              .getContainersList()) {
        try {
          b.addContainersStatuses(
              containers
                  .status(ContainerStatusRequest.newBuilder().setContainerId(c.getId()).build())
                  .getStatus());
        } catch (BerthException x) {
          if (x.category() != ErrorCategory.NOT_FOUND) throw x;
          // removed meanwhile: the next event says so
        }
      }
    } catch (BerthException x) {
      // the pod is gone: the event still tells which container changed
    }
    return b.build();
  }
}
