package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.state.Status;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecReader;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.CgroupTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The runtime library on real namespaces, mounts and cgroups: what a container sees, and what is
 * left behind.
 */
@ContainerTest(id = "t")
class ContainerRuntimeTest {
  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  private String runProbe(String script) throws Exception {
    bundle.sh("(" + script + ") >/out/probe 2>&1").write();
    int code = rt.run(id, CreateOptions.of(bundle.dir()), false, false, null);
    String probe = Files.readString(out.resolve("probe"));
    assertEquals(0, code, probe);
    return probe;
  }

  @Test
  void runsTheProcessInItsOwnNamespacesAndReturnsItsExitCode() throws Exception {
    bundle
        .sh("echo pid=$$; hostname; id; exit 7")
        .process()
        .put("args", List.of("sh", "-c", "(echo pid=$$; hostname; id) >/out/probe; exit 7"));
    bundle.write();
    assertEquals(7, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    String probe = Files.readString(out.resolve("probe"));
    assertTrue(probe.contains("pid=1\n"), probe);
    assertTrue(probe.contains("runc\n"), probe);
    assertTrue(probe.contains("uid=0(root) gid=0(root)"), probe);
    assertFalse(Files.exists(rt.root().resolve(id)), "state dir removed after a foreground run");
  }

  @Test
  void aConfigGivenByItsWriterIsRunValidatedAndKeptWithoutReadingTheFile() throws Exception {
    bundle.sh("echo given >/out/p && mv /out/p /out/probe").write();
    Path file = bundle.dir().resolve("config.json");
    byte[] given = Files.readAllBytes(file);
    Spec spec = SpecReader.parse(given, file.toString());
    bundle.sh("echo file >/out/p && mv /out/p /out/probe").write(); // what a reader gets
    rt.create(id, CreateOptions.of(bundle.dir()).withConfig(new BundleConfig(spec, given)));
    assertArrayEquals(
        given, Files.readAllBytes(rt.root().resolve(id).resolve("config.json")), "kept as given");
    rt.start(id);
    waitFor(out.resolve("probe"));
    assertEquals("given\n", Files.readString(out.resolve("probe")));
    rt.delete(id, true);

    // A given spec is checked as a read one is (the file is fine here); nothing is left of the
    // refused container.
    bundle.process().put("cwd", "rel");
    bundle.write();
    Spec relative = SpecReader.parse(Files.readAllBytes(file), file.toString());
    bundle.process().put("cwd", "/");
    bundle.write();
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () ->
                rt.create(
                    id,
                    CreateOptions.of(bundle.dir()).withConfig(new BundleConfig(relative, given))));
    assertTrue(e.getMessage().contains("process.cwd"), e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)));
  }

  @Test
  void lifecycleCreatedRunningStoppedDeleted() throws Exception {
    bundle.sh("echo started >/out/started; sleep 60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    ContainerState s = rt.state(id);
    assertEquals(Status.CREATED, s.status());
    assertTrue(s.pid() > 0);
    assertFalse(Files.exists(out.resolve("started")), "process must not run before start");
    Map<String, String> cgroups = rt.root().resolve(id).toFile().exists() ? cgroupDirs() : Map.of();
    rt.start(id);
    assertEquals(Status.RUNNING, rt.state(id).status());
    waitFor(out.resolve("started"));
    assertTrue(rt.pids(id).contains(s.pid()));
    rt.kill(id, 9, false);
    for (int i = 0; i < 200 && rt.state(id).status() != Status.STOPPED; i++) Thread.sleep(10);
    assertEquals(Status.STOPPED, rt.state(id).status());
    assertEquals(0, rt.state(id).pid());
    rt.delete(id, false);
    assertFalse(Files.exists(rt.root().resolve(id)));
    for (String dir : cgroups.values())
      assertFalse(Files.exists(Path.of(dir)), "cgroup left behind: " + dir);
    assertThrows(ContainerException.class, () -> rt.state(id));
  }

  private Map<String, String> cgroupDirs() throws IOException {
    return dev.berth.runtime.state.StateFile.read(rt.root().resolve(id).resolve("state.json"))
        .cgroupPaths();
  }

  @Test
  void capabilitiesAreTheConfiguredSets() throws Exception {
    String probe = runProbe("grep Cap /proc/self/status");
    // CAP_KILL(5), CAP_NET_BIND_SERVICE(10), CAP_AUDIT_WRITE(29): 0x20000420, as runc gives.
    assertTrue(probe.contains("CapEff:\t0000000020000420"), probe);
    assertTrue(probe.contains("CapBnd:\t0000000020000420"), probe);
    // The default spec's ambient set needs inheritable capabilities it does not give: none are
    // raised, as with runc.
    assertTrue(probe.contains("CapAmb:\t0000000000000000"), probe);
  }

  @Test
  void rootIsReadOnlyAndMaskedPathsAreHidden() throws Exception {
    String probe =
        runProbe(
            "touch /x && echo root-writable; cat /proc/kcore | wc -c; ls /proc/acpi | wc -l;"
                + " echo 1 > /proc/sys/kernel/domainname && echo sys-writable; grep -c ' /sys/fs/cgroup/' /proc/self/mountinfo");
    assertFalse(probe.contains("root-writable"), probe);
    assertFalse(probe.contains("sys-writable"), probe);
    assertTrue(probe.startsWith("touch: /x: Read-only file system"), probe);
  }

  @Test
  void devicesAndDevSymlinks() throws Exception {
    String probe = runProbe("ls -l /dev | sed 's/  */ /g'");
    for (String dev : new String[] {"null", "zero", "full", "tty", "random", "urandom"}) {
      assertTrue(
          probe.lines().anyMatch(l -> l.startsWith("crw-rw-rw-") && l.endsWith(" " + dev)),
          dev + ":\n" + probe);
    }
    assertTrue(probe.contains("ptmx -> pts/ptmx"), probe);
    assertTrue(probe.contains("fd -> /proc/self/fd"), probe);
  }

  @Test
  void noFileDescriptorOfTheRuntimeLeaksIn() throws Exception {
    String probe = runProbe("ls /proc/self/fd");
    // 0,1,2 and the fd ls itself opens to read the directory.
    assertEquals(List.of("0", "1", "2", "3"), probe.lines().toList(), probe);
  }

  @Test
  void userCwdEnvAndRlimits() throws Exception {
    bundle
        .process()
        .put(
            "user",
            Bundle.map("uid", 1000, "gid", 1001, "additionalGids", Bundle.list(1002, 1003)));
    bundle.process().put("cwd", "/tmp");
    bundle.process().put("env", Bundle.list("PATH=/bin", "FOO=bar baz"));
    bundle
        .process()
        .put("rlimits", Bundle.list(Bundle.map("type", "RLIMIT_NOFILE", "hard", 512, "soft", 256)));
    Files.setPosixFilePermissions(
        out, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    String probe = runProbe("id; pwd; echo FOO=$FOO; ulimit -n; ulimit -Hn");
    assertTrue(probe.contains("uid=1000 gid=1001 groups=1002,1003"), probe);
    assertTrue(probe.contains("/tmp\n"), probe);
    assertTrue(probe.contains("FOO=bar baz\n"), probe);
    assertTrue(probe.contains("256\n512\n"), probe);
  }

  @Test
  void hooksRunInOrderWithTheState() throws Exception {
    Path log = tmp.resolve("hooks.log");
    for (String kind : new String[] {"prestart", "createRuntime", "poststart", "poststop"}) {
      bundle.hook(
          kind, "/bin/sh", List.of("sh", "-c", "echo " + kind + " $(cat) >> " + log), List.of(), 5);
    }
    bundle.hook(
        "createContainer",
        "/bin/sh",
        List.of("sh", "-c", "echo createContainer >> " + log),
        List.of(),
        5);
    bundle.sh("true").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    for (int i = 0; i < 200 && rt.state(id).status() != Status.STOPPED; i++) Thread.sleep(10);
    rt.delete(id, false);
    List<String> lines = Files.readAllLines(log);
    assertEquals(
        List.of("prestart", "createRuntime", "createContainer", "poststart", "poststop"),
        lines.stream().map(l -> l.split(" ")[0]).toList(),
        String.join("\n", lines));
    assertTrue(lines.get(0).contains("\"status\":\"creating\""), lines.get(0));
    assertTrue(lines.get(0).contains("\"id\":\"" + id + "\""), lines.get(0));
    assertTrue(lines.get(3).contains("\"status\":\"running\""), lines.get(3));
  }

  @Test
  void aFailingPoststartOrPoststopHookIsOnlyWarnedAboutAndTheRestStillRun() throws Exception {
    Path log = tmp.resolve("hooks.log");
    for (String kind : new String[] {"poststart", "poststop"}) {
      bundle.hook(kind, "/bin/false", List.of("false"), List.of(), 5);
      bundle.hook(
          kind, "/bin/sh", List.of("sh", "-c", "echo " + kind + " >> " + log), List.of(), 5);
    }
    bundle.sh("echo ran >/out/probe").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    waitFor(out.resolve("probe"));
    for (int i = 0; i < 200 && rt.state(id).status() != Status.STOPPED; i++) Thread.sleep(10);
    assertEquals(List.of("poststart"), Files.readAllLines(log), "after start");
    rt.delete(id, false);
    assertEquals(List.of("poststart", "poststop"), Files.readAllLines(log), "after delete");
    assertFalse(Files.exists(rt.root().resolve(id)), "deleted despite the failed poststop hook");
  }

  @Test
  void badInputLeavesNothingBehind() throws Exception {
    Path root = rt.root();
    bundle.args("/bin/no-such-program").write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("no-such-program"), e.getMessage());
    assertNoLeftovers(root);

    bundle.args("true").namespace("network", "/proc/1/ns/nonexistent").write();
    e = assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("/proc/1/ns/nonexistent"), e.getMessage());
    assertNoLeftovers(root);

    Files.writeString(
        bundle.dir().resolve("config.json"),
        "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": 7}}");
    e = assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("process.args"), e.getMessage());
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    assertNoLeftovers(root);
  }

  @Test
  void duplicateIdIsRefused() throws Exception {
    bundle.sh("sleep 10").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertEquals(ErrorCategory.ALREADY_EXISTS, e.category());
    assertEquals(Status.CREATED, rt.state(id).status());
  }

  private void assertNoLeftovers(Path root) throws IOException {
    assertFalse(Files.exists(root.resolve(id)), "state dir left behind");
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
      assertTrue(lines.noneMatch(l -> l.contains(bundle.rootfs().toString())), "mount left behind");
    }
    assertTrue(
        CgroupTree.named(Path.of("/sys/fs/cgroup/pids"), 3, id::equals).isEmpty(),
        "cgroup left behind");
  }

  private static void waitFor(Path p) throws InterruptedException {
    for (int i = 0; i < 500 && !Files.exists(p); i++) Thread.sleep(10);
    assertTrue(Files.exists(p), p + " never appeared");
  }
}
