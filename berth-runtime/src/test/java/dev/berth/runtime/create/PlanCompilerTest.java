package dev.berth.runtime.create;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.plan.PlanText;
import dev.berth.spec.runtime.DefaultSpecs;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plan compiler on spec fixtures, without root: golden plans and the errors of specs it cannot
 * honour.
 */
class PlanCompilerTest {
  @TempDir Path tmp;

  static final PlanCompiler.HostFacts HOST =
      new PlanCompiler.HostFacts(
          40,
          false,
          List.of("/", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"));
  static final Map<String, String> CGROUPS =
      Map.of(
          "cpu",
          "/sys/fs/cgroup/cpu/c1",
          "memory",
          "/sys/fs/cgroup/memory/nested/c1",
          "pids",
          "/sys/fs/cgroup/pids/c1",
          "",
          "/sys/fs/cgroup/unified/c1");

  /** What every plan with {@link #CGROUPS} starts with. */
  static final String CGROUP_OPS =
      "0 join-cgroup /sys/fs/cgroup/cpu/c1/tasks\n"
          + "1 join-cgroup /sys/fs/cgroup/memory/nested/c1/tasks\n2 join-cgroup /sys/fs/cgroup/pids/c1/tasks\n"
          + "3 into-cgroup /sys/fs/cgroup/unified/c1\n";

  private PlanCompiler.Context ctx(Path bundle) {
    return new PlanCompiler.Context(
        "c1",
        bundle,
        bundle.resolve("rootfs"),
        Path.of("/run/berth-runc/c1/exec.fifo"),
        false,
        false,
        0,
        CGROUPS,
        HOST);
  }

  private static String golden(String name) throws IOException {
    try (InputStream in = PlanCompilerTest.class.getResourceAsStream("/plans/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static Spec spec(String json) throws Exception {
    return SpecReader.parse(json.getBytes(StandardCharsets.UTF_8), "config.json");
  }

  @Test
  void runcDefaultSpecCompilesToTheGoldenPlan() throws Exception {
    Path bundle = Path.of("/b");
    Plan plan = PlanCompiler.compile(DefaultSpecs.runc(), ctx(bundle));
    String text = PlanText.render(plan);
    if (Boolean.getBoolean("update.golden")) {
      Files.writeString(Path.of("src/test/resources/plans/runc-default.plan"), text);
    }
    assertEquals(golden("runc-default.plan"), text);
  }

  @Test
  void runcRootlessSpecCompilesToTheGoldenPlan() throws Exception {
    // A new user namespace: the rootfs is entered and the fifo opened as the host's root, then the
    // child becomes root of its namespace.
    Plan plan = PlanCompiler.compile(DefaultSpecs.rootless(), ctx(Path.of("/b")));
    String text = PlanText.render(plan);
    if (Boolean.getBoolean("update.golden")) {
      Files.writeString(Path.of("src/test/resources/plans/runc-rootless.plan"), text);
    }
    assertEquals(golden("runc-rootless.plan"), text);
    assertTrue(
        text.contains(
            " wait-go\n7 sched-affinity all\n8 mount source=\"\" target=/ fstype=\"\" flags=MS_REC|MS_SLAVE"
                + " data=\"\"\n9 mount source=/b/rootfs target=/b/rootfs fstype=\"\" flags=MS_BIND|MS_REC"
                + " data=\"\"\n10 set-root /b/rootfs\n11 open-fifo /run/berth-runc/c1/exec.fifo\n"
                + "12 setresgid 0\n13 setresuid 0\n14 mkdirs /proc "),
        text);
  }

  @Test
  void aTimeNamespaceIsUnsharedAndItsOffsetsWrittenBeforeTheClone() throws Exception {
    Plan plan =
        PlanCompiler.compile(
            spec(
                """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
         "linux": {"namespaces": [{"type": "mount"}, {"type": "time"}],
                   "timeOffsets": {"monotonic": {"secs": 5, "nanosecs": 7}, "boottime": {"secs": -3}}}}"""),
            ctx(tmp));
    String text = PlanText.render(plan);
    assertTrue(
        text.startsWith(
            CGROUP_OPS
                + "4 unshare flags=CLONE_NEWTIME\n"
                + "5 write-file /proc/self/timens_offsets content=\"boottime -3 0\\nmonotonic 5 7\\n\"\n"
                + "6 clone flags=CLONE_NEWNS\n"),
        text);
  }

  @Test
  void theContainerProcessIsBornInItsCgroups() throws Exception {
    // v1 hierarchies joined by berth-init itself (co-mounted controllers share a directory: joined
    // once), the
    // cgroup2 directory by cloning into it; all before anything leaves the host's namespaces.
    Map<String, String> cgroups = new java.util.LinkedHashMap<>();
    cgroups.put("cpu", "/sys/fs/cgroup/cpu,cpuacct/c1");
    cgroups.put("cpuacct", "/sys/fs/cgroup/cpu,cpuacct/c1");
    cgroups.put("devices", "/sys/fs/cgroup/devices/c1");
    cgroups.put("", "/sys/fs/cgroup/unified/c1");
    Path netns = Files.writeString(tmp.resolve("netns"), "");
    String json =
        """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
         "linux": {"namespaces": [{"type": "mount"}, {"type": "network", "path": "%s"}]}}"""
            .formatted(netns);
    String text =
        PlanText.render(
            PlanCompiler.compile(
                spec(json),
                new PlanCompiler.Context(
                    "c1",
                    tmp,
                    tmp.resolve("rootfs"),
                    Path.of("/f"),
                    false,
                    false,
                    0,
                    cgroups,
                    HOST)));
    assertTrue(
        text.startsWith(
            "0 join-cgroup /sys/fs/cgroup/cpu,cpuacct/c1/tasks\n"
                + "1 join-cgroup /sys/fs/cgroup/devices/c1/tasks\n2 into-cgroup /sys/fs/cgroup/unified/c1\n"
                + "3 setns type=network path="
                + netns
                + "\n"),
        text);
    // Without cgroups of its own (rootless), nothing to join.
    text =
        PlanText.render(
            PlanCompiler.compile(
                spec(json),
                new PlanCompiler.Context(
                    "c1",
                    tmp,
                    tmp.resolve("rootfs"),
                    Path.of("/f"),
                    false,
                    false,
                    0,
                    Map.of(),
                    HOST)));
    assertTrue(!text.contains("cgroup "), text);
  }

  @Test
  void aRootlessPlanStaysDumpableForExecAndReopensTheFifoThroughTheContainersProc()
      throws Exception {
    PlanCompiler.HostFacts rootless =
        new PlanCompiler.HostFacts(40, false, List.of("/"), 1000, 1000);
    Plan plan =
        PlanCompiler.compile(
            DefaultSpecs.rootless(1000, 1000),
            new PlanCompiler.Context(
                "c1",
                tmp,
                tmp.resolve("rootfs"),
                Path.of("/f"),
                false,
                false,
                0,
                Map.of(),
                rootless));
    String text = PlanText.render(plan);
    // Born dumpable (set before the clone), so the maps can be written as soon as the runtime has
    // the pid; left so, as runc leaves its init when it joins no namespace, so that the caller can
    // open a created container's /proc/PID/ns files to exec into it. The host's /proc/self/fd the
    // fifo was to be reopened through is swapped for the container's right after pivot_root.
    assertTrue(text.startsWith("0 set-dumpable on\n1 clone flags="), text);
    assertTrue(
        text.contains("CLONE_NEWUSER|CLONE_NEWPID\n2 wait-go\n3 sched-affinity all\n4 mount "),
        text);
    assertTrue(
        text.contains(
            "\n6 set-root "
                + tmp.resolve("rootfs")
                + "\n7 open-fifo /f\n8 setresgid 0\n9 setresuid 0\n"),
        text);
    assertFalse(text.contains("set-dumpable off"), text);
    assertTrue(text.matches("(?s).*\\d+ pivot-root pivot\n\\d+ fifo-dir\n.*"), text);
    assertTrue(!text.contains("setgroups"), text);
    // Without cgroups of its own, /sys/fs/cgroup is the host's, read-only.
    assertTrue(
        text.contains(
            "mount source=/sys/fs/cgroup target-in-root=/sys/fs/cgroup fstype=\"\" flags=MS_BIND|MS_REC"),
        text);
  }

  @Test
  void aRootlessPlanJoiningANamespaceOrWithoutProcIsNotDumpableAfterItsMaps() throws Exception {
    PlanCompiler.HostFacts rootless =
        new PlanCompiler.HostFacts(40, false, List.of("/"), 1000, 1000);
    String base =
        """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
         "mounts": [%s],
         "linux": {"namespaces": [{"type": "mount"}, {"type": "user"}, {"type": "pid"}%s],
                   "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                   "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}""";
    String proc = "{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"}";
    Spec withProc = spec(base.formatted(proc, ""));
    Spec joining =
        spec(base.formatted(proc, ", {\"type\": \"uts\", \"path\": \"/proc/self/ns/uts\"}"));
    Spec noProc = spec(base.formatted("", ""));
    String dumpable =
        PlanText.render(
            PlanCompiler.compile(
                withProc,
                new PlanCompiler.Context(
                    "c1",
                    tmp,
                    tmp.resolve("rootfs"),
                    Path.of("/f"),
                    false,
                    false,
                    0,
                    Map.of(),
                    rootless)));
    assertFalse(dumpable.contains("set-dumpable off"), dumpable);
    assertTrue(dumpable.contains("fifo-dir"), dumpable);
    for (Spec spec : List.of(joining, noProc)) {
      String text =
          PlanText.render(
              PlanCompiler.compile(
                  spec,
                  new PlanCompiler.Context(
                      "c1",
                      tmp,
                      tmp.resolve("rootfs"),
                      Path.of("/f"),
                      false,
                      false,
                      0,
                      Map.of(),
                      rootless)));
      assertTrue(text.matches("(?s).* sched-affinity all\n\\d+ set-dumpable off\n.*"), text);
      assertFalse(text.contains("fifo-dir"), text);
    }
  }

  @Test
  void hostnameNeedsAUtsNamespace() {
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () ->
                PlanCompiler.compile(
                    spec(
                        """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "hostname": "h",
         "process": {"args": ["sh"], "cwd": "/"},
         "linux": {"namespaces": [{"type": "mount"}]}}"""),
                    ctx(tmp)));
    assertTrue(e.getMessage().startsWith("hostname:"), e.getMessage());
  }

  @Test
  void withoutAMountNamespaceTheProcessIsOnlyChrooted() throws Exception {
    // The mount namespace is the runtime's: no mount, no pivot; a chroot, and the cwd resolves
    // inside it.
    String text =
        PlanText.render(
            PlanCompiler.compile(
                spec(
                    """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/tmp"},
         "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
         "linux": {"namespaces": [{"type": "pid"}]}}"""),
                ctx(tmp)));
    assertTrue(text.contains("set-root " + tmp.resolve("rootfs") + "\n"), text);
    assertTrue(text.contains("pivot-root chroot\n"), text);
    assertTrue(text.contains("chdir /tmp try\n"), text);
    assertFalse(text.contains("mount "), text);
  }

  @Test
  void aMissingBindSourceIsNamed() {
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () ->
                PlanCompiler.compile(
                    spec(
                        """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
         "mounts": [{"destination": "/data", "type": "bind", "source": "/no/such/dir", "options": ["rbind"]}],
         "linux": {"namespaces": [{"type": "mount"}]}}"""),
                    ctx(tmp)));
    assertTrue(
        e.getMessage().contains("/no/such/dir") && e.getMessage().contains("/data"),
        e.getMessage());
  }

  @Test
  void inAUserNamespaceDevicesAreBoundNotMade() throws Exception {
    Plan plan =
        PlanCompiler.compile(
            spec(
                """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
         "linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                   "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                   "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}}"""),
            ctx(tmp));
    String text = PlanText.render(plan);
    assertTrue(text.contains("mount source=/dev/null target-in-root=/dev/null"), text);
    assertTrue(!text.contains("mknod"), text);
  }

  @Test
  void sysctlsAreWrittenBeforeProcSysTurnsReadOnly() throws Exception {
    Plan plan =
        PlanCompiler.compile(
            spec(
                """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
         "linux": {"namespaces": [{"type": "mount"}, {"type": "network"}], "sysctl": {"net.ipv4.ip_forward": "1"},
                   "readonlyPaths": ["/proc/sys"]}}"""),
            ctx(tmp));
    String text = PlanText.render(plan);
    assertTrue(
        text.indexOf("/proc/sys/net/ipv4/ip_forward") < text.indexOf("readonly /proc/sys"), text);
  }

  @Test
  void aJoinedUserNamespacesRootfsIsEnteredBeforeTheProcessBecomesItsRoot() throws Exception {
    // A pod's pinned user namespace: its root may not search the rootfs' 0700 parents, so the
    // rootfs is bound and opened first, and bind sources are taken before the clone.
    Path pin = Files.writeString(tmp.resolve("userns"), "");
    Files.createDirectories(tmp.resolve("pod"));
    Files.writeString(tmp.resolve("pod/hosts"), "");
    String rootfs = tmp.resolve("rootfs").toString();
    String text =
        PlanText.render(
            PlanCompiler.compile(
                spec(
                    """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
         "mounts": [{"destination": "/etc/hosts", "type": "bind", "source": "%s", "options": ["rbind", "ro"]}],
         "linux": {"namespaces": [{"type": "mount"}, {"type": "user", "path": "%s"}, {"type": "pid"}],
                   "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                   "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}}"""
                        .formatted(tmp.resolve("pod/hosts"), pin)),
                ctx(tmp)));
    assertTrue(
        text.startsWith(
            CGROUP_OPS
                + "4 idmap-tree source="
                + tmp.resolve("pod/hosts")
                + " tree uid-map=\"\" gid-map=\"\"\n5 setns type=user path="
                + pin
                + "\n6 clone flags=CLONE_NEWNS|CLONE_NEWPID\n7 wait-go\n8 sched-affinity all\n"
                + "9 mount source=\"\" target=/ fstype=\"\" flags=MS_REC|MS_SLAVE data=\"\"\n"
                + "10 mount source="
                + rootfs
                + " target="
                + rootfs
                + " fstype=\"\" flags=MS_BIND|MS_REC data=\"\"\n11 set-root "
                + rootfs
                + "\n12 open-fifo /run/berth-runc/c1/exec.fifo\n13 setresgid 0\n14 setresuid 0\n"
                + "15 mkfile /etc/hosts mode=0644\n16 move-mount 0 target-in-root=/etc/hosts\n"),
        text);
  }

  @Test
  void aPinnedUserNamespacesIdsAreTheSpecsMappings() throws Exception {
    // A bind-mounted namespace file has no map to read: the spec's mappings tell that 0 is not
    // mapped, and the process becomes the user that is.
    Path pin = Files.writeString(tmp.resolve("userns"), "");
    String json =
        """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
         "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 1000, "gid": 1000}},
         "linux": {"namespaces": [{"type": "mount"}, {"type": "user", "path": "%s"}]%s}}""";
    String mapped =
        PlanText.render(
            PlanCompiler.compile(
                spec(
                    json.formatted(
                        pin,
                        """
                        , "uidMappings": [{"containerID": 1000, "hostID": 101000, "size": 1}],
                          "gidMappings": [{"containerID": 1000, "hostID": 101000, "size": 1}]""")),
                ctx(tmp)));
    assertTrue(mapped.contains(" setresgid 1000\n13 setresuid 1000\n"), mapped);
    // Without them, root is taken as mapped.
    String unmapped =
        PlanText.render(PlanCompiler.compile(spec(json.formatted(pin, "")), ctx(tmp)));
    assertTrue(unmapped.contains(" setresgid 0\n13 setresuid 0\n"), unmapped);
  }

  @Test
  void execJoinsTheInitsNamespacesMountThenUserLast() throws Exception {
    Plan plan =
        PlanCompiler.compileExec(
            DefaultSpecs.runc(),
            ctx(Path.of("/b")),
            4242,
            List.of("pid", "network", "ipc", "uts", "mount", "user"));
    String text = PlanText.render(plan);
    assertTrue(
        text.startsWith(CGROUP_OPS), "born in the container's cgroups, as the init:\n" + text);
    List<String> lines = text.substring(CGROUP_OPS.length()).lines().toList();
    // Root joins the user namespace last: a namespace another user namespace owns stays in reach.
    assertTrue(lines.get(4).contains("/proc/4242/ns/mnt"), lines.get(4));
    assertTrue(lines.get(5).contains("/proc/4242/ns/user"), lines.get(5));
    assertTrue(lines.get(6).contains("clone"), lines.get(6));
    assertTrue(lines.getLast().contains("exec"), lines.getLast());
    // Into a paused container berth-init would freeze on joining: the runtime moves the process in
    // afterwards.
    String paused =
        PlanText.render(
            PlanCompiler.compileExec(
                DefaultSpecs.runc(),
                ctx(Path.of("/b")),
                4242,
                List.of("pid", "mount"),
                false,
                null));
    assertFalse(paused.contains("cgroup"), paused);
  }

  @Test
  void anExecWithAWaitFifoOpensItOnTheHostAndWaitsOnItJustBeforeItsExecve() throws Exception {
    List<String> lines =
        PlanText.render(
                PlanCompiler.compileExec(
                    DefaultSpecs.runc(),
                    ctx(Path.of("/b")),
                    4242,
                    List.of("pid", "mount"),
                    true,
                    "/run/w.fifo"))
            .lines()
            .toList();
    int open = indexOf(lines, " open-fifo /run/w.fifo");
    int mountNs = indexOf(lines, "/proc/4242/ns/mnt");
    int root = indexOf(lines, " set-root");
    int reopen = indexOf(lines, " fifo-dir");
    // Opened while the host's files are in reach; reopened through the process's own /proc.
    assertTrue(open >= 0 && open < mountNs, lines.toString());
    assertTrue(reopen > root, lines.toString());
    // Ready (exec returns), then the wait, then nothing but the execve.
    assertTrue(lines.get(lines.size() - 3).contains(" ready"), lines.toString());
    assertTrue(lines.get(lines.size() - 2).contains(" wait-fifo"), lines.toString());
    assertTrue(lines.getLast().contains(" exec "), lines.toString());
    // Without one, none of it.
    String plain =
        PlanText.render(
            PlanCompiler.compileExec(
                DefaultSpecs.runc(), ctx(Path.of("/b")), 4242, List.of("pid", "mount")));
    assertFalse(plain.contains("fifo") || plain.contains("ready"), plain);
  }

  private static int indexOf(List<String> lines, String part) {
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(part)) return i;
    return -1;
  }

  @Test
  void aRootlessExecJoinsTheUserNamespaceFirst() throws Exception {
    // Without root, only the user namespace gives the capabilities to join the others.
    PlanCompiler.HostFacts rootless =
        new PlanCompiler.HostFacts(40, false, List.of("/"), 1000, 1000);
    var ctx =
        new PlanCompiler.Context(
            "c1", tmp, tmp.resolve("rootfs"), Path.of("/f"), false, false, 0, Map.of(), rootless);
    List<String> setns =
        PlanText.render(
                PlanCompiler.compileExec(
                    DefaultSpecs.rootless(1000, 1000),
                    ctx,
                    4242,
                    List.of("mount", "user"),
                    false,
                    null))
            .lines()
            .filter(l -> l.contains("/proc/4242/ns/"))
            .toList();
    assertEquals(2, setns.size(), setns.toString());
    assertTrue(setns.get(0).contains("/proc/4242/ns/user"), setns.toString());
  }

  @Test
  void anIdmappedBindIsMadeBeforeTheCloneAndMovedInWhereTheBindWouldBe() throws Exception {
    Files.createDirectories(tmp.resolve("data"));
    Plan plan =
        PlanCompiler.compile(
            spec(
                """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
         "mounts": [{"destination": "/plain", "type": "bind", "source": "data", "options": ["rbind"]},
                    {"destination": "/data", "type": "bind", "source": "data", "options": ["bind", "ro"],
                     "uidMappings": [{"containerID": 1000, "hostID": 0, "size": 1}],
                     "gidMappings": [{"containerID": 1000, "hostID": 0, "size": 1},
                                     {"containerID": 0, "hostID": 1000, "size": 1}]}],
         "linux": {"namespaces": [{"type": "mount"}]}}"""),
            ctx(tmp));
    String text = PlanText.render(plan);
    String data = tmp.resolve("data").toString();
    assertTrue(
        text.startsWith(
            CGROUP_OPS
                + "4 idmap-tree source="
                + data
                + " uid-map=\"1000 0 1\\n\" gid-map=\"1000 0 1\\n0 1000 1\\n\"\n5 clone flags=CLONE_NEWNS\n"),
        text);
    assertTrue(
        text.contains(
            "mount source=" + data + " target-in-root=/plain fstype=\"\" flags=MS_BIND|MS_REC"),
        text);
    assertTrue(
        text.contains(
            "mkdirs /data mode=0755\n14 move-mount 0 target-in-root=/data\n"
                + "15 remount target-in-root=/data flags=MS_RDONLY|MS_REMOUNT|MS_BIND\n"),
        text);
    assertEquals(1, text.split("idmap-tree", -1).length - 1, text);
  }

  @Test
  void ridmapWithoutMappingsTakesTheContainersOwn() throws Exception {
    Files.createDirectories(tmp.resolve("data"));
    Plan plan =
        PlanCompiler.compile(
            spec(
                """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
         "mounts": [{"destination": "/data", "type": "bind", "source": "data", "options": ["rbind", "ridmap"]}],
         "linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                   "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                   "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}]}}"""),
            ctx(tmp));
    String text = PlanText.render(plan);
    assertTrue(
        text.startsWith(
            CGROUP_OPS
                + "4 idmap-tree source="
                + tmp.resolve("data")
                + " tree idmap-tree"
                + " uid-map=\"0 100000 65536\\n\" gid-map=\"0 200000 65536\\n\"\n5 clone "),
        text);
    assertTrue(text.contains(" move-mount 0 target-in-root=/data\n"), text);
  }

  @Test
  void tmpcopyupOpensTheDirectoryBeforeTheTmpfsCoversItAndCopiesAfter() throws Exception {
    Files.createDirectories(tmp.resolve("rootfs/etc"));
    Plan plan =
        PlanCompiler.compile(
            spec(
                """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
         "mounts": [{"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
                     "options": ["nosuid", "tmpcopyup", "mode=755"]},
                    {"destination": "/data", "type": "bind", "source": "rootfs",
                     "options": ["rbind", "tmpcopyup"]}],
         "linux": {"namespaces": [{"type": "mount"}]}}"""),
            ctx(tmp));
    String text = PlanText.render(plan).replaceAll("(?m)^\\d+ ", "");
    assertTrue(
        text.contains(
            "mkdirs /etc mode=0755\n"
                + "copy-source /etc\n"
                + "mount source=tmpfs target-in-root=/etc fstype=tmpfs flags=MS_NOSUID data=mode=755\n"
                + "copy-tree /etc\n"),
        text);
    // As under runc, the option means nothing to other filesystems.
    assertEquals(1, text.split("copy-tree", -1).length - 1, text);
  }

  @Test
  void idmappingsThatCannotBeHonouredNameTheMount() throws Exception {
    Files.createDirectories(tmp.resolve("data"));
    String map = "[{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]";
    Map<String, String> cases =
        Map.of(
            "{\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"uidMappings\": "
                + map
                + ", \"gidMappings\": "
                + map
                + "}",
            "mounts[0]: only bind mounts can be idmapped",
            "{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"data\", \"uidMappings\": "
                + map
                + "}",
            "mounts[0].gidMappings: required with mounts[0].uidMappings",
            "{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"data\", \"options\": [\"idmap\"]}",
            "mounts[0].uidMappings: required for idmap without linux.uidMappings");
    for (var c : cases.entrySet()) {
      ContainerException e =
          assertThrows(
              ContainerException.class,
              () ->
                  PlanCompiler.compile(
                      spec(
                          "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"},"
                              + " \"mounts\": ["
                              + c.getKey()
                              + "], \"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}}"),
                      ctx(tmp)));
      assertTrue(e.getMessage().startsWith(c.getValue()), e.getMessage());
    }
  }
}
