package dev.berth.api.cri;

import dev.berth.api.cri.v1.CgroupDriver;
import dev.berth.api.cri.v1.LinuxRuntimeConfiguration;
import dev.berth.api.cri.v1.RuntimeCondition;
import dev.berth.api.cri.v1.RuntimeConfigRequest;
import dev.berth.api.cri.v1.RuntimeConfigResponse;
import dev.berth.api.cri.v1.RuntimeServiceGrpc;
import dev.berth.api.cri.v1.RuntimeStatus;
import dev.berth.api.cri.v1.StatusRequest;
import dev.berth.api.cri.v1.StatusResponse;
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
 * The RuntimeService calls about the runtime itself: Version, Status and RuntimeConfig. Pods and
 * containers answer UNIMPLEMENTED (the base class) until they are served.
 */
final class CriRuntimeService extends RuntimeServiceGrpc.RuntimeServiceImplBase {
  /** The only Version.version the kubelet accepts. */
  static final String KUBELET_API_VERSION = "0.1.0";

  static final String RUNTIME_NAME = "berth";

  /** The CNI plugins a pod network needs: its bridge, addresses, lo, and published ports. */
  static final List<String> CNI_PLUGINS = List.of("bridge", "host-local", "loopback", "portmap");

  private final Engine engine;
  private final String version;

  CriRuntimeService(Engine engine, String version) {
    this.engine = engine;
    this.version = version;
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
        () ->
            StatusResponse.newBuilder()
                .setStatus(
                    RuntimeStatus.newBuilder()
                        .addConditions(runtimeReady())
                        .addConditions(networkReady()))
                .addAllRuntimeHandlers(CriRuntimeHandlers.of(engine))
                .build());
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
