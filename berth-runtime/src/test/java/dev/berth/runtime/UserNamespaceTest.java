package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Containers in a new user namespace, created by root: container root is host uid {@value #HOST}
 * (the rootfs is chowned to it, as an image unpacked for a user namespace would be), and everything
 * the default spec mounts still works.
 */
// The mapped root must reach the rootfs and the bind source: a temporary directory is 0700.
@ContainerTest(id = "u", searchableTmp = true)
class UserNamespaceTest {
  static final int HOST = 200000;
  static final int SIZE = 65536;

  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  @BeforeEach
  void setUp() throws Exception {
    chown(HOST, tmp.resolve("bundle/rootfs"), out);
    bundle.namespace("user", null);
    userMappings(HOST, SIZE);
  }

  private void userMappings(long host, long size) {
    bundle
        .linux()
        .put(
            "uidMappings", Bundle.list(Bundle.map("containerID", 0, "hostID", host, "size", size)));
    bundle
        .linux()
        .put(
            "gidMappings", Bundle.list(Bundle.map("containerID", 0, "hostID", host, "size", size)));
  }

  static void chown(int id, Path... paths) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("chown", "-R", id + ":" + id));
    for (Path p : paths) cmd.add(p.toString());
    assertEquals(0, new ProcessBuilder(cmd).inheritIO().start().waitFor());
  }

  private String probe(String script) throws Exception {
    bundle.sh("(" + script + ") >/out/probe 2>&1").write();
    int code = rt.run(id, CreateOptions.of(bundle.dir()), false, false, null);
    String probe = Files.readString(out.resolve("probe"));
    assertEquals(0, code, probe);
    return probe;
  }

  @Test
  void rootInsideIsTheMappedHostUid() throws Exception {
    String probe =
        probe(
            "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; touch /out/made");
    assertEquals("0\n0\n 0 " + HOST + " " + SIZE + "\n 0 " + HOST + " " + SIZE + "\n", probe);
    assertEquals(HOST, (int) Files.getAttribute(out.resolve("made"), "unix:uid"));
    assertEquals(HOST, (int) Files.getAttribute(out.resolve("made"), "unix:gid"));
  }

  @Test
  void theDefaultMountsAndDevicesWork() throws Exception {
    String probe =
        probe(
            "for m in /proc /dev /dev/pts /dev/shm /dev/mqueue /sys /sys/fs/cgroup; do"
                + " grep -q \" $m \" /proc/mounts && echo $m; done;"
                + " echo x > /dev/null && head -c 3 /dev/zero | wc -c; ls /sys/fs/cgroup/memory/memory.limit_in_bytes;"
                + " touch /dev/shm/a && stat -c %u /dev/shm/a; cat /proc/1/comm; hostname");
    assertEquals(
        "/proc\n/dev\n/dev/pts\n/dev/shm\n/dev/mqueue\n/sys\n/sys/fs/cgroup\n3\n"
            + "/sys/fs/cgroup/memory/memory.limit_in_bytes\n0\nsh\nrunc\n",
        probe);
  }

  @Test
  void withoutANetworkNamespaceSysIsTheHostsBound() throws Exception {
    bundle.withoutNamespace("network");
    String probe =
        probe("test -d /sys/kernel && echo sys; grep ' /sys ' /proc/mounts | cut -d' ' -f3");
    assertEquals("sys\nsysfs\n", probe);
  }

  @Test
  void tmpcopyupCopiesAsTheMappedRootWithTheContainersOwners() throws Exception {
    // The copy runs in the container's user namespace: owners are the container's ids, and the
    // tmpfs's files belong to the mapped host ids, as the image's do.
    Path app = Files.createDirectories(tmp.resolve("bundle/rootfs/etc/app"));
    Files.writeString(app.resolve("conf"), "hello\n");
    chown(HOST, app);
    chown(HOST + 1000, app.resolve("conf"));
    bundle
        .mounts()
        .add(
            Bundle.map(
                "destination",
                "/etc/app",
                "type",
                "tmpfs",
                "source",
                "tmpfs",
                "options",
                Bundle.list("tmpcopyup")));
    String probe =
        probe(
            "stat -c '%u:%g %a' /etc/app/conf; cat /etc/app/conf;"
                + " grep -c ' /etc/app .* - tmpfs ' /proc/self/mountinfo");
    assertEquals("1000:1000 644\nhello\n1\n", probe);
  }

  @Test
  void aNonRootUserIsMappedToo() throws Exception {
    bundle
        .process()
        .put("user", Bundle.map("uid", 1000, "gid", 1000, "additionalGids", Bundle.list(5)));
    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
    String probe = probe("id -u; id -g; id -G; touch /out/by-user");
    assertEquals("1000\n1000\n1000 5\n", probe);
    assertEquals(HOST + 1000, (int) Files.getAttribute(out.resolve("by-user"), "unix:uid"));
  }

  @Test
  void execJoinsTheUserNamespace() throws Exception {
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    int pid = rt.state(id).pid();
    String userns = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/user")).toString();
    assertFalse(userns.equals(Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString()));
    rt.start(id);
    dev.berth.spec.runtime.Process base = rt.configuredProcess(id);
    var p =
        new dev.berth.spec.runtime.Process(
            false,
            null,
            new dev.berth.spec.runtime.User(0, 0, null, List.of(), ""),
            List.of("sh", "-c", "(id -u; readlink /proc/self/ns/user) > /out/exec"),
            "",
            base.env(),
            "/",
            base.capabilities(),
            base.rlimits(),
            base.noNewPrivileges(),
            "",
            null,
            "");
    assertEquals(0, rt.exec(id, new ExecOptions(p, null, null, 0, false, false), null));
    assertEquals("0\n" + userns + "\n", Files.readString(out.resolve("exec")));
  }

  @Test
  void aContainerJoiningAnotherOnesUserNamespaceIsItsRoot() throws Exception {
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    String joiner = id + "-j";
    try {
      int pid = rt.state(id).pid();
      bundle.namespace("user", "/proc/" + pid + "/ns/user");
      bundle.linux().remove("uidMappings");
      bundle.linux().remove("gidMappings");
      // Before the switch to the namespace's root, the /dev tmpfs refused the unmapped host
      // root's mkdir (EOVERFLOW) and create failed.
      bundle.sh(
          "(id -u; id -g; tr -s ' ' < /proc/self/uid_map; touch /dev/shm/a; stat -c %u /dev/shm/a)"
              + " >/out/probe 2>&1");
      assertEquals(
          0, rt.run(joiner, CreateOptions.of(bundle.write()), false, false, null), probeText());
      assertEquals("0\n0\n 0 " + HOST + " " + SIZE + "\n0\n", probeText());
    } finally {
      // run deletes what it made; a failed run leaves nothing either (asserted here).
      assertEquals(List.of(id), rt.list().stream().map(c -> c.id()).toList());
    }
  }

  @Test
  void aJoinedUserNamespaceGoesWithANetworkNamespaceItDoesNotOwn() throws Exception {
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    String joiner = id + "-n";
    try {
      String userns = "/proc/" + rt.state(id).pid() + "/ns/user";
      String hostNet = "/proc/" + ProcessHandle.current().pid() + "/ns/net";
      bundle.namespace("user", userns).namespace("network", hostNet);
      bundle.linux().remove("uidMappings");
      bundle.linux().remove("gidMappings");
      // sysfs can only be mounted by the owner of the network namespace: the host's /sys instead.
      for (Object m : bundle.mounts()) {
        @SuppressWarnings("unchecked")
        var mount = (Map<String, Object>) m;
        if ("/sys".equals(mount.get("destination"))) {
          mount.put("type", "bind");
          mount.put("source", "/sys");
          mount.put("options", Bundle.list("rbind", "ro"));
        }
      }
      // Joined after the user namespace, the host's network namespace was out of reach (EPERM).
      bundle.sh(
          "(readlink /proc/self/ns/user; readlink /proc/self/ns/net; id -u) >/out/probe 2>&1");
      assertEquals(
          0, rt.run(joiner, CreateOptions.of(bundle.write()), false, false, null), probeText());
      assertEquals(
          Files.readSymbolicLink(Path.of(userns))
              + "\n"
              + Files.readSymbolicLink(Path.of(hostNet))
              + "\n0\n",
          probeText());
      // An exec into that container joins the two in the same order.
      bundle.args("sleep", "60").write();
      rt.create(joiner, CreateOptions.of(bundle.dir()));
      rt.start(joiner);
      assertEquals(
          0,
          rt.exec(
              joiner,
              new ExecOptions(
                  execProcess(
                      rt.configuredProcess(joiner),
                      "(readlink /proc/self/ns/user; readlink /proc/self/ns/net) > /out/exec"),
                  null,
                  null,
                  0,
                  false,
                  false),
              null));
      assertEquals(
          Files.readSymbolicLink(Path.of(userns))
              + "\n"
              + Files.readSymbolicLink(Path.of(hostNet))
              + "\n",
          Files.readString(out.resolve("exec")));
    } finally {
      if (rt.list().stream().anyMatch(c -> c.id().equals(joiner))) rt.delete(joiner, true);
    }
    assertEquals(List.of(id), rt.list().stream().map(c -> c.id()).toList());
  }

  @Test
  void aNamespaceThatDoesNotMapRootRunsAsTheMappedUser() throws Exception {
    // Only container id 1000 exists: the rootfs belongs to the host id it maps to.
    chown(HOST + 1000, tmp.resolve("bundle/rootfs"), out);
    bundle
        .linux()
        .put(
            "uidMappings",
            Bundle.list(Bundle.map("containerID", 1000, "hostID", HOST + 1000, "size", 1)));
    bundle
        .linux()
        .put(
            "gidMappings",
            Bundle.list(Bundle.map("containerID", 1000, "hostID", HOST + 1000, "size", 1)));
    bundle.process().put("user", Bundle.map("uid", 1000, "gid", 1000));
    // gid 5 (tty) has no mapping: devpts would refuse it.
    for (Object m : bundle.mounts()) {
      @SuppressWarnings("unchecked")
      var mount = (Map<String, Object>) m;
      if ("/dev/pts".equals(mount.get("destination")))
        ((List<?>) mount.get("options")).removeIf("gid=5"::equals);
    }
    // Before, berth-init switched to gid 0 first, which this namespace lacks (EINVAL).
    String probe = probe("id -u; id -g; tr -s ' ' < /proc/self/uid_map; touch /out/made");
    assertEquals("1000\n1000\n 1000 " + (HOST + 1000) + " 1\n", probe);
    assertEquals(HOST + 1000, (int) Files.getAttribute(out.resolve("made"), "unix:uid"));
  }

  private static dev.berth.spec.runtime.Process execProcess(
      dev.berth.spec.runtime.Process base, String script) {
    return new dev.berth.spec.runtime.Process(
        false,
        null,
        new dev.berth.spec.runtime.User(0, 0, null, List.of(), ""),
        List.of("sh", "-c", script),
        "",
        base.env(),
        "/",
        base.capabilities(),
        base.rlimits(),
        base.noNewPrivileges(),
        "",
        null,
        "");
  }

  private String probeText() throws Exception {
    Path p = out.resolve("probe");
    return Files.exists(p) ? Files.readString(p) : "(no probe)";
  }

  @Test
  void execIntoACreatedContainerJoinsItsNamespacesToo() throws Exception {
    // Before start the init has not exec'd and is not dumpable: its /proc/<pid>/ns/* cannot be
    // opened from inside
    // its user namespace, so berth-init opens every namespace before it joins the first (as runc's
    // nsexec).
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    dev.berth.spec.runtime.Process base = rt.configuredProcess(id);
    var p =
        new dev.berth.spec.runtime.Process(
            false,
            null,
            new dev.berth.spec.runtime.User(0, 0, null, List.of(), ""),
            List.of("sh", "-c", "readlink /proc/self/ns/ipc > /out/exec"),
            "",
            base.env(),
            "/",
            base.capabilities(),
            base.rlimits(),
            base.noNewPrivileges(),
            "",
            null,
            "");
    assertEquals(0, rt.exec(id, new ExecOptions(p, null, null, 0, false, false), null));
    int pid = rt.state(id).pid();
    assertEquals(
        Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/ipc")) + "\n",
        Files.readString(out.resolve("exec")));
  }

  @Test
  void aRootfsUnderADirectoryTheMappedRootCannotReachRuns() throws Exception {
    // The rootfs is bound and opened with the runtime's credentials, before the process becomes
    // its namespace's root: only what the rootfs holds must be the mapped root's to reach.
    Path hidden = Files.createDirectories(tmp.resolve("hidden"));
    Bundle b = Bundle.busybox(hidden.resolve("bundle"));
    chown(HOST, b.rootfs());
    b.namespace("user", null);
    b.linux()
        .putAll(
            Map.of(
                "uidMappings",
                    Bundle.list(Bundle.map("containerID", 0, "hostID", HOST, "size", SIZE)),
                "gidMappings",
                    Bundle.list(Bundle.map("containerID", 0, "hostID", HOST, "size", SIZE))));
    PinnedUserNamespaceTest.rootfsWritable(b);
    b.sh("touch /made").write();
    Files.setPosixFilePermissions(hidden, PosixFilePermissions.fromString("rwx------"));
    assertEquals(0, rt.run(id, CreateOptions.of(b.dir()), false, false, null));
    assertEquals(HOST, (int) Files.getAttribute(b.rootfs().resolve("made"), "unix:uid"));
  }

  @Test
  void aRootfsWhoseContentTheMappedRootCannotReachFailsWithAHint() throws Exception {
    Bundle b = Bundle.busybox(tmp.resolve("closed"));
    b.namespace("user", null);
    b.linux()
        .putAll(
            Map.of(
                "uidMappings",
                    Bundle.list(Bundle.map("containerID", 0, "hostID", HOST, "size", SIZE)),
                "gidMappings",
                    Bundle.list(Bundle.map("containerID", 0, "hostID", HOST, "size", SIZE))));
    b.sh("true").write();
    Files.setPosixFilePermissions(b.rootfs(), PosixFilePermissions.fromString("rwx------"));
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(b.dir())));
    assertTrue(
        e.getMessage().contains("EACCES")
            && e.getMessage().contains("root is host uid " + HOST)
            && e.getMessage().contains("what the rootfs holds"),
        e.getMessage());
    assertNothingLeft();
  }

  @Test
  void aBindSourceUnderADirectoryTheMappedRootCannotReachIsMounted() throws Exception {
    // As under runc, which opens bind sources before entering the user namespace: the runtime
    // reaches the path, the
    // container's root needs only the mounted directory itself (here its own).
    Path hidden = Files.createDirectories(tmp.resolve("private/data"));
    Files.writeString(hidden.resolve("file"), "from-the-host\n");
    chown(HOST, hidden);
    Files.setPosixFilePermissions(
        tmp.resolve("private"), PosixFilePermissions.fromString("rwx------"));
    bundle.bind(hidden, "/data");
    String probe = probe("cat /data/file; touch /data/new && echo written");
    assertEquals("from-the-host\nwritten\n", probe);
    assertTrue(Files.exists(hidden.resolve("new")));
  }

  @Test
  void mappingsTheKernelRefusesFailNamingTheField() throws Exception {
    // 341 extents: valid by the spec, over the kernel's limit of 340 lines.
    List<Object> many = new ArrayList<>();
    for (int i = 0; i < 341; i++)
      many.add(Bundle.map("containerID", i, "hostID", HOST + i, "size", 1));
    bundle.linux().put("uidMappings", many);
    bundle.sh("true").write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().startsWith("linux.uidMappings: write /proc/"), e.getMessage());
    assertTrue(e.getMessage().contains("EINVAL"), e.getMessage());
    assertNothingLeft();
  }

  @Test
  void overlappingOrMissingMappingsAreRefusedBeforeAnythingRuns() throws Exception {
    bundle
        .linux()
        .put(
            "uidMappings",
            Bundle.list(
                Bundle.map("containerID", 0, "hostID", HOST, "size", 10),
                Bundle.map("containerID", 5, "hostID", HOST + 100, "size", 10)));
    bundle.linux().remove("gidMappings");
    bundle.sh("true").write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("linux.uidMappings[1]: container ids"), e.getMessage());
    assertTrue(
        e.getMessage().contains("linux.gidMappings: required when a user namespace is created"),
        e.getMessage());
    assertNothingLeft();
  }

  private void assertNothingLeft() throws Exception {
    assertFalse(Files.exists(rt.root().resolve(id)), "state directory left behind");
    assertTrue(rt.list().isEmpty());
    // The cgroup directory is named after the id: none may remain in any hierarchy.
    try (var found =
        Files.find(
            Path.of("/sys/fs/cgroup"),
            3,
            (p, a) -> p.getFileName() != null && p.getFileName().toString().equals(id))) {
      assertEquals(List.of(), found.toList());
    }
  }
}
