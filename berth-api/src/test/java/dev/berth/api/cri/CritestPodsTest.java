package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cri.v1.ContainerConfig;
import dev.berth.api.cri.v1.ContainerMetadata;
import dev.berth.api.cri.v1.DNSConfig;
import dev.berth.api.cri.v1.ExecSyncResponse;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.LinuxContainerConfig;
import dev.berth.api.cri.v1.LinuxPodSandboxConfig;
import dev.berth.api.cri.v1.ListPodSandboxRequest;
import dev.berth.api.cri.v1.PodSandbox;
import dev.berth.api.cri.v1.PodSandboxConfig;
import dev.berth.api.cri.v1.PodSandboxFilter;
import dev.berth.api.cri.v1.PodSandboxMetadata;
import dev.berth.api.cri.v1.PodSandboxState;
import dev.berth.api.cri.v1.PortMapping;
import dev.berth.api.cri.v1.RemovePodSandboxRequest;
import dev.berth.api.cri.v1.RuntimeCondition;
import dev.berth.api.cri.v1.StatusRequest;
import dev.berth.api.cri.v1.StopPodSandboxRequest;
import dev.berth.api.cri.v1.VersionRequest;
import dev.berth.api.cri.v1.VersionResponse;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.TarEntry;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * critest's "Runtime info", "PodSandbox" (pod.go, pod_linux.go), "Networking" (networking.go) and
 * the pod half of "Idempotence", call for call as cri-tools' pkg/validate makes them (its request
 * shapes: names of a prefix and a UUID, attempt 2, the cgroupfs driver's empty cgroup parent, the
 * default container running {@code top}), asserting what it asserts.
 */
@RequiresRoot
@org.junit.jupiter.api.Timeout(120)
class CritestPodsTest extends CriPodTestBase {
  /** critest's exec timeout (defaultExecSyncTimeout). */
  static final long EXEC_TIMEOUT = 30;

  // ---- "Runtime info" ----

  @Test
  void runtimeReturnsVersionInfoAndConditions() {
    // runtime should return version info [Conformance]
    VersionResponse v = rt().version(VersionRequest.newBuilder().setVersion("0.1.0").build());
    assertEquals("0.1.0", v.getVersion());
    assertFalse(v.getRuntimeName().isEmpty());
    assertFalse(v.getRuntimeVersion().isEmpty());
    assertFalse(v.getRuntimeApiVersion().isEmpty());
    // runtime should return runtime conditions [Conformance]
    List<RuntimeCondition> conditions =
        rt().status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList();
    long ready =
        conditions.stream()
            .filter(c -> c.getStatus())
            .filter(c -> List.of("RuntimeReady", "NetworkReady").contains(c.getType()))
            .count();
    assertEquals(2, ready, conditions.toString());
  }

  // ---- "PodSandbox" and "Idempotence" of pods ----

  @Test
  void podSandboxIsRunListedStoppedAndRemovedIdempotently() throws Exception {
    // runtime should support running PodSandbox [Conformance]
    String pod = runPod(defaultPod("PodSandbox-for-create-test-"));
    assertEquals(PodSandboxState.SANDBOX_READY, podStatus(pod, false).getStatus().getState());
    assertTrue(listed(pod), "PodSandbox should be listed");
    // runtime should support stopping PodSandbox [Conformance], and again (Idempotence)
    stopPod(pod);
    assertEquals(PodSandboxState.SANDBOX_NOTREADY, podStatus(pod, false).getStatus().getState());
    stopPod(pod);
    assertEquals(PodSandboxState.SANDBOX_NOTREADY, podStatus(pod, false).getStatus().getState());
    // runtime should support removing PodSandbox [Conformance]
    removePod(pod);
    assertFalse(listed(pod), "PodSandbox should be removed");
    // StopPodSandbox / RemovePodSandbox should not return an error if not found
    stopPod(UUID.randomUUID().toString());
    removePod(UUID.randomUUID().toString());
    assertClean();
  }

  @Test
  void podSandboxSysctlsSafeAndUnsafeReachItsContainers() throws Exception {
    // should support safe sysctls
    String safe =
        runPod(
            defaultPod("pod-sandbox-with-sysctls-")
                .setLinux(
                    LinuxPodSandboxConfig.newBuilder().putSysctls("kernel.shm_rmid_forced", "1")));
    String a = startContainer(safe, defaultContainer("container-shm-rmid-forced"));
    assertEquals("1", execOk(a, "cat", "/proc/sys/kernel/shm_rmid_forced").strip());
    // should support unsafe sysctls
    String unsafe =
        runPod(
            defaultPod("pod-sandbox-with-sysctls-")
                .setLinux(
                    LinuxPodSandboxConfig.newBuilder().putSysctls("fs.mqueue.msg_max", "100")));
    String b = startContainer(unsafe, defaultContainer("container-fs-mqueue-msg-max"));
    assertEquals("100", execOk(b, "cat", "/proc/sys/fs/mqueue/msg_max").strip());
    for (String pod : List.of(safe, unsafe)) {
      stopPod(pod);
      removePod(pod);
    }
    assertClean();
  }

  // ---- "Networking" ----

  @Test
  void dnsConfigAndHostnameAreTheContainersOwn() throws Exception {
    // runtime should support DNS config [Conformance]
    String dns =
        runPod(
            defaultPod("create-PodSandbox-with-DNS-config")
                .setDnsConfig(
                    DNSConfig.newBuilder()
                        .addServers("10.10.10.10")
                        .addSearches("google.com")
                        .addOptions("ndots:8")));
    String a = startContainer(dns, defaultContainer("container-for-DNS-config-test-"));
    String resolv = execOk(a, "cat", "/etc/resolv.conf");
    for (String line : List.of("nameserver 10.10.10.10", "search google.com", "options ndots:8"))
      assertTrue(resolv.contains(line), resolv);
    // runtime should support set hostname [Conformance]
    String named =
        runPod(defaultPod("create-PodSandbox-with-hostname").setHostname("test-hostname"));
    String b = startContainer(named, defaultContainer("container-for-hostname-test-"));
    assertTrue("test-hostname".equalsIgnoreCase(execOk(b, "hostname").strip()));
    for (String pod : List.of(dns, named)) {
      stopPod(pod);
      removePod(pod);
    }
    assertClean();
  }

  @Test
  void portMappingsReachTheWebServerByPodIpAndByHostPort() throws Exception {
    String web = webServerImage();
    // runtime should support port mapping with only container port [Conformance]
    String only =
        runPod(
            defaultPod("create-PodSandbox-with-port-mapping")
                .addPortMappings(PortMapping.newBuilder().setContainerPort(80)));
    startContainer(only, webServerContainer(web, "container-for-container-port"));
    String ip = podStatus(only, false).getStatus().getNetwork().getIp();
    assertFalse(ip.isEmpty());
    assertTrue(waitFor(() -> mainPage("http://" + ip + ":80/")), "main page by pod IP");
    // runtime should support port mapping with host port and container port [Conformance]
    String published =
        runPod(
            defaultPod("create-PodSandbox-with-port-mapping")
                .addPortMappings(PortMapping.newBuilder().setContainerPort(80).setHostPort(12000)));
    startContainer(published, webServerContainer(web, "container-for-host-port"));
    assertTrue(waitFor(() -> mainPage("http://127.0.0.1:12000/")), "main page by the host port");
    for (String pod : List.of(only, published)) {
      stopPod(pod);
      removePod(pod);
    }
    assertClean();
  }

  // ---- critest's request makers ----

  /** framework.RunDefaultPodSandbox's config: attempt 2, no labels, cgroupfs' empty parent. */
  static PodSandboxConfig.Builder defaultPod(String prefix) {
    return podNamed(prefix + UUID.randomUUID());
  }

  /** The same, named {@code name}. */
  static PodSandboxConfig.Builder podNamed(String name) {
    return PodSandboxConfig.newBuilder()
        .setMetadata(
            PodSandboxMetadata.newBuilder()
                .setName(name)
                .setUid("cri-test-uid" + UUID.randomUUID())
                .setNamespace("cri-test-namespace" + UUID.randomUUID())
                .setAttempt(2))
        .setLinux(LinuxPodSandboxConfig.newBuilder().setCgroupParent(""));
  }

  /** framework.CreateDefaultContainer's config: the test image running {@code top}. */
  static ContainerConfig.Builder defaultContainer(String prefix) {
    return ContainerConfig.newBuilder()
        .setMetadata(
            ContainerMetadata.newBuilder().setName(prefix + UUID.randomUUID()).setAttempt(2))
        .setImage(ImageSpec.newBuilder().setImage(IMAGE).setUserSpecifiedImage(IMAGE))
        .addCommand("top")
        .setLinux(LinuxContainerConfig.getDefaultInstance());
  }

  /** critest's execSyncContainer: the cri client fails on a non-zero exit, then empty stderr. */
  String execOk(String id, String... cmd) {
    ExecSyncResponse r = exec(id, EXEC_TIMEOUT, cmd);
    assertEquals(0, r.getExitCode(), r.toString());
    assertEquals("", r.getStderr().toStringUtf8(), "The stderr should be empty.");
    return r.getStdout().toStringUtf8();
  }

  boolean listed(String pod) {
    return rt()
        .listPodSandbox(
            ListPodSandboxRequest.newBuilder()
                .setFilter(PodSandboxFilter.newBuilder().setId(pod))
                .build())
        .getItemsList()
        .stream()
        .map(PodSandbox::getId)
        .anyMatch(pod::equals);
  }

  void stopPod(String pod) {
    rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  void removePod(String pod) {
    rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  /**
   * critest's web server image (nginx on port 80, its default command): busybox's httpd serving a
   * page, loaded into the store as an oci-archive.
   */
  String webServerImage() throws Exception {
    OciLayoutBuilder layout = new OciLayoutBuilder(tmp.resolve("web-layout"));
    OciLayoutBuilder.Layer base = layout.layer(new LayerTar().busybox(), Compression.GZIP);
    OciLayoutBuilder.Layer page =
        layout.layer(
            new LayerTar()
                .add(TarEntry.dir("www"), TarEntry.file("www/index.html", "<h1>critest</h1>\n")),
            Compression.GZIP);
    String ref = "localhost/critest/webserver:latest";
    layout.tag(
        ref,
        layout
            .image(
                OciLayoutBuilder.AMD64,
                ImageConfig.busybox()
                    .withWorkingDir("/")
                    .withCmd("httpd", "-f", "-p", "80", "-h", "/www"),
                List.of(base, page))
            .manifest());
    Path archive = tmp.resolve("web.tar");
    Exec.run("tar", "-C", layout.dir().toString(), "-cf", archive.toString(), ".").ok();
    assertEquals(List.of(ref), engine.images().load(archive));
    return ref;
  }

  static ContainerConfig.Builder webServerContainer(String image, String prefix) {
    return ContainerConfig.newBuilder()
        .setMetadata(
            ContainerMetadata.newBuilder().setName(prefix + UUID.randomUUID()).setAttempt(2))
        .setImage(ImageSpec.newBuilder().setImage(image))
        .setLinux(LinuxContainerConfig.getDefaultInstance());
  }

  /** A GET of {@code url} from the test's network namespace answers 200. */
  boolean mainPage(String url) {
    Exec.Result r =
        inNs("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url);
    return r.stdout().strip().equals("200");
  }
}
