package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.User;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.RequiresCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bundles written the way published runtime CVEs were (runc's, and moby's where the runtime decides
 * the outcome): each must be refused naming the field, leaving nothing behind, or run with the
 * outcome runc reaches since its fix. Escapes through images and exec requests are in {@link
 * HostileContainerTest}.
 */
@ContainerTest(id = "hb", searchableTmp = true, writableOut = true)
class HostileBundleTest {
  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  /** A host directory that only an escape could write into: it must stay empty. */
  Path host;

  @BeforeEach
  void setUp() throws Exception {
    host = Files.createDirectories(tmp.resolve("host"));
  }

  @AfterEach
  void tearDown() throws Exception {
    try (Stream<Path> s = Files.list(host)) {
      assertEquals(List.of(), s.toList(), "the runtime made files on the host");
    }
  }

  /** The create fails with an error holding {@code words}; nothing ran, no state is left. */
  private ContainerException refused(String... words) {
    bundle.sh("touch /out/ran").write();
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    for (String w : words) assertTrue(e.getMessage().contains(w), e.getMessage());
    assertFalse(Files.exists(out.resolve("ran")), "the process ran");
    assertFalse(Files.exists(rt.root().resolve(id)), "state left behind");
    return e;
  }

  private Map<String, Object> bind(Path source, String dest) {
    return Bundle.map(
        "destination",
        dest,
        "type",
        "bind",
        "source",
        source.toString(),
        "options",
        Bundle.list("rbind"));
  }

  /**
   * A directory made to pass for /proc: self/fd/N links to the container's /tmp, where mount(2)
   * would be sent by a runtime that reaches its own fds through /proc/self/fd/N.
   */
  private Path fakeProc(Path dir) throws Exception {
    Files.createDirectories(dir.resolve("self/fd"));
    for (int fd = 3; fd <= 40; fd++)
      Files.createSymbolicLink(dir.resolve("self/fd/" + fd), Path.of("/tmp"));
    return dir;
  }

  private void removeMount(String dest) {
    bundle.mounts().removeIf(m -> dest.equals(((Map<?, ?>) m).get("destination")));
  }

  @Test
  void cve201916884NothingButProcfsGoesOnOrIntoProc() throws Exception {
    // A volume over /proc (an image's VOLUME /proc, filled from the image) hid procfs and sent
    // the masks of /sys/firmware through its fake self/fd links: the firmware tables stayed open.
    Path fake = fakeProc(tmp.resolve("fake"));
    int at = bundle.mounts().size();
    Files.createSymbolicLink(bundle.rootfs().resolve("p"), Path.of("/proc"));
    String[][] cases = {
      {"/proc", "not of type proc"},
      {"/proc/1/fd", "inside /proc"},
      {"/proc/sys/kernel/core_pattern", "inside /proc"},
      // A link in the image to /proc is /proc.
      {"/p", "not of type proc (it leads to /proc)"},
      {"/p/self/fd", "inside /proc (it leads to /proc/self/fd)"},
    };
    for (String[] c : cases) {
      bundle.mounts().add(bind(fake, c[0]));
      refused("mounts[" + at + "]: " + c[0] + " cannot be mounted because it is " + c[1]);
      bundle.mounts().remove(at);
    }
    // As runc: a bind of a procfs source may stand for /proc, and lxcfs's files may be mounted.
    Path meminfo = Files.writeString(tmp.resolve("meminfo"), "MemTotal: 1 kB\n");
    bundle.mounts().add(bind(Path.of("/proc"), "/proc"));
    bundle.mounts().add(bind(meminfo, "/proc/meminfo"));
    bundle.sh("head -1 /proc/meminfo > /out/meminfo").write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    assertEquals("MemTotal: 1 kB\n", Files.readString(out.resolve("meminfo")));
  }

  @Test
  void cve201919921MasksLandOnlyOnTheContainersProcfs() throws Exception {
    // What the bundle checks cannot see, berth-init refuses: after pivot_root every mask and
    // read-only remount reaches its target through /proc/self/fd/N, so /proc must then be procfs,
    // reached without a link, with nothing mounted on the way.
    // 1. No proc mount, and the image's /proc a fake one.
    removeMount("/proc");
    fakeProc(bundle.rootfs().resolve("proc"));
    refused("/proc in the container is not procfs");

    // 2. CVE-2019-19921's layout: proc mounted inside a volume another container writes, and the
    // image's /proc a link to it (the other container swaps the link's path to miss the mount).
    Path volume = Files.createDirectories(tmp.resolve("volume/level1/level2"));
    Files.walk(bundle.rootfs().resolve("proc"))
        .sorted(java.util.Comparator.reverseOrder())
        .forEach(p -> p.toFile().delete());
    Files.createSymbolicLink(bundle.rootfs().resolve("proc"), Path.of("/evil/level1/level2"));
    bundle.mounts().add(0, bind(volume.getParent().getParent(), "/evil"));
    bundle
        .mounts()
        .add(1, Bundle.map("destination", "/evil/level1/level2", "type", "proc", "source", "proc"));
    refused("/proc in the container", "is a symlink");
  }

  @Test
  void cve202445310MountTargetsMadeWhileAVolumeIsSwappedStayInTheRoot() throws Exception {
    // A running container swaps a directory of a shared volume with a link to a host path while
    // another container is created with a mount under it: the directories and the file made for
    // the mounts must land inside the new container's root, wherever the race leaves the link.
    Path shared = Files.createDirectories(tmp.resolve("shared"));
    Files.createDirectories(shared.resolve("a"));
    Files.createDirectories(shared.resolve("real"));
    Files.createSymbolicLink(shared.resolve("link"), host);
    Path file = Files.writeString(tmp.resolve("file"), "x");
    bundle.mounts().add(bind(shared, "/vol"));
    bundle
        .mounts()
        .add(Bundle.map("destination", "/vol/a/b/mnt", "type", "tmpfs", "source", "tmpfs"));
    bundle.mounts().add(bind(file, "/vol/a/c/file"));
    bundle.args("true").write();
    AtomicBoolean stop = new AtomicBoolean();
    Thread racer =
        new Thread(
            () -> {
              String a = shared.resolve("a").toString();
              String real = shared.resolve("real").toString();
              String link = shared.resolve("link").toString();
              while (!stop.get()) {
                try {
                  Linux.rename(a, link, LinuxConstants.RENAME_EXCHANGE);
                  Linux.rename(a, real, LinuxConstants.RENAME_EXCHANGE);
                } catch (Exception e) {
                  // a swap the runtime's mkdir raced: try again
                }
              }
            });
    racer.start();
    int ran = 0;
    try {
      // Twelve creates at least, and more until one wins the race (a loaded machine lost all twelve
      // once): the test is of the creates that get through.
      for (int i = 0; i < 12 || (ran == 0 && i < 200); i++) {
        try {
          ran += rt.run(id, CreateOptions.of(bundle.dir()), false, false, null) == 0 ? 1 : 0;
        } catch (ContainerException e) {
          // The race may make the create fail (a component replaced under it): never escape.
        }
        rt.delete(id, true);
      }
    } finally {
      stop.set(true);
      racer.join();
    }
    // tearDown: nothing was made in the host directory the link names.
    assertTrue(ran > 0, "no create won the race");
  }

  @Test
  @RequiresCommand("setcap")
  void cve202229162NoInheritableCapabilitiesSoAFileCapabilityBinaryGainsNone() throws Exception {
    // moby's CVE-2022-24769 and runc's CVE-2022-29162: with a non-empty inheritable set, a binary
    // with inheritable file capabilities ran with them in its permitted set. A process whose spec
    // has no inheritable set runs with empty inheritable and ambient sets, and so does an exec.
    // busybox picks its applet by name: the capability-marked copy is a grep.
    Path capbox = Files.createDirectories(bundle.rootfs().resolve("capbin")).resolve("grep");
    Files.copy(bundle.rootfs().resolve("bin/busybox"), capbox);
    assertEquals(
        0,
        new ProcessBuilder(
                "setcap", "cap_net_raw,cap_sys_admin,cap_dac_override+ei", capbox.toString())
            .inheritIO()
            .start()
            .waitFor());
    bundle.process().put("user", Bundle.map("uid", 1000, "gid", 1000));
    String caps = "grep -E '^Cap(Inh|Prm|Eff|Amb)' /proc/self/status";
    bundle
        .sh(caps + " > /out/sh; /capbin/" + caps + " > /out/c; mv /out/c /out/capbox; sleep 60")
        .write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    String none =
        "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
            + "CapEff:\t0000000000000000\nCapAmb:\t0000000000000000\n";
    waitFor(out.resolve("capbox"));
    assertEquals(none, Files.readString(out.resolve("sh")));
    assertEquals(none, Files.readString(out.resolve("capbox")));
    Process base = rt.configuredProcess(id);
    Process p =
        new Process(
            false,
            null,
            new User(1000, 1000, null, List.of(), ""),
            List.of("sh", "-c", "/capbin/" + caps + " > /out/exec"),
            "",
            base.env(),
            "/",
            base.capabilities(),
            base.rlimits(),
            false,
            "",
            null,
            "");
    assertEquals(0, rt.exec(id, new ExecOptions(p, null, null, 0, false, false), null));
    assertEquals(none, Files.readString(out.resolve("exec")));
  }

  private static void waitFor(Path file) throws InterruptedException {
    for (int i = 0; i < 500 && !Files.exists(file); i++) Thread.sleep(10);
  }

  @Test
  void cve201603697IdsBeyond31BitsAreRefusedNeverRootByOverflow() throws Exception {
    // uid_t is 32 bits and the kernel reads 4294967295 as -1, "unchanged": the process would stay
    // root. runc refuses every id above 2^31-1 ("uids and gids must be in range 0-2147483647").
    String range = " is out of range: uids and gids must be in range 0-2147483647";
    bundle.process().put("user", Bundle.map("uid", 4294967295L, "gid", 0));
    refused("process.user.uid: 4294967295" + range);
    bundle.process().put("user", Bundle.map("uid", 2147483648L, "gid", 0));
    refused("process.user.uid: 2147483648" + range);
    bundle.process().put("user", Bundle.map("uid", 1000, "gid", 4294967295L));
    refused("process.user.gid: 4294967295" + range);
    bundle
        .process()
        .put(
            "user",
            Bundle.map("uid", 1000, "gid", 1000, "additionalGids", Bundle.list(5, 4294967295L)));
    refused("process.user.additionalGids[1]: 4294967295" + range);
    // The largest id runc takes runs as that id.
    bundle.process().put("user", Bundle.map("uid", 2147483647L, "gid", 2147483647L));
    bundle.sh("id -u > /out/id; id -g >> /out/id").write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    assertEquals("2147483647\n2147483647\n", Files.readString(out.resolve("id")));
    rt.delete(id, true);

    // exec too.
    bundle.process().put("user", Bundle.map("uid", 0, "gid", 0));
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    Process base = rt.configuredProcess(id);
    Process p =
        new Process(
            false,
            null,
            new User(-1, 0, null, List.of(), ""),
            List.of("sh", "-c", "touch /out/exec"),
            "",
            base.env(),
            "/",
            base.capabilities(),
            base.rlimits(),
            false,
            "",
            null,
            "");
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () -> rt.exec(id, new ExecOptions(p, null, null, 0, false, false), null));
    assertTrue(e.getMessage().contains("process.user.uid: 4294967295" + range), e.getMessage());
    assertFalse(Files.exists(out.resolve("exec")));
  }

  @Test
  void cve202325809NoHostMountUnderSysInAUserNamespace() throws Exception {
    // Without a network namespace of its own, sysfs cannot be mounted in a user namespace and the
    // host's is used: never with the host's /sys/fs/cgroup hierarchies writable under it (a
    // container root can unmount the spec's cgroup mount that covers them).
    UserNamespaceTest.chown(200000, bundle.rootfs(), out);
    bundle.namespace("user", null);
    bundle.withoutNamespace("network");
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
    removeMount("/sys/fs/cgroup");
    bundle.sh("cut -d' ' -f5,6 /proc/self/mountinfo | grep '^/sys' > /out/sys").write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    List<String> sys = Files.readAllLines(out.resolve("sys"));
    assertTrue(sys.get(0).startsWith("/sys ro,"), sys.toString());
    for (String line : sys.subList(1, sys.size()))
      assertTrue(
          line.startsWith("/sys/firmware ") || line.startsWith("/sys/devices/virtual/powercap "),
          "a host mount under /sys: " + sys);
  }

  @Test
  void hostileFieldsAreRefusedNamingTheField() throws Exception {
    // A rootfs that is a link (to "/", say): refused as runc refuses it.
    Files.createSymbolicLink(bundle.dir().resolve("rootlink"), bundle.rootfs());
    bundle.config().put("root", Bundle.map("path", "rootlink"));
    refused("root.path: invalid rootfs ", "rootlink: not an absolute path, or a symlink");
    bundle.config().put("root", Bundle.map("path", "rootfs"));

    bundle.hook("prestart", "touch", List.of("touch", host + "/hook"), List.of(), null);
    refused("hooks.prestart[0].path: must be an absolute path");
    bundle.config().remove("hooks");

    bundle
        .process()
        .put("rlimits", Bundle.list(Bundle.map("type", "RLIMIT_BOGUS", "hard", 1L, "soft", 1L)));
    refused("process.rlimits[0].type: unknown rlimit \"RLIMIT_BOGUS\"");
    bundle.process().remove("rlimits");

    List<Object> env = new ArrayList<>();
    for (int i = 0; i < 70000; i++) env.add("V" + i + "=x");
    Object before = bundle.process().put("env", env);
    refused("process.env: 70001 entries, more than the 65535 supported");
    bundle.process().put("env", before);

    // A console socket that is not a socket.
    Path notASocket = Files.writeString(tmp.resolve("console"), "");
    bundle.process().put("terminal", true);
    bundle.args("true").write();
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () ->
                rt.create(id, new CreateOptions(bundle.dir(), null, notASocket, false, false, 0)));
    assertTrue(e.getMessage().contains(notASocket.toString()), e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)));
    bundle.process().put("terminal", false);

    // Devices and mount targets climbing with "..": made inside the root, as runc makes them.
    String up = "/../../../../../../../.." + host;
    bundle
        .linux()
        .put(
            "devices",
            Bundle.list(
                Bundle.map("path", "/dev/" + up + "/node", "type", "c", "major", 1, "minor", 3)));
    bundle.mounts().add(Bundle.map("destination", up + "/mnt", "type", "tmpfs", "source", "tmpfs"));
    bundle.sh("ls -d " + host + "/node > /out/made; ls -d " + host + "/mnt >> /out/made").write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    assertEquals(host + "/node\n" + host + "/mnt\n", Files.readString(out.resolve("made")));
  }

  @Test
  void runtimeHooksSeeOnlyTheirStdio() throws Exception {
    // Hooks the runtime runs on the host (createRuntime, poststart, poststop) get stdio and the
    // state on stdin, no fd of the runtime's.
    for (String kind : List.of("createRuntime", "poststart", "poststop")) {
      bundle.hook(
          kind,
          "/bin/sh",
          List.of("sh", "-c", "ls /proc/self/fd > " + out + "/" + kind),
          List.of(),
          null);
    }
    bundle.args("true").write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    rt.delete(id, true);
    for (String kind : List.of("createRuntime", "poststart", "poststop"))
      assertEquals("0\n1\n2\n3\n", Files.readString(out.resolve(kind)), kind);
  }
}
