package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cri.v1.ContainerConfig;
import dev.berth.api.cri.v1.ContainerFilter;
import dev.berth.api.cri.v1.ContainerMetadata;
import dev.berth.api.cri.v1.ContainerState;
import dev.berth.api.cri.v1.ContainerStats;
import dev.berth.api.cri.v1.ContainerStatsFilter;
import dev.berth.api.cri.v1.ContainerStatsRequest;
import dev.berth.api.cri.v1.ContainerStatus;
import dev.berth.api.cri.v1.ContainerStatusRequest;
import dev.berth.api.cri.v1.ExecSyncResponse;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.LinuxContainerConfig;
import dev.berth.api.cri.v1.LinuxContainerResources;
import dev.berth.api.cri.v1.LinuxContainerSecurityContext;
import dev.berth.api.cri.v1.LinuxPodSandboxConfig;
import dev.berth.api.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.api.cri.v1.ListContainerStatsRequest;
import dev.berth.api.cri.v1.ListContainersRequest;
import dev.berth.api.cri.v1.Mount;
import dev.berth.api.cri.v1.MountPropagation;
import dev.berth.api.cri.v1.RemoveContainerRequest;
import dev.berth.api.cri.v1.ReopenContainerLogRequest;
import dev.berth.api.cri.v1.StartContainerRequest;
import dev.berth.api.cri.v1.StopContainerRequest;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * critest's "Container" (container.go), "Container Mount Propagation", "Container OOM" and
 * "Container Mount Readonly" (container_linux.go) and the container half of "Idempotence", as
 * cri-tools' pkg/validate makes the calls, asserting what it asserts. Its It's share a pod here
 * where critest makes one each, to keep the suite short.
 */
@RequiresRoot
@org.junit.jupiter.api.Timeout(180)
class CritestContainersTest extends CriPodTestBase {
  /** critest's exec timeout (defaultExecSyncTimeout) and stop timeout. */
  static final long EXEC_TIMEOUT = 30;

  static final long STOP_TIMEOUT = 60;

  static final List<String> PAUSE = List.of("sh", "-c", "top");

  @Test
  void basicOperationsOnContainersAndTheirStats() throws Exception {
    String pod = runPod(CritestPodsTest.defaultPod("create-PodSandbox-for-container-"));

    // runtime should support creating container [Conformance]
    String created = create(pod, defaultContainer("container-for-create-"));
    assertTrue(listed(created), "Container should be created");

    // runtime should support starting container [Conformance]
    String started = create(pod, defaultContainer("container-for-start-test-"));
    startAndWaitRunning(started);

    // runtime should support stopping container [Conformance]
    String stopped = create(pod, defaultContainer("container-for-stop-test-"));
    start(stopped);
    stopAndWaitExited(stopped);

    // runtime should support removing created / running / stopped container [Conformance]
    String removeCreated = create(pod, pauseContainer("container-for-remove-created-test-"));
    remove(removeCreated);
    assertFalse(listed(removeCreated), "Container should be removed");
    String removeRunning = create(pod, pauseContainer("container-for-remove-running-test-"));
    start(removeRunning);
    remove(removeRunning);
    assertFalse(listed(removeRunning), "Container should be removed");
    String removeStopped = create(pod, pauseContainer("container-for-remove-stopped-test-"));
    start(removeStopped);
    stopAndWaitExited(removeStopped);
    remove(removeStopped);
    assertFalse(listed(removeStopped), "Container should be removed");

    // runtime should support execSync [Conformance]
    assertEquals("hello", execOk(started, "echo", "-n", "hello"));

    // runtime should support execSync with timeout [Conformance]: an error, and the process gone
    // (critest looks with `pgrep sleep`; Debian's busybox has no pgrep, ps tells the same)
    assertEquals(
        io.grpc.Status.Code.DEADLINE_EXCEEDED, code(() -> exec(started, 1, "sleep", "4321")));
    assertFalse(execOk(started, "ps", "-o", "args").contains("sleep 4321"));

    // runtime should support listing container stats [Conformance]
    String stats = startContainer(pod, defaultContainer("container-for-stats-"));
    ContainerStats s =
        rt().containerStats(ContainerStatsRequest.newBuilder().setContainerId(stats).build())
            .getStats();
    assertEquals(stats, s.getAttributes().getId());
    assertTrue(s.getAttributes().getMetadata().getName().contains("container-for-stats-"));
    assertNotEquals(0, s.getCpu().getTimestamp());
    assertNotEquals(0, s.getMemory().getTimestamp());
    // runtime should support listing stats for started containers [Conformance]
    assertTrue(statIds(ContainerStatsFilter.newBuilder().setId(stats).build()).contains(stats));
    // ... when filter is nil, and for three created containers when filter is nil [Conformance]
    List<String> three = new ArrayList<>();
    for (int i = 0; i < 3; i++)
      three.add(create(pod, defaultContainer("container-for-stats-with-nil-filter-")));
    three.forEach(this::start);
    List<String> all = statIds(null);
    assertTrue(all.contains(stats), all.toString());
    assertTrue(all.containsAll(three), all.toString());
    // runtime should support listing stats for containers filtered by labels [Conformance]
    String labelled =
        startContainer(
            pod, defaultContainer("container-for-stats-with-labels-").putLabels("foo", "bar"));
    assertTrue(
        statIds(ContainerStatsFilter.newBuilder().putLabelSelector("foo", "bar").build())
            .contains(labelled));
    assertFalse(
        statIds(ContainerStatsFilter.newBuilder().putLabelSelector("foo", "baz").build())
            .contains(labelled));

    // Idempotence: StopContainer of one not found; stop, remove, remove again
    rt().stopContainer(
            StopContainerRequest.newBuilder()
                .setContainerId(UUID.randomUUID().toString())
                .setTimeout(0)
                .build());
    remove(UUID.randomUUID().toString());
    String twice = create(pod, pauseContainer("idempotence-container-"));
    start(twice);
    stopAndWaitExited(twice);
    stopAndWaitExited(twice);
    remove(twice);
    remove(twice);

    stopAndRemovePod(pod);
    assertClean();
  }

  @Test
  void volumesOfHostPathsAndOfSymlinksToThem() throws Exception {
    String pod = runPod(CritestPodsTest.defaultPod("create-PodSandbox-for-container-"));
    // runtime should support starting container with volume [Conformance]
    Path hostPath = Files.createDirectories(tmp.resolve("test" + pod.substring(0, 12)));
    Files.createFile(hostPath.resolve("testVolume.file"));
    String a = create(pod, volumeContainer("container-with-volume-test-", hostPath));
    startAndWaitRunning(a);
    assertFalse(execOk(a, "ls", "-A", hostPath.toString()).isEmpty());
    // ... when host path is a symlink [Conformance]
    Path symlink =
        Files.createSymbolicLink(
            hostPath.resolveSibling(hostPath.getFileName() + "-symlink"), hostPath);
    String b = create(pod, volumeContainer("container-with-symlink-host-path-test-", symlink));
    startAndWaitRunning(b);
    assertFalse(execOk(b, "ls", "-A", symlink.toString()).isEmpty());
    stopAndRemovePod(pod);
    assertClean();
  }

  @Test
  void logsAreWrittenInTheCriFormatAndReopened() throws Exception {
    // createPodSandboxWithLogDirectory: the log directory made beforehand, 0777
    String name = "PodSandbox-with-log-directory-" + UUID.randomUUID();
    Path logDir = Files.createDirectories(tmp.resolve("podLogTest").resolve(name));
    String pod = runPod(CritestPodsTest.podNamed(name).setLogDirectory(logDir.toString()));

    // runtime should support starting container with log [Conformance]
    String logName = "container-with-log-test-" + UUID.randomUUID();
    String once =
        create(
            pod,
            ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(logName).setAttempt(2))
                .setImage(ImageSpec.newBuilder().setImage(IMAGE))
                .addAllCommand(List.of("echo", "hello World"))
                .setLogPath(logName + ".log"));
    start(once);
    assertTrue(waitFor(() -> status(once).getState() == ContainerState.CONTAINER_EXITED));
    List<LogLine> lines = logLines(logDir.resolve(logName + ".log"));
    assertTrue(
        lines.stream()
            .anyMatch(l -> l.log().equals("hello World\n") && l.stream().equals("stdout")),
        lines.toString());

    // runtime should support reopening container log [Conformance]
    String loopName = "container-reopen-log-test-" + UUID.randomUUID();
    Path log = logDir.resolve(loopName + ".log");
    String loop =
        create(
            pod,
            ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(loopName).setAttempt(2))
                .setImage(ImageSpec.newBuilder().setImage(IMAGE))
                .addAllCommand(
                    List.of("sh", "-c", "while true; do echo hello World; sleep 1; done"))
                .setLogPath(loopName + ".log"));
    start(loop);
    assertTrue(waitFor(() -> !logLines(log).isEmpty()), "container log should be generated");
    Path renamed = logDir.resolve(loopName + ".log.new");
    Files.move(log, renamed);
    rt().reopenContainerLog(ReopenContainerLogRequest.newBuilder().setContainerId(loop).build());
    // at once: the call returns once the new file is there
    assertTrue(Files.exists(log), "new container log file should be created");
    assertTrue(waitFor(() -> logLines(log).size() >= 2), "new container log should be generated");
    int old = logLines(renamed).size();
    // critest watches the old file for 5 s; two more lines in the new one tell as much
    int now = logLines(log).size();
    assertTrue(waitFor(() -> logLines(log).size() >= now + 2));
    assertEquals(old, logLines(renamed).size(), "old container log should not change");

    stopAndRemovePod(pod);
    assertClean();
  }

  @Test
  void privilegedPodMountPropagationOomAndReadonlyMounts() throws Exception {
    // createPrivilegedPodSandbox(rc, true)
    String pod =
        runPod(
            CritestPodsTest.defaultPod("create-Privileged-PodSandbox-for-container-")
                .setLinux(
                    LinuxPodSandboxConfig.newBuilder()
                        .setCgroupParent("")
                        .setSecurityContext(
                            LinuxSandboxSecurityContext.newBuilder().setPrivileged(true))));
    List<Path> hostMounts = new ArrayList<>();
    try {
      // mount with 'rprivate' should not support propagation; 'rshared' should support
      // propagation from host to container and vice versa; 'rslave' from host to container
      for (MountPropagation p :
          List.of(
              MountPropagation.PROPAGATION_PRIVATE,
              MountPropagation.PROPAGATION_BIDIRECTIONAL,
              MountPropagation.PROPAGATION_HOST_TO_CONTAINER)) {
        mountPropagation(pod, p, hostMounts);
      }

      // should terminate with exitCode 137 and reason OOMKilled
      String oom =
          create(
              pod,
              ContainerConfig.newBuilder()
                  .setMetadata(
                      ContainerMetadata.newBuilder()
                          .setName("OOM-test-" + UUID.randomUUID())
                          .setAttempt(2))
                  .setImage(ImageSpec.newBuilder().setImage(IMAGE))
                  .addAllCommand(List.of("sh", "-c", "dd if=/dev/zero of=/dev/null bs=20M"))
                  .setLinux(
                      LinuxContainerConfig.newBuilder()
                          .setResources(
                              LinuxContainerResources.newBuilder()
                                  .setMemoryLimitInBytes(15 << 20)
                                  .setMemorySwapLimitInBytes(15 << 20))));
      containerStatus(oom, true);
      start(oom);
      assertTrue(waitFor(() -> status(oom).getState() == ContainerState.CONTAINER_EXITED));
      ContainerStatus s = status(oom);
      assertEquals("OOMKilled", s.getReason(), s.toString());
      assertEquals(137, s.getExitCode());

      // should support non-recursive readonly mounts: a mount under the read-only one stays
      // writable
      Path hostPath = Files.createDirectories(tmp.resolve("rro" + pod.substring(0, 12)));
      Path tmpfs = Files.createDirectories(hostPath.resolve("tmpfs"));
      Exec.run("mount", "-t", "tmpfs", "none", tmpfs.toString()).ok();
      hostMounts.add(tmpfs);
      Mount.Builder readonly =
          Mount.newBuilder()
              .setHostPath(hostPath.toString())
              .setContainerPath("/mnt")
              .setReadonly(true)
              .setSelinuxRelabel(true);
      String ro = create(pod, mountContainer(readonly));
      assertEquals(1, containerStatus(ro, true).getMountsCount());
      startAndWaitRunning(ro);
      execOk(ro, "touch", "/mnt/tmpfs/file");

      // should support recursive readonly mounts: the runtime says it does (runtimeSupportsRRO),
      // and the mount under it is read-only too
      assertTrue(
          rt()
              .status(dev.berth.api.cri.v1.StatusRequest.getDefaultInstance())
              .getRuntimeHandlersList()
              .stream()
              .anyMatch(
                  h -> h.getName().isEmpty() && h.getFeatures().getRecursiveReadOnlyMounts()));
      String rro = create(pod, mountContainer(readonly.clone().setRecursiveReadOnly(true)));
      ContainerStatus rs = containerStatus(rro, true);
      assertEquals(1, rs.getMountsCount());
      assertTrue(rs.getMounts(0).getRecursiveReadOnly(), rs.toString());
      startAndWaitRunning(rro);
      execOk(rro, "sh", "-c", "touch /mnt/tmpfs/foo 2>&1 | grep -q \"Read-only file system\"");
      // should reject a recursive readonly mount with PROPAGATION_HOST_TO_CONTAINER, with
      // PROPAGATION_BIDIRECTIONAL, with ReadOnly: false
      for (Mount.Builder bad :
          List.of(
              readonly
                  .clone()
                  .setRecursiveReadOnly(true)
                  .setPropagation(MountPropagation.PROPAGATION_HOST_TO_CONTAINER),
              readonly
                  .clone()
                  .setRecursiveReadOnly(true)
                  .setPropagation(MountPropagation.PROPAGATION_BIDIRECTIONAL),
              readonly.clone().setRecursiveReadOnly(true).setReadonly(false))) {
        assertEquals(
            io.grpc.Status.Code.INVALID_ARGUMENT,
            code(() -> create(pod, mountContainer(bad))),
            bad.toString());
      }

      stopAndRemovePod(pod);
    } finally {
      for (Path m : hostMounts.reversed()) Exec.run("umount", "-R", "-l", m.toString());
    }
    assertClean();
  }

  /** critest's testMountPropagation for one propagation, its host paths kept in {@code mounts}. */
  private void mountPropagation(String pod, MountPropagation propagation, List<Path> mounts)
      throws Exception {
    Path hostPath =
        Files.createDirectories(tmp.resolve("test" + pod.substring(0, 8) + propagation.ordinal()));
    Path mntSource = Files.createDirectories(hostPath.resolve("mnt"));
    Path mntPoint = Files.createDirectories(mntSource.resolve("propagationMnt"));
    Path srcDir = Files.createDirectories(hostPath.resolve("propagationSrcDir"));
    Files.createFile(srcDir.resolve("flagFile"));
    Exec.run("mount", "--rbind", mntSource.toString(), mntSource.toString()).ok();
    mounts.add(mntSource);
    Exec.run(
            "mount",
            propagation == MountPropagation.PROPAGATION_PRIVATE
                ? "--make-rprivate"
                : "--make-rshared",
            mntSource.toString())
        .ok();

    String id =
        create(
            pod,
            ContainerConfig.newBuilder()
                .setMetadata(
                    ContainerMetadata.newBuilder()
                        .setName("mount-propagation-test-" + UUID.randomUUID())
                        .setAttempt(2))
                .setImage(ImageSpec.newBuilder().setImage(IMAGE))
                .addAllCommand(PAUSE)
                .setLinux(
                    LinuxContainerConfig.newBuilder()
                        .setSecurityContext(
                            LinuxContainerSecurityContext.newBuilder().setPrivileged(true)))
                .addMounts(
                    Mount.newBuilder()
                        .setHostPath(mntSource.toString())
                        .setContainerPath(mntSource.toString())
                        .setPropagation(propagation)));
    ContainerStatus s = containerStatus(id, true);
    assertEquals(1, s.getMountsCount(), s.toString());
    Mount m = s.getMounts(0);
    assertEquals(mntSource.toString(), m.getContainerPath());
    assertEquals(mntSource.toString(), m.getHostPath());
    assertFalse(m.getReadonly());
    assertFalse(m.getSelinuxRelabel());
    assertEquals(propagation, m.getPropagation());
    startAndWaitRunning(id);

    // a mount made on the host after the start
    Exec.run("mount", "--rbind", srcDir.toString(), mntPoint.toString()).ok();
    String seen = execOk(id, "ls", "-A", mntPoint.toString());
    if (propagation == MountPropagation.PROPAGATION_PRIVATE)
      assertEquals("", seen, propagation.name());
    else assertFalse(seen.isEmpty(), propagation.name());

    // a mount made in the container
    Path containerMnt = mntSource.resolve("containerMntPoint");
    execOk(id, "sh", "-c", "mkdir -p " + containerMnt);
    execOk(id, "sh", "-c", "mount --bind /etc " + containerMnt);
    List<Path> onHost;
    try (Stream<Path> l = Files.list(containerMnt)) {
      onHost = l.toList();
    }
    if (propagation == MountPropagation.PROPAGATION_BIDIRECTIONAL)
      assertFalse(onHost.isEmpty(), propagation.name());
    else assertEquals(List.of(), onHost, propagation.name());
  }

  // ---- critest's request makers and checks ----

  /** createMountContainer: the pause command with {@code mount}. */
  static ContainerConfig.Builder mountContainer(Mount.Builder mount) {
    return ContainerConfig.newBuilder()
        .setMetadata(
            ContainerMetadata.newBuilder().setName("test-mount-" + UUID.randomUUID()).setAttempt(2))
        .setImage(ImageSpec.newBuilder().setImage(IMAGE))
        .addAllCommand(PAUSE)
        .addMounts(mount);
  }

  /** framework.CreateDefaultContainer's config: the test image running {@code top}. */
  static ContainerConfig.Builder defaultContainer(String prefix) {
    return CritestPodsTest.defaultContainer(prefix);
  }

  /** framework.CreatePauseContainer's: {@code sh -c top}. */
  static ContainerConfig.Builder pauseContainer(String prefix) {
    return CritestPodsTest.defaultContainer(prefix).clearCommand().addAllCommand(PAUSE);
  }

  /** createVolumeContainer: {@code hostPath} at the same path, SELinux relabel asked. */
  static ContainerConfig.Builder volumeContainer(String prefix, Path hostPath) {
    return CritestPodsTest.defaultContainer(prefix)
        .clearLinux()
        .clearCommand()
        .addAllCommand(PAUSE)
        .addMounts(
            Mount.newBuilder()
                .setHostPath(hostPath.toString())
                .setContainerPath(hostPath.toString())
                .setSelinuxRelabel(true));
  }

  void start(String id) {
    rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
  }

  void startAndWaitRunning(String id) throws InterruptedException {
    start(id);
    assertTrue(
        waitFor(() -> status(id).getState() == ContainerState.CONTAINER_RUNNING),
        () -> status(id).toString());
  }

  /** critest's testStopContainer: the call returns within its timeout, then EXITED. */
  void stopAndWaitExited(String id) throws InterruptedException {
    rt().withDeadlineAfter(STOP_TIMEOUT, java.util.concurrent.TimeUnit.SECONDS)
        .stopContainer(
            StopContainerRequest.newBuilder().setContainerId(id).setTimeout(STOP_TIMEOUT).build());
    assertTrue(
        waitFor(() -> status(id).getState() == ContainerState.CONTAINER_EXITED),
        () -> status(id).toString());
  }

  void stopAndRemovePod(String pod) {
    rt().stopPodSandbox(
            dev.berth.api.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    rt().removePodSandbox(
            dev.berth.api.cri.v1.RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  void remove(String id) {
    rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
  }

  ContainerStatus containerStatus(String id, boolean verbose) {
    return rt().containerStatus(
            ContainerStatusRequest.newBuilder().setContainerId(id).setVerbose(verbose).build())
        .getStatus();
  }

  boolean listed(String id) {
    return rt()
        .listContainers(
            ListContainersRequest.newBuilder()
                .setFilter(ContainerFilter.newBuilder().setId(id))
                .build())
        .getContainersList()
        .stream()
        .anyMatch(c -> c.getId().equals(id));
  }

  List<String> statIds(ContainerStatsFilter filter) {
    ListContainerStatsRequest.Builder b = ListContainerStatsRequest.newBuilder();
    if (filter != null) b.setFilter(filter);
    return rt().listContainerStats(b.build()).getStatsList().stream()
        .map(s -> s.getAttributes().getId())
        .toList();
  }

  /** critest's execSyncContainer: the cri client fails on a non-zero exit, then empty stderr. */
  String execOk(String id, String... cmd) {
    ExecSyncResponse r = exec(id, EXEC_TIMEOUT, cmd);
    assertEquals(0, r.getExitCode(), r.toString());
    assertEquals("", r.getStderr().toStringUtf8(), "The stderr should be empty.");
    return r.getStdout().toStringUtf8();
  }

  /** One CRI log line as critest's parseCRILog reads it. */
  record LogLine(Instant timestamp, String stream, String log) {}

  /** critest's parseLogLine: every line "<RFC3339Nano> <stream> <tag> <text>"; none if absent. */
  static List<LogLine> logLines(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      return List.of();
    }
    List<LogLine> out = new ArrayList<>();
    for (String line : lines) {
      String[] f = line.split(" ", 4);
      assertEquals(4, f.length, line);
      out.add(new LogLine(Instant.parse(f[0]), f[1], f[3] + "\n"));
    }
    return out;
  }
}
