package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.User;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.Bundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hostile suite: bundles, images and exec requests written the way published runc escapes were,
 * each of which must fail or stay inside the container. A case names the CVE it reproduces; a new
 * escape gets a case here.
 */
// tmp world-searchable so that the containers' users (and a user namespace's mapped root) reach the
// bind source.
@ContainerTest(id = "h", searchableTmp = true, writableOut = true)
class HostileContainerTest {
  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  /** A host path that a container could only reach by escaping: it must never appear. */
  Path escaped;

  @BeforeEach
  void setUp() {
    escaped = tmp.resolve("escaped");
  }

  @AfterEach
  void tearDown() {
    assertFalse(Files.exists(escaped), "a container wrote to the host at " + escaped);
  }

  /**
   * A script that, run with its cwd outside the root, writes {@link #escaped} on the host and reads
   * the host.
   */
  private String escape() {
    return "touch ../../../../../../../../.."
        + escaped
        + "; cat ../../../../../../../../../etc/hostname > /out/host;"
        + " true";
  }

  /** The create fails with an error naming the cwd; nothing ran, nothing is left. */
  private void refusedCwd(String cwd) throws Exception {
    bundle.process().put("cwd", cwd);
    bundle.sh(escape()).write();
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> rt.run(id, CreateOptions.of(bundle.dir()), false, false, null),
            "cwd " + cwd);
    // Refused where the runtime first meets it: making a missing cwd (as runc, before the chdir)
    // resolves it inside the root and refuses a magic link, or else the chdir does.
    assertTrue(
        e.getMessage().contains("chdir to " + cwd) || e.getMessage().contains("mkdir -p " + cwd),
        e.getMessage());
    assertFalse(Files.exists(out.resolve("host")), "the process ran");
    assertFalse(Files.exists(rt.root().resolve(id)), "state left behind");
  }

  @Test
  void cve202421626ACwdOfAnInheritedFdIsRefused() throws Exception {
    // The runtime's own directory fds (cgroup directories above all) sat at low numbers before the
    // process's chdir.
    for (int fd = 3; fd <= 12; fd++) refusedCwd("/proc/self/fd/" + fd);
    refusedCwd("/proc/self/cwd");
    refusedCwd("/proc/1/root");
  }

  @Test
  void cve202421626InAUserNamespaceToo() throws Exception {
    UserNamespaceTest.chown(200000, bundle.rootfs(), out);
    bundle.namespace("user", null);
    bundle
        .linux()
        .put(
            "uidMappings",
            Bundle.list(Bundle.map("containerID", 0, "hostID", 200000, "size", 65536)));
    bundle
        .linux()
        .put(
            "gidMappings",
            Bundle.list(Bundle.map("containerID", 0, "hostID", 200000, "size", 65536)));
    for (int fd = 3; fd <= 8; fd++) refusedCwd("/proc/self/fd/" + fd);
  }

  @Test
  void cve202421626AnImageSymlinkToAnFdIsRefused() throws Exception {
    // What a pulled image can do alone: ship /app -> /proc/self/fd/4 and set WorkingDir /app.
    for (int fd = 3; fd <= 8; fd++) {
      Path app = bundle.rootfs().resolve("app" + fd);
      Files.createSymbolicLink(app, Path.of("/proc/self/fd/" + fd));
      refusedCwd("/app" + fd);
    }
    // A relative link through /proc is the same magic link.
    Files.createSymbolicLink(bundle.rootfs().resolve("rel"), Path.of("../proc/self/fd/5"));
    refusedCwd("/rel");
  }

  @Test
  void aCwdThroughOrdinarySymlinksStaysInTheRoot() throws Exception {
    // A link that climbs above / or points at an absolute host path resolves inside the container,
    // as after a chroot.
    Files.createDirectories(bundle.rootfs().resolve("data/work"));
    Files.createSymbolicLink(bundle.rootfs().resolve("up"), Path.of("../../../../../data/work"));
    Files.createSymbolicLink(bundle.rootfs().resolve("abs"), Path.of("/data/work"));
    for (String cwd : List.of("/up", "/abs", "/../../data/work")) {
      bundle.process().put("cwd", cwd);
      bundle.sh("pwd > /out/pwd; " + escape()).write();
      assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
      assertEquals("/data/work\n", Files.readString(out.resolve("pwd")), cwd);
      rt.delete(id, true);
    }
  }

  @Test
  void cve202421626AnExecWithACwdOfAnFdIsRefused() throws Exception {
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    Process base = rt.configuredProcess(id);
    for (int fd = 3; fd <= 12; fd++) {
      String cwd = "/proc/self/fd/" + fd;
      Process p =
          new Process(
              false,
              null,
              new User(0, 0, null, List.of(), ""),
              List.of("sh", "-c", escape()),
              "",
              base.env(),
              cwd,
              base.capabilities(),
              base.rlimits(),
              base.noNewPrivileges(),
              "",
              null,
              "");
      ContainerException e =
          assertThrows(
              ContainerException.class,
              () -> rt.exec(id, new ExecOptions(p, null, null, 0, false, false), null),
              cwd);
      // Refused where the runtime first meets it: making a missing cwd (as runc, before the chdir)
      // resolves it inside the root and refuses a magic link, or else the chdir does.
      assertTrue(
          e.getMessage().contains("chdir to " + cwd) || e.getMessage().contains("mkdir -p " + cwd),
          e.getMessage());
    }
    assertFalse(Files.exists(out.resolve("host")), "an exec'd process ran");
    assertEquals(1, rt.pids(id).size(), "only the init is left: " + rt.pids(id));
  }

  @Test
  void noFdOfTheRuntimeReachesTheProcessOrItsHooks() throws Exception {
    // Hooks that run in the container see no fd of the runtime either; createContainer hooks start
    // in the root.
    String list = "ls /proc/self/fd";
    bundle.hook(
        "createContainer",
        "/bin/sh",
        List.of("sh", "-c", "pwd > " + out + "/cc-pwd; " + list + " > " + out + "/cc-fds"),
        List.of(),
        null);
    bundle.hook(
        "startContainer", "/bin/sh", List.of("sh", "-c", list + " > /out/sc-fds"), List.of(), null);
    bundle.sh(list + " > /out/fds").write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    // 0-2 and the fd ls opened to read the directory.
    for (String f : List.of("fds", "sc-fds", "cc-fds")) {
      assertEquals("0\n1\n2\n3\n", Files.readString(out.resolve(f)), f);
    }
    assertEquals(bundle.rootfs().toRealPath() + "\n", Files.readString(out.resolve("cc-pwd")));
  }

  @Test
  void cve201905736TheRuntimeBinaryInTheContainerCannotBeRewritten() throws Exception {
    // Until start, the container's init runs berth-init: a process that can open it for writing
    // could replace the
    // binary the host runs next. It runs from a sealed memfd, which no one can write.
    bundle.args("true").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    int pid = rt.state(id).pid();
    String exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString();
    assertTrue(exe.startsWith("/memfd:"), exe);
    ErrnoException e =
        assertThrows(
            ErrnoException.class,
            () ->
                Linux.open(
                        "/proc/" + pid + "/exe",
                        LinuxConstants.O_WRONLY | LinuxConstants.O_CLOEXEC,
                        0)
                    .close());
    assertTrue(
        e.errno() == LinuxConstants.ETXTBSY || e.errno() == LinuxConstants.EPERM, e.getMessage());
  }

  @Test
  void cve202130465AMountTargetThroughASymlinkStaysInTheRoot() throws Exception {
    // The image points a mount's destination at a host directory; the mount (and the directories
    // made for it) must
    // land under the rootfs, at the path the link names inside it.
    Path host = Files.createDirectories(tmp.resolve("host-dir"));
    Files.createSymbolicLink(bundle.rootfs().resolve("evil"), host);
    bundle
        .mounts()
        .add(
            Bundle.map(
                "destination",
                "/evil/sub/mnt",
                "type",
                "tmpfs",
                "source",
                "tmpfs",
                "options",
                Bundle.list("nosuid")));
    bundle.sh("grep -c ' " + host + "/sub/mnt ' /proc/self/mountinfo > /out/mounted").write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    assertEquals("1\n", Files.readString(out.resolve("mounted")));
    assertFalse(Files.exists(host.resolve("sub")), "a directory was made on the host");
    assertTrue(
        Files.isDirectory(
            bundle.rootfs().resolve(host.toString().substring(1)).resolve("sub/mnt")));
  }

  @Test
  void cve202531133AMaskedPathNeverBindsAReplacedDevNull() throws Exception {
    // /dev comes from the bundle, and its "null" is a link to a host-sensitive procfs file: masking
    // /proc/version
    // with it would expose that file writable. The create fails instead.
    Path dev = Files.createDirectories(tmp.resolve("dev"));
    Files.createSymbolicLink(dev.resolve("null"), Path.of("/proc/sys/kernel/core_pattern"));
    bundle
        .mounts()
        .add(
            Bundle.map(
                "destination",
                "/dev",
                "type",
                "bind",
                "source",
                dev.toString(),
                "options",
                Bundle.list("rbind")));
    bundle.linux().put("maskedPaths", Bundle.list("/proc/version"));
    bundle.sh(escape()).write();
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    assertTrue(e.getMessage().contains("/dev/null is not the null device"), e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)));
  }

  @Test
  void sysctlsOfTheHostAreRefusedBeforeAnythingRuns() throws Exception {
    Path file = Path.of("/proc/sys/kernel/printk_ratelimit_burst");
    String before = Files.readString(file);
    String other = before.trim().equals("11") ? "12" : "11";
    bundle.linux().put("sysctl", Bundle.map("kernel.printk_ratelimit_burst", other));
    bundle.sh(escape()).write();
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    assertTrue(
        e.getMessage()
            .contains(
                "linux.sysctl[\"kernel.printk_ratelimit_burst\"]: not in a separate kernel"
                    + " namespace"),
        e.getMessage());
    assertEquals(before, Files.readString(file));
    assertFalse(Files.exists(rt.root().resolve(id)));
    assertFalse(Files.exists(out.resolve("host")));
  }

  @Test
  void netSysctlsInTheHostsNetworkNamespaceAreRefused() throws Exception {
    // Joining the runtime's own network namespace by path is no isolation: net.* would be the
    // host's.
    Path file = Path.of("/proc/sys/net/ipv4/ip_default_ttl");
    String before = Files.readString(file);
    bundle.namespace("network", "/proc/" + ProcessHandle.current().pid() + "/ns/net");
    bundle
        .linux()
        .put(
            "sysctl",
            Bundle.map("net.ipv4.ip_default_ttl", before.trim().equals("65") ? "66" : "65"));
    bundle.sh(escape()).write();
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    assertTrue(
        e.getMessage().contains("not allowed in the host's network namespace"), e.getMessage());
    assertEquals(before, Files.readString(file));
    assertFalse(Files.exists(rt.root().resolve(id)));
  }

  @Test
  void aSysctlWriteIsNeverRedirectedOutOfProcfs() throws Exception {
    // A mount over a sysctl file (the CVE-2025-52881 class: writes the runtime makes to /proc sent
    // elsewhere) is
    // refused rather than written through.
    Path decoy = Files.writeString(tmp.resolve("decoy"), "untouched\n");
    bundle
        .mounts()
        .add(
            Bundle.map(
                "destination",
                "/proc/sys/kernel/domainname",
                "type",
                "bind",
                "source",
                decoy.toString(),
                "options",
                Bundle.list("bind")));
    bundle.linux().put("sysctl", Bundle.map("kernel.domainname", "written"));
    bundle.sh(escape()).write();
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    assertTrue(e.getMessage().contains("/proc/sys/kernel/domainname"), e.getMessage());
    assertEquals("untouched\n", Files.readString(decoy));
    assertFalse(Files.exists(rt.root().resolve(id)));
  }

  @Test
  void theProcessSeesOnlyItsOwnStdioAndPreservedFds() throws Exception {
    // The same list under a strict profile: nothing of the runtime is open in the process whatever
    // the plan did.
    List<String> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      s.forEach(p -> names.add(p.getFileName().toString()));
    }
    assertTrue(names.size() > 4, "the test JVM has fds of its own to leak: " + names);
    bundle.process().put("noNewPrivileges", true);
    bundle
        .linux()
        .put(
            "seccomp",
            Bundle.map(
                "defaultAction",
                "SCMP_ACT_ALLOW",
                "syscalls",
                Bundle.list(
                    Bundle.map("names", Bundle.list("fchdir"), "action", "SCMP_ACT_ERRNO"))));
    bundle.sh("ls -l /proc/self/fd > /out/fds").write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    String fds = Files.readString(out.resolve("fds"));
    assertEquals(4, fds.lines().filter(l -> l.startsWith("l")).count(), fds);
  }
}
