package dev.berth.api.cri;

import dev.berth.api.cri.v1.CgroupDriver;
import dev.berth.api.cri.v1.ContainerEventResponse;
import dev.berth.api.cri.v1.ContainerStatsRequest;
import dev.berth.api.cri.v1.ContainerStatsResponse;
import dev.berth.api.cri.v1.ContainerStatusRequest;
import dev.berth.api.cri.v1.ContainerStatusResponse;
import dev.berth.api.cri.v1.CreateContainerRequest;
import dev.berth.api.cri.v1.CreateContainerResponse;
import dev.berth.api.cri.v1.ExecSyncRequest;
import dev.berth.api.cri.v1.ExecSyncResponse;
import dev.berth.api.cri.v1.GetEventsRequest;
import dev.berth.api.cri.v1.LinuxRuntimeConfiguration;
import dev.berth.api.cri.v1.ListContainerStatsRequest;
import dev.berth.api.cri.v1.ListContainerStatsResponse;
import dev.berth.api.cri.v1.ListContainersRequest;
import dev.berth.api.cri.v1.ListContainersResponse;
import dev.berth.api.cri.v1.ListMetricDescriptorsRequest;
import dev.berth.api.cri.v1.ListMetricDescriptorsResponse;
import dev.berth.api.cri.v1.ListPodSandboxMetricsRequest;
import dev.berth.api.cri.v1.ListPodSandboxMetricsResponse;
import dev.berth.api.cri.v1.ListPodSandboxRequest;
import dev.berth.api.cri.v1.ListPodSandboxResponse;
import dev.berth.api.cri.v1.ListPodSandboxStatsRequest;
import dev.berth.api.cri.v1.ListPodSandboxStatsResponse;
import dev.berth.api.cri.v1.PodSandboxStatsRequest;
import dev.berth.api.cri.v1.PodSandboxStatsResponse;
import dev.berth.api.cri.v1.PodSandboxStatusRequest;
import dev.berth.api.cri.v1.PodSandboxStatusResponse;
import dev.berth.api.cri.v1.RemoveContainerRequest;
import dev.berth.api.cri.v1.RemoveContainerResponse;
import dev.berth.api.cri.v1.RemovePodSandboxRequest;
import dev.berth.api.cri.v1.RemovePodSandboxResponse;
import dev.berth.api.cri.v1.ReopenContainerLogRequest;
import dev.berth.api.cri.v1.ReopenContainerLogResponse;
import dev.berth.api.cri.v1.RunPodSandboxRequest;
import dev.berth.api.cri.v1.RunPodSandboxResponse;
import dev.berth.api.cri.v1.RuntimeCondition;
import dev.berth.api.cri.v1.RuntimeConfigRequest;
import dev.berth.api.cri.v1.RuntimeConfigResponse;
import dev.berth.api.cri.v1.RuntimeServiceGrpc;
import dev.berth.api.cri.v1.RuntimeStatus;
import dev.berth.api.cri.v1.StartContainerRequest;
import dev.berth.api.cri.v1.StartContainerResponse;
import dev.berth.api.cri.v1.StatusRequest;
import dev.berth.api.cri.v1.StatusResponse;
import dev.berth.api.cri.v1.StopContainerRequest;
import dev.berth.api.cri.v1.StopContainerResponse;
import dev.berth.api.cri.v1.StopPodSandboxRequest;
import dev.berth.api.cri.v1.StopPodSandboxResponse;
import dev.berth.api.cri.v1.UpdateContainerResourcesRequest;
import dev.berth.api.cri.v1.UpdateContainerResourcesResponse;
import dev.berth.api.cri.v1.UpdateRuntimeConfigRequest;
import dev.berth.api.cri.v1.UpdateRuntimeConfigResponse;
import dev.berth.api.cri.v1.VersionRequest;
import dev.berth.api.cri.v1.VersionResponse;
import dev.berth.engine.Engine;
import dev.berth.engine.network.NetworkStore;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The RuntimeService: Version, Status and RuntimeConfig here; pods ({@link CriPods}), containers
 * ({@link CriContainers}), ExecSync ({@link CriExecSync}), stats ({@link CriStats}), metrics
 * ({@link CriMetrics}) and container events ({@link CriContainerEvents}) delegated. The calls not
 * served (checkpoints, pod resources) answer UNIMPLEMENTED (the base class), which the kubelet
 * takes as "not supported".
 */
final class CriRuntimeService extends RuntimeServiceGrpc.RuntimeServiceImplBase {
  /** The only Version.version the kubelet accepts. */
  static final String KUBELET_API_VERSION = "0.1.0";

  static final String RUNTIME_NAME = "berth";

  /** The CNI plugins a pod network needs: its bridge, addresses, lo, and published ports. */
  static final List<String> CNI_PLUGINS = List.of("bridge", "host-local", "loopback", "portmap");

  private final Engine engine;
  private final String version;
  private final CriPods pods;
  private final CriContainers containers;
  private final CriExecSync execSync;
  private final CriStats stats;
  private final CriMetrics metrics;
  private final CriContainerEvents events;

  CriRuntimeService(Engine engine, String version) {
    this.engine = engine;
    this.version = version;
    this.pods = new CriPods(engine);
    this.containers = new CriContainers(engine);
    this.execSync = new CriExecSync(engine, containers);
    this.stats = new CriStats(engine, containers);
    this.metrics = new CriMetrics(engine);
    this.events = new CriContainerEvents(engine, pods, containers);
  }

  @Override
  public void version(VersionRequest request, StreamObserver<VersionResponse> out) {
    CriCalls.answer(
        out,
        () ->
            VersionResponse.newBuilder()
                .setVersion(KUBELET_API_VERSION)
                .setRuntimeName(RUNTIME_NAME)
                .setRuntimeVersion(version)
                .setRuntimeApiVersion("v1")
                .build());
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
    CriCalls.answer(
        out,
        () -> {
          StatusResponse.Builder b =
              StatusResponse.newBuilder()
                  .setStatus(
                      RuntimeStatus.newBuilder()
                          .addConditions(runtimeReady())
                          .addConditions(networkReady()))
                  .addAllRuntimeHandlers(CriRuntimeHandlers.of(engine));
          if (request.getVerbose()) b.putInfo("config", verboseConfig());
          return b.build();
        });
  }

  /**
   * Status' verbose "config", as containerd's names its directories: critest reads {@code
   * stateDir}'s parent to see whether the file system containers' root filesystems live on can be
   * idmapped (a container's is {@code <root>/containers/<id>/rootfs}).
   */
  private String verboseConfig() {
    var w = new dev.berth.spec.json.JsonWriter(dev.berth.spec.json.JsonWriter.COMPACT);
    w.beginObject()
        .field("rootDir", engine.config().root().toString())
        .field("stateDir", engine.config().root().resolve("containers").toString())
        .endObject();
    return new String(w.toByteArray(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * The kubelet hands the node's pod CIDR over at start and whenever it changes; containerd keeps
   * it only for a CNI config template. berth's pod networks take their addresses from the engine's
   * default network, so there is nothing to keep: accepted, as containerd without a template.
   */
  @Override
  public void updateRuntimeConfig(
      UpdateRuntimeConfigRequest request, StreamObserver<UpdateRuntimeConfigResponse> out) {
    CriCalls.answer(out, UpdateRuntimeConfigResponse::getDefaultInstance);
  }

  @Override
  public void runtimeConfig(
      RuntimeConfigRequest request, StreamObserver<RuntimeConfigResponse> out) {
    // berth puts containers' cgroups under a parent path itself (cgroupfs), never through systemd.
    CriCalls.answer(
        out,
        () ->
            RuntimeConfigResponse.newBuilder()
                .setLinux(
                    LinuxRuntimeConfiguration.newBuilder().setCgroupDriver(CgroupDriver.CGROUPFS))
                .build());
  }

  // ---- pods, containers, stats: delegated ----

  @Override
  public void runPodSandbox(
      RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> out) {
    CriCalls.answer(out, () -> pods.run(request));
  }

  @Override
  public void stopPodSandbox(
      StopPodSandboxRequest request, StreamObserver<StopPodSandboxResponse> out) {
    CriCalls.answer(out, () -> pods.stop(request));
  }

  @Override
  public void removePodSandbox(
      RemovePodSandboxRequest request, StreamObserver<RemovePodSandboxResponse> out) {
    CriCalls.answer(out, () -> pods.remove(request));
  }

  @Override
  public void podSandboxStatus(
      PodSandboxStatusRequest request, StreamObserver<PodSandboxStatusResponse> out) {
    CriCalls.answer(out, () -> pods.status(request));
  }

  @Override
  public void listPodSandbox(
      ListPodSandboxRequest request, StreamObserver<ListPodSandboxResponse> out) {
    CriCalls.answer(out, () -> pods.list(request));
  }

  @Override
  public void createContainer(
      CreateContainerRequest request, StreamObserver<CreateContainerResponse> out) {
    CriCalls.answer(out, () -> containers.create(request));
  }

  @Override
  public void startContainer(
      StartContainerRequest request, StreamObserver<StartContainerResponse> out) {
    CriCalls.answer(out, () -> containers.start(request));
  }

  @Override
  public void stopContainer(
      StopContainerRequest request, StreamObserver<StopContainerResponse> out) {
    CriCalls.answer(out, () -> containers.stop(request));
  }

  @Override
  public void removeContainer(
      RemoveContainerRequest request, StreamObserver<RemoveContainerResponse> out) {
    CriCalls.answer(out, () -> containers.remove(request));
  }

  @Override
  public void containerStatus(
      ContainerStatusRequest request, StreamObserver<ContainerStatusResponse> out) {
    CriCalls.answer(out, () -> containers.status(request));
  }

  @Override
  public void listContainers(
      ListContainersRequest request, StreamObserver<ListContainersResponse> out) {
    CriCalls.answer(out, () -> containers.list(request));
  }

  @Override
  public void updateContainerResources(
      UpdateContainerResourcesRequest request,
      StreamObserver<UpdateContainerResourcesResponse> out) {
    CriCalls.answer(out, () -> containers.update(request));
  }

  @Override
  public void reopenContainerLog(
      ReopenContainerLogRequest request, StreamObserver<ReopenContainerLogResponse> out) {
    CriCalls.answer(out, () -> containers.reopenLog(request));
  }

  @Override
  public void execSync(ExecSyncRequest request, StreamObserver<ExecSyncResponse> out) {
    CriCalls.answer(out, () -> execSync.run(request));
  }

  @Override
  public void containerStats(
      ContainerStatsRequest request, StreamObserver<ContainerStatsResponse> out) {
    CriCalls.answer(out, () -> stats.container(request));
  }

  @Override
  public void listContainerStats(
      ListContainerStatsRequest request, StreamObserver<ListContainerStatsResponse> out) {
    CriCalls.answer(out, () -> stats.list(request));
  }

  @Override
  public void podSandboxStats(
      PodSandboxStatsRequest request, StreamObserver<PodSandboxStatsResponse> out) {
    CriCalls.answer(out, () -> stats.pod(request));
  }

  @Override
  public void listPodSandboxStats(
      ListPodSandboxStatsRequest request, StreamObserver<ListPodSandboxStatsResponse> out) {
    CriCalls.answer(out, () -> stats.listPods(request));
  }

  @Override
  public void getContainerEvents(
      GetEventsRequest request, StreamObserver<ContainerEventResponse> out) {
    events.stream(out);
  }

  @Override
  public void listMetricDescriptors(
      ListMetricDescriptorsRequest request, StreamObserver<ListMetricDescriptorsResponse> out) {
    CriCalls.answer(out, metrics::descriptors);
  }

  @Override
  public void listPodSandboxMetrics(
      ListPodSandboxMetricsRequest request, StreamObserver<ListPodSandboxMetricsResponse> out) {
    CriCalls.answer(out, metrics::podMetrics);
  }

  /** Ready when the store reads and the run root is there: what every container call needs. */
  private RuntimeCondition runtimeReady() {
    RuntimeCondition.Builder c = RuntimeCondition.newBuilder().setType("RuntimeReady");
    try {
      engine.images().list();
      engine.containers().list();
      if (!Files.isDirectory(engine.config().runRoot())) {
        return c.setReason("RunRootMissing")
            .setMessage("the run root " + engine.config().runRoot() + " is not a directory")
            .build();
      }
      return c.setStatus(true).build();
    } catch (Exception e) {
      return c.setReason("EngineNotReady")
          .setMessage(CriCalls.status(e).getStatus().getDescription())
          .build();
    }
  }

  /**
   * Ready when the CNI plugins a pod network runs are installed and the engine's network config can
   * be made (the default network's conflist, written on first use), as containerd reports its CNI
   * config: kubelet keeps a node NotReady, and schedules no pod network, until it is.
   */
  private RuntimeCondition networkReady() {
    RuntimeCondition.Builder c = RuntimeCondition.newBuilder().setType("NetworkReady");
    List<Path> dirs = engine.config().cniPluginDirs();
    List<String> missing = new ArrayList<>();
    for (String plugin : CNI_PLUGINS) {
      if (dirs.stream().noneMatch(d -> Files.isExecutable(d.resolve(plugin)))) missing.add(plugin);
    }
    if (!missing.isEmpty()) {
      return c.setReason("NetworkPluginNotReady")
          .setMessage(
              "CNI plugins "
                  + String.join(", ", missing)
                  + " not found in "
                  + dirs
                  + " (install containernetworking-plugins)")
          .build();
    }
    try {
      NetworkStore networks = engine.networks();
      networks.configList(networks.defaultNetwork().name());
      return c.setStatus(true).build();
    } catch (Exception e) {
      return c.setReason("NetworkConfigNotReady")
          .setMessage(CriCalls.status(e).getStatus().getDescription())
          .build();
    }
  }

  // ---- streaming: Exec, Attach and PortForward, served by CriStreamingCalls ----

  private CriStreamingCalls streaming = new CriStreamingCalls(null, null);

  /** Serves the streaming calls with {@code calls} (else they answer UNIMPLEMENTED). */
  CriRuntimeService streaming(CriStreamingCalls calls) {
    this.streaming = calls;
    return this;
  }

  @Override
  public void exec(
      dev.berth.api.cri.v1.ExecRequest request,
      StreamObserver<dev.berth.api.cri.v1.ExecResponse> out) {
    CriCalls.answer(out, () -> streaming.exec(request));
  }

  @Override
  public void attach(
      dev.berth.api.cri.v1.AttachRequest request,
      StreamObserver<dev.berth.api.cri.v1.AttachResponse> out) {
    CriCalls.answer(out, () -> streaming.attach(request));
  }

  @Override
  public void portForward(
      dev.berth.api.cri.v1.PortForwardRequest request,
      StreamObserver<dev.berth.api.cri.v1.PortForwardResponse> out) {
    CriCalls.answer(out, () -> streaming.portForward(request));
  }
}
