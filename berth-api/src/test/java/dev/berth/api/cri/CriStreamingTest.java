package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.api.cri.streaming.SpdyTestClient;
import dev.berth.api.cri.streaming.StreamingServer;
import dev.berth.api.cri.v1.AttachRequest;
import dev.berth.api.cri.v1.ExecRequest;
import dev.berth.api.cri.v1.PortForwardRequest;
import dev.berth.api.cri.v1.RuntimeServiceGrpc;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.pod.PodConfig;
import dev.berth.engine.pod.PodRecord;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.testkit.Busybox;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exec, Attach and PortForward over the CRI socket, as crictl and the kubelet call them: a
 * grpc-java client gets the URL, a SPDY client speaking client-go's protocol follows it to the
 * streaming server and streams (exit codes on v4's error stream, stdin through attach, a pod's HTTP
 * server through a port forward into the pod's network namespace), and requests containerd refuses
 * are refused with its codes.
 */
@RequiresRoot
@Timeout(180)
class CriStreamingTest {
  static final String IMAGE = "localhost/busybox:latest";
  static final List<String> V4 = List.of("v4.channel.k8s.io", "v3.channel.k8s.io");

  @TempDir Path tmp;
  String ns;
  Path nsPath;
  Engine engine;
  StreamingServer streaming;
  CriServer server;
  EventLoopGroup clientLoop;
  ManagedChannel channel;
  RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;

  @BeforeEach
  void start() throws Exception {
    // Pods' networks are made in a namespace of the test's (CNI run under nsenter), as PodsTest's.
    ns = "berth-test-" + UUID.randomUUID().toString().substring(0, 8);
    Exec.run("ip", "netns", "add", ns).ok();
    nsPath = Path.of("/run/netns", ns);
    Exec.run("nsenter", "--net=" + nsPath, "--", "ip", "link", "set", "lo", "up").ok();
    engine =
        Engine.open(
            EngineConfig.at(tmp.resolve("root"), tmp.resolve("run"))
                .withCniLauncher(List.of("/usr/bin/nsenter", "--net=" + nsPath, "--")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("www"));
    Files.writeString(rootfs.resolve("www/index.html"), "hello from the pod\n");
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, IMAGE, null);
    streaming =
        StreamingServer.start(
            StreamingServer.Options.defaults(), CriServer.streamingRuntime(engine));
    Path socket = tmp.resolve("run/cri.sock");
    server = CriServer.start(CriServer.Options.at(socket, "1.0"), engine, streaming);
    clientLoop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollDomainSocketChannel.class)
            .eventLoopGroup(clientLoop)
            .withOption(io.netty.channel.ChannelOption.SO_KEEPALIVE, null)
            .overrideAuthority("localhost")
            .usePlaintext()
            .build();
    runtime = RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (channel != null) channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      if (clientLoop != null) clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
      if (server != null) server.close();
      if (streaming != null) streaming.close();
      if (engine != null) {
        for (PodRecord p : engine.pods().list(PodRecord.Filter.ALL)) engine.pods().remove(p.id());
        for (ContainerRecord r : engine.list()) engine.remove(r.id(), true, true);
        engine.close();
      }
      // Besides the pin directories (bind mounts of their own, as PodsTest finds them).
      Path run = tmp.resolve("run");
      List<String> mounts =
          Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
              .map(l -> l.split(" ")[4])
              .filter(t -> t.startsWith(tmp.toString()))
              .filter(
                  t ->
                      !t.equals(run.resolve("netns").toString())
                          && !t.equals(run.resolve("podns").toString()))
              .toList();
      assertEquals(List.of(), mounts, "nothing stays mounted under the test's directory");
    } finally {
      Path pins = tmp.resolve("run");
      for (String dir : List.of("netns", "podns")) {
        Path d = pins.resolve(dir);
        if (Files.isDirectory(d)) {
          try (Stream<Path> s = Files.list(d)) {
            for (Path p : s.toList()) Exec.run("umount", "-l", p.toString());
          }
          Exec.run("umount", "-l", d.toString());
        }
      }
      if (ns != null) Exec.run("ip", "netns", "del", ns).ok();
    }
  }

  private ContainerRecord running(boolean openStdin, String... command) throws Exception {
    ContainerRecord r =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(List.of(command))
                .network("none")
                .openStdin(openStdin)
                .build());
    return engine.start(r.id(), Engine.StartListener.NONE);
  }

  private static ExecRequest exec(
      String id, boolean tty, boolean stdin, boolean stdout, boolean stderr, String... cmd) {
    return ExecRequest.newBuilder()
        .setContainerId(id)
        .addAllCmd(List.of(cmd))
        .setTty(tty)
        .setStdin(stdin)
        .setStdout(stdout)
        .setStderr(stderr)
        .build();
  }

  @Test
  void execUrlRunsTheCommandAndCarriesItsExitCode() throws Exception {
    ContainerRecord c = running(false, "sleep", "1000");
    String url =
        runtime
            .exec(
                exec(
                    c.id(), false, false, true, true, "sh", "-c", "echo out; echo err >&2; exit 3"))
            .getUrl();
    assertTrue(url.startsWith("http://127.0.0.1:" + streaming.address().getPort() + "/exec/"), url);
    try (SpdyTestClient client = new SpdyTestClient(url, V4)) {
      assertEquals(101, client.status);
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      SpdyTestClient.Stream err = client.open("streamtype", "stderr");
      assertEquals("out\n", client.readAll(out));
      assertEquals("err\n", client.readAll(err));
      String status = client.readAll(error);
      assertTrue(
          status.contains("\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]"), status);
    }
    // With a terminal: stdin in, the echo out, the exit code.
    String tty = runtime.exec(exec(c.id(), true, true, true, false, "sh")).getUrl();
    try (SpdyTestClient client = new SpdyTestClient(tty, V4)) {
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      SpdyTestClient.Stream in = client.open("streamtype", "stdin");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      client.open("streamtype", "resize"); // a terminal has one, as kubectl's and crictl's
      client.send(in, "echo sum-$((40+2)); exit 7\n");
      assertTrue(client.awaitText(out, "sum-42").contains("sum-42"));
      assertTrue(client.readAll(error).contains("\"message\":\"7\""));
    }
    // The URL is for one use.
    try (SpdyTestClient again = new SpdyTestClient(url, V4)) {
      assertEquals(404, again.status);
    }
  }

  @Test
  void attachUrlCarriesStdinToTheContainerAndItsOutputBack() throws Exception {
    ContainerRecord c = running(true, "cat");
    String url =
        runtime
            .attach(
                AttachRequest.newBuilder()
                    .setContainerId(c.id())
                    .setStdin(true)
                    .setStdout(true)
                    .setStderr(true)
                    .build())
            .getUrl();
    assertTrue(url.contains("/attach/"), url);
    try (SpdyTestClient client = new SpdyTestClient(url, V4)) {
      client.open("streamtype", "error");
      SpdyTestClient.Stream in = client.open("streamtype", "stdin");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      SpdyTestClient.Stream err = client.open("streamtype", "stderr");
      assertTrue(client.awaitReply(err));
      client.send(in, "ping over attach\n");
      assertEquals("ping over attach\n", client.awaitText(out, "attach\n"));
    }
  }

  @Test
  void requestsContainerdRefusesAreRefusedWithItsCodes() throws Exception {
    ContainerRecord live = running(false, "sleep", "1000");
    ContainerRecord created =
        engine.create(new ContainerOptions.Builder(IMAGE).command(List.of("true")).build());
    ContainerRecord exited = running(false, "true");
    for (int i = 0;
        i < 200
            && engine.inspect(exited.id()).state().status()
                != dev.berth.engine.store.ContainerState.Status.EXITED;
        i++) {
      Thread.sleep(25);
    }
    String missing = "0".repeat(64);
    assertCode(
        Status.Code.NOT_FOUND,
        () -> runtime.exec(exec(missing, false, false, true, false, "true")));
    assertCode(
        Status.Code.INVALID_ARGUMENT,
        () -> runtime.exec(exec("", false, false, true, false, "true")));
    assertCode(
        Status.Code.FAILED_PRECONDITION,
        () -> runtime.exec(exec(created.id(), false, false, true, false, "true")));
    assertCode(
        Status.Code.FAILED_PRECONDITION,
        () -> runtime.exec(exec(exited.id(), false, false, true, false, "true")));
    String tty =
        assertCode(
            Status.Code.INVALID_ARGUMENT,
            () -> runtime.exec(exec(live.id(), true, false, true, true, "true")));
    assertTrue(tty.contains("tty and stderr cannot both be true"), tty);
    String none =
        assertCode(
            Status.Code.INVALID_ARGUMENT,
            () -> runtime.exec(exec(live.id(), false, false, false, false, "true")));
    assertTrue(none.contains("one of stdin, stdout, or stderr must be set"), none);
    assertCode(
        Status.Code.INVALID_ARGUMENT,
        () -> runtime.exec(exec(live.id(), false, false, true, false)));
    assertCode(
        Status.Code.NOT_FOUND,
        () ->
            runtime.attach(
                AttachRequest.newBuilder().setContainerId(missing).setStdout(true).build()));
    assertCode(
        Status.Code.FAILED_PRECONDITION,
        () ->
            runtime.attach(
                AttachRequest.newBuilder().setContainerId(exited.id()).setStdout(true).build()));
    assertCode(
        Status.Code.INVALID_ARGUMENT,
        () ->
            runtime.attach(
                AttachRequest.newBuilder()
                    .setContainerId(live.id())
                    .setTty(true)
                    .setStdout(true)
                    .setStderr(true)
                    .build()));
    assertCode(
        Status.Code.INVALID_ARGUMENT,
        () -> runtime.portForward(PortForwardRequest.getDefaultInstance()));
    assertCode(
        Status.Code.NOT_FOUND,
        () ->
            runtime.portForward(PortForwardRequest.newBuilder().setPodSandboxId(missing).build()));
  }

  private static String assertCode(Status.Code code, Supplier<?> call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::get);
    assertEquals(code, e.getStatus().getCode(), e.toString());
    return e.getStatus().getDescription();
  }

  @Test
  void aHostNetworkPodsPortsAreTheHosts() throws Exception {
    PodRecord pod =
        engine
            .pods()
            .run(
                new PodConfig(
                    "host",
                    "uid-host",
                    "default",
                    0,
                    null,
                    null,
                    null,
                    List.of(),
                    Map.of(),
                    Map.of(),
                    null,
                    Map.of(),
                    new PodConfig.NamespaceOptions(
                        PodConfig.Mode.NODE, PodConfig.Mode.CONTAINER, PodConfig.Mode.POD),
                    null,
                    null,
                    null));
    try (java.net.ServerSocket host =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Thread.ofPlatform()
          .daemon(true)
          .start(
              () -> {
                try (java.net.Socket s = host.accept()) {
                  s.getOutputStream().write("from the host\n".getBytes());
                } catch (java.io.IOException e) {
                  // the test failed elsewhere
                }
              });
      String port = Integer.toString(host.getLocalPort());
      String url =
          runtime
              .portForward(PortForwardRequest.newBuilder().setPodSandboxId(pod.id()).build())
              .getUrl();
      try (SpdyTestClient client = new SpdyTestClient(url, List.of("portforward.k8s.io"))) {
        SpdyTestClient.Stream error =
            client.open("streamtype", "error", "port", port, "requestid", "1");
        SpdyTestClient.Stream data =
            client.open("streamtype", "data", "port", port, "requestid", "1");
        client.finish(data);
        assertEquals("from the host\n", client.readAll(data), client.text(error));
      }
    }
  }

  @Test
  void portForwardUrlReachesAServerInThePodsNetworkNamespace() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/lib/cni/bridge")),
        "containernetworking-plugins not installed");
    PodRecord pod =
        engine
            .pods()
            .run(
                new PodConfig(
                    "web",
                    "uid-web",
                    "default",
                    0,
                    null,
                    null,
                    null,
                    List.of(),
                    Map.of(),
                    Map.of(),
                    null,
                    Map.of(),
                    PodConfig.NamespaceOptions.POD,
                    null,
                    null,
                    null));
    ContainerRecord httpd =
        engine
            .pods()
            .createContainer(
                pod.id(),
                new ContainerOptions.Builder(IMAGE)
                    .command(
                        List.of(
                            "/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www"))
                    .build(),
                PodConfig.Mode.CONTAINER);
    engine.start(httpd.id(), Engine.StartListener.NONE);

    String bad =
        assertCode(
            Status.Code.INVALID_ARGUMENT,
            () ->
                runtime.portForward(
                    PortForwardRequest.newBuilder().setPodSandboxId(pod.id()).addPort(0).build()));
    assertTrue(bad.contains("port 0"), bad);
    String url =
        runtime
            .portForward(
                PortForwardRequest.newBuilder().setPodSandboxId(pod.id()).addPort(8080).build())
            .getUrl();
    assertTrue(url.contains("/portforward/"), url);
    try (SpdyTestClient client = new SpdyTestClient(url, List.of("portforward.k8s.io"))) {
      assertEquals(101, client.status);
      String body = null;
      for (int i = 0; i < 50 && body == null; i++) { // httpd may not listen yet
        String req = Integer.toString(i);
        SpdyTestClient.Stream error =
            client.open("streamtype", "error", "port", "8080", "requestid", req);
        SpdyTestClient.Stream data =
            client.open("streamtype", "data", "port", "8080", "requestid", req);
        client.send(data, "GET /index.html HTTP/1.0\r\n\r\n");
        client.finish(data);
        String got = client.readAll(data);
        client.readAll(error);
        if (got.contains("hello from the pod")) body = got;
        else Thread.sleep(100);
      }
      assertNotNull(body, "the pod's httpd answered through the forward");
      assertTrue(body.startsWith("HTTP/1.1 200 OK"), body);
    }
    // A stopped pod is not ready: refused.
    engine.stop(httpd.id(), 1);
    engine.pods().stop(pod.id());
    assertCode(
        Status.Code.FAILED_PRECONDITION,
        () ->
            runtime.portForward(PortForwardRequest.newBuilder().setPodSandboxId(pod.id()).build()));
  }
}
