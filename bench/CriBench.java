import dev.berth.api.cri.v1.Container;
import dev.berth.api.cri.v1.ContainerConfig;
import dev.berth.api.cri.v1.ContainerMetadata;
import dev.berth.api.cri.v1.CreateContainerRequest;
import dev.berth.api.cri.v1.ImageServiceGrpc;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.LinuxPodSandboxConfig;
import dev.berth.api.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.api.cri.v1.ListContainersRequest;
import dev.berth.api.cri.v1.ListPodSandboxRequest;
import dev.berth.api.cri.v1.NamespaceMode;
import dev.berth.api.cri.v1.NamespaceOption;
import dev.berth.api.cri.v1.PodSandbox;
import dev.berth.api.cri.v1.PodSandboxConfig;
import dev.berth.api.cri.v1.PodSandboxMetadata;
import dev.berth.api.cri.v1.PullImageRequest;
import dev.berth.api.cri.v1.RemoveContainerRequest;
import dev.berth.api.cri.v1.RemoveImageRequest;
import dev.berth.api.cri.v1.RemovePodSandboxRequest;
import dev.berth.api.cri.v1.RunPodSandboxRequest;
import dev.berth.api.cri.v1.RuntimeServiceGrpc;
import dev.berth.api.cri.v1.StartContainerRequest;
import dev.berth.api.cri.v1.StopContainerRequest;
import dev.berth.api.cri.v1.StopPodSandboxRequest;
import dev.berth.api.cri.v1.VersionRequest;
import dev.berth.api.cri.v1.VersionResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Per-operation CRI latency, as cri-tools' benchmark measures it (bench/cri.sh runs it): against each runtime in
 * turn, every round: Version, then PullImage (the image removed before each pull, untimed), then N pods one after
 * the other through RunPodSandbox, CreateContainer, StartContainer, StopContainer, RemoveContainer,
 * StopPodSandbox, RemovePodSandbox, each call timed on this side of the socket by a client whose own call path is
 * compiled first ({@link #warmClient}, against a server of its own). Prints median, p90 and mean per
 * operation and runtime, and each runtime's median over the last one's. An operation the server answers
 * UNIMPLEMENTED is reported as such (and one that needs an unimplemented one's result as not measured).
 *
 * <pre>
 * CriBench [--pods N] [--pulls N] [--rounds N] [--image REF] [--cgroup-parent PATH] [--logs DIR]
 *          [--stop-timeout S] NAME=unix:///SOCKET...
 * CriBench clean unix:///SOCKET   (stops and removes every container and pod there; for the bench's cleanup)
 * </pre>
 */
public final class CriBench {
  enum Op {
    VERSION("Version"),
    PULL_IMAGE("PullImage"),
    RUN_POD("RunPodSandbox"),
    CREATE_CONTAINER("CreateContainer"),
    START_CONTAINER("StartContainer"),
    STOP_CONTAINER("StopContainer"),
    REMOVE_CONTAINER("RemoveContainer"),
    STOP_POD("StopPodSandbox"),
    REMOVE_POD("RemovePodSandbox");

    final String rpc;

    Op(String rpc) {
      this.rpc = rpc;
    }
  }

  /** A server's answer other than OK or UNIMPLEMENTED: the bench stops (the runtime is broken, not slow). */
  static final class CallFailed extends RuntimeException {
    CallFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** One runtime under test: its channel and what was measured so far. */
  static final class Runtime {
    final String name;
    final ManagedChannel channel;
    final RuntimeServiceGrpc.RuntimeServiceBlockingStub rt;
    final ImageServiceGrpc.ImageServiceBlockingStub img;
    final Map<Op, List<Long>> nanos = new EnumMap<>(Op.class);
    /** Why an operation is not measured ("unimplemented", "not measured: needs X"), absent if it is. */
    final Map<Op, String> missing = new EnumMap<>(Op.class);
    final long deadline;

    Runtime(String name, ManagedChannel channel, long deadline) {
      this.name = name;
      this.deadline = deadline;
      this.channel = channel;
      // Wait-for-ready: a call made while the daemon is still binding its socket waits instead of failing.
      this.rt = RuntimeServiceGrpc.newBlockingStub(channel).withWaitForReady();
      this.img = ImageServiceGrpc.newBlockingStub(channel).withWaitForReady();
      for (Op op : Op.values()) nanos.put(op, new ArrayList<>());
    }

    RuntimeServiceGrpc.RuntimeServiceBlockingStub rt() {
      return rt.withDeadlineAfter(deadline, TimeUnit.SECONDS);
    }

    ImageServiceGrpc.ImageServiceBlockingStub img() {
      return img.withDeadlineAfter(deadline, TimeUnit.SECONDS);
    }
  }

  private static EventLoopGroup loop;

  private int pods = 50;
  private int pulls = 20;
  private int rounds = 3;
  private String image = "busybox:latest";
  private String cgroupParent = "";
  private Path logs = Path.of("/tmp/cri-bench-logs");
  private long stopTimeout = 10;
  private boolean recording;
  private int podSerial;

  public static void main(String[] args) throws Exception {
    loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      if (args.length == 2 && args[0].equals("clean")) {
        clean(new Runtime("clean", channel(args[1]), 30));
      } else {
        new CriBench().run(args);
      }
    } finally {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  static ManagedChannel channel(String endpoint) {
    if (!endpoint.startsWith("unix://")) throw new IllegalArgumentException(endpoint + ": not unix://PATH");
    // The authority is only a header over a Unix socket; containerd and berthd ignore it.
    return NettyChannelBuilder.forAddress(new DomainSocketAddress(endpoint.substring("unix://".length())))
        .eventLoopGroup(loop)
        .channelType(EpollDomainSocketChannel.class)
        .overrideAuthority("localhost")
        // grpc asks for TCP keep-alive, which a Unix socket has not (netty would warn; null removes it).
        .withOption(ChannelOption.SO_KEEPALIVE, null)
        .usePlaintext()
        .maxInboundMessageSize(16 << 20)
        .build();
  }

  private void run(String[] args) throws Exception {
    List<Runtime> runtimes = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--pods" -> pods = Integer.parseInt(args[++i]);
        case "--pulls" -> pulls = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--image" -> image = args[++i];
        case "--cgroup-parent" -> cgroupParent = args[++i];
        case "--logs" -> logs = Path.of(args[++i]);
        case "--stop-timeout" -> stopTimeout = Long.parseLong(args[++i]);
        default -> {
          int eq = a.indexOf('=');
          if (a.startsWith("-") || eq <= 0) throw new IllegalArgumentException("unknown argument " + a);
          runtimes.add(new Runtime(a.substring(0, eq), channel(a.substring(eq + 1)), 300));
        }
      }
    }
    if (runtimes.isEmpty()) throw new IllegalArgumentException("no runtime (NAME=unix:///SOCKET)");
    try {
      warmClient();
      // Warm-up, not recorded: each runtime's first pod (containerd pulls its sandbox image then) and this JVM's
      // paths of the other calls.
      recording = false;
      for (Runtime r : runtimes) {
        round(r, 2, Math.min(1, pulls));
        System.err.println("warmed up " + r.name);
      }
      recording = true;
      // Rounds take turns between the runtimes, so load on a shared machine falls on all alike, and
      // each round starts with the next runtime: the one after containerd inherits its
      // asynchronous work (snapshot garbage collection, shims exiting), which would otherwise always
      // slow the same one.
      for (int round = 1; round <= rounds; round++) {
        for (int k = 0; k < runtimes.size(); k++) {
          Runtime r = runtimes.get((k + round - 1) % runtimes.size());
          long t0 = System.nanoTime();
          round(r, pods, pulls);
          System.err.printf(
              Locale.ROOT, "round %d/%d %s: %.1f s%n", round, rounds, r.name, (System.nanoTime() - t0) / 1e9);
        }
      }
      report(runtimes);
    } finally {
      for (Runtime r : runtimes) r.channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * Compiles this client's own code for a unary call before anything is timed: cri-tools' benchmark is a Go client,
   * compiled ahead of time, and this JVM's first thousands of calls run interpreted or in profiling code, a
   * millisecond and more per call, the same on every runtime (containerd's Version measured 1.4 ms so, of which
   * ~0.1 ms its own). The calls go to a server of this bench's own (Version answered at once, on its event loop), so
   * no runtime under test is warmed by them: each still meets the calls cold, as it would after its start.
   */
  private void warmClient() throws Exception {
    Path socket = Files.createTempDirectory(logs.getParent() == null ? Path.of("/tmp") : logs.getParent(), "warm")
        .resolve("warm.sock");
    Server server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(loop)
            .workerEventLoopGroup(loop)
            .withChildOption(ChannelOption.SO_KEEPALIVE, null)
            .directExecutor()
            .addService(
                new RuntimeServiceGrpc.RuntimeServiceImplBase() {
                  @Override
                  public void version(VersionRequest request, StreamObserver<VersionResponse> out) {
                    out.onNext(VersionResponse.newBuilder().setVersion("0.1.0").setRuntimeName("warm-up").build());
                    out.onCompleted();
                  }
                })
            .build()
            .start();
    Runtime warm = new Runtime("warm-up", channel("unix://" + socket), 30);
    try {
      long t0 = System.nanoTime();
      double[] last = new double[1000];
      for (int i = 0; i < WARM_CALLS; i++) {
        long t = System.nanoTime();
        warm.rt().version(VersionRequest.getDefaultInstance());
        if (i >= WARM_CALLS - last.length) last[i - (WARM_CALLS - last.length)] = (System.nanoTime() - t) / 1e6;
      }
      Arrays.sort(last);
      // The last calls' median: this client's own share of every call measured (the floor of a Version).
      System.err.printf(
          Locale.ROOT,
          "client warmed up: %d calls in %.1f s, the last %d's median %.3f ms%n",
          WARM_CALLS,
          (System.nanoTime() - t0) / 1e9,
          last.length,
          median(last));
    } finally {
      warm.channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      Files.deleteIfExists(socket);
      Files.deleteIfExists(socket.getParent());
    }
  }

  /** Enough for C2 to compile the client's call path (its thresholds are in the ten thousands of invocations). */
  private static final int WARM_CALLS = 20_000;

  private void round(Runtime r, int podCount, int pullCount) throws Exception {
    for (int i = 0; i < podCount; i++) call(r, Op.VERSION, () -> r.rt().version(VersionRequest.getDefaultInstance()));
    ImageSpec spec = ImageSpec.newBuilder().setImage(image).build();
    for (int i = 0; i < pullCount && !r.missing.containsKey(Op.PULL_IMAGE); i++) {
      try {
        r.img().removeImage(RemoveImageRequest.newBuilder().setImage(spec).build());
      } catch (StatusRuntimeException e) {
        // Not there (the first time) is fine; anything else shows in the pull.
      }
      call(r, Op.PULL_IMAGE, () -> r.img().pullImage(PullImageRequest.newBuilder().setImage(spec).build()));
    }
    for (int i = 0; i < podCount; i++) pod(r, spec);
  }

  /** One pod's life, as cri-tools' container benchmark: pod, container, start, stop, remove, stop pod, remove. */
  private void pod(Runtime r, ImageSpec spec) throws Exception {
    String name = "bench-" + r.name + "-" + (++podSerial);
    Path logDir = logs.resolve(r.name).resolve(name);
    Files.createDirectories(logDir); // the kubelet makes it before RunPodSandbox
    PodSandboxConfig pod =
        PodSandboxConfig.newBuilder()
            .setMetadata(
                PodSandboxMetadata.newBuilder()
                    .setName(name)
                    .setUid(UUID.randomUUID().toString())
                    .setNamespace("berth-bench"))
            .setHostname(name)
            .setLogDirectory(logDir.toString())
            .setLinux(
                LinuxPodSandboxConfig.newBuilder()
                    .setCgroupParent(cgroupParent)
                    .setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder()
                            .setNamespaceOptions(
                                NamespaceOption.newBuilder()
                                    .setNetwork(NamespaceMode.POD)
                                    .setPid(NamespaceMode.CONTAINER)
                                    .setIpc(NamespaceMode.POD))))
            .build();
    String podId = null;
    String ctrId = null;
    try {
      podId =
          call(r, Op.RUN_POD, () -> r.rt().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()))
              .map(x -> x.getPodSandboxId())
              .orElse(null);
      // A container that stops on SIGTERM (sh as its pid 1 ignores signals it has no trap for), and
      // says so in its log once its trap is set.
      ContainerConfig ctr =
          ContainerConfig.newBuilder()
              .setMetadata(ContainerMetadata.newBuilder().setName("sleeper"))
              .setImage(spec)
              .addAllCommand(List.of("sh", "-c", "trap 'exit 0' TERM; echo ready; sleep 3600 & wait"))
              .setLogPath("sleeper.log")
              .build();
      String p = podId;
      ctrId =
          call(r, Op.CREATE_CONTAINER, Op.RUN_POD, p,
                  () ->
                      r.rt()
                          .createContainer(
                              CreateContainerRequest.newBuilder()
                                  .setPodSandboxId(p == null ? "" : p)
                                  .setConfig(ctr)
                                  .setSandboxConfig(pod)
                                  .build()))
              .map(x -> x.getContainerId())
              .orElse(null);
      String c = ctrId;
      String cid = c == null ? "" : c;
      boolean started =
          call(r, Op.START_CONTAINER, Op.CREATE_CONTAINER, c,
                  () -> r.rt().startContainer(StartContainerRequest.newBuilder().setContainerId(cid).build()))
              .isPresent();
      // Untimed: the stop comes once the shell has set its trap, as a kubelet's comes long after the
      // start. A start returns when the process is started, not when its shell has run its first
      // line; a SIGTERM before the trap is ignored and the stop takes its whole timeout (it did,
      // for up to one stop in ten, on the runtime whose start returns sooner).
      if (started) awaitReady(logDir.resolve("sleeper.log"));
      call(r, Op.STOP_CONTAINER, Op.START_CONTAINER, started ? c : null,
          () ->
              r.rt()
                  .stopContainer(
                      StopContainerRequest.newBuilder().setContainerId(cid).setTimeout(stopTimeout).build()));
      if (call(r, Op.REMOVE_CONTAINER, Op.CREATE_CONTAINER, c,
              () -> r.rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(cid).build()))
          .isPresent()) {
        ctrId = null;
      }
      String pid = p == null ? "" : p;
      call(r, Op.STOP_POD, Op.RUN_POD, p,
          () -> r.rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pid).build()));
      if (call(r, Op.REMOVE_POD, Op.RUN_POD, p,
              () -> r.rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pid).build()))
          .isPresent()) {
        podId = null;
      }
    } finally {
      // After a failure: what this pod left, so the next run (or the bench's cleanup) finds nothing of it.
      if (ctrId != null) {
        String c = ctrId;
        quietly(() -> r.rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(c).build()));
      }
      if (podId != null) {
        String p = podId;
        quietly(() -> r.rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(p).build()));
        quietly(() -> r.rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p).build()));
      }
    }
  }

  /** Waits up to 10 s for the container's log (CRI format) to have the line "ready". */
  private static void awaitReady(Path log) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(" F ready\n")) return;
      Thread.sleep(1);
    }
    System.err.println("no \"ready\" in " + log + " after 10 s: stopping anyway");
  }

  private <T> Optional<T> call(Runtime r, Op op, Supplier<T> rpc) {
    return call(r, op, null, "", rpc);
  }

  /**
   * Times one call and records it; empty when the operation is not measured. {@code needs} is the operation whose
   * result ({@code input}) this one takes: without it (null), the call is made once anyway with an empty id, only
   * to learn whether the server implements it, and not timed.
   */
  private <T> Optional<T> call(Runtime r, Op op, Op needs, String input, Supplier<T> rpc) {
    if (r.missing.containsKey(op)) return Optional.empty();
    long t0 = System.nanoTime();
    T answer;
    try {
      answer = rpc.get();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        r.missing.put(op, "unimplemented");
        return Optional.empty();
      }
      if (input == null) {
        r.missing.put(op, "not measured: needs " + needs.rpc);
        return Optional.empty();
      }
      throw new CallFailed(r.name + ": " + op.rpc + ": " + e.getStatus(), e);
    }
    long t = System.nanoTime() - t0;
    if (input == null) { // served even without a real id: a lenient server; still not a measurement
      r.missing.put(op, "not measured: needs " + needs.rpc);
      return Optional.empty();
    }
    if (recording) r.nanos.get(op).add(t);
    return Optional.of(answer);
  }

  private static void quietly(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      System.err.println("cleanup: " + e.getStatus());
    }
  }

  private static void report(List<Runtime> runtimes) {
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-18s", "operation (ms)"));
    for (Runtime r : runtimes) head.append(String.format(Locale.ROOT, " | %-34s", r.name + ": median / p90 / mean (n)"));
    // Each runtime but the last over the last (the reference: containerd).
    int ref = runtimes.size() - 1;
    for (int i = 0; i < ref; i++) head.append(" | ").append(runtimes.get(i).name).append('/').append(runtimes.get(ref).name);
    System.out.println(head);
    for (Op op : Op.values()) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-18s", op.rpc));
      double[] medians = new double[runtimes.size()];
      for (int i = 0; i < runtimes.size(); i++) {
        Runtime r = runtimes.get(i);
        List<Long> ns = r.nanos.get(op);
        String why = r.missing.get(op);
        if (why != null || ns.isEmpty()) {
          medians[i] = Double.NaN;
          line.append(String.format(Locale.ROOT, " | %-34s", why != null ? why : "no calls"));
          continue;
        }
        double[] ms = ns.stream().mapToDouble(n -> n / 1e6).sorted().toArray();
        medians[i] = median(ms);
        line.append(
            String.format(
                Locale.ROOT,
                " | %8.2f / %8.2f / %8.2f (%3d)",
                medians[i],
                ms[(int) Math.ceil(0.9 * ms.length) - 1],
                Arrays.stream(ms).average().orElse(0),
                ms.length));
      }
      for (int i = 0; i < ref; i++) {
        if (!Double.isNaN(medians[i]) && !Double.isNaN(medians[ref])) {
          double q = medians[i] / medians[ref];
          line.append(String.format(Locale.ROOT, " | %5.2fx%s", q, q <= 0.5 ? "" : " (target 0.5x)"));
        } else {
          line.append(" | -");
        }
      }
      System.out.println(line);
    }
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** Stops and removes every container and pod on the runtime; UNIMPLEMENTED is nothing to clean. */
  private static void clean(Runtime r) throws Exception {
    try {
      for (Container c : r.rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList()) {
        quietly(() -> r.rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(c.getId()).build()));
        quietly(() -> r.rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(c.getId()).build()));
      }
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) System.err.println("clean: " + e.getStatus());
    }
    try {
      for (PodSandbox p : r.rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
        quietly(() -> r.rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build()));
        quietly(() -> r.rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build()));
      }
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) System.err.println("clean: " + e.getStatus());
    } finally {
      r.channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
