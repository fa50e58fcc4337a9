package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.api.cri.v1.ContainerConfig;
import dev.berth.api.cri.v1.ContainerMetadata;
import dev.berth.api.cri.v1.ContainerStatus;
import dev.berth.api.cri.v1.ContainerStatusRequest;
import dev.berth.api.cri.v1.CreateContainerRequest;
import dev.berth.api.cri.v1.ExecSyncRequest;
import dev.berth.api.cri.v1.ExecSyncResponse;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.LinuxPodSandboxConfig;
import dev.berth.api.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.api.cri.v1.NamespaceMode;
import dev.berth.api.cri.v1.NamespaceOption;
import dev.berth.api.cri.v1.PodSandboxConfig;
import dev.berth.api.cri.v1.PodSandboxMetadata;
import dev.berth.api.cri.v1.PodSandboxStatusRequest;
import dev.berth.api.cri.v1.PodSandboxStatusResponse;
import dev.berth.api.cri.v1.RunPodSandboxRequest;
import dev.berth.api.cri.v1.RuntimeServiceGrpc;
import dev.berth.api.cri.v1.StartContainerRequest;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.CgroupTree;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A berthd CRI server on a real engine store, with a grpc-java client over its Unix socket, pods on
 * Debian's CNI plugins in a network namespace of the test's own, and the test busybox image
 * imported as {@value #IMAGE}. Every test ends by proving that nothing of its pods is left
 * (network, pins, leases, mounts, cgroups, records). Test classes for the RuntimeService extend it.
 */
@RequiresRoot
@org.junit.jupiter.api.Timeout(120)
abstract class CriPodTestBase {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  Path root;
  Path runRoot;
  String ns;
  Path nsPath;
  Path socket;
  Engine engine;
  CriServer server;
  dev.berth.engine.ExitWatcher exits;
  EventLoopGroup clientLoop;
  ManagedChannel channel;
  RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/lib/cni/bridge")),
        "containernetworking-plugins not installed");
    ns = "berth-test-" + UUID.randomUUID().toString().substring(0, 8);
    Exec.run("ip", "netns", "add", ns).ok();
    nsPath = Path.of("/run/netns", ns);
    inNs("ip", "link", "set", "lo", "up").ok();
    root = tmp.resolve("root");
    runRoot = tmp.resolve("run");
    engine = Engine.open(config());
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, IMAGE, null);
    socket = runRoot.resolve("cri.sock");
    Files.createDirectories(runRoot);
    server = CriServer.start(CriServer.Options.at(socket, "1.0"), engine);
    // as berthd composes it: container ends recorded when they happen (the evented PLEG's events)
    exits = dev.berth.engine.ExitWatcher.start(engine, m -> {});
    clientLoop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollDomainSocketChannel.class)
            .eventLoopGroup(clientLoop)
            .withOption(io.netty.channel.ChannelOption.SO_KEEPALIVE, null)
            .overrideAuthority("localhost")
            .usePlaintext()
            .build();
    runtime = RuntimeServiceGrpc.newBlockingStub(channel);
  }

  EngineConfig config() {
    return EngineConfig.at(root, runRoot)
        .withCniLauncher(List.of("/usr/bin/nsenter", "--net=" + nsPath, "--"));
  }

  RuntimeServiceGrpc.RuntimeServiceBlockingStub rt() {
    return runtime.withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (channel != null) channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      if (clientLoop != null)
        clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
      if (server != null) server.close();
      if (exits != null) exits.close();
      if (engine != null) {
        for (var p : engine.pods().list(dev.berth.engine.pod.PodRecord.Filter.ALL))
          engine.pods().remove(p.id());
        for (ContainerRecord r : engine.containers().list().containers())
          engine.remove(r.id(), true, true);
        engine.close();
        assertClean();
      }
    } finally {
      for (String dir : List.of("netns", "podns")) {
        Path pins = runRoot == null ? null : runRoot.resolve(dir);
        if (pins != null && Files.isDirectory(pins)) {
          try (Stream<Path> s = Files.list(pins)) {
            for (Path p : s.toList()) Exec.run("umount", "-l", p.toString());
          }
          Exec.run("umount", "-l", pins.toString());
        }
      }
      if (ns != null) Exec.run("ip", "netns", "del", ns).ok();
    }
  }

  Exec.Result inNs(String... command) {
    List<String> c = new ArrayList<>(List.of("nsenter", "--net=" + nsPath, "--"));
    c.addAll(List.of(command));
    return Exec.run(c);
  }

  /** Nothing of any pod or container is left: network, pins, leases, mounts, cgroups, records. */
  void assertClean() throws Exception {
    assertEquals("", inNs("ip", "-o", "link", "show", "type", "veth").ok().stdout(), "veths left");
    assertEquals(List.of(), files(root.resolve("cni/ipam"), "[0-9.]+"), "leases left");
    assertEquals(List.of(), files(root.resolve("cni/cache/results"), ".*"), "CNI cache left");
    assertEquals(List.of(), files(runRoot.resolve("netns"), ".*"), "network pins left");
    assertEquals(List.of(), files(runRoot.resolve("podns"), ".*"), "ipc/uts pins left");
    assertEquals(List.of(), entries(root.resolve("pods"), "[0-9a-f]{64}"), "pod records left");
    assertEquals(List.of(), entries(root.resolve("containers"), "[0-9a-f]{64}"), "containers left");
    List<String> mounts = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String target = line.split(" ")[4];
      if (target.startsWith(tmp.toString())
          && !target.equals(runRoot.resolve("netns").toString())
          && !target.equals(runRoot.resolve("podns").toString())) mounts.add(target);
    }
    assertEquals(List.of(), mounts, "mounts left");
    Path memory = Path.of("/sys/fs/cgroup/memory");
    if (!Files.isDirectory(memory)) memory = CgroupTree.ROOT;
    assertEquals(
        List.of(),
        CgroupTree.named(memory, 6, n -> n.startsWith("berth-pod-")),
        "pod cgroups left");
  }

  static List<String> files(Path dir, String pattern) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches(pattern))
          .sorted()
          .toList();
    }
  }

  static List<String> entries(Path dir, String pattern) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches(pattern)).toList();
    }
  }

  // ---- request makers ----

  static PodSandboxConfig.Builder podConfig(String name) {
    return PodSandboxConfig.newBuilder()
        .setMetadata(
            PodSandboxMetadata.newBuilder()
                .setName(name)
                .setUid("uid-" + name)
                .setNamespace("default")
                .setAttempt(1))
        .putLabels("app", name)
        .putAnnotations("note", "kept");
  }

  static PodSandboxConfig.Builder podConfig(String name, NamespaceMode network, NamespaceMode pid) {
    return podConfig(name)
        .setLinux(
            LinuxPodSandboxConfig.newBuilder()
                .setSecurityContext(
                    LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(
                            NamespaceOption.newBuilder().setNetwork(network).setPid(pid))));
  }

  String runPod(PodSandboxConfig.Builder c) {
    return rt().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(c).build())
        .getPodSandboxId();
  }

  static ContainerConfig.Builder container(String name, String... command) {
    return ContainerConfig.newBuilder()
        .setMetadata(ContainerMetadata.newBuilder().setName(name))
        .setImage(ImageSpec.newBuilder().setImage(IMAGE))
        .addAllCommand(List.of(command));
  }

  String create(String pod, ContainerConfig.Builder c) {
    return rt().createContainer(
            CreateContainerRequest.newBuilder().setPodSandboxId(pod).setConfig(c).build())
        .getContainerId();
  }

  String startContainer(String pod, ContainerConfig.Builder c) {
    String id = create(pod, c);
    rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
    return id;
  }

  PodSandboxStatusResponse podStatus(String id, boolean verbose) {
    return rt().podSandboxStatus(
            PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).setVerbose(verbose).build());
  }

  ContainerStatus status(String id) {
    return rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build())
        .getStatus();
  }

  ExecSyncResponse exec(String id, long timeout, String... cmd) {
    return rt().execSync(
            ExecSyncRequest.newBuilder()
                .setContainerId(id)
                .addAllCmd(List.of(cmd))
                .setTimeout(timeout)
                .build());
  }

  static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  static StatusRuntimeException error(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run);
  }

  /** Whether {@code condition} holds within 20 seconds (a bound, never an assertion of time). */
  static boolean waitFor(Supplier<Boolean> condition) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.get()) {
      if (System.nanoTime() > deadline) return false;
      Thread.sleep(50);
    }
    return true;
  }

  static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
