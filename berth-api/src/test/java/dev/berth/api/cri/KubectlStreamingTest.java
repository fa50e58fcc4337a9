package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cri.streaming.StreamingServer;
import dev.berth.api.cri.v1.AttachRequest;
import dev.berth.api.cri.v1.ExecRequest;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.PortForwardRequest;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kubectl's exec, attach and port-forward, client-go's own streaming code (what critest and the API
 * server use), against berthd's CRI streaming server, with each of the protocols kubectl speaks:
 * SPDY/3.1, and WebSocket ({@code v5.channel.k8s.io}) where kubectl tries it first and falls back
 * to SPDY when the server refuses. A stand-in for the API server answers kubectl's reads and makes
 * the CRI call the kubelet would make ({@link KubeApiStandIn}).
 */
@RequiresRoot
@RequiresCommand({"kubectl", "busybox"})
@Timeout(240)
class KubectlStreamingTest extends CriPodTestBase {
  static final String WEB = "localhost/kubectl-web:latest";
  static final String PAGE = "served through kubectl port-forward\n";

  StreamingServer streaming;
  KubeApiStandIn api;
  final Map<String, String> podIds = new ConcurrentHashMap<>();
  final Map<String, String> containerIds = new ConcurrentHashMap<>();
  final List<Process> started = new ArrayList<>();

  /**
   * Whether this kubectl speaks WebSocket for exec, attach and port-forward (1.30 and later; older
   * ones, as Debian's kubernetes-client 1.20, speak SPDY only).
   */
  static boolean kubectlSpeaksWebSocket() {
    String json = Exec.run("kubectl", "version", "--client", "-o", "json").stdout();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\"minor\":\\s*\"(\\d+)").matcher(json);
    return m.find() && Integer.parseInt(m.group(1)) >= 30;
  }

  @BeforeEach
  void servers() throws Exception {
    server.close();
    streaming =
        StreamingServer.start(
            StreamingServer.Options.defaults(), CriServer.streamingRuntime(engine));
    server = CriServer.start(CriServer.Options.at(socket, "1.0"), engine, streaming);
    api = new KubeApiStandIn(this::criCall);
    Path rootfs = Busybox.rootfs(tmp.resolve("web-rootfs"));
    Files.createDirectories(rootfs.resolve("www"));
    Files.writeString(rootfs.resolve("www/index.html"), PAGE);
    Path tar = tmp.resolve("web.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, WEB, null);
  }

  @AfterEach
  void closeServers() throws Exception {
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    if (api != null) api.close();
    if (server != null) server.close();
    server = null;
    if (streaming != null) streaming.close();
  }

  /** What the kubelet asks the runtime for when the API server hands it a pod's subresource. */
  private String criCall(String verb, String pod, Map<String, List<String>> q) {
    String container =
        containerIds.get(pod + "/" + q.getOrDefault("container", List.of("")).get(0));
    return switch (verb) {
      case "exec" ->
          rt().exec(
                  ExecRequest.newBuilder()
                      .setContainerId(container)
                      .addAllCmd(q.getOrDefault("command", List.of()))
                      .setStdin(flag(q, "stdin"))
                      .setStdout(flag(q, "stdout"))
                      .setStderr(flag(q, "stderr"))
                      .setTty(flag(q, "tty"))
                      .build())
              .getUrl();
      case "attach" ->
          rt().attach(
                  AttachRequest.newBuilder()
                      .setContainerId(container)
                      .setStdin(flag(q, "stdin"))
                      .setStdout(flag(q, "stdout"))
                      .setStderr(flag(q, "stderr"))
                      .setTty(flag(q, "tty"))
                      .build())
              .getUrl();
      default ->
          rt().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podIds.get(pod)).build())
              .getUrl();
    };
  }

  /** SPDY, then WebSocket when this kubectl speaks it. */
  private static List<Boolean> protocols() {
    return kubectlSpeaksWebSocket() ? List.of(false, true) : List.of(false);
  }

  private static boolean flag(Map<String, List<String>> q, String name) {
    return q.getOrDefault(name, List.of("false")).get(0).equals("true");
  }

  /** A pod named {@code name} with one container {@code c} running {@code command}. */
  private void pod(String name, dev.berth.api.cri.v1.ContainerConfig.Builder c) {
    String pod = runPod(podConfig(name));
    String id = startContainer(pod, c);
    podIds.put(name, pod);
    containerIds.put(name + "/" + c.getMetadata().getName(), id);
    api.pod(name, c.getMetadata().getName());
  }

  private Exec.Result kubectl(boolean websocket, String stdin, String... args) {
    List<String> command = new ArrayList<>(List.of("kubectl", "--server=" + api.server()));
    command.add("--cache-dir=" + tmp.resolve("kube-cache"));
    command.add("--request-timeout=60s");
    command.addAll(List.of(args));
    return Exec.run(command, tmp, env(websocket), stdin, 90);
  }

  private Map<String, String> env(boolean websocket) {
    return Map.of(
        "HOME", tmp.toString(),
        "KUBECONFIG", tmp.resolve("no-kubeconfig").toString(),
        "KUBECTL_REMOTE_COMMAND_WEBSOCKETS", Boolean.toString(websocket),
        "KUBECTL_PORT_FORWARD_WEBSOCKETS", Boolean.toString(websocket));
  }

  @Test
  void execOverSpdyAndWebSocket() throws Exception {
    pod("exec", container("c", "sleep", "600"));
    for (boolean websocket : protocols()) {
      Exec.Result r =
          kubectl(
              websocket,
              null,
              "exec",
              "exec",
              "-c",
              "c",
              "--",
              "sh",
              "-c",
              "echo out-$((40+2)); echo err >&2; exit 3");
      assertEquals(3, r.exitCode(), r.toString());
      assertEquals("out-42\n", r.stdout(), r.toString());
      assertTrue(r.stderr().contains("err\n"), r.toString());
      assertTrue(r.stderr().contains("command terminated with exit code 3"), r.toString());

      Exec.Result piped =
          kubectl(websocket, "line one\nline two\n", "exec", "-i", "exec", "-c", "c", "--", "cat");
      assertEquals(0, piped.exitCode(), piped.toString());
      assertEquals("line one\nline two\n", piped.stdout(), piped.toString());
    }
    assertTrue(api.upgrades.contains("exec SPDY/3.1"), api.upgrades.toString());
    if (kubectlSpeaksWebSocket()) {
      assertTrue(api.upgrades.contains("exec websocket"), api.upgrades.toString());
    }
  }

  @Test
  void attachToAContainersStdin() throws Exception {
    for (boolean websocket : protocols()) {
      String name = websocket ? "attach-ws" : "attach";
      pod(name, container("sh", "sh").setStdin(true).setStdinOnce(true));
      Exec.Result r =
          kubectl(websocket, "echo attached-$((6*7))\nexit 5\n", "attach", "-i", name, "-c", "sh");
      assertTrue(r.stdout().contains("attached-42"), r.toString());
      String id = containerIds.get(name + "/sh");
      assertTrue(
          waitFor(
              () -> status(id).getState() == dev.berth.api.cri.v1.ContainerState.CONTAINER_EXITED),
          "the shell ended with its stdin");
      assertEquals(5, status(id).getExitCode());
    }
    if (kubectlSpeaksWebSocket()) {
      assertTrue(api.upgrades.contains("attach websocket"), api.upgrades.toString());
    }
  }

  /** {@code exec -it} from a terminal (kubectl under script(1)): a pty, and its size applied. */
  @Test
  @RequiresCommand("script")
  void execWithATerminal() throws Exception {
    pod("tty", container("c", "sleep", "600"));
    for (boolean websocket : protocols()) {
      String command =
          "stty cols 77 rows 21; kubectl --server="
              + api.server()
              + " exec -it tty -c c -- sh -c 'tty; for i in 1 2 3 4 5 6 7 8 9 10; do"
              + " s=$(stty size 2>/dev/null); [ \"$s\" = \"21 77\" ] && break; sleep 0.2; done;"
              + " echo size=$s; exit 4'";
      Exec.Result r =
          Exec.run(List.of("script", "-qec", command, "/dev/null"), tmp, env(websocket), "", 90);
      assertEquals(4, r.exitCode(), r.toString());
      assertTrue(r.stdout().contains("/dev/pts/"), r.toString());
      // The size comes on the resize stream once the process runs (as with containerd), so the
      // shell looks a few times.
      assertTrue(r.stdout().contains("size=21 77"), r.toString());
    }
  }

  @Test
  void portForwardOverSpdyAndWebSocket() throws Exception {
    pod(
        "web",
        container("httpd", "/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www")
            .setImage(ImageSpec.newBuilder().setImage(WEB)));
    for (boolean websocket : protocols()) {
      int local;
      try (ServerSocket free = new ServerSocket(0)) {
        local = free.getLocalPort();
      }
      List<String> command =
          new ArrayList<>(
              List.of(
                  "kubectl",
                  "--server=" + api.server(),
                  "--cache-dir=" + tmp.resolve("kube-cache"),
                  "port-forward",
                  "pod/web",
                  local + ":80"));
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().putAll(env(websocket));
      Process p = pb.start();
      started.add(p);
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      StringBuilder said = new StringBuilder();
      while ((line = out.readLine()) != null && !line.startsWith("Forwarding from")) {
        said.append(line).append('\n'); // warnings of older kubectls
      }
      assertTrue(
          line != null && line.startsWith("Forwarding from 127.0.0.1:" + local), said.toString());
      Thread.ofPlatform().daemon(true).start(() -> out.lines().forEach(l -> {}));
      String url = "http://127.0.0.1:" + local + "/";
      for (int i = 0; i < 3; i++) { // one connection after another through one forward
        Exec.Result page = Exec.run("busybox", "wget", "-qO-", url);
        assertEquals(PAGE, page.stdout(), page.toString());
      }
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    assertTrue(api.upgrades.contains("portforward SPDY/3.1"), api.upgrades.toString());
  }
}
