package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cri.v1.ContainerConfig;
import dev.berth.api.cri.v1.ExecSyncRequest;
import dev.berth.api.cri.v1.ExecSyncResponse;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.Int64Value;
import dev.berth.api.cri.v1.KeyValue;
import dev.berth.api.cri.v1.LinuxContainerConfig;
import dev.berth.api.cri.v1.LinuxContainerSecurityContext;
import dev.berth.api.cri.v1.LinuxPodSandboxConfig;
import dev.berth.api.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.api.cri.v1.ListContainersRequest;
import dev.berth.api.cri.v1.NamespaceMode;
import dev.berth.api.cri.v1.NamespaceOption;
import dev.berth.api.cri.v1.PodSandboxConfig;
import dev.berth.api.cri.v1.RemovePodSandboxRequest;
import dev.berth.api.cri.v1.StopPodSandboxRequest;
import dev.berth.api.cri.v1.VersionRequest;
import dev.berth.engine.commit.Commit;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Published CRI flaws of containerd replayed against berthd's CRI with real pods and containers:
 * supplementary groups (CVE-2023-25173), ids that would wrap to root (CVE-2024-40635), one
 * container's environment reaching the next (CVE-2021-21334), ExecSync output without bound
 * (CVE-2022-31030), and a privileged container in a pod that is not.
 */
class CriHostileTest extends CriPodTestBase {
  private static final String IDS = "localhost/ids:1";
  private static final String STATUS = "grep -E '^(Uid|Gid|Groups):' /proc/self/status";

  /** An image with users and groups of its own, and ENV X=image Y=image. */
  private void importIdsImage() throws Exception {
    Path rootfs = Busybox.rootfs(tmp.resolve("ids-rootfs"));
    Files.writeString(
        rootfs.resolve("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
    Files.writeString(
        rootfs.resolve("etc/group"),
        "root:x:0:\napp:x:1000:\nextra:x:2000:app\nmore:x:3000:other,app\nweb:x:4000:\n");
    Path tar = tmp.resolve("ids.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, "localhost/ids-base:1", null);
    var c =
        engine.create(
            new ContainerOptions.Builder("localhost/ids-base:1").command(List.of("true")).build());
    engine.commit(
        c.id(), new Commit.Options(IDS, null, null, List.of("ENV X=image Y=image"), false));
    engine.remove(c.id(), true, true);
  }

  private static ContainerConfig.Builder ids(
      String name, LinuxContainerSecurityContext.Builder sc, String... env) {
    ContainerConfig.Builder b =
        container(name, "sleep", "100")
            .setImage(ImageSpec.newBuilder().setImage(IDS))
            .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(sc));
    for (String e : env) {
      String[] kv = e.split("=", 2);
      b.addEnvs(KeyValue.newBuilder().setKey(kv[0]).setValue(kv[1]));
    }
    return b;
  }

  private static LinuxContainerSecurityContext.Builder sc() {
    return LinuxContainerSecurityContext.newBuilder();
  }

  private static Int64Value int64(long v) {
    return Int64Value.newBuilder().setValue(v).build();
  }

  private String execOut(String id, String... cmd) {
    ExecSyncResponse r = exec(id, 30, cmd);
    assertEquals(0, r.getExitCode(), r.getStderr().toStringUtf8());
    return r.getStdout().toStringUtf8();
  }

  private static String idLines(int uid, int gid, String groups) {
    return "Uid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\nGroups:\t%s \n"
        .formatted(uid, uid, uid, uid, gid, gid, gid, gid, groups);
  }

  private void removePod(String pod) {
    rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
  }

  /**
   * A container's groups are its user's primary gid, its /etc/group groups and the request's
   * supplemental_groups, in the container and in ExecSync; a run_as_group replaces the name's
   * groups. Ids out of uid_t's signed range are refused naming the field, never run as root. Each
   * container's env is its own: image ENV under the request's envs, nothing of a sibling's.
   */
  @Test
  void cve202325173GroupsCve202440635IdsAndCve202121334EnvPerContainer() throws Exception {
    importIdsImage();
    String pod = runPod(podConfig("ids", NamespaceMode.NODE, NamespaceMode.CONTAINER));

    String app =
        startContainer(
            pod,
            ids("app", sc().setRunAsUsername("app").addSupplementalGroups(5000), "X=a", "S=a"));
    assertEquals(idLines(1000, 1000, "1000 2000 3000 5000"), execOut(app, "sh", "-c", STATUS));
    assertEquals(
        List.of(1000L, 2000L, 3000L, 5000L),
        status(app).getUser().getLinux().getSupplementalGroupsList());
    String byUid = startContainer(pod, ids("uid", sc().setRunAsUser(int64(1000))));
    assertEquals(idLines(1000, 1000, "1000 2000 3000"), execOut(byUid, "sh", "-c", STATUS));
    String withGroup =
        startContainer(
            pod, ids("gid", sc().setRunAsUser(int64(1000)).setRunAsGroup(int64(4000)), "Y=c"));
    assertEquals(idLines(1000, 4000, "4000"), execOut(withGroup, "sh", "-c", STATUS));
    String numeric = startContainer(pod, ids("numeric", sc().setRunAsUser(int64(4321))));
    assertEquals(idLines(4321, 0, "0"), execOut(numeric, "sh", "-c", STATUS));

    // CVE-2021-21334: env is the container's own, the request's over the image's.
    assertEquals("a image a\n", execOut(app, "sh", "-c", "echo \"$X $Y $S\""));
    assertEquals("image image \n", execOut(byUid, "sh", "-c", "echo \"$X $Y $S\""));
    assertEquals("image c \n", execOut(withGroup, "sh", "-c", "echo \"$X $Y $S\""));

    // CVE-2024-40635: ids that wrap or are no numbers at all.
    int before =
        rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount();
    List<LinuxContainerSecurityContext.Builder> hostile =
        List.of(
            sc().setRunAsUser(int64(2147483648L)),
            sc().setRunAsUser(int64(4294967295L)),
            sc().setRunAsUser(int64(-1)),
            sc().setRunAsUser(int64(99999999999L)),
            sc().setRunAsUser(int64(1000)).setRunAsGroup(int64(4294967295L)),
            sc().setRunAsUser(int64(1000)).setRunAsGroup(int64(-1)),
            sc().setRunAsUser(int64(1000)).addSupplementalGroups(4294967296L),
            sc().setRunAsUser(int64(1000)).addSupplementalGroups(-1),
            sc().setRunAsUsername("0x10"),
            sc().setRunAsUsername(" 0"),
            sc().setRunAsUsername("-1"));
    for (int i = 0; i < hostile.size(); i++) {
      var sc = hostile.get(i);
      StatusRuntimeException e = error(() -> create(pod, ids("bad", sc)));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), sc.toString());
    }
    assertEquals(
        before,
        rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount(),
        "refused creates left containers");
    removePod(pod);
    assertClean();
  }

  /**
   * What the caller names that berthd turns into files: a pod's DNS config becomes lines of its
   * resolv.conf (a newline or blank in a value would add a nameserver of the caller's), and a
   * container's log_path is a file the monitor creates and appends to as root, so it must stay
   * beneath the pod's log_directory (absolute, or climbing out with "..", it would reach any host
   * file). Refused naming the field, nothing made; the kubelet's own shapes still work.
   */
  @Test
  void dnsConfigAddsNoLinesAndLogPathsStayBeneathTheLogDirectory() throws Exception {
    Path logs = tmp.resolve("logs/pod");
    Files.createDirectories(logs);
    List<dev.berth.api.cri.v1.DNSConfig.Builder> hostileDns =
        List.of(
            dev.berth.api.cri.v1.DNSConfig.newBuilder().addServers("10.0.0.1\nnameserver 6.6.6.6"),
            dev.berth.api.cri.v1.DNSConfig.newBuilder().addServers("evil.example"),
            dev.berth.api.cri.v1.DNSConfig.newBuilder()
                .addSearches("svc.cluster.local\nnameserver 6.6.6.6"),
            dev.berth.api.cri.v1.DNSConfig.newBuilder().addSearches("a b"),
            dev.berth.api.cri.v1.DNSConfig.newBuilder().addOptions("ndots:5\nnameserver 6.6.6.6"),
            dev.berth.api.cri.v1.DNSConfig.newBuilder().addOptions("ndots:5\u0000"));
    for (var dns : hostileDns) {
      StatusRuntimeException e =
          error(
              () ->
                  runPod(
                      podConfig("dns", NamespaceMode.POD, NamespaceMode.CONTAINER)
                          .setDnsConfig(dns)));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), dns.toString());
      assertTrue(
          e.getStatus().getDescription().contains("dns_config."), e.getStatus().getDescription());
    }
    StatusRuntimeException relative =
        error(() -> runPod(podConfig("rel").setLogDirectory("logs/pod")));
    assertEquals(Status.Code.INVALID_ARGUMENT, relative.getStatus().getCode());
    assertTrue(relative.getStatus().getDescription().contains("log_directory"));
    assertClean();

    String pod =
        runPod(
            podConfig("logs", NamespaceMode.NODE, NamespaceMode.CONTAINER)
                .setLogDirectory(logs.toString())
                .setDnsConfig(
                    dev.berth.api.cri.v1.DNSConfig.newBuilder()
                        .addServers("10.0.0.53")
                        .addSearches("default.svc.cluster.local")
                        .addOptions("ndots:5")));
    Path outside = tmp.resolve("escaped.log");
    for (String path :
        List.of(
            "../../escaped.log",
            "app/../../../escaped.log",
            outside.toString(),
            "..",
            ".",
            "a\u0000b")) {
      StatusRuntimeException e =
          error(() -> create(pod, container("log", "echo", "hi").setLogPath(path)));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), path);
      assertTrue(e.getStatus().getDescription().contains("log_path"), path);
    }
    assertFalse(Files.exists(outside), "no log made outside the log directory");
    assertEquals(
        0, rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
    String id = startContainer(pod, container("app", "sleep", "100").setLogPath("app/0.log"));
    assertTrue(Files.exists(logs.resolve("app/0.log")), "the kubelet's log_path shape works");
    assertEquals(
        "search default.svc.cluster.local\nnameserver 10.0.0.53\noptions ndots:5\n",
        execOut(id, "cat", "/etc/resolv.conf"));
    // A symlink planted at a log's name (the directory is the kubelet's, and log collectors mount
    // it): the monitor, root, neither creates nor appends to its target; the start fails.
    Path target = tmp.resolve("host-file");
    Files.writeString(target, "the host's\n");
    Files.createDirectories(logs.resolve("planted"));
    Files.createSymbolicLink(logs.resolve("planted/0.log"), target);
    String planted = create(pod, container("planted", "echo", "hi").setLogPath("planted/0.log"));
    error(
        () ->
            rt().startContainer(
                    dev.berth.api.cri.v1.StartContainerRequest.newBuilder()
                        .setContainerId(planted)
                        .build()));
    assertEquals("the host's\n", Files.readString(target), "the symlink's target is untouched");
    // Or planted in place of the container's log directory: not followed either.
    Path elsewhere = tmp.resolve("elsewhere");
    Files.createDirectories(elsewhere);
    Files.createSymbolicLink(logs.resolve("linked"), elsewhere);
    String linked = create(pod, container("linked", "echo", "hi").setLogPath("linked/0.log"));
    StatusRuntimeException e =
        error(
            () ->
                rt().startContainer(
                        dev.berth.api.cri.v1.StartContainerRequest.newBuilder()
                            .setContainerId(linked)
                            .build()));
    assertTrue(e.getStatus().getDescription().contains("linked/0.log"), e.getStatus().toString());
    assertFalse(Files.exists(elsewhere.resolve("0.log")), "no log made through the symlink");
    removePod(pod);
    assertClean();
  }

  /**
   * containerd refuses a privileged container in a pod that is not privileged ("no privileged
   * container allowed in sandbox"): the pod's security context, which admission checked, bounds its
   * containers'. Nothing is made.
   */
  @Test
  void aPrivilegedContainerIsRefusedInAnUnprivilegedPod() throws Exception {
    String pod = runPod(podConfig("unprivileged", NamespaceMode.NODE, NamespaceMode.CONTAINER));
    StatusRuntimeException e =
        error(
            () ->
                create(
                    pod,
                    container("priv", "sleep", "100")
                        .setLinux(
                            LinuxContainerConfig.newBuilder()
                                .setSecurityContext(sc().setPrivileged(true)))));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(
        e.getStatus().getDescription().contains("config.linux.security_context.privileged"),
        e.getStatus().getDescription());
    assertEquals(
        0, rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
    removePod(pod);

    PodSandboxConfig.Builder privileged =
        podConfig("privileged")
            .setLinux(
                LinuxPodSandboxConfig.newBuilder()
                    .setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder()
                            .setPrivileged(true)
                            .setNamespaceOptions(
                                NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))));
    String privPod = runPod(privileged);
    String id =
        startContainer(
            privPod,
            container("priv", "sleep", "100")
                .setLinux(
                    LinuxContainerConfig.newBuilder()
                        .setSecurityContext(sc().setPrivileged(true))));
    assertEquals("ok\n", execOut(id, "echo", "ok"));
    removePod(privPod);
    assertClean();
  }

  /**
   * ExecSync of a process writing 1 GiB: the first 16 MiB come back (containerd's bound), the rest
   * is read and dropped while it runs (the process is never blocked by it, nor is it kept in the
   * daemon's memory or in a file of the run directory), and the daemon serves on.
   */
  @Test
  void cve202231030ExecSyncOutputIsBounded() throws Exception {
    String pod = runPod(podConfig("flood", NamespaceMode.NODE, NamespaceMode.CONTAINER));
    String id = startContainer(pod, container("flood", "sleep", "100"));
    ExecSyncResponse r =
        runtime
            .withMaxInboundMessageSize(64 << 20)
            .withDeadlineAfter(120, java.util.concurrent.TimeUnit.SECONDS)
            .execSync(
                ExecSyncRequest.newBuilder()
                    .setContainerId(id)
                    .addAllCmd(
                        List.of(
                            "sh",
                            "-c",
                            "readlink /proc/self/fd/1 >&2; dd if=/dev/zero bs=1048576 count=1024 2>/dev/null;"
                                + " echo end >&2; exit 3"))
                    .setTimeout(100)
                    .build());
    assertEquals(3, r.getExitCode());
    assertEquals(CriExecSync.MAX_OUTPUT, r.getStdout().size());
    // Its stdout is a pipe berthd drains, not a file that grows on the run directory's tmpfs.
    assertTrue(
        r.getStderr().toStringUtf8().matches("pipe:\\[\\d+\\]\nend\n"),
        r.getStderr().toStringUtf8());
    try (Stream<Path> s = Files.walk(runRoot)) {
      assertEquals(
          List.of(),
          s.filter(p -> p.getFileName().toString().startsWith("execsync")).toList(),
          "output files left in the run directory");
    }
    assertFalse(
        Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.getName().startsWith("berthd-cri-execsync-")),
        "drain threads left");
    assertEquals("ok\n", execOut(id, "echo", "ok"));
    assertFalse(rt().version(VersionRequest.getDefaultInstance()).getRuntimeName().isEmpty());
    removePod(pod);
    assertClean();
  }

  /**
   * CVE-2020-15257: a host-network container shares the host's abstract unix namespace, so every
   * socket berthd and the monitors listen on must be a path socket, under a directory containers do
   * not see, root's and 0600 or 0660. Checked on the sockets this daemon and its monitors hold
   * while a host-network container runs; the container does not see their paths.
   */
  @Test
  void cve202015257ListeningSocketsArePathSocketsOnlyRootReaches() throws Exception {
    String pod = runPod(podConfig("sockets", NamespaceMode.NODE, NamespaceMode.CONTAINER));
    String id = startContainer(pod, container("hostnet", "sleep", "100"));
    List<Long> ours = new java.util.ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.toList()) {
        if (!proc.getFileName().toString().matches("\\d+")) continue;
        String cmdline;
        try {
          cmdline = Files.readString(proc.resolve("cmdline"));
        } catch (java.io.IOException e) {
          continue; // gone
        }
        boolean self =
            proc.getFileName().toString().equals(Long.toString(ProcessHandle.current().pid()));
        if (!self && !cmdline.contains(runRoot.toString())) continue; // not this engine's
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
          for (Path fd : fds.toList()) {
            try {
              String link = Files.readSymbolicLink(fd).toString();
              if (link.startsWith("socket:["))
                ours.add(Long.parseLong(link.substring(8, link.length() - 1)));
            } catch (java.io.IOException e) {
              // closed meanwhile
            }
          }
        }
      }
    }
    List<String> listening = new java.util.ArrayList<>();
    List<String> table = Files.readAllLines(Path.of("/proc/self/net/unix"));
    for (String line : table.subList(1, table.size())) {
      String[] f = line.strip().split("\\s+");
      if (f.length < 7 || !ours.contains(Long.parseLong(f[6]))) continue;
      String name = f.length > 7 ? f[7] : "";
      assertFalse(name.startsWith("@"), "an abstract socket of berth's: " + line);
      boolean listens = (Integer.parseInt(f[3], 16) & 0x10000) != 0;
      if (listens) listening.add(stagedBeside(name, socket) ? socket.toString() : name);
    }
    assertTrue(listening.contains(socket.toString()), "the CRI socket among " + listening);
    assertTrue(listening.size() >= 2, "the container's attach socket too: " + listening);
    for (String name : listening) {
      // A path longer than sun_path is bound through its directory's fd: the attach socket.
      if (name.startsWith("/proc/self/fd/")) name = engine.layout(id).attachSocket().toString();
      Path p = Path.of(name);
      assertTrue(p.startsWith(runRoot), name + " is under the run root");
      var st = dev.berth.sys.Linux.stat(name);
      assertEquals(0, st.uid(), name);
      // Nobody but root (and the socket's group, for berthd's sockets) may connect.
      int mode = st.permissions();
      assertTrue(
          (mode & 0007) == 0 && ((mode & 0070) == 0 || (mode & 0070) == 0060),
          name + " " + Integer.toOctalString(mode));
    }
    assertEquals(0700, dev.berth.sys.Linux.stat(runRoot.toString()).permissions(), "run root");
    // The container sees none of those paths (its own mount namespace, the run root not in it).
    ExecSyncResponse r = exec(id, 10, "sh", "-c", "ls " + String.join(" ", listening));
    assertTrue(r.getExitCode() != 0 && r.getStdout().isEmpty(), r.toString());
    removePod(pod);
    assertClean();
  }

  /**
   * Whether {@code name} is where berthd bound {@code socket} before renaming it into place
   * (UnixSocketFiles.stage: a private directory beside it): the kernel keeps the bound name.
   */
  private static boolean stagedBeside(String name, Path socket) {
    Path dir = Path.of(name).getParent();
    return dir != null
        && dir.getFileName().toString().startsWith(".berth-")
        && socket.getParent().equals(dir.getParent());
  }
}
