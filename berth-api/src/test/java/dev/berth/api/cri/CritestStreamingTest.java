package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cri.streaming.SpdyTestClient;
import dev.berth.api.cri.streaming.StreamingServer;
import dev.berth.api.cri.v1.AttachRequest;
import dev.berth.api.cri.v1.ContainerConfig;
import dev.berth.api.cri.v1.ContainerState;
import dev.berth.api.cri.v1.ContainerStatus;
import dev.berth.api.cri.v1.ExecRequest;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.NamespaceMode;
import dev.berth.api.cri.v1.PortForwardRequest;
import dev.berth.api.cri.v1.PortMapping;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * cri-tools' critest "Streaming" tests (pkg/validate/streaming.go, streaming_linux.go) and
 * "Multiple Containers" (multi_container_linux.go), each {@code It} as critest does it: the URLs
 * the RPCs return followed with a SPDY client speaking what client-go's executor and port-forward
 * dialer speak, asserting what critest asserts. The web server images (nginx, httpd) are busybox's
 * httpd on the test image.
 */
@RequiresRoot
@Timeout(180)
class CritestStreamingTest extends CriPodTestBase {
  static final String WEB = "localhost/critest-web:latest";
  static final String PAGE = "Welcome to the critest page\n";

  /** What client-go's SPDY executor offers, newest first. */
  static final List<String> REMOTE_COMMAND =
      List.of(
          "v5.channel.k8s.io",
          "v4.channel.k8s.io",
          "v3.channel.k8s.io",
          "v2.channel.k8s.io",
          "channel.k8s.io");

  StreamingServer streaming;

  @BeforeEach
  void streamingServer() throws Exception {
    // The base's server again, now with a streaming server (no call has used the first).
    server.close();
    streaming =
        StreamingServer.start(
            StreamingServer.Options.defaults(), CriServer.streamingRuntime(engine));
    server = CriServer.start(CriServer.Options.at(socket, "1.0"), engine, streaming);
    Path rootfs = Busybox.rootfs(tmp.resolve("web-rootfs"));
    Files.createDirectories(rootfs.resolve("www"));
    Files.writeString(rootfs.resolve("www/index.html"), PAGE);
    Path tar = tmp.resolve("web.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, WEB, null);
  }

  @AfterEach
  void closeStreaming() throws Exception {
    if (server != null) server.close();
    server = null;
    if (streaming != null) streaming.close();
  }

  /**
   * "runtime should support exec with tty=false and stdin=false [Conformance]" and "with tty=true
   * and stdin=true [Conformance]".
   */
  @Test
  void exec() throws Exception {
    String pod = runPod(podConfig("exec"));
    String id = startContainer(pod, container("container-for-exec-test", "sleep", "4321"));
    String url =
        rt().exec(
                ExecRequest.newBuilder()
                    .setContainerId(id)
                    .addAllCmd(List.of("echo", "-n", "hello"))
                    .setStdout(true)
                    .setStderr(true)
                    .build())
            .getUrl();
    assertTrue(url.startsWith("http://127.0.0.1:"), url); // parseURL: a host is required
    try (SpdyTestClient client = new SpdyTestClient(url, REMOTE_COMMAND)) {
      assertEquals(101, client.status);
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      SpdyTestClient.Stream err = client.open("streamtype", "stderr");
      assertEquals("hello", client.readAll(out));
      assertEquals("", client.readAll(err));
      String status = client.readAll(error);
      assertTrue(status.isEmpty() || status.contains("\"status\":\"Success\""), status);
    }

    String tty =
        rt().exec(
                ExecRequest.newBuilder()
                    .setContainerId(id)
                    .addAllCmd(List.of("echo", "-n", "hello"))
                    .setStdout(true)
                    .setTty(true)
                    .setStdin(true)
                    .build())
            .getUrl();
    try (SpdyTestClient client = new SpdyTestClient(tty, REMOTE_COMMAND)) {
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      client.open("streamtype", "stdin");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      client.open("streamtype", "resize");
      assertTrue(client.readAll(out).contains("hello"));
      String status = client.readAll(error);
      assertTrue(status.isEmpty() || status.contains("\"status\":\"Success\""), status);
    }
  }

  /**
   * "runtime should support attach [Conformance]": a shell with stdin (stdin_once, as critest makes
   * it), "echo -n hello" in, "hello" out and nothing more; the client's stdin closed closes the
   * shell's, which ends, and with it the attach (client-go's stream returns), as on containerd.
   */
  @Test
  void attach() throws Exception {
    String pod = runPod(podConfig("attach"));
    String id =
        startContainer(
            pod,
            container("container-for-attach-test", "/bin/sh").setStdin(true).setStdinOnce(true));
    String url =
        rt().attach(
                AttachRequest.newBuilder()
                    .setContainerId(id)
                    .setStdin(true)
                    .setStdout(true)
                    .setStderr(true)
                    .build())
            .getUrl();
    try (SpdyTestClient client = new SpdyTestClient(url, REMOTE_COMMAND)) {
      SpdyTestClient.Stream error = client.open("streamtype", "error");
      SpdyTestClient.Stream in = client.open("streamtype", "stdin");
      SpdyTestClient.Stream out = client.open("streamtype", "stdout");
      SpdyTestClient.Stream err = client.open("streamtype", "stderr");
      assertTrue(client.awaitReply(err));
      client.send(in, "echo -n hello\n");
      assertEquals("hello", client.awaitText(out, "hello"));
      Thread.sleep(1000); // critest's Consistently: nothing more comes
      assertEquals("hello", client.text(out));
      client.finish(in);
      assertEquals("hello", client.readAll(out));
      assertEquals("", client.readAll(err));
      client.readAll(error);
      assertTrue(client.ended(out), "the attach ended");
    }
    assertTrue(waitFor(() -> status(id).getState() == ContainerState.CONTAINER_EXITED));
  }

  /**
   * Not one of critest's: containerd's other branch. Without stdin_once an attach whose stdin ends
   * just ends (its output too), and the container's stdin stays open: the next attach reaches the
   * same cat, which never read EOF.
   */
  @Test
  void attachWithoutStdinOnceLeavesTheContainersStdinOpen() throws Exception {
    String pod = runPod(podConfig("attach-again"));
    String id = startContainer(pod, container("cat", "cat").setStdin(true).setStdinOnce(false));
    for (String word : List.of("one", "two")) {
      String url =
          rt().attach(
                  AttachRequest.newBuilder()
                      .setContainerId(id)
                      .setStdin(true)
                      .setStdout(true)
                      .setStderr(true)
                      .build())
              .getUrl();
      try (SpdyTestClient client = new SpdyTestClient(url, REMOTE_COMMAND)) {
        SpdyTestClient.Stream error = client.open("streamtype", "error");
        SpdyTestClient.Stream in = client.open("streamtype", "stdin");
        SpdyTestClient.Stream out = client.open("streamtype", "stdout");
        SpdyTestClient.Stream err = client.open("streamtype", "stderr");
        assertTrue(client.awaitReply(err));
        client.send(in, word + "\n");
        assertEquals(word + "\n", client.awaitText(out, word + "\n"));
        client.finish(in);
        assertEquals(word + "\n", client.readAll(out));
        client.readAll(error);
        assertTrue(client.ended(out), "the attach ended with its stdin");
      }
      assertEquals(ContainerState.CONTAINER_RUNNING, status(id).getState(), "cat runs on");
    }
  }

  /**
   * "runtime should support portforward [Conformance]": a pod mapping container port 80, a web
   * server in it, its page from the pod's IP, then through a port forward of the pod.
   */
  @Test
  void portForward() throws Exception {
    String pod =
        runPod(
            podConfig("portforward")
                .addPortMappings(PortMapping.newBuilder().setContainerPort(80)));
    startContainer(pod, web("container-for-portforward-test", 80));
    String ip = podStatus(pod, false).getStatus().getNetwork().getIp();
    assertTrue(waitFor(() -> mainPage(ip, 80)), "the web server answers on the pod's IP");
    String url =
        rt().portForward(PortForwardRequest.newBuilder().setPodSandboxId(pod).build()).getUrl();
    assertTrue(forwardedPage(url, 80).contains(PAGE));
  }

  /** "runtime should support portforward in host network". */
  @Test
  void portForwardInHostNetwork() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    String pod =
        runPod(
            podConfig("host-portforward", NamespaceMode.NODE, NamespaceMode.POD)
                .addPortMappings(PortMapping.newBuilder().setContainerPort(port)));
    startContainer(pod, web("container-for-host-net-portforward-test", port));
    int p = port;
    assertTrue(
        waitFor(
            () ->
                Exec.run("busybox", "wget", "-qO-", "http://127.0.0.1:" + p + "/")
                    .stdout()
                    .equals(PAGE)),
        "the web server answers on the host's loopback");
    String url =
        rt().portForward(PortForwardRequest.newBuilder().setPodSandboxId(pod).build()).getUrl();
    assertTrue(forwardedPage(url, port).contains(PAGE));
  }

  /**
   * "Multiple Containers [Conformance]": "should support network", "should support container log"
   * and "should support container exec", on one pod with an httpd and a busybox container.
   */
  @Test
  void multipleContainers() throws Exception {
    Path logs = tmp.resolve("multi-logs");
    String pod =
        runPod(
            podConfig("multi")
                .setLogDirectory(logs.toString())
                .addPortMappings(PortMapping.newBuilder().setContainerPort(80)));
    String httpd =
        startContainer(
            pod,
            container(
                    "httpd",
                    "sh",
                    "-c",
                    "echo httpd listening; exec /bin/busybox httpd -f -vv -p 80 -h /www")
                .setImage(ImageSpec.newBuilder().setImage(WEB))
                .setLogPath("httpd.log"));
    String busybox =
        startContainer(
            pod,
            container("busybox", "sh", "-c", "echo hello from busybox; sleep 1000")
                .setLogPath("busybox.log"));
    String ip = podStatus(pod, false).getStatus().getNetwork().getIp();
    assertTrue(waitFor(() -> mainPage(ip, 80)), "network");
    ContainerStatus hs = status(httpd);
    ContainerStatus bs = status(busybox);
    assertTrue(waitFor(() -> contains(Path.of(hs.getLogPath()), "httpd")), "httpd's log");
    assertTrue(
        waitFor(() -> contains(Path.of(bs.getLogPath()), "hello from busybox")), "busybox's log");
    assertEquals("httpd\n", exec(httpd, 10, "echo", "httpd").getStdout().toStringUtf8());
    assertEquals("busybox\n", exec(busybox, 10, "echo", "busybox").getStdout().toStringUtf8());
  }

  // ---- helpers ----

  static ContainerConfig.Builder web(String name, int port) {
    return container(
            name, "/bin/busybox", "httpd", "-f", "-p", Integer.toString(port), "-h", "/www")
        .setImage(ImageSpec.newBuilder().setImage(WEB));
  }

  /** critest's checkMainPage by the pod's IP: the page, fetched from the pod network's side. */
  boolean mainPage(String ip, int port) {
    return inNs("busybox", "wget", "-qO-", "http://" + ip + ":" + port + "/").stdout().equals(PAGE);
  }

  /**
   * What client-go's port forwarder does for a local connection: an error and a data stream with
   * the port and a request id, the request in, the answer out. Retried while the server may not
   * listen.
   */
  static String forwardedPage(String url, int port) throws Exception {
    try (SpdyTestClient client = new SpdyTestClient(url, List.of("portforward.k8s.io"))) {
      assertEquals(101, client.status);
      for (int i = 0; i < 50; i++) {
        String req = Integer.toString(i);
        SpdyTestClient.Stream error =
            client.open("streamtype", "error", "port", Integer.toString(port), "requestid", req);
        SpdyTestClient.Stream data =
            client.open("streamtype", "data", "port", Integer.toString(port), "requestid", req);
        client.send(data, "GET / HTTP/1.0\r\n\r\n");
        client.finish(data);
        String got = client.readAll(data);
        client.readAll(error);
        if (got.startsWith("HTTP/1.1 200 OK")) return got;
        Thread.sleep(100);
      }
    }
    return "";
  }

  static boolean contains(Path log, String text) {
    try {
      return Files.exists(log) && Files.readString(log).contains(text);
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
