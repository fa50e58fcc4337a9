package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.api.cri.v1.CDIDevice;
import dev.berth.api.cri.v1.Capability;
import dev.berth.api.cri.v1.ContainerConfig;
import dev.berth.api.cri.v1.ContainerState;
import dev.berth.api.cri.v1.ExecSyncResponse;
import dev.berth.api.cri.v1.IDMapping;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.Int64Value;
import dev.berth.api.cri.v1.LinuxContainerConfig;
import dev.berth.api.cri.v1.LinuxContainerSecurityContext;
import dev.berth.api.cri.v1.LinuxPodSandboxConfig;
import dev.berth.api.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.api.cri.v1.ListContainersRequest;
import dev.berth.api.cri.v1.ListPodSandboxRequest;
import dev.berth.api.cri.v1.Mount;
import dev.berth.api.cri.v1.NamespaceMode;
import dev.berth.api.cri.v1.NamespaceOption;
import dev.berth.api.cri.v1.PodSandboxConfig;
import dev.berth.api.cri.v1.SecurityProfile;
import dev.berth.api.cri.v1.SupplementalGroupsPolicy;
import dev.berth.api.cri.v1.UserNamespace;
import dev.berth.runtime.monitor.CriLog;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * cri-tools' critest "Security Context" tests (pkg/validate/security_context_linux.go), each {@code
 * It} done as critest does it and asserting what it asserts, grouped by the pod they can share.
 * critest's images are made here from busybox: its applets hard-linked (a masked {@code /bin/ls}
 * must not be a symlink to busybox), an "nginx" that writes its pid file and shows "master process"
 * in its command line, and a set-user-id program that prints its effective uid (the nonewprivs
 * image). The AppArmor and SELinux tests skip on a host without them, as this one; the
 * SupplementalGroupsPolicy and UserNamespaces tests skip where Status claims no such feature, as
 * berthd's.
 */
@RequiresRoot
@Timeout(240)
class CritestSecurityContextTest extends CriPodTestBase {
  static final String CRITEST = "localhost/critest:latest";
  static final List<String> TOP = List.of("sh", "-c", "top");

  static final String NGINX =
      "#!/bin/sh\necho $$ > /var/run/nginx.pid\nwhile :; do sleep 1; done\n";

  @BeforeEach
  void critestImage() throws Exception {
    Path rootfs = Files.createDirectories(tmp.resolve("critest-rootfs"));
    Path bin = Files.createDirectories(rootfs.resolve("bin"));
    Path busybox = bin.resolve("busybox");
    Files.copy(Busybox.binary(), busybox);
    for (String applet :
        List.of(
            "sh",
            "echo",
            "cat",
            "ls",
            "id",
            "hostname",
            "grep",
            "sleep",
            "touch",
            "top",
            "brctl",
            "ping",
            "pidof",
            "netstat",
            "chmod",
            "true",
            "stat",
            "ip",
            "ps",
            "mkdir",
            "test",
            "[")) {
      Files.createLink(bin.resolve(applet), busybox);
    }
    for (String d : List.of("proc", "sys", "dev", "etc", "tmp", "root", "var/run", "usr/sbin")) {
      Files.createDirectories(rootfs.resolve(d));
    }
    Files.setPosixFilePermissions(
        rootfs.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.writeString(
        rootfs.resolve("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n");
    Path nginx = rootfs.resolve("usr/sbin/nginx");
    Files.writeString(nginx, NGINX);
    Files.setPosixFilePermissions(nginx, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path tar = tmp.resolve("critest.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, CRITEST, null);
  }

  // ---- NamespaceOption ----

  /**
   * "runtime should support HostPID", "HostIpc is true", "HostNetwork is true" (a pod of the node's
   * namespaces), "PodPID", "HostIpc is false", "HostNetwork is false" (a pod of its own) and
   * "ContainerPID".
   */
  @Test
  void namespaceOptions() throws Exception {
    String segment = Exec.run("ipcmk", "-M", "1048576").ok().stdout().strip();
    segment = segment.substring(segment.lastIndexOf(' ') + 1);
    try (ServerSocket hostPort = new ServerSocket(0)) {
      String port = ":" + hostPort.getLocalPort();
      Path logs = tmp.resolve("ns-logs");

      // The node's pid, ipc and network namespaces.
      NamespaceOption node =
          NamespaceOption.newBuilder()
              .setPid(NamespaceMode.NODE)
              .setIpc(NamespaceMode.NODE)
              .setNetwork(NamespaceMode.NODE)
              .build();
      String pod = runPod(namespacePod("host-ns", node, logs));
      String nginx = running(pod, nginx("nginx", node));
      String nginxPid =
          execOk(
                  nginx,
                  "sh",
                  "-c",
                  "while [ ! -f /var/run/nginx.pid ]; do sleep 0.1; done && cat /var/run/nginx.pid")
              .strip();
      String bb =
          running(
              pod,
              namespaced(container("hostpid", "sh", "-c", "netstat -ln; sleep 1000"), node)
                  .setLogPath("hostpid.log"));
      String pids = exec(bb, 10, "pidof", "nginx", "||", "true").getStdout().toStringUtf8().strip();
      assertTrue(List.of(pids.split(" ")).contains(nginxPid), pids + " has " + nginxPid);
      assertTrue(shmIds(execOk(bb, "cat", "/proc/sysvipc/shm")).contains(segment), segment);
      assertTrue(waitFor(() -> log(logs.resolve("hostpid.log"), null).contains(port)), port);

      // The pod's own.
      NamespaceOption own = NamespaceOption.getDefaultInstance(); // POD for each
      String pod2 = runPod(namespacePod("pod-ns", own, logs));
      String nginx2 = running(pod2, nginx("nginx", own));
      execOk(nginx2, "sh", "-c", "while [ ! -f /var/run/nginx.pid ]; do sleep 0.1; done");
      assertFalse(execOk(nginx2, "cat", "/proc/1/cmdline").contains("master process"));
      assertFalse(shmIds(execOk(nginx2, "cat", "/proc/sysvipc/shm")).contains(segment));
      String netstat =
          running(
              pod2,
              namespaced(container("netstat", "sh", "-c", "netstat -ln"), own)
                  .setLogPath("ns.log"));
      assertTrue(waitFor(() -> status(netstat).getState() == ContainerState.CONTAINER_EXITED));
      String listening = log(logs.resolve("ns.log"), null);
      assertTrue(listening.contains("Proto"), listening);
      assertFalse(listening.contains(port), listening);

      // The container's own pid namespace: nginx is its pid 1.
      NamespaceOption container =
          NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER).build();
      String pod3 = runPod(namespacePod("ctr-ns", container, logs));
      String nginx3 = running(pod3, nginx("nginx", container));
      execOk(
          nginx3,
          "sh",
          "-c",
          "while ! cat /proc/1/cmdline | grep 'master process'; do sleep 0.1; done");
    } finally {
      Exec.run("ipcrm", "-m", segment);
    }
  }

  // ---- bucket ----

  /**
   * "SupplementalGroups", "RunAsUser", "RunAsUserName", "RunAsGroup", "should return error if
   * RunAsGroup is set without RunAsUser", "ReadOnlyRootfs is false/true", "adding capability",
   * "dropping capability", "adding/dropping ALL capabilities", "MaskedPaths", "ReadonlyPaths".
   */
  @Test
  void bucket() throws Exception {
    Path logs = tmp.resolve("bucket-logs");
    String pod = runPod(podConfig("bucket").setLogDirectory(logs.toString()));

    String groups =
        running(
            pod,
            secured("groups", TOP, sc().addSupplementalGroups(1234).addSupplementalGroups(5678)));
    List<String> gids = List.of(execOk(groups, "id", "-G").strip().split(" "));
    assertTrue(gids.contains("1234") && gids.contains("5678"), gids.toString());

    String user = running(pod, secured("user", TOP, sc().setRunAsUser(int64(1001))));
    assertEquals("1001\n", execOk(user, "id", "-u"));
    String username = running(pod, secured("username", TOP, sc().setRunAsUsername("nobody")));
    assertEquals("nobody\n", execOk(username, "id", "-nu"));

    String group =
        running(
            pod,
            secured(
                    "group",
                    List.of("sh", "-c", "echo $(id -u):$(id -g)"),
                    sc().setRunAsUser(int64(1001)).setRunAsGroup(int64(1002)))
                .setLogPath("group.log"));
    exited(group);
    assertTrue(lines(logs.resolve("group.log"), CriLog.Stream.STDOUT).contains("1001:1002"));
    assertEquals(
        Status.Code.INVALID_ARGUMENT,
        code(
            () ->
                create(
                    pod,
                    secured(
                        "group-alone",
                        List.of("sh", "-c", "echo $(id -u):$(id -g)"),
                        sc().setRunAsGroup(int64(1002))))));

    List<String> touch = List.of("sh", "-c", "touch test.go && [ -f test.go ] && echo 'Found'");
    String writable =
        running(
            pod, secured("rootfs-rw", touch, sc().setReadonlyRootfs(false)).setLogPath("rw.log"));
    String readonly =
        running(
            pod, secured("rootfs-ro", touch, sc().setReadonlyRootfs(true)).setLogPath("ro.log"));
    exited(writable);
    exited(readonly);
    assertTrue(lines(logs.resolve("rw.log"), CriLog.Stream.STDOUT).contains("Found"));
    assertTrue(
        lines(logs.resolve("ro.log"), CriLog.Stream.STDERR)
            .contains("touch: test.go: Read-only file system"));

    String netAdmin =
        running(pod, secured("net-admin", TOP, caps(List.of("NET_ADMIN"), List.of())));
    assertEquals(0, exec(netAdmin, 10, "brctl", "addbr", "foobar").getExitCode());
    String plain = running(pod, secured("plain", TOP, sc()));
    assertNotEquals(0, exec(plain, 10, "brctl", "addbr", "foobar2").getExitCode());

    String noRaw = running(pod, secured("no-net-raw", TOP, caps(List.of(), List.of("NET_RAW"))));
    ExecSyncResponse ping = exec(noRaw, 10, "ping", "127.0.0.1");
    assertNotEquals(0, ping.getExitCode());
    assertFalse(ping.getStdout().isEmpty(), ping.toString());
    assertTrue(ping.getStderr().toStringUtf8().contains("permission denied"), ping.toString());

    String all = running(pod, secured("cap-all", TOP, caps(List.of("ALL"), List.of())));
    ExecSyncResponse status = exec(all, 10, "cat", "/proc/self/status");
    assertEquals(0, status.getExitCode());
    assertTrue(status.getStderr().isEmpty());
    assertFalse(status.getStdout().toStringUtf8().matches("(?s).*CapBnd:\\s0000000000000000.*"));
    String none = running(pod, secured("cap-none", TOP, caps(List.of(), List.of("ALL"))));
    status = exec(none, 10, "cat", "/proc/self/status");
    assertEquals(0, status.getExitCode());
    assertTrue(status.getStderr().isEmpty());
    assertTrue(
        status.getStdout().toStringUtf8().matches("(?s).*CapBnd:\\s0000000000000000.*"),
        status.getStdout().toStringUtf8());

    String masked = running(pod, secured("masked", TOP, sc().addMaskedPaths("/bin/ls")));
    // critest runs "sh -c ls"; Debian's busybox sh runs its applets without exec, so the path.
    ExecSyncResponse ls = exec(masked, 10, "/bin/sh", "-c", "/bin/ls");
    assertNotEquals(0, ls.getExitCode());
    assertEquals("/bin/sh: /bin/ls: Permission denied\n", ls.getStderr().toStringUtf8());
    String readonlyTmp = running(pod, secured("ro-tmp", TOP, sc().addReadonlyPaths("/tmp")));
    ExecSyncResponse t = exec(readonlyTmp, 10, "touch", "/tmp/test");
    assertNotEquals(0, t.getExitCode());
    assertEquals("touch: /tmp/test: Read-only file system\n", t.getStderr().toStringUtf8());
  }

  /** "runtime should support Privileged is true" and "Privileged is false". */
  @Test
  void privileged() throws Exception {
    String pod = runPod(privilegedPod("privileged", true));
    String id = running(pod, secured("privileged", TOP, sc().setPrivileged(true)));
    assertEquals(0, exec(id, 10, "brctl", "addbr", "foobar").getExitCode());
    String pod2 = runPod(privilegedPod("unprivileged", false));
    String id2 = running(pod2, secured("unprivileged", TOP, sc().setPrivileged(false)));
    assertNotEquals(0, exec(id2, 10, "brctl", "addbr", "foobar").getExitCode());
  }

  // ---- SeccompProfilePath ----

  /**
   * "should support seccomp unconfined/localhost profile/default on the container", "should support
   * nil profile, which is unconfined", "runtime should not block setting host name with unconfined
   * seccomp and SYS_ADMIN", "runtime should support an seccomp profile that blocks setting hostname
   * with SYS_ADMIN", "runtime should ignore a seccomp profile that blocks setting hostname when
   * privileged".
   */
  @Test
  void seccompProfiles() throws Exception {
    Path profiles = Files.createDirectories(tmp.resolve("seccomp-tests"));
    Path blockHostname = profiles.resolve("block-host-name.json");
    Files.writeString(
        blockHostname,
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"sethostname\"],"
            + " \"action\": \"SCMP_ACT_ERRNO\"}]}");
    Path blockChmod = profiles.resolve("block-chmod.json");
    Files.writeString(
        blockChmod,
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"chmod\","
            + " \"fchmodat\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
    List<String> grep = List.of("grep", "Seccomp:", "/proc/self/status");
    SecurityProfile unconfined =
        SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Unconfined).build();

    String pod = runPod(seccompPod("seccomp-unconfined", unconfined));
    String id = running(pod, secured("unconfined", TOP, sc().setSeccomp(unconfined)));
    assertTrue(execOk(id, grep.toArray(String[]::new)).contains("0"));

    SecurityProfile chmod = localhost(blockChmod);
    String pod2 = runPod(seccompPod("seccomp-localhost", chmod));
    String id2 = running(pod2, secured("localhost", TOP, sc().setSeccomp(chmod)));
    ExecSyncResponse r = exec(id2, 10, "chmod", "400", "/");
    assertNotEquals(0, r.getExitCode());
    assertTrue(r.getStderr().toStringUtf8().contains("Operation not permitted"), r.toString());

    SecurityProfile runtimeDefault = SecurityProfile.getDefaultInstance();
    String pod3 = runPod(seccompPod("seccomp-default", runtimeDefault));
    String id3 = running(pod3, secured("default", TOP, sc().setSeccomp(runtimeDefault)));
    assertTrue(execOk(id3, grep.toArray(String[]::new)).contains("2"));

    String pod4 = runPod(seccompPod("seccomp-nil", null));
    String id4 = running(pod4, secured("nil", TOP, sc()));
    assertTrue(execOk(id4, grep.toArray(String[]::new)).contains("0"));

    List<String> sleep = List.of("sleep", "60");
    String sysAdmin =
        running(
            pod,
            secured(
                "sys-admin", sleep, caps(List.of("SYS_ADMIN"), List.of()).setSeccomp(unconfined)));
    assertEquals(0, exec(sysAdmin, 10, "hostname", "ANewHostName").getExitCode());
    String blocked =
        running(
            pod,
            secured(
                "blocked",
                sleep,
                caps(List.of("SYS_ADMIN"), List.of()).setSeccomp(localhost(blockHostname))));
    assertNotEquals(0, exec(blocked, 10, "hostname", "ANewHostName").getExitCode());
    String privPod = runPod(privilegedPod("seccomp-privileged", true));
    String priv =
        running(
            privPod,
            secured(
                "privileged",
                sleep,
                sc().setPrivileged(true).setSeccomp(localhost(blockHostname))));
    assertEquals(0, exec(priv, 10, "hostname", "ANewHostName").getExitCode());
  }

  // ---- what berth does not have: refused, never run without ----

  /**
   * A container asking for an AppArmor profile, for Strict supplemental groups, for a CDI device,
   * or for the user namespace or an id-mapped mount of a pod that has none, is refused, naming the
   * field, and leaves nothing: running it unconfined, with the image's groups too or in the host's
   * user namespace would drop the isolation it asked for. The host's user namespace and Unconfined
   * still run.
   */
  @Test
  void appArmorProfilesStrictGroupsAndAbsentUserNamespacesAreRefusedNotIgnored() throws Exception {
    IDMapping map =
        IDMapping.newBuilder().setHostId(100000).setContainerId(0).setLength(65536).build();
    NamespaceOption podUserns = userns(map);
    NamespaceOption hostUserns =
        NamespaceOption.newBuilder()
            .setUsernsOptions(UserNamespace.newBuilder().setMode(NamespaceMode.NODE))
            .build();
    String podId = runPod(namespacePod("host-userns", hostUserns, tmp.resolve("logs-host")));
    List<String> sleep = List.of("sleep", "60");
    StatusRuntimeException container =
        error(() -> create(podId, namespaced(container("userns", "sleep", "60"), podUserns)));
    assertEquals(Status.Code.INVALID_ARGUMENT, container.getStatus().getCode());
    assertEquals(
        "config.linux.security_context.namespace_options.userns_options.mode: POD in a pod without"
            + " a user namespace",
        container.getStatus().getDescription());

    SecurityProfile named =
        SecurityProfile.newBuilder()
            .setProfileType(SecurityProfile.ProfileType.Localhost)
            .setLocalhostRef("berth-test")
            .build();
    for (LinuxContainerSecurityContext.Builder asked :
        List.of(
            sc().setApparmor(SecurityProfile.getDefaultInstance()),
            sc().setApparmor(named),
            sc().setApparmorProfile("runtime/default"),
            sc().setApparmorProfile("localhost/berth-test"))) {
      StatusRuntimeException e = error(() -> create(podId, secured("apparmor", sleep, asked)));
      assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode(), asked.toString());
      assertTrue(
          e.getStatus().getDescription().startsWith("config.linux.security_context.apparmor")
              && e.getStatus().getDescription().endsWith(": apparmor is not supported"),
          e.getStatus().getDescription());
    }
    StatusRuntimeException strict =
        error(
            () ->
                create(
                    podId,
                    secured(
                        "strict",
                        sleep,
                        sc().setSupplementalGroupsPolicy(SupplementalGroupsPolicy.Strict))));
    assertEquals(Status.Code.UNIMPLEMENTED, strict.getStatus().getCode());
    assertEquals(
        "config.linux.security_context.supplemental_groups_policy: Strict is not supported (Merge"
            + " is)",
        strict.getStatus().getDescription());
    StatusRuntimeException cdi =
        error(
            () ->
                create(
                    podId,
                    secured("cdi", sleep, sc())
                        .addCDIDevices(CDIDevice.newBuilder().setName("vendor.example/gpu=0"))));
    assertEquals(Status.Code.UNIMPLEMENTED, cdi.getStatus().getCode());
    StatusRuntimeException idmapped =
        error(
            () ->
                create(
                    podId,
                    secured("idmapped", sleep, sc())
                        .addMounts(
                            Mount.newBuilder()
                                .setContainerPath("/data")
                                .setHostPath(tmp.toString())
                                .addUidMappings(map)
                                .addGidMappings(map))));
    assertEquals(Status.Code.INVALID_ARGUMENT, idmapped.getStatus().getCode());
    assertEquals(
        "config.mounts: /data: uidMappings/gidMappings need a pod with a user namespace",
        idmapped.getStatus().getDescription());
    assertEquals(
        "config.CDI_devices: vendor.example/gpu=0: CDI devices are not supported (devices by host"
            + " path are)",
        cdi.getStatus().getDescription());
    assertEquals(
        0, rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
    PodSandboxConfig.Builder strictPod =
        podConfig("strict-pod")
            .setLinux(
                LinuxPodSandboxConfig.newBuilder()
                    .setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder()
                            .setSupplementalGroupsPolicy(SupplementalGroupsPolicy.Strict)));
    assertEquals(Status.Code.UNIMPLEMENTED, code(() -> runPod(strictPod)));
    assertEquals(
        1, rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());

    SecurityProfile unconfined =
        SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Unconfined).build();
    running(podId, secured("unconfined", sleep, sc().setApparmor(unconfined)));
    running(podId, secured("unconfined-string", sleep, sc().setApparmorProfile("unconfined")));
    running(podId, namespaced(container("host-userns", "sleep", "60"), hostUserns));
  }

  // ---- UserNamespaces (hostUsers: false) ----

  static IDMapping idMap(int containerId, int hostId, int length) {
    return IDMapping.newBuilder()
        .setContainerId(containerId)
        .setHostId(hostId)
        .setLength(length)
        .build();
  }

  /** userns_options mode POD with these mappings for both uids and gids. */
  static NamespaceOption userns(IDMapping... maps) {
    return NamespaceOption.newBuilder()
        .setUsernsOptions(
            UserNamespace.newBuilder()
                .setMode(NamespaceMode.POD)
                .addAllUids(List.of(maps))
                .addAllGids(List.of(maps)))
        .build();
  }

  /** The host pids of processes tagged as pod {@code podId}'s pause or user namespace holder. */
  static List<Integer> holders(String podId) throws IOException {
    List<Integer> out = new java.util.ArrayList<>();
    try (var s = Files.list(Path.of("/proc"))) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        if (!name.matches("\\d+")) continue;
        try {
          String env = new String(Files.readAllBytes(p.resolve("environ")), StandardCharsets.UTF_8);
          if (env.contains("BERTH_POD=" + podId)) out.add(Integer.parseInt(name));
        } catch (IOException gone) {
          // ended meanwhile
        }
      }
    }
    return out;
  }

  static List<Integer> holdersOf(String podId) {
    try {
      return holders(podId);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * critest's "runtime should support NamespaceMode_POD" (the container prints its uid_map), and
   * what a user of {@code hostUsers: false} relies on: root inside is root of the pod's user
   * namespace and an unprivileged uid on the host; the image's files are root's inside (an idmapped
   * root filesystem), what it writes is stored under the pod's host ids; its pod's network
   * namespace is its root's to manage (sysfs mounted, a link's MTU set with NET_ADMIN); ExecSync
   * runs in the same namespace. Stopping and removing the pod leaves no pin, mount or holder
   * process.
   */
  @Test
  void aPodWithAUserNamespaceRunsItsContainersAsItsRoot() throws Exception {
    NamespaceOption critest = userns(idMap(0, 1000, 100000));
    Path logs = tmp.resolve("logs-userns");
    String pod = runPod(namespacePod("userns-critest", critest, logs));
    String printed =
        startContainer(
            pod,
            namespaced(container("uidmap", "cat", "/proc/self/uid_map"), critest)
                .setLogPath("uidmap.log"));
    exited(printed);
    assertTrue(
        log(logs.resolve("uidmap.log"), CriLog.Stream.STDOUT)
            .matches("(?s).*\\s+0\\s+1000\\s+100000\\s*"),
        log(logs.resolve("uidmap.log"), null));
    rt().stopPodSandbox(
            dev.berth.api.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    rt().removePodSandbox(
            dev.berth.api.cri.v1.RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertTrue(waitFor(() -> holdersOf(pod).isEmpty()), "the holder ends with the pod");

    NamespaceOption ns =
        userns(idMap(0, 200000, 65536)).toBuilder().setPid(NamespaceMode.CONTAINER).build();
    String pod2 = runPod(namespacePod("userns", ns, tmp.resolve("logs-userns2")));
    assertEquals(
        ns.getUsernsOptions(),
        podStatus(pod2, false)
            .getStatus()
            .getLinux()
            .getNamespaces()
            .getOptions()
            .getUsernsOptions());
    assertTrue(
        waitFor(() -> holdersOf(pod2).isEmpty()), "the holder ends once the namespaces are pinned");
    ContainerConfig.Builder sleeper =
        namespaced(container("sleeper", "sleep", "600"), ns)
            .setLinux(
                LinuxContainerConfig.newBuilder()
                    .setSecurityContext(
                        sc().setNamespaceOptions(ns)
                            .setCapabilities(
                                Capability.newBuilder().addAddCapabilities("NET_ADMIN"))));
    String id = running(pod2, sleeper);
    assertEquals("0", exec(id, 10, "id", "-u").getStdout().toStringUtf8().strip());
    assertEquals(
        "0:0",
        exec(id, 10, "stat", "-c", "%u:%g", "/bin/busybox").getStdout().toStringUtf8().strip());
    ExecSyncResponse wrote = exec(id, 10, "sh", "-c", "echo hi > /written && stat -c %u /written");
    assertEquals(0, wrote.getExitCode(), wrote.getStderr().toStringUtf8());
    assertEquals("0", wrote.getStdout().toStringUtf8().strip());
    int pid = (int) engine.containers().get(id).state().pid();
    String status = Files.readString(Path.of("/proc/" + pid + "/status"));
    assertTrue(status.matches("(?s).*\\nUid:\\s+200000\\s.*"), status);
    Path written = Path.of("/proc/" + pid + "/root/written");
    assertEquals(200000, Files.getAttribute(written, "unix:uid"));
    // the pod's files and /dev/shm are its root's, writable by it
    ExecSyncResponse own =
        exec(
            id,
            10,
            "sh",
            "-c",
            "stat -c %u:%g /etc/hosts /etc/resolv.conf /etc/hostname /dev/shm"
                + " && echo 10.0.0.9 extra >> /etc/hosts && touch /dev/shm/made");
    assertEquals(0, own.getExitCode(), own.getStderr().toStringUtf8());
    assertEquals("0:0\n0:0\n0:0\n0:0\n", own.getStdout().toStringUtf8());
    ExecSyncResponse sys = exec(id, 10, "ls", "/sys/class/net");
    assertEquals(0, sys.getExitCode(), sys.getStderr().toStringUtf8());
    assertTrue(sys.getStdout().toStringUtf8().contains("eth0"), sys.getStdout().toStringUtf8());
    ExecSyncResponse mtu = exec(id, 10, "ip", "link", "set", "lo", "mtu", "1400");
    assertEquals(0, mtu.getExitCode(), mtu.getStderr().toStringUtf8());
    rt().stopPodSandbox(
            dev.berth.api.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(pod2).build());
    rt().removePodSandbox(
            dev.berth.api.cri.v1.RemovePodSandboxRequest.newBuilder()
                .setPodSandboxId(pod2)
                .build());
    assertClean();
  }

  /**
   * A pod that shares its pid namespace and has a user namespace: its pause is the init of a pid
   * namespace its user namespace owns (containers mount their /proc in it and see each other), and
   * it ends with the pod. A kubelet volume with the pod's mappings is idmapped: a root-owned host
   * directory is its root's inside, and what it writes there is root's on the host.
   */
  @Test
  void aSharedPidPodWithAUserNamespaceAndAnIdmappedVolume() throws Exception {
    IDMapping map = idMap(0, 300000, 65536);
    NamespaceOption ns = userns(map).toBuilder().setPid(NamespaceMode.POD).build();
    String pod = runPod(namespacePod("userns-pid", ns, tmp.resolve("logs-pid")));
    assertEquals(1, holders(pod).size(), "the shared pid namespace's init");
    Path volume = Files.createDirectories(tmp.resolve("volume"));
    Files.writeString(volume.resolve("given"), "from the host");
    String first = running(pod, namespaced(container("first", "sleep", "600"), ns));
    String second =
        running(
            pod,
            namespaced(container("second", "sleep", "700"), ns)
                .addMounts(
                    Mount.newBuilder()
                        .setContainerPath("/data")
                        .setHostPath(volume.toString())
                        .addUidMappings(map)
                        .addGidMappings(map)));
    ExecSyncResponse ps = exec(second, 10, "ps");
    assertTrue(ps.getStdout().toStringUtf8().contains("sleep 600"), ps.getStdout().toStringUtf8());
    assertEquals(
        "0:0",
        exec(second, 10, "stat", "-c", "%u:%g", "/data/given").getStdout().toStringUtf8().strip());
    ExecSyncResponse touched = exec(second, 10, "touch", "/data/made");
    assertEquals(0, touched.getExitCode(), touched.getStderr().toStringUtf8());
    assertEquals(0, Files.getAttribute(volume.resolve("made"), "unix:uid"));
    StatusRuntimeException other =
        error(
            () ->
                create(
                    pod,
                    namespaced(container("other-map", "sleep", "60"), ns)
                        .addMounts(
                            Mount.newBuilder()
                                .setContainerPath("/data")
                                .setHostPath(volume.toString())
                                .addUidMappings(idMap(0, 400000, 65536))
                                .addGidMappings(idMap(0, 400000, 65536)))));
    assertEquals(Status.Code.INVALID_ARGUMENT, other.getStatus().getCode());
    assertEquals(
        "config.mounts: /data: uidMappings/gidMappings differ from the pod's user namespace"
            + " mappings",
        other.getStatus().getDescription());
    assertNotEquals(first, second);
    rt().stopPodSandbox(
            dev.berth.api.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertTrue(waitFor(() -> holdersOf(pod).isEmpty()), "the pause ends with the pod");
    rt().removePodSandbox(
            dev.berth.api.cri.v1.RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertClean();
  }

  /**
   * critest's "runtime should fail if more than one mapping provided", "... if container ID 0 is
   * not mapped", "... with NamespaceMode_CONTAINER" and "... with NamespaceMode_TARGET"; and a user
   * namespace beside the host's network: INVALID_ARGUMENT naming the field, nothing made.
   */
  @Test
  void userNamespaceRequestsBerthCannotHonourAreRefused() throws Exception {
    record Case(NamespaceOption ns, String message) {}
    String f = "pod config: namespace_options.userns_options.";
    String c = "config.linux.security_context.namespace_options.userns_options.";
    List<Case> cases =
        List.of(
            new Case(
                userns(idMap(0, 1000, 100000), idMap(0, 2000, 100000)),
                f + "uids: exactly one mapping is supported, got 2"),
            new Case(
                userns(idMap(1, 1000, 100000)),
                f + "uids: the mapping must start at container id 0, not 1"),
            new Case(
                NamespaceOption.newBuilder()
                    .setUsernsOptions(UserNamespace.newBuilder().setMode(NamespaceMode.CONTAINER))
                    .build(),
                c + "mode: CONTAINER is not supported (POD is)"),
            new Case(
                NamespaceOption.newBuilder()
                    .setUsernsOptions(UserNamespace.newBuilder().setMode(NamespaceMode.TARGET))
                    .build(),
                c + "mode: TARGET is not supported (POD is)"),
            new Case(
                userns(idMap(0, 1000, 100000)).toBuilder().setNetwork(NamespaceMode.NODE).build(),
                f + "mode: POD needs the pod's own network namespace, not the host's"));
    for (Case k : cases) {
      StatusRuntimeException e =
          error(() -> runPod(namespacePod("bad-userns", k.ns(), tmp.resolve("logs-bad"))));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), k.message());
      assertEquals(k.message(), e.getStatus().getDescription());
    }
    assertEquals(
        0, rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
  }

  // ---- NoNewPrivs ----

  /** "should not allow privilege escalation when true", "should allow ... when false". */
  @Test
  void noNewPrivs() throws Exception {
    assumeTrue(Exec.run("sh", "-c", "command -v gcc").exitCode() == 0, "gcc is not installed");
    // The nonewprivs image: a set-user-id root program that prints its effective uid.
    Path src = tmp.resolve("nnp.c");
    Files.writeString(
        src,
        "#include <stdio.h>\n#include <unistd.h>\n"
            + "int main(void) { printf(\"Effective uid: %d\\n\", (int) geteuid()); return 0; }\n");
    Path rootfs = Busybox.rootfs(tmp.resolve("nnp-rootfs"));
    Path nnp = Files.createDirectories(rootfs.resolve("usr/local/bin")).resolve("nnp");
    Exec.run("gcc", "-static", "-o", nnp.toString(), src.toString()).ok();
    Files.setPosixFilePermissions(nnp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Exec.run("chmod", "u+s", nnp.toString()).ok();
    Path tar = tmp.resolve("nnp.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, "localhost/nonewprivs:latest", null);

    Path logs = tmp.resolve("nnp-logs");
    String pod = runPod(podConfig("nnp").setLogDirectory(logs.toString()));
    for (boolean noNewPrivs : List.of(true, false)) {
      String name = "nnp-" + noNewPrivs;
      String id =
          running(
              pod,
              secured(
                      name,
                      List.of("/usr/local/bin/nnp"),
                      sc().setNoNewPrivs(noNewPrivs).setRunAsUser(int64(1000)))
                  .setImage(ImageSpec.newBuilder().setImage("localhost/nonewprivs:latest"))
                  .setLogPath(name + ".log"));
      exited(id);
      assertEquals(
          List.of("Effective uid: " + (noNewPrivs ? 1000 : 0)),
          lines(logs.resolve(name + ".log"), CriLog.Stream.STDOUT));
    }
  }

  // ---- helpers ----

  static PodSandboxConfig.Builder namespacePod(String name, NamespaceOption ns, Path logs) {
    return podConfig(name)
        .setLogDirectory(logs.toString())
        .setLinux(
            LinuxPodSandboxConfig.newBuilder()
                .setSecurityContext(
                    LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(ns)));
  }

  static PodSandboxConfig.Builder privilegedPod(String name, boolean privileged) {
    return podConfig(name)
        .setLinux(
            LinuxPodSandboxConfig.newBuilder()
                .setSecurityContext(
                    LinuxSandboxSecurityContext.newBuilder().setPrivileged(privileged)));
  }

  static PodSandboxConfig.Builder seccompPod(String name, SecurityProfile profile) {
    LinuxSandboxSecurityContext.Builder sc = LinuxSandboxSecurityContext.newBuilder();
    if (profile != null) sc.setSeccomp(profile);
    return podConfig(name).setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(sc));
  }

  static SecurityProfile localhost(Path profile) {
    return SecurityProfile.newBuilder()
        .setProfileType(SecurityProfile.ProfileType.Localhost)
        .setLocalhostRef(profile.toString())
        .build();
  }

  static LinuxContainerSecurityContext.Builder sc() {
    return LinuxContainerSecurityContext.newBuilder();
  }

  static LinuxContainerSecurityContext.Builder caps(List<String> add, List<String> drop) {
    return sc().setCapabilities(
            Capability.newBuilder().addAllAddCapabilities(add).addAllDropCapabilities(drop));
  }

  static Int64Value int64(long v) {
    return Int64Value.newBuilder().setValue(v).build();
  }

  static ContainerConfig.Builder secured(
      String name, List<String> command, LinuxContainerSecurityContext.Builder sc) {
    return container(name, command.toArray(String[]::new))
        .setImage(ImageSpec.newBuilder().setImage(CRITEST))
        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(sc));
  }

  static ContainerConfig.Builder namespaced(ContainerConfig.Builder c, NamespaceOption ns) {
    return c.setImage(ImageSpec.newBuilder().setImage(CRITEST))
        .setLinux(
            LinuxContainerConfig.newBuilder()
                .setSecurityContext(
                    LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(ns)));
  }

  static ContainerConfig.Builder nginx(String name, NamespaceOption ns) {
    return namespaced(container(name, "/usr/sbin/nginx", "-g", "master process"), ns);
  }

  /** Created, started and seen RUNNING, as critest's Eventually waits for it. */
  String running(String pod, ContainerConfig.Builder c) throws InterruptedException {
    String id = startContainer(pod, c);
    assertTrue(
        waitFor(
            () ->
                status(id).getState() == ContainerState.CONTAINER_RUNNING
                    || status(id).getState() == ContainerState.CONTAINER_EXITED),
        id);
    return id;
  }

  void exited(String id) throws InterruptedException {
    assertTrue(waitFor(() -> status(id).getState() == ContainerState.CONTAINER_EXITED), id);
  }

  /** ExecSync that must succeed (critest's execSyncContainer): its stdout. */
  String execOk(String id, String... cmd) {
    ExecSyncResponse r = exec(id, 30, cmd);
    assertEquals(0, r.getExitCode(), r.toString());
    return r.getStdout().toStringUtf8();
  }

  /** The shmids of /proc/sysvipc/shm's table. */
  static List<String> shmIds(String table) {
    return table.lines().skip(1).map(l -> l.trim().split("\\s+")[1]).toList();
  }

  /** The log's lines of {@code stream} (all streams when null), as critest parses them. */
  static List<String> lines(Path log, CriLog.Stream stream) throws IOException {
    return CriLog.read(log, null, -1).stream()
        .filter(e -> stream == null || e.stream() == stream)
        .map(e -> new String(e.text(), StandardCharsets.UTF_8))
        .toList();
  }

  static String log(Path log, CriLog.Stream stream) {
    try {
      return String.join("\n", lines(log, stream));
    } catch (IOException e) {
      return "";
    }
  }
}
