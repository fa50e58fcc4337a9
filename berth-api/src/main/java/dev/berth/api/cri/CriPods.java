package dev.berth.api.cri;

import dev.berth.api.cri.v1.LinuxPodSandboxStatus;
import dev.berth.api.cri.v1.ListPodSandboxRequest;
import dev.berth.api.cri.v1.ListPodSandboxResponse;
import dev.berth.api.cri.v1.Namespace;
import dev.berth.api.cri.v1.NamespaceOption;
import dev.berth.api.cri.v1.PodSandbox;
import dev.berth.api.cri.v1.PodSandboxFilter;
import dev.berth.api.cri.v1.PodSandboxMetadata;
import dev.berth.api.cri.v1.PodSandboxNetworkStatus;
import dev.berth.api.cri.v1.PodSandboxState;
import dev.berth.api.cri.v1.PodSandboxStatus;
import dev.berth.api.cri.v1.PodSandboxStatusRequest;
import dev.berth.api.cri.v1.PodSandboxStatusResponse;
import dev.berth.api.cri.v1.RemovePodSandboxRequest;
import dev.berth.api.cri.v1.RemovePodSandboxResponse;
import dev.berth.api.cri.v1.RunPodSandboxRequest;
import dev.berth.api.cri.v1.RunPodSandboxResponse;
import dev.berth.api.cri.v1.StopPodSandboxRequest;
import dev.berth.api.cri.v1.StopPodSandboxResponse;
import dev.berth.engine.Engine;
import dev.berth.engine.pod.PodConfig;
import dev.berth.engine.pod.PodRecord;
import dev.berth.engine.pod.Pods;
import dev.berth.runtime.driver.RuntimeHandlers;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonWriter;
import java.time.Instant;

/**
 * The RuntimeService's pod sandbox calls on the engine's pods ({@link Pods}), answered as
 * containerd's CRI plugin does: an unknown id is NOT_FOUND except for StopPodSandbox and
 * RemovePodSandbox (already gone is fine: both are idempotent), a second pod of the same name and
 * attempt ALREADY_EXISTS. Everything is read from the engine's store on each call, so a restarted
 * berthd answers the same.
 */
final class CriPods {
  private final Engine engine;

  /** The names of the pods being run now (only while their RunPodSandbox lasts). */
  private final java.util.concurrent.ConcurrentHashMap<String, Boolean> running =
      new java.util.concurrent.ConcurrentHashMap<>();

  CriPods(Engine engine) {
    this.engine = engine;
  }

  private Pods pods() throws BerthException {
    return engine.pods();
  }

  RunPodSandboxResponse run(RunPodSandboxRequest request) throws BerthException {
    PodConfig c = CriConfigs.pod(request.getConfig(), request.getRuntimeHandler());
    // One pod of a name, namespace, uid and attempt, as containerd reserves the sandbox's name:
    // reserved here while it is made (two runs of the same pod cannot both pass, other pods are
    // made meanwhile), then the store's records tell.
    if (running.putIfAbsent(c.fullName(), Boolean.TRUE) != null) {
      throw new BerthException(
          ErrorCategory.ALREADY_EXISTS,
          "pod sandbox name " + c.fullName() + " is reserved by a run in progress");
    }
    try {
      for (PodRecord p : pods().list(PodRecord.Filter.ALL)) {
        if (p.config().fullName().equals(c.fullName())) {
          throw new BerthException(
              ErrorCategory.ALREADY_EXISTS,
              "pod sandbox name " + c.fullName() + " is reserved for " + p.id());
        }
      }
      PodRecord p = pods().run(c);
      return RunPodSandboxResponse.newBuilder().setPodSandboxId(p.id()).build();
    } finally {
      running.remove(c.fullName());
    }
  }

  /** Stopped (or stopped already, or gone: the CRI's stop is idempotent, as containerd's). */
  StopPodSandboxResponse stop(StopPodSandboxRequest request) throws BerthException {
    CriConfigs.required(request.getPodSandboxId(), "pod_sandbox_id");
    try {
      pods().stop(request.getPodSandboxId());
    } catch (BerthException e) {
      if (e.category() != ErrorCategory.NOT_FOUND) throw e;
    }
    return StopPodSandboxResponse.getDefaultInstance();
  }

  /** Its containers removed (a running one killed), then the pod; a pod that is gone is fine. */
  RemovePodSandboxResponse remove(RemovePodSandboxRequest request) throws BerthException {
    CriConfigs.required(request.getPodSandboxId(), "pod_sandbox_id");
    pods().remove(request.getPodSandboxId());
    return RemovePodSandboxResponse.getDefaultInstance();
  }

  PodSandboxStatusResponse status(PodSandboxStatusRequest request) throws BerthException {
    CriConfigs.required(request.getPodSandboxId(), "pod_sandbox_id");
    PodRecord p = pods().status(request.getPodSandboxId());
    PodConfig c = p.config();
    PodSandboxStatus.Builder s =
        PodSandboxStatus.newBuilder()
            .setId(p.id())
            .setMetadata(metadata(c))
            .setState(state(p))
            .setCreatedAt(CriConfigs.nanos(p.created()))
            .setNetwork(PodSandboxNetworkStatus.newBuilder().setIp(p.ip()))
            .setLinux(
                LinuxPodSandboxStatus.newBuilder()
                    .setNamespaces(
                        Namespace.newBuilder()
                            .setOptions(
                                NamespaceOption.newBuilder()
                                    .setNetwork(CriConfigs.mode(c.namespaces().network()))
                                    .setPid(CriConfigs.mode(c.namespaces().pid()))
                                    .setIpc(CriConfigs.mode(c.namespaces().ipc()))
                                    .setUsernsOptions(
                                        CriConfigs.usernsOptions(c.namespaces().userns())))))
            .putAllLabels(c.labels())
            .putAllAnnotations(c.annotations())
            .setRuntimeHandler(handler(c));
    PodSandboxStatusResponse.Builder b =
        PodSandboxStatusResponse.newBuilder()
            .setStatus(s)
            .setTimestamp(CriConfigs.nanos(Instant.now()));
    if (request.getVerbose()) b.putInfo("info", info(p));
    return b.build();
  }

  ListPodSandboxResponse list(ListPodSandboxRequest request) throws BerthException {
    PodSandboxFilter f = request.getFilter();
    PodRecord.Filter filter =
        new PodRecord.Filter(
            f.getId(),
            f.hasState()
                ? f.getState().getState() == PodSandboxState.SANDBOX_READY
                    ? PodRecord.State.READY
                    : PodRecord.State.NOTREADY
                : null,
            f.getLabelSelectorMap());
    ListPodSandboxResponse.Builder b = ListPodSandboxResponse.newBuilder();
    for (PodRecord p : pods().list(filter)) {
      PodConfig c = p.config();
      b.addItems(
          PodSandbox.newBuilder()
              .setId(p.id())
              .setMetadata(metadata(c))
              .setState(state(p))
              .setCreatedAt(CriConfigs.nanos(p.created()))
              .putAllLabels(c.labels())
              .putAllAnnotations(c.annotations())
              .setRuntimeHandler(handler(c)));
    }
    return b.build();
  }

  static PodSandboxMetadata metadata(PodConfig c) {
    return PodSandboxMetadata.newBuilder()
        .setName(c.name())
        .setUid(c.uid())
        .setNamespace(c.namespace())
        .setAttempt(c.attempt())
        .build();
  }

  private static PodSandboxState state(PodRecord p) {
    return p.state() == PodRecord.State.READY
        ? PodSandboxState.SANDBOX_READY
        : PodSandboxState.SANDBOX_NOTREADY;
  }

  /** The handler as kubelet named it: "" for the default one. */
  private static String handler(PodConfig c) {
    return c.runtimeHandler() == null || c.runtimeHandler().equals(RuntimeHandlers.DEFAULT)
        ? ""
        : c.runtimeHandler();
  }

  /** The verbose info, as containerd's keys where they have a meaning here. */
  private static String info(PodRecord p) {
    PodConfig c = p.config();
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginObject();
    w.field("pid", p.pausePid());
    w.field("processStatus", p.state() == PodRecord.State.READY ? "running" : "stopped");
    w.field("netNamespaceClosed", p.netns() == null);
    if (p.netns() != null) w.field("netNamespace", p.netns());
    if (p.ipcNs() != null) w.field("ipcNamespace", p.ipcNs());
    if (p.utsNs() != null) w.field("utsNamespace", p.utsNs());
    if (p.pidNs() != null) w.field("pidNamespace", p.pidNs());
    w.field(
        "runtimeHandler",
        c.runtimeHandler() == null ? RuntimeHandlers.DEFAULT : c.runtimeHandler());
    w.field("cgroupParent", p.cgroupParent());
    w.name("config").beginObject();
    w.field("name", c.name()).field("namespace", c.namespace()).field("uid", c.uid());
    w.field("attempt", c.attempt());
    w.field("hostname", c.hostnameOrHost());
    if (c.logDirectory() != null) w.field("logDirectory", c.logDirectory());
    w.name("sysctls").beginObject();
    for (var e : c.sysctls().entrySet()) w.field(e.getKey(), e.getValue());
    w.endObject();
    w.name("portMappings").beginArray();
    for (PodConfig.PortMapping m : c.portMappings()) {
      w.beginObject()
          .field("protocol", m.protocol())
          .field("containerPort", m.containerPort())
          .field("hostPort", m.hostPort())
          .field("hostIp", m.hostIp())
          .endObject();
    }
    w.endArray();
    w.endObject();
    return w.endObject().toString();
  }
}
