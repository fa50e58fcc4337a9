package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cri.v1.ContainerFilter;
import dev.berth.api.cri.v1.ContainerState;
import dev.berth.api.cri.v1.ContainerStateValue;
import dev.berth.api.cri.v1.ContainerStats;
import dev.berth.api.cri.v1.ContainerStatsRequest;
import dev.berth.api.cri.v1.ContainerStatus;
import dev.berth.api.cri.v1.ContainerStatusRequest;
import dev.berth.api.cri.v1.DNSConfig;
import dev.berth.api.cri.v1.ExecSyncResponse;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.Int64Value;
import dev.berth.api.cri.v1.KeyValue;
import dev.berth.api.cri.v1.LinuxContainerConfig;
import dev.berth.api.cri.v1.LinuxContainerResources;
import dev.berth.api.cri.v1.LinuxContainerSecurityContext;
import dev.berth.api.cri.v1.LinuxPodSandboxConfig;
import dev.berth.api.cri.v1.ListContainerStatsRequest;
import dev.berth.api.cri.v1.ListContainersRequest;
import dev.berth.api.cri.v1.ListPodSandboxRequest;
import dev.berth.api.cri.v1.ListPodSandboxStatsRequest;
import dev.berth.api.cri.v1.Mount;
import dev.berth.api.cri.v1.MountPropagation;
import dev.berth.api.cri.v1.NamespaceMode;
import dev.berth.api.cri.v1.PodSandbox;
import dev.berth.api.cri.v1.PodSandboxConfig;
import dev.berth.api.cri.v1.PodSandboxFilter;
import dev.berth.api.cri.v1.PodSandboxMetadata;
import dev.berth.api.cri.v1.PodSandboxState;
import dev.berth.api.cri.v1.PodSandboxStateValue;
import dev.berth.api.cri.v1.PodSandboxStats;
import dev.berth.api.cri.v1.PodSandboxStatsRequest;
import dev.berth.api.cri.v1.PodSandboxStatus;
import dev.berth.api.cri.v1.PodSandboxStatusResponse;
import dev.berth.api.cri.v1.RemoveContainerRequest;
import dev.berth.api.cri.v1.RemovePodSandboxRequest;
import dev.berth.api.cri.v1.ReopenContainerLogRequest;
import dev.berth.api.cri.v1.RunPodSandboxRequest;
import dev.berth.api.cri.v1.RuntimeServiceGrpc;
import dev.berth.api.cri.v1.StartContainerRequest;
import dev.berth.api.cri.v1.StopContainerRequest;
import dev.berth.api.cri.v1.StopPodSandboxRequest;
import dev.berth.api.cri.v1.UpdateContainerResourcesRequest;
import dev.berth.engine.Engine;
import dev.berth.runtime.monitor.CriLog;
import dev.berth.testkit.RequiresRoot;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The RuntimeService's pod and container calls as kubelet and crictl make them, on {@link
 * CriPodTestBase}'s real server, store, CNI network and image.
 */
@RequiresRoot
@org.junit.jupiter.api.Timeout(120)
class CriPodsTest extends CriPodTestBase {
  // ---- tests ----

  @Test
  void crictlFlowRunpCreateStartStatusExecStopRmStoppRmp() throws Exception {
    Path logs = tmp.resolve("logs");
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("file"), "from the host\n");
    long before = nanos(Instant.now());
    String pod =
        runPod(
            podConfig("web")
                .setHostname("web-host")
                .setLogDirectory(logs.toString())
                .setDnsConfig(
                    DNSConfig.newBuilder().addServers("10.9.8.7").addSearches("svc.example")));

    // runp -> inspectp
    PodSandboxStatusResponse ps = podStatus(pod, true);
    PodSandboxStatus p = ps.getStatus();
    assertEquals(pod, p.getId());
    assertEquals("web", p.getMetadata().getName());
    assertEquals("uid-web", p.getMetadata().getUid());
    assertEquals("default", p.getMetadata().getNamespace());
    assertEquals(1, p.getMetadata().getAttempt());
    assertEquals(PodSandboxState.SANDBOX_READY, p.getState());
    assertTrue(p.getCreatedAt() >= before && p.getCreatedAt() <= nanos(Instant.now()));
    assertTrue(p.getNetwork().getIp().matches("[0-9.]+"), p.toString());
    assertEquals(NamespaceMode.POD, p.getLinux().getNamespaces().getOptions().getNetwork());
    // no namespace options: the CRI's zero mode, POD, for each (as containerd reads them)
    assertEquals(NamespaceMode.POD, p.getLinux().getNamespaces().getOptions().getPid());
    assertEquals(NamespaceMode.POD, p.getLinux().getNamespaces().getOptions().getIpc());
    assertEquals(
        NamespaceMode.NODE,
        p.getLinux().getNamespaces().getOptions().getUsernsOptions().getMode(),
        "the host's user namespace");
    assertEquals(Map.of("app", "web"), p.getLabelsMap());
    assertEquals(Map.of("note", "kept"), p.getAnnotationsMap());
    assertEquals("", p.getRuntimeHandler());
    String info = ps.getInfoOrThrow("info");
    assertTrue(info.contains("\"processStatus\":\"running\""), info);
    assertTrue(info.contains("\"runtimeHandler\":\"berth\""), info);
    assertFalse(podStatus(pod, false).containsInfo("info"));

    // create -> inspect (created)
    String id =
        create(
            pod,
            container(
                    "app",
                    "sh",
                    "-c",
                    "trap '' TERM; echo started; while true; do if [ -f /dev/shm/ping ]; then rm /dev/shm/ping;"
                        + " echo pong; fi; sleep 0.1; done")
                .addEnvs(KeyValue.newBuilder().setKey("GREETING").setValue("hi"))
                .putLabels("tier", "front")
                .putAnnotations("io.example/note", "yes")
                .setLogPath("app/0.log")
                .addMounts(
                    Mount.newBuilder()
                        .setContainerPath("/data")
                        .setHostPath(data.toString())
                        .setReadonly(true)
                        .setPropagation(MountPropagation.PROPAGATION_HOST_TO_CONTAINER))
                .setLinux(
                    LinuxContainerConfig.newBuilder()
                        .setResources(
                            LinuxContainerResources.newBuilder()
                                .setMemoryLimitInBytes(64L << 20)
                                .setCpuShares(512)
                                .setOomScoreAdj(500))
                        .setSecurityContext(
                            LinuxContainerSecurityContext.newBuilder()
                                .setRunAsUser(Int64Value.newBuilder().setValue(1000))
                                .setRunAsGroup(Int64Value.newBuilder().setValue(1000))
                                .addSupplementalGroups(1234))));
    ContainerStatus c = status(id);
    assertEquals(ContainerState.CONTAINER_CREATED, c.getState());
    assertEquals("app", c.getMetadata().getName());
    assertEquals(0, c.getMetadata().getAttempt());
    assertEquals(0, c.getStartedAt());
    assertTrue(c.getCreatedAt() >= p.getCreatedAt());
    assertEquals(IMAGE, c.getImage().getImage());
    var image = engine.images().resolve(IMAGE);
    String imageId = image.config().toString();
    // as containerd: the first repo digest, as ListImages shows it
    assertEquals("localhost/busybox@" + image.target().digest(), c.getImageRef());
    assertEquals(imageId, c.getImageId());
    assertEquals(Map.of("tier", "front"), c.getLabelsMap(), "berth's own labels not shown");
    assertEquals(Map.of("io.example/note", "yes"), c.getAnnotationsMap());
    assertEquals(logs.resolve("app/0.log").toString(), c.getLogPath());
    assertEquals(
        List.of(
            Mount.newBuilder()
                .setContainerPath("/data")
                .setHostPath(data.toString())
                .setReadonly(true)
                .setPropagation(MountPropagation.PROPAGATION_HOST_TO_CONTAINER)
                .build()),
        c.getMountsList());
    assertEquals(64L << 20, c.getResources().getLinux().getMemoryLimitInBytes());
    assertEquals(512, c.getResources().getLinux().getCpuShares());
    assertEquals(500, c.getResources().getLinux().getOomScoreAdj());
    // the same name and attempt again in the pod: refused, nothing made
    assertEquals(Status.Code.ALREADY_EXISTS, code(() -> create(pod, container("app", "true"))));

    // start -> inspect (running)
    rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
    c = status(id);
    assertEquals(ContainerState.CONTAINER_RUNNING, c.getState());
    assertTrue(c.getStartedAt() >= c.getCreatedAt(), c.toString());
    assertEquals(0, c.getFinishedAt());
    assertEquals(1000, c.getUser().getLinux().getUid());
    assertEquals(1000, c.getUser().getLinux().getGid());
    assertTrue(c.getUser().getLinux().getSupplementalGroupsList().contains(1234L), c.toString());
    String cinfo =
        rt().containerStatus(
                ContainerStatusRequest.newBuilder().setContainerId(id).setVerbose(true).build())
            .getInfoOrThrow("info");
    assertTrue(cinfo.contains("\"sandboxID\":\"" + pod + "\""), cinfo);
    assertTrue(cinfo.contains("\"runtimeSpec\":{"), cinfo);

    // exec sync: stdout, stderr, exit code, in the container as it runs
    ExecSyncResponse r =
        exec(
            id,
            10,
            "sh",
            "-c",
            "id; hostname; cat /data/file; echo $GREETING; grep -c 10.9.8.7 /etc/resolv.conf;"
                + " echo oops >&2; exit 3");
    assertEquals(3, r.getExitCode());
    assertEquals(
        "uid=1000 gid=1000 groups=1000,1234\nweb-host\nfrom the host\nhi\n1\n",
        r.getStdout().toStringUtf8());
    assertEquals("oops\n", r.getStderr().toStringUtf8());
    ExecSyncResponse missing = exec(id, 10, "/no/such/program");
    assertEquals(127, missing.getExitCode(), missing.toString());

    // update: a new memory limit, in the running container's cgroup and in its status
    rt().updateContainerResources(
            UpdateContainerResourcesRequest.newBuilder()
                .setContainerId(id)
                .setLinux(
                    LinuxContainerResources.newBuilder()
                        .setMemoryLimitInBytes(96L << 20)
                        .setCpuShares(256))
                .build());
    assertEquals(
        Long.toString(96L << 20),
        exec(
                id,
                10,
                "sh",
                "-c",
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null"
                    + " || cat /sys/fs/cgroup/memory.max")
            .getStdout()
            .toStringUtf8()
            .strip());
    assertEquals(96L << 20, status(id).getResources().getLinux().getMemoryLimitInBytes());
    // memory and swap together: the kubelet's memory_swap_limit_in_bytes, else the memory limit
    String memsw = "cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes";
    assertEquals(
        Long.toString(96L << 20),
        exec(id, 10, "sh", "-c", memsw).getStdout().toStringUtf8().strip());
    rt().updateContainerResources(
            UpdateContainerResourcesRequest.newBuilder()
                .setContainerId(id)
                .setLinux(
                    LinuxContainerResources.newBuilder()
                        .setMemoryLimitInBytes(96L << 20)
                        .setMemorySwapLimitInBytes(128L << 20))
                .build());
    assertEquals(
        Long.toString(128L << 20),
        exec(id, 10, "sh", "-c", memsw).getStdout().toStringUtf8().strip());
    StatusRuntimeException belowMemory =
        error(
            () ->
                rt().updateContainerResources(
                        UpdateContainerResourcesRequest.newBuilder()
                            .setContainerId(id)
                            .setLinux(
                                LinuxContainerResources.newBuilder()
                                    .setMemoryLimitInBytes(96L << 20)
                                    .setMemorySwapLimitInBytes(64L << 20))
                            .build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, belowMemory.getStatus().getCode());
    assertTrue(
        belowMemory.getStatus().getDescription().contains("memory_swap_limit_in_bytes: 67108864"),
        belowMemory.getStatus().getDescription());
    assertEquals(
        Long.toString(128L << 20),
        exec(id, 10, "sh", "-c", memsw).getStdout().toStringUtf8().strip());

    // logs: in log_directory/log_path; rotated and reopened, new output goes to the new file
    Path log = logs.resolve("app/0.log");
    assertTrue(waitFor(() -> text(log).contains("started")), text(log));
    Files.move(log, logs.resolve("app/0.log.1"));
    rt().reopenContainerLog(ReopenContainerLogRequest.newBuilder().setContainerId(id).build());
    assertEquals(0, exec(id, 10, "touch", "/dev/shm/ping").getExitCode());
    assertTrue(waitFor(() -> text(log).contains("pong")), "pong in the reopened log");
    assertFalse(text(logs.resolve("app/0.log.1")).contains("pong"));

    // stats of the running container
    ContainerStats st =
        rt().containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build())
            .getStats();
    assertEquals(id, st.getAttributes().getId());
    assertEquals("app", st.getAttributes().getMetadata().getName());
    assertTrue(st.getCpu().getUsageCoreNanoSeconds().getValue() > 0, st.toString());
    assertTrue(st.getMemory().getWorkingSetBytes().getValue() > 0, st.toString());
    assertTrue(st.getCpu().getTimestamp() > 0);
    assertEquals(
        List.of(id),
        rt()
            .listContainerStats(ListContainerStatsRequest.getDefaultInstance())
            .getStatsList()
            .stream()
            .map(s -> s.getAttributes().getId())
            .toList());
    PodSandboxStats pst =
        rt().podSandboxStats(PodSandboxStatsRequest.newBuilder().setPodSandboxId(pod).build())
            .getStats();
    assertEquals(pod, pst.getAttributes().getId());
    assertEquals(1, pst.getLinux().getContainersCount());
    assertTrue(pst.getLinux().getCpu().getUsageCoreNanoSeconds().getValue() > 0);
    assertTrue(pst.getLinux().getProcess().getProcessCount().getValue() >= 1);
    assertTrue(pst.getLinux().getNetwork().hasDefaultInterface(), pst.toString());
    assertEquals(
        1,
        rt().listPodSandboxStats(ListPodSandboxStatsRequest.getDefaultInstance()).getStatsCount());

    // stop: sh ignores SIGTERM, so SIGKILL after the timeout; again is fine
    rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(1).build());
    c = status(id);
    assertEquals(ContainerState.CONTAINER_EXITED, c.getState());
    assertEquals(137, c.getExitCode());
    assertEquals("Error", c.getReason());
    assertTrue(c.getFinishedAt() >= c.getStartedAt());
    rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(1).build());
    assertEquals(
        Status.Code.FAILED_PRECONDITION,
        code(
            () ->
                rt().reopenContainerLog(
                        ReopenContainerLogRequest.newBuilder().setContainerId(id).build())));

    // rm: gone, and again is fine
    rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    assertEquals(Status.Code.NOT_FOUND, code(() -> status(id)));
    rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());

    // stopp -> rmp
    rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    PodSandboxStatus stopped = podStatus(pod, false).getStatus();
    assertEquals(PodSandboxState.SANDBOX_NOTREADY, stopped.getState());
    assertEquals("", stopped.getNetwork().getIp());
    rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertEquals(Status.Code.NOT_FOUND, code(() -> podStatus(pod, false)));
    rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    // stopping a pod that is gone is fine too (critest's idempotence)
    rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertClean();
  }

  static String text(Path log) {
    try {
      StringBuilder b = new StringBuilder();
      for (CriLog.Entry e : CriLog.read(log, null, -1))
        b.append(new String(e.text(), StandardCharsets.UTF_8)).append('\n');
      return b.toString();
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * linux.resources.unified (cgroup v2 files by name, as the kubelet's memory.oom.group and
   * memory.high) is kept in the record, shown in the status and handed to the runtime, which writes
   * them on cgroup v2 and refuses them on v1, as runc does: never dropped.
   */
  @Test
  void unifiedCgroupFilesAreKeptAndGivenToTheRuntime() throws Exception {
    String pod = runPod(podConfig("unified"));
    String id =
        create(
            pod,
            container("c", "sleep", "1000")
                .setLinux(
                    LinuxContainerConfig.newBuilder()
                        .setResources(
                            LinuxContainerResources.newBuilder()
                                .setMemoryLimitInBytes(64L << 20)
                                .putUnified("memory.high", "50331648"))));
    assertEquals(
        Map.of("memory.high", "50331648"), status(id).getResources().getLinux().getUnifiedMap());
    Runnable start =
        () -> rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
    if (Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) {
      start.run(); // a cgroup v2 host
      assertEquals(
          "50331648",
          exec(id, 10, "cat", "/sys/fs/cgroup/memory.high").getStdout().toStringUtf8().strip());
    } else {
      StatusRuntimeException e = error(start);
      assertTrue(
          e.getStatus().getDescription().contains("cannot use unified on cgroup v1"),
          e.getStatus().getDescription());
    }
    rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertClean();
  }

  @Test
  void aContainerOverItsMemoryLimitIsOomKilled() throws Exception {
    String pod = runPod(podConfig("oom"));
    String id =
        startContainer(
            pod,
            container("hog", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
                .setLinux(
                    LinuxContainerConfig.newBuilder()
                        .setResources(
                            LinuxContainerResources.newBuilder()
                                .setMemoryLimitInBytes(16L << 20))));
    assertTrue(
        waitFor(() -> status(id).getState() == ContainerState.CONTAINER_EXITED),
        () -> status(id).toString());
    ContainerStatus c = status(id);
    assertEquals("OOMKilled", c.getReason(), c.toString());
    assertEquals(137, c.getExitCode());
    assertTrue(c.getFinishedAt() > 0);
    // an exited container cannot start again: kubelet makes another attempt
    assertEquals(
        Status.Code.FAILED_PRECONDITION,
        code(
            () ->
                rt().startContainer(
                        StartContainerRequest.newBuilder().setContainerId(id).build())));
    // removing the pod removes its containers
    rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertEquals(Status.Code.NOT_FOUND, code(() -> status(id)));
    assertClean();
  }

  @Test
  void badRequestsAreRefusedAsContainerdRefusesThemAndLeaveNothing() throws Exception {
    assertEquals(
        "config.metadata: required",
        error(() -> runPod(PodSandboxConfig.newBuilder())).getStatus().getDescription());
    StatusRuntimeException noName =
        error(() -> runPod(podConfig("x").setMetadata(PodSandboxMetadata.newBuilder())));
    assertEquals(Status.Code.INVALID_ARGUMENT, noName.getStatus().getCode());
    assertEquals("config.metadata.name: required", noName.getStatus().getDescription());
    StatusRuntimeException target =
        error(() -> runPod(podConfig("t", NamespaceMode.POD, NamespaceMode.TARGET)));
    assertEquals(Status.Code.INVALID_ARGUMENT, target.getStatus().getCode());
    assertTrue(
        target
            .getStatus()
            .getDescription()
            .contains("config.linux.security_context.namespace_options.pid"),
        target.toString());
    StatusRuntimeException handler =
        error(
            () ->
                rt().runPodSandbox(
                        RunPodSandboxRequest.newBuilder()
                            .setConfig(podConfig("h"))
                            .setRuntimeHandler("kata")
                            .build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, handler.getStatus().getCode());
    assertTrue(handler.getStatus().getDescription().contains("\"kata\""), handler.toString());
    assertEquals(
        Status.Code.INVALID_ARGUMENT,
        code(
            () ->
                runPod(
                    podConfig("s")
                        .setLinux(
                            LinuxPodSandboxConfig.newBuilder()
                                .putSysctls("kernel.hostname", "x")))));
    assertClean();

    String unknown = "0".repeat(64);
    assertEquals(Status.Code.NOT_FOUND, code(() -> podStatus(unknown, false)));
    rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());
    rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());
    assertEquals(Status.Code.NOT_FOUND, code(() -> status(unknown)));
    assertEquals(Status.Code.NOT_FOUND, code(() -> exec(unknown, 1, "true")));
    assertEquals(
        Status.Code.NOT_FOUND,
        code(
            () ->
                rt().startContainer(
                        StartContainerRequest.newBuilder().setContainerId(unknown).build())));
    rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(unknown).build());
    rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(unknown).build());
    assertEquals(Status.Code.NOT_FOUND, code(() -> create(unknown, container("a", "true"))));

    // one pod of a name and attempt
    String pod = runPod(podConfig("dup"));
    assertEquals(Status.Code.ALREADY_EXISTS, code(() -> runPod(podConfig("dup"))));
    // a missing image: NOT_FOUND naming it, nothing made
    StatusRuntimeException image =
        error(
            () ->
                create(
                    pod,
                    container("a", "true")
                        .setImage(ImageSpec.newBuilder().setImage("localhost/none:1"))));
    assertEquals(Status.Code.NOT_FOUND, image.getStatus().getCode());
    assertTrue(image.getStatus().getDescription().contains("localhost/none:1"), image.toString());
    StatusRuntimeException noMeta =
        error(() -> create(pod, container("a", "true").clearMetadata()));
    assertEquals("config.metadata: required", noMeta.getStatus().getDescription());
    StatusRuntimeException badMemory =
        error(
            () ->
                create(
                    pod,
                    container("a", "true")
                        .setLinux(
                            LinuxContainerConfig.newBuilder()
                                .setResources(
                                    LinuxContainerResources.newBuilder()
                                        .setMemoryLimitInBytes(-1)))));
    assertEquals(Status.Code.INVALID_ARGUMENT, badMemory.getStatus().getCode());
    assertTrue(
        badMemory
            .getStatus()
            .getDescription()
            .contains("config.linux.resources.memory_limit_in_bytes"),
        badMemory.toString());
    // one that fails in the engine's create, after its record was made
    StatusRuntimeException device =
        error(
            () ->
                create(
                    pod,
                    container("a", "true")
                        .addDevices(
                            dev.berth.api.cri.v1.Device.newBuilder()
                                .setHostPath("/dev/berth-no-such-device")
                                .setContainerPath("/dev/x")
                                .setPermissions("rw"))));
    assertTrue(
        device.getStatus().getDescription().contains("/dev/berth-no-such-device"),
        device.toString());
    assertEquals(List.of(), engine.containers().list().containers(), "no container made");
    assertEquals(List.of(), entries(root.resolve("snapshots/active"), ".*"), "no snapshot left");
    assertEquals(
        0, rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
    rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertClean();
  }

  @Test
  void aHostNetworkPodHasTheHostsNetworkAndHostname() throws Exception {
    String pod = runPod(podConfig("hostnet", NamespaceMode.NODE, NamespaceMode.CONTAINER));
    PodSandboxStatus p = podStatus(pod, false).getStatus();
    assertEquals("", p.getNetwork().getIp());
    assertEquals(NamespaceMode.NODE, p.getLinux().getNamespaces().getOptions().getNetwork());
    String id = startContainer(pod, container("c", "sleep", "1000"));
    String out =
        exec(id, 10, "sh", "-c", "readlink /proc/self/ns/net; hostname").getStdout().toStringUtf8();
    String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    assertEquals(
        Files.readSymbolicLink(Path.of("/proc/self/ns/net")) + "\n" + hostname + "\n", out);
    assertEquals(List.of(), files(runRoot.resolve("netns"), ".*"), "no network pin");
  }

  @Test
  void containersOfASharedPidPodSeeEachOther() throws Exception {
    String pod = runPod(podConfig("pids", NamespaceMode.POD, NamespaceMode.POD));
    assertEquals(
        NamespaceMode.POD,
        podStatus(pod, false).getStatus().getLinux().getNamespaces().getOptions().getPid());
    startContainer(pod, container("first", "sleep", "1000"));
    String second = startContainer(pod, container("second", "sleep", "2000"));
    String ps = exec(second, 10, "ps", "-o", "args").getStdout().toStringUtf8();
    assertTrue(ps.contains("sleep 1000") && ps.contains("sleep 2000"), ps);
  }

  @Test
  void listsFilterByIdStatePodAndLabels() throws Exception {
    String a = runPod(podConfig("a"));
    String b = runPod(podConfig("b"));
    rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(b).build());
    assertEquals(List.of(a, b), pods(PodSandboxFilter.getDefaultInstance()));
    assertEquals(List.of(b), pods(PodSandboxFilter.newBuilder().setId(b.substring(0, 12)).build()));
    assertEquals(
        List.of(a),
        pods(
            PodSandboxFilter.newBuilder()
                .setState(PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_READY))
                .build()));
    assertEquals(
        List.of(b), pods(PodSandboxFilter.newBuilder().putLabelSelector("app", "b").build()));
    assertEquals(
        List.of(), pods(PodSandboxFilter.newBuilder().putLabelSelector("app", "c").build()));

    String running = startContainer(a, container("run", "sleep", "1000").putLabels("k", "1"));
    String created = create(a, container("made", "true").putLabels("k", "2"));
    // a container of the Docker API's is not the CRI's
    engine.create(
        new dev.berth.engine.container.ContainerOptions.Builder(IMAGE)
            .command(List.of("true"))
            .build());
    assertEquals(List.of(created, running), containers(ContainerFilter.getDefaultInstance()));
    assertEquals(
        List.of(running),
        containers(
            ContainerFilter.newBuilder()
                .setState(
                    ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_RUNNING))
                .build()));
    assertEquals(
        List.of(created),
        containers(ContainerFilter.newBuilder().putLabelSelector("k", "2").build()));
    assertEquals(
        List.of(running),
        containers(ContainerFilter.newBuilder().setId(running.substring(0, 10)).build()));
    assertEquals(
        List.of(created, running),
        containers(ContainerFilter.newBuilder().setPodSandboxId(a.substring(0, 12)).build()));
    assertEquals(List.of(), containers(ContainerFilter.newBuilder().setPodSandboxId(b).build()));
    var listed =
        rt().listContainers(
                ListContainersRequest.newBuilder()
                    .setFilter(ContainerFilter.newBuilder().setId(running))
                    .build())
            .getContainers(0);
    assertEquals(a, listed.getPodSandboxId());
    assertEquals("run", listed.getMetadata().getName());
    assertEquals(Map.of("k", "1"), listed.getLabelsMap());
    assertEquals(IMAGE, listed.getImage().getImage());
  }

  List<String> pods(PodSandboxFilter f) {
    return rt()
        .listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(f).build())
        .getItemsList()
        .stream()
        .map(PodSandbox::getId)
        .toList();
  }

  List<String> containers(ContainerFilter f) {
    return rt()
        .listContainers(ListContainersRequest.newBuilder().setFilter(f).build())
        .getContainersList()
        .stream()
        .map(dev.berth.api.cri.v1.Container::getId)
        .toList();
  }

  @Test
  void aRestartedServerOnTheSameStoreSeesTheRunningPodAndContainer() throws Exception {
    String pod = runPod(podConfig("kept"));
    String id = startContainer(pod, container("c", "sleep", "1000"));
    String ip = podStatus(pod, false).getStatus().getNetwork().getIp();
    // and a pod with a user namespace of its own (hostUsers: false), whose pins outlive berthd
    dev.berth.api.cri.v1.IDMapping map =
        dev.berth.api.cri.v1.IDMapping.newBuilder()
            .setContainerId(0)
            .setHostId(500000)
            .setLength(65536)
            .build();
    dev.berth.api.cri.v1.NamespaceOption userns =
        dev.berth.api.cri.v1.NamespaceOption.newBuilder()
            .setPid(NamespaceMode.CONTAINER)
            .setUsernsOptions(
                dev.berth.api.cri.v1.UserNamespace.newBuilder()
                    .setMode(NamespaceMode.POD)
                    .addUids(map)
                    .addGids(map))
            .build();
    String usernsPod =
        runPod(
            podConfig("kept-userns")
                .setLinux(
                    dev.berth.api.cri.v1.LinuxPodSandboxConfig.newBuilder()
                        .setSecurityContext(
                            dev.berth.api.cri.v1.LinuxSandboxSecurityContext.newBuilder()
                                .setNamespaceOptions(userns))));
    String inUserns = startContainer(usernsPod, container("u", "sleep", "1000"));
    // berthd restarts: a new engine and server on the same store and run root
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    engine.close();
    engine = Engine.open(config());
    server = CriServer.start(CriServer.Options.at(socket, "1.0"), engine);
    channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollDomainSocketChannel.class)
            .eventLoopGroup(clientLoop)
            .withOption(io.netty.channel.ChannelOption.SO_KEEPALIVE, null)
            .overrideAuthority("localhost")
            .usePlaintext()
            .build();
    runtime = RuntimeServiceGrpc.newBlockingStub(channel);
    PodSandboxStatus p = podStatus(pod, false).getStatus();
    assertEquals(PodSandboxState.SANDBOX_READY, p.getState());
    assertEquals(ip, p.getNetwork().getIp());
    assertEquals(ContainerState.CONTAINER_RUNNING, status(id).getState());
    assertEquals("ok\n", exec(id, 10, "echo", "ok").getStdout().toStringUtf8());
    assertEquals(PodSandboxState.SANDBOX_READY, podStatus(usernsPod, false).getStatus().getState());
    assertEquals(ContainerState.CONTAINER_RUNNING, status(inUserns).getState());
    assertEquals("0\n", exec(inUserns, 10, "id", "-u").getStdout().toStringUtf8());
    String later = startContainer(usernsPod, container("later", "cat", "/proc/self/uid_map"));
    assertTrue(waitFor(() -> status(later).getState() == ContainerState.CONTAINER_EXITED), later);
    assertEquals(0, status(later).getExitCode());
    assertEquals(
        java.util.Set.of(id, inUserns, later),
        java.util.Set.copyOf(containers(ContainerFilter.getDefaultInstance())));
  }

  @Test
  void anExecSyncPastItsTimeoutIsDeadlineExceededAndKilled() throws Exception {
    String pod = runPod(podConfig("slow"));
    String id = startContainer(pod, container("c", "sleep", "1000"));
    StatusRuntimeException e = error(() -> exec(id, 1, "sleep", "77"));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.toString());
    assertTrue(e.getStatus().getDescription().contains("timeout 1s"), e.toString());
    assertTrue(
        waitFor(
            () ->
                !exec(id, 10, "ps", "-o", "args").getStdout().toStringUtf8().contains("sleep 77")),
        "the timed-out process was killed");
    assertNotEquals(ContainerState.CONTAINER_EXITED, status(id).getState());

    // what the container writes counts in its writable layer's stats
    assertEquals(0, exec(id, 10, "sh", "-c", "head -c 300000 /dev/zero > /tmp/blob").getExitCode());
    long layer =
        rt().containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build())
            .getStats()
            .getWritableLayer()
            .getUsedBytes()
            .getValue();
    assertTrue(layer >= 300000, "writable layer " + layer);
  }
}
