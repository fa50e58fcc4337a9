package dev.berth.api.cri;

import dev.berth.api.cri.streaming.AttachRequest;
import dev.berth.api.cri.streaming.EngineStreamingRuntime;
import dev.berth.api.cri.streaming.ExecRequest;
import dev.berth.api.cri.streaming.PortForwardRequest;
import dev.berth.api.cri.streaming.StreamingServer;
import dev.berth.api.cri.v1.AttachResponse;
import dev.berth.api.cri.v1.ExecResponse;
import dev.berth.api.cri.v1.PortForwardResponse;
import dev.berth.engine.Engine;
import dev.berth.engine.pod.PodRecord;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;

/**
 * The RuntimeService's streaming calls, Exec, Attach and PortForward: each request is checked as
 * containerd checks it (with kubelet's streaming server's rules) and answered with a one-use URL of
 * the {@link StreamingServer}, where the client then streams. What the codes are: an empty id or an
 * impossible set of streams is INVALID_ARGUMENT, a container or pod that does not exist is
 * NOT_FOUND, one that is not running (a pod: not ready) is FAILED_PRECONDITION.
 */
final class CriStreamingCalls {
  /** A host-network pod's ports are the host's: this process' own namespace. */
  private static final Path HOST_NETNS = Path.of("/proc/self/ns/net");

  private final Engine engine;
  private final StreamingServer server;

  /**
   * @param server where the URLs point; null: there is none, and the calls answer UNIMPLEMENTED
   */
  CriStreamingCalls(Engine engine, StreamingServer server) {
    this.engine = engine;
    this.server = server;
  }

  /**
   * The streaming sessions on {@code engine}: containers by id, a pod's port forwards into its
   * pinned network namespace (the host's for a host-network pod), looked up when a client connects,
   * so a pod stopped since its URL was made is refused then.
   */
  static EngineStreamingRuntime runtime(Engine engine) {
    return new EngineStreamingRuntime(engine, id -> podNetns(engine, id));
  }

  private static Path podNetns(Engine engine, String podSandboxId) throws BerthException {
    PodRecord p = readyPod(engine, podSandboxId);
    return p.netns() == null ? HOST_NETNS : Path.of(p.netns());
  }

  ExecResponse exec(dev.berth.api.cri.v1.ExecRequest r) throws BerthException {
    StreamingServer server = server();
    String id = running(r.getContainerId());
    streams("exec", r.getTty(), r.getStdin(), r.getStdout(), r.getStderr());
    if (r.getCmdCount() == 0) throw CriCalls.invalid("exec: cmd: required");
    ExecRequest request =
        new ExecRequest(
            id,
            List.copyOf(r.getCmdList()),
            r.getTty(),
            r.getStdin(),
            r.getStdout(),
            r.getStderr());
    return ExecResponse.newBuilder().setUrl(server.exec(request)).build();
  }

  AttachResponse attach(dev.berth.api.cri.v1.AttachRequest r) throws BerthException {
    StreamingServer server = server();
    String id = running(r.getContainerId());
    streams("attach", r.getTty(), r.getStdin(), r.getStdout(), r.getStderr());
    AttachRequest request =
        new AttachRequest(id, r.getTty(), r.getStdin(), r.getStdout(), r.getStderr());
    return AttachResponse.newBuilder().setUrl(server.attach(request)).build();
  }

  PortForwardResponse portForward(dev.berth.api.cri.v1.PortForwardRequest r) throws BerthException {
    StreamingServer server = server();
    if (r.getPodSandboxId().isEmpty()) {
      throw CriCalls.invalid("port forward: pod_sandbox_id: required");
    }
    for (int port : r.getPortList()) {
      if (port < 1 || port > 65535) {
        throw CriCalls.invalid("port forward: port " + port + ": out of range 1-65535");
      }
    }
    PodRecord pod = readyPod(engine, r.getPodSandboxId());
    return PortForwardResponse.newBuilder()
        .setUrl(server.portForward(new PortForwardRequest(pod.id(), r.getPortList())))
        .build();
  }

  /** The streaming server; UNIMPLEMENTED first when there is none, as for a call not served. */
  private StreamingServer server() {
    if (server == null) {
      throw Status.UNIMPLEMENTED
          .withDescription("no streaming server: exec, attach and port-forward are not served")
          .asRuntimeException();
    }
    return server;
  }

  /** The full id of running container {@code ref}. */
  private String running(String ref) throws BerthException {
    if (ref.isEmpty()) throw CriCalls.invalid("container_id: required");
    ContainerRecord c = engine.inspect(ref);
    ContainerState.Status s = c.state().status();
    if (s != ContainerState.Status.RUNNING) {
      throw new BerthException(
          ErrorCategory.FAILED_PRECONDITION,
          "container " + ref + " is in " + s.name().toLowerCase() + " state, not running");
    }
    return c.id();
  }

  /** kubelet's streaming server's rules for the streams a client asks for. */
  private static void streams(
      String call, boolean tty, boolean stdin, boolean stdout, boolean stderr) {
    if (tty && stderr) {
      // A terminal has one output: stdout and stderr cannot be told apart on it.
      throw CriCalls.invalid(call + ": tty and stderr cannot both be true");
    }
    if (!stdin && !stdout && !stderr) {
      throw CriCalls.invalid(call + ": one of stdin, stdout, or stderr must be set");
    }
  }

  private static PodRecord readyPod(Engine engine, String id) throws BerthException {
    PodRecord p = engine.pods().status(id);
    if (p.state() != PodRecord.State.READY) {
      throw new BerthException(
          ErrorCategory.FAILED_PRECONDITION, "pod sandbox " + id + " is not ready");
    }
    return p;
  }
}
