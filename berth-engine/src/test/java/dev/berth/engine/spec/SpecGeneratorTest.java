package dev.berth.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.ContainerOptions.MountOption.Type;
import dev.berth.engine.container.ContainerOptions.ResourceOptions;
import dev.berth.engine.container.ContainerOptions.UlimitOption;
import dev.berth.engine.container.DockerFlags;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.runtime.Device;
import dev.berth.spec.runtime.DeviceRule;
import dev.berth.spec.runtime.Mount;
import dev.berth.spec.runtime.Namespace;
import dev.berth.spec.runtime.Rlimit;
import dev.berth.spec.runtime.Seccomp;
import dev.berth.spec.runtime.SeccompArg;
import dev.berth.spec.runtime.SeccompSyscall;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecReader;
import dev.berth.spec.runtime.SpecValidator;
import dev.berth.spec.runtime.SpecWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecGeneratorTest {
  private static final String ID =
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  @TempDir Path tmp;
  private Path rootfs;
  private Path files;
  private HostFacts host;
  private SpecGenerator generator;

  @BeforeEach
  void setUp() throws Exception {
    rootfs = Files.createDirectories(tmp.resolve("rootfs/etc"));
    rootfs = tmp.resolve("rootfs");
    Files.writeString(
        rootfs.resolve("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
    files = tmp.resolve("files");
    Path resolv =
        Files.writeString(
            tmp.resolve("host-resolv.conf"),
            "# host\nnameserver 127.0.0.1\nnameserver 10.0.0.2\nnameserver ::1\nsearch example.org\n");
    Path hosts =
        Files.writeString(tmp.resolve("host-hosts"), "127.0.0.1 localhost\n10.0.0.9 thehost\n");
    host =
        new HostFacts(
            resolv,
            tmp.resolve("no-resolved"),
            hosts,
            "thehost",
            40,
            -1L,
            2,
            "6.1.0-18-amd64",
            "amd64",
            Files.createDirectories(tmp.resolve("dev")));
    generator = new SpecGenerator(host);
  }

  private GeneratedSpec generate(ImageConfig image, Opts o) throws BerthException {
    return generate(image, o, Map.of());
  }

  private GeneratedSpec generate(ImageConfig image, Opts o, Map<String, Path> volumes)
      throws BerthException {
    return generator.generate(new SpecRequest(image, o.build(), ID, rootfs, files, volumes));
  }

  private Spec spec(Opts o) throws BerthException {
    return generate(Opts.plain(), o).spec();
  }

  /** The request fails with {@code category}, and writes nothing. */
  private String refused(ErrorCategory category, ImageConfig image, Opts o) {
    Path fresh = tmp.resolve("refused-files");
    BerthException e =
        assertThrows(
            BerthException.class,
            () ->
                generator.generate(new SpecRequest(image, o.build(), ID, rootfs, fresh, Map.of())));
    assertEquals(category, e.category(), e.getMessage());
    assertFalse(Files.exists(fresh), "nothing written for a refused request: " + e.getMessage());
    return e.getMessage();
  }

  private String refused(Opts o) {
    return refused(ErrorCategory.INVALID_ARGUMENT, Opts.plain(), o);
  }

  // ---- the process ----

  @Test
  void argsFollowDockersEntrypointAndCmdRules() throws Exception {
    ImageConfig both = Opts.image(List.of("/entry", "-x"), List.of("default", "cmd"));
    assertEquals(
        List.of("/entry", "-x", "default", "cmd"),
        generate(both, Opts.of()).spec().process().args());
    // A command replaces Cmd only.
    assertEquals(
        List.of("/entry", "-x", "mine"), generate(both, Opts.of("mine")).spec().process().args());
    // An entrypoint replaces the image's and drops its Cmd...
    Opts ep = Opts.of();
    ep.entrypoint = List.of("/bin/other");
    assertEquals(List.of("/bin/other"), generate(both, ep).spec().process().args());
    // ...unless a command is given too.
    ep.command = List.of("arg");
    assertEquals(List.of("/bin/other", "arg"), generate(both, ep).spec().process().args());
    // --entrypoint "" clears it.
    Opts cleared = Opts.of("echo", "hi");
    cleared.entrypoint = List.of("");
    assertEquals(List.of("echo", "hi"), generate(both, cleared).spec().process().args());
    assertEquals(
        List.of("sh"),
        generate(Opts.image(null, List.of("sh")), Opts.of()).spec().process().args());

    assertEquals(
        "no command specified",
        refused(ErrorCategory.INVALID_ARGUMENT, Opts.image(null, null), Opts.of()));
    Opts empty = Opts.of();
    empty.entrypoint = List.of();
    assertEquals("no command specified", refused(ErrorCategory.INVALID_ARGUMENT, both, empty));
  }

  @Test
  void initRunsTheHostsStaticTiniBeforeTheCommand() throws Exception {
    Path tini = SpecGenerator.INIT_BINARIES.getFirst();
    assumeTrue(Files.isExecutable(tini), "tini not installed");
    Opts o = Opts.of("sleep", "1");
    o.init = true;
    Spec spec = spec(o);
    assertEquals(
        List.of("/sbin/docker-init", "--", "sleep", "1"), spec.process().args(), "tini, then ours");
    List<Mount> init =
        spec.mounts().stream().filter(m -> m.destination().equals("/sbin/docker-init")).toList();
    assertEquals(1, init.size(), spec.mounts().toString());
    assertEquals(tini.toRealPath().toString(), init.getFirst().source());
    assertTrue(init.getFirst().options().contains("ro"), init.toString());
    assertEquals(List.of("sleep", "1"), spec(Opts.of("sleep", "1")).process().args(), "no init");
  }

  @Test
  void envHasDockersDefaultsAndOrder() throws Exception {
    ImageConfig image =
        Opts.image(
            null, List.of("A=image", "B=image", "GONE=x"), null, List.of("sh"), null, null, null);
    Opts o = Opts.of();
    o.env = List.of("B=user", "C=user", "GONE", "C=later");
    assertEquals(
        List.of(
            "PATH=" + SpecGenerator.DEFAULT_PATH,
            "HOSTNAME=0123456789ab",
            "B=user",
            "C=later",
            "A=image",
            "HOME=/root"),
        generate(image, o).spec().process().env());

    // The image's PATH replaces the default in place; a tty adds TERM; a user's HOME wins.
    ImageConfig withPath =
        Opts.image(null, List.of("PATH=/opt/bin"), null, List.of("sh"), null, null, null);
    Opts tty = Opts.of();
    tty.tty = true;
    tty.env = List.of("HOME=/elsewhere");
    tty.hostname = "box";
    Spec s = generate(withPath, tty).spec();
    assertEquals(
        List.of("PATH=/opt/bin", "HOSTNAME=box", "TERM=xterm", "HOME=/elsewhere"),
        s.process().env());
    assertTrue(s.process().terminal());
    assertFalse(spec(Opts.of()).process().terminal());
  }

  @Test
  void workingDirIsOptionsThenImageThenRoot() throws Exception {
    ImageConfig image = Opts.image(null, null, null, List.of("sh"), null, "/srv/app", null);
    assertEquals("/srv/app", generate(image, Opts.of()).spec().process().cwd());
    Opts o = Opts.of();
    o.workingDir = "/data//sub/";
    assertEquals("/data/sub", generate(image, o).spec().process().cwd());
    assertEquals("/", spec(Opts.of()).process().cwd());
    o.workingDir = "rel/dir";
    assertEquals(
        "the working directory 'rel/dir' is invalid, it needs to be an absolute path", refused(o));
  }

  @Test
  void userIsResolvedInTheImage() throws Exception {
    Opts o = Opts.of();
    o.user = "app";
    Spec s = spec(o);
    assertEquals(1000, s.process().user().uid());
    assertEquals(1000, s.process().user().gid());
    assertEquals(List.of(1000, 2000), s.process().user().additionalGids());
    assertTrue(s.process().env().contains("HOME=/home/app"));
    // The image's User applies when the options name none.
    ImageConfig image = Opts.image("app:extra", null, null, List.of("sh"), null, null, null);
    s = generate(image, Opts.of()).spec();
    assertEquals(2000, s.process().user().gid());
    assertEquals(List.of(2000), s.process().user().additionalGids());
    // A number without an entry: gid 0, HOME /.
    o.user = "4321";
    s = spec(o);
    assertEquals(4321, s.process().user().uid());
    assertEquals(0, s.process().user().gid());
    assertTrue(s.process().env().contains("HOME=/"));
    o.user = "ghost";
    assertEquals("unable to find user ghost: no matching entries in passwd file", refused(o));
  }

  @Test
  void hostnameDefaultsToTheIdPrefixOrTheHostsWithHostNetwork() throws Exception {
    GeneratedSpec g = generate(Opts.plain(), Opts.of());
    assertEquals("0123456789ab", g.hostname());
    assertEquals("0123456789ab", g.spec().hostname());
    Opts h = Opts.of();
    h.network = "host";
    g = generate(Opts.plain(), h);
    assertEquals("thehost", g.spec().hostname());
    assertEquals(
        List.of("pid", "ipc", "uts", "mount", "cgroup"), types(g.spec().linux().namespaces()));
    assertEquals(
        List.of("pid", "ipc", "uts", "mount", "cgroup", "network"),
        types(spec(Opts.of()).linux().namespaces()));
    Opts bad = Opts.of();
    bad.hostname = "no/slashes";
    assertTrue(refused(bad).startsWith("invalid hostname format: no/slashes"));
    // A bridge network's container has a namespace of its own (the engine's pin when it passes
    // one).
    Opts net = Opts.of();
    net.network = "bridge";
    assertEquals(
        List.of("pid", "ipc", "uts", "mount", "cgroup", "network"),
        types(spec(net).linux().namespaces()));
  }

  private static List<String> types(List<Namespace> ns) {
    return ns.stream().map(Namespace::type).toList();
  }

  // ---- capabilities and seccomp ----

  @Test
  void capabilitiesAreDockersDefaultSet() throws Exception {
    Spec s = spec(Opts.of());
    assertEquals(CapabilitySet.DEFAULT, s.process().capabilities().bounding());
    assertEquals(CapabilitySet.DEFAULT, s.process().capabilities().effective());
    assertEquals(CapabilitySet.DEFAULT, s.process().capabilities().permitted());
    assertEquals(List.of(), s.process().capabilities().inheritable());
    assertEquals(List.of(), s.process().capabilities().ambient());
    // A non-root user keeps only the bounding set (docker 20.10.14+).
    Opts user = Opts.of();
    user.user = "app";
    s = spec(user);
    assertEquals(CapabilitySet.DEFAULT, s.process().capabilities().bounding());
    assertEquals(List.of(), s.process().capabilities().effective());
    assertEquals(List.of(), s.process().capabilities().permitted());
  }

  @Test
  void capAddAndDropAsDocker() throws Exception {
    Opts o = Opts.of();
    o.capAdd = List.of("net_admin", "CAP_SYS_PTRACE", "sys_admin");
    o.capDrop = List.of("Chown", "CAP_KILL");
    List<String> caps = spec(o).process().capabilities().bounding();
    assertTrue(
        caps.containsAll(List.of("CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_ADMIN")),
        caps.toString());
    assertFalse(caps.contains("CAP_CHOWN") || caps.contains("CAP_KILL"), caps.toString());
    assertEquals(CapabilitySet.DEFAULT.size() - 2 + 3, caps.size());

    o.capAdd = List.of("chown");
    o.capDrop = List.of("all");
    assertEquals(List.of("CAP_CHOWN"), spec(o).process().capabilities().bounding());
    o.capAdd = List.of("ALL");
    o.capDrop = List.of("NET_RAW");
    caps = spec(o).process().capabilities().bounding();
    // every capability this process may hand on (its bounding set) but the dropped one
    assertEquals(
        CapabilitySet.grantable(CapabilitySet.known(host.capLastCap()), host.capBounding()).size()
            - 1,
        caps.size());
    assertFalse(caps.contains("CAP_NET_RAW"));

    o.capAdd = List.of("FLY");
    o.capDrop = List.of();
    assertEquals("unknown capability: \"CAP_FLY\"", refused(o));
    o.capAdd = List.of();
    o.capDrop = List.of("cap_nope");
    assertEquals("unknown capability: \"CAP_NOPE\"", refused(o));
  }

  @Test
  void privilegedGetsEverythingAndNoConfinement(@TempDir Path devDir) throws Exception {
    Opts o = Opts.of();
    o.privileged = true;
    GeneratedSpec g =
        new SpecGenerator(
                new HostFacts(
                    host.resolvConf(),
                    host.resolvedResolvConf(),
                    host.hosts(),
                    "thehost",
                    38,
                    -1L,
                    2,
                    "6.1.0",
                    "amd64",
                    Path.of("/dev")))
            .generate(new SpecRequest(Opts.plain(), o.build(), ID, rootfs, files, Map.of()));
    Spec s = g.spec();
    // those of the kernel's this process may hand on, as containerd's privileged
    assertEquals(
        CapabilitySet.grantable(CapabilitySet.known(38), -1L),
        s.process().capabilities().bounding());
    assertTrue(s.process().capabilities().bounding().contains("CAP_SYS_ADMIN"));
    assertNull(s.linux().seccomp());
    assertEquals(List.of(), s.linux().maskedPaths());
    assertEquals(List.of(), s.linux().readonlyPaths());
    assertTrue(mount(s, "/sys").options().contains("rw"));
    assertTrue(mount(s, "/sys/fs/cgroup").options().contains("rw"));
    assertEquals(
        List.of(new DeviceRule(true, "", null, null, "rwm")), s.linux().resources().devices());
    // The host's devices, /dev/null among them.
    Device nul =
        s.linux().devices().stream()
            .filter(d -> d.path().equals("/dev/null"))
            .findFirst()
            .orElseThrow();
    assertEquals("c", nul.type());
    assertEquals(1, nul.major());
    assertEquals(3, nul.minor());
    assertTrue(s.linux().devices().stream().noneMatch(d -> d.path().startsWith("/dev/pts/")));
  }

  @Test
  void privilegedAndAllGetOnlyTheCapabilitiesTheDaemonHas() throws Exception {
    // A daemon without CAP_SYS_RESOURCE (24), as in a sandbox: asking it would fail capset.
    long bounding = ((1L << 41) - 1) & ~(1L << 24);
    SpecGenerator g =
        new SpecGenerator(
            new HostFacts(
                host.resolvConf(),
                host.resolvedResolvConf(),
                host.hosts(),
                "thehost",
                40,
                bounding,
                2,
                "6.1.0",
                "amd64",
                Path.of("/dev")));
    Opts o = Opts.of();
    o.privileged = true;
    List<String> privileged =
        g.generate(new SpecRequest(Opts.plain(), o.build(), ID, rootfs, files, Map.of()))
            .spec()
            .process()
            .capabilities()
            .bounding();
    assertEquals(40, privileged.size());
    assertFalse(privileged.contains("CAP_SYS_RESOURCE"));
    Opts all = Opts.of();
    all.capAdd = List.of("ALL");
    all.capDrop = List.of("NET_RAW");
    List<String> added =
        g.generate(new SpecRequest(Opts.plain(), all.build(), ID, rootfs, files, Map.of()))
            .spec()
            .process()
            .capabilities()
            .bounding();
    assertEquals(39, added.size());
    assertFalse(added.contains("CAP_SYS_RESOURCE") || added.contains("CAP_NET_RAW"));
  }

  @Test
  void defaultSeccompProfile() throws Exception {
    Seccomp sc = spec(Opts.of()).linux().seccomp();
    assertEquals("SCMP_ACT_ERRNO", sc.defaultAction());
    assertEquals(1, sc.defaultErrnoRet());
    assertEquals(List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), sc.architectures());
    Set<String> allowed = unconditional(sc);
    for (String call :
        List.of(
            "read",
            "write",
            "openat",
            "execve",
            "wait4",
            "exit_group",
            "rt_sigaction",
            "nanosleep",
            "clock_nanosleep",
            "getdents64",
            "newfstatat",
            "statx",
            "chroot",
            "arch_prctl",
            "ptrace")) {
      assertTrue(allowed.contains(call), call + " allowed");
    }
    for (String call :
        List.of(
            "mount",
            "umount2",
            "unshare",
            "setns",
            "reboot",
            "init_module",
            "settimeofday",
            "keyctl",
            "add_key",
            "bpf",
            "open_by_handle_at",
            "kexec_load",
            "swapon",
            "iopl",
            "clone",
            "clone3",
            "socket",
            "personality",
            "sethostname")) {
      assertFalse(allowed.contains(call), call + " not allowed unconditionally");
    }
    // clone without namespace flags; clone3 says ENOSYS so libcs fall back to clone.
    assertEquals(
        List.of(new SeccompArg(0, 0x7E020000L, 0, "SCMP_CMP_MASKED_EQ")), rule(sc, "clone").args());
    assertEquals(38, rule(sc, "clone3").errnoRet());
    assertEquals(List.of(new SeccompArg(0, 40, 0, "SCMP_CMP_NE")), rule(sc, "socket").args());
    assertEquals(5, sc.syscalls().stream().filter(r -> r.names().contains("personality")).count());
    // Nothing for other architectures.
    assertFalse(sc.syscalls().stream().anyMatch(r -> r.names().contains("set_tls")));
  }

  @Test
  void capabilitiesOpenTheirSyscalls() throws Exception {
    Opts o = Opts.of();
    o.capAdd = List.of("SYS_ADMIN", "SYS_TIME", "SYS_MODULE", "SYS_BOOT");
    Seccomp sc = spec(o).linux().seccomp();
    Set<String> allowed = unconditional(sc);
    assertTrue(
        allowed.containsAll(
            List.of(
                "mount",
                "umount2",
                "unshare",
                "setns",
                "clone",
                "clone3",
                "settimeofday",
                "clock_settime",
                "init_module",
                "finit_module",
                "delete_module",
                "reboot")),
        allowed.toString());
    assertFalse(
        sc.syscalls().stream().anyMatch(r -> r.names().contains("clone3") && r.errnoRet() != null));
    assertFalse(
        sc.syscalls().stream().anyMatch(r -> r.names().contains("clone") && !r.args().isEmpty()));
    // ptrace needs CAP_SYS_PTRACE on kernels before 4.8.
    Spec old =
        new SpecGenerator(
                new HostFacts(
                    host.resolvConf(),
                    host.resolvedResolvConf(),
                    host.hosts(),
                    "h",
                    40,
                    -1L,
                    2,
                    "4.4.0-1",
                    "amd64",
                    host.devDir()))
            .generate(new SpecRequest(Opts.plain(), Opts.of().build(), ID, rootfs, files, Map.of()))
            .spec();
    assertFalse(unconditional(old.linux().seccomp()).contains("ptrace"));
  }

  @Test
  void securityOptions() throws Exception {
    Opts o = Opts.of();
    o.securityOpts = List.of("seccomp=unconfined", "no-new-privileges");
    Spec s = spec(o);
    assertNull(s.linux().seccomp());
    assertTrue(s.process().noNewPrivileges());
    assertFalse(spec(Opts.of()).process().noNewPrivileges());
    o.securityOpts =
        List.of(
            "no-new-privileges:true",
            "no-new-privileges=false",
            "label=disable",
            "apparmor=unconfined",
            "systempaths=unconfined");
    s = spec(o);
    assertFalse(s.process().noNewPrivileges());
    assertEquals(List.of(), s.linux().maskedPaths());
    assertNotNullSeccomp(s);

    o.securityOpts = List.of("seccomp=" + tmp.resolve("missing.json"));
    assertTrue(
        refused(o)
            .startsWith("opening seccomp profile (" + tmp.resolve("missing.json") + ") failed"));
    o.securityOpts = List.of("bogus=1");
    assertTrue(refused(o).startsWith("invalid --security-opt: \"bogus=1\""));
    o.securityOpts = List.of("nonsense");
    assertTrue(refused(o).startsWith("invalid --security-opt: \"nonsense\""));
    o.securityOpts = List.of("apparmor=docker-default");
    assertTrue(
        refused(ErrorCategory.UNIMPLEMENTED, Opts.plain(), o).contains("apparmor=docker-default"));
  }

  private static void assertNotNullSeccomp(Spec s) {
    assertEquals("SCMP_ACT_ERRNO", s.linux().seccomp().defaultAction());
  }

  @Test
  void seccompProfileFromAFile() throws Exception {
    Path profile =
        Files.writeString(
            tmp.resolve("profile.json"),
            """
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
         "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
         "syscalls": [
           {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "ignored"},
           {"name": "mount", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
           {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
           {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
           {"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
            "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]}
         ]}
        """);
    Opts o = Opts.of();
    o.securityOpts = List.of("seccomp=" + profile);
    Seccomp sc = spec(o).linux().seccomp();
    assertEquals(List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"), sc.architectures());
    assertEquals(
        List.of(
            new SeccompSyscall(List.of("read", "write"), "SCMP_ACT_ALLOW", null, List.of()),
            new SeccompSyscall(
                List.of("uname"),
                "SCMP_ACT_ERRNO",
                38,
                List.of(new SeccompArg(0, 5, 0, "SCMP_CMP_EQ")))),
        sc.syscalls());
    o.capAdd = List.of("SYS_ADMIN");
    assertEquals(3, spec(o).linux().seccomp().syscalls().size());

    // An OCI section is read as it is.
    Files.writeString(
        profile,
        """
        {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
         "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
        """);
    o.capAdd = List.of();
    sc = spec(o).linux().seccomp();
    assertEquals("SCMP_ACT_ALLOW", sc.defaultAction());
    assertEquals(List.of("SCMP_ARCH_X86_64"), sc.architectures());

    Files.writeString(
        profile,
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\"], "
            + "\"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]}");
    assertTrue(refused(o).contains("use either 'architectures' or 'archMap'"));
    Files.writeString(
        profile, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"x\"]}]}");
    assertTrue(refused(o).contains("needs an 'action'"));
    Files.writeString(profile, "{\"defaultAction\": \"SCMP_ACT_BOGUS\"}");
    assertTrue(
        refused(o).contains("linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BOGUS\""));
    Files.writeString(profile, "{not json");
    assertTrue(refused(o).startsWith("decoding seccomp profile failed"));
  }

  private static Set<String> unconditional(Seccomp sc) {
    return sc.syscalls().stream()
        .filter(r -> r.args().isEmpty() && r.action().equals("SCMP_ACT_ALLOW"))
        .flatMap(r -> r.names().stream())
        .collect(java.util.stream.Collectors.toSet());
  }

  private static SeccompSyscall rule(Seccomp sc, String name) {
    List<SeccompSyscall> rules =
        sc.syscalls().stream().filter(r -> r.names().contains(name)).toList();
    assertEquals(1, rules.size(), "one rule for " + name + ": " + rules);
    return rules.getFirst();
  }

  // ---- mounts ----

  @Test
  void defaultMountsAndFiles() throws Exception {
    GeneratedSpec g = generate(Opts.plain(), Opts.of());
    Spec s = g.spec();
    assertEquals(
        List.of(
            "/proc",
            "/dev",
            "/dev/pts",
            "/sys",
            "/sys/fs/cgroup",
            "/dev/mqueue",
            "/dev/shm",
            "/etc/resolv.conf",
            "/etc/hostname",
            "/etc/hosts"),
        destinations(s));
    assertEquals(
        List.of("nosuid", "noexec", "nodev", "mode=1777", "size=67108864"),
        mount(s, "/dev/shm").options());
    assertEquals(
        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
        mount(s, "/dev/pts").options());
    assertEquals(
        List.of("nosuid", "strictatime", "mode=755", "size=65536k"), mount(s, "/dev").options());
    assertTrue(mount(s, "/sys").options().contains("ro"));
    assertTrue(mount(s, "/sys/fs/cgroup").options().contains("ro"));
    Mount hosts = mount(s, "/etc/hosts");
    assertEquals("bind", hosts.type());
    assertEquals(files.resolve("hosts").toString(), hosts.source());
    assertEquals(List.of("rbind", "rprivate"), hosts.options());
    assertEquals(SpecGenerator.MASKED_PATHS, s.linux().maskedPaths());
    assertTrue(
        s.linux()
            .maskedPaths()
            .containsAll(
                List.of(
                    "/proc/kcore",
                    "/sys/firmware",
                    "/proc/scsi",
                    "/sys/devices/virtual/powercap")));
    assertEquals(
        List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"),
        s.linux().readonlyPaths());
    assertFalse(s.root().readonly());
    assertEquals(rootfs.toString(), s.root().path());

    assertEquals(
        List.of(files.resolve("hostname"), files.resolve("hosts"), files.resolve("resolv.conf")),
        g.files());
    assertEquals("0123456789ab\n", Files.readString(files.resolve("hostname")));
    assertEquals(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
            + "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
        Files.readString(files.resolve("hosts")));
    // The loopback nameservers are the container's own loopback: gone; the rest kept.
    assertEquals(
        "# host\nnameserver 10.0.0.2\nsearch example.org\n",
        Files.readString(files.resolve("resolv.conf")));
    try (Stream<Path> list = Files.list(files)) {
      assertEquals(3, list.count(), "no temporary files left");
    }
  }

  @Test
  void resolvConfFallsBackToDockersServersAndHostNetworkCopiesTheHost() throws Exception {
    Files.writeString(host.resolvConf(), "nameserver 127.0.0.53\noptions edns0\n");
    generate(Opts.plain(), Opts.of());
    assertEquals(
        "nameserver 127.0.0.53\noptions edns0\n".replace("nameserver 127.0.0.53\n", "")
            + "nameserver 8.8.8.8\nnameserver 8.8.4.4\n",
        Files.readString(files.resolve("resolv.conf")));
    // systemd-resolved's upstream servers when the host names only its stub.
    Files.writeString(host.resolvedResolvConf(), "nameserver 192.0.2.1\n");
    generate(Opts.plain(), Opts.of());
    assertEquals("nameserver 192.0.2.1\n", Files.readString(files.resolve("resolv.conf")));
    Opts h = Opts.of();
    h.network = "host";
    generate(Opts.plain(), h);
    assertEquals(
        "nameserver 127.0.0.53\noptions edns0\n", Files.readString(files.resolve("resolv.conf")));
    assertEquals(Files.readString(host.hosts()), Files.readString(files.resolve("hosts")));
    assertEquals("thehost\n", Files.readString(files.resolve("hostname")));
  }

  @Test
  void userMounts() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path vol = Files.createDirectories(tmp.resolve("vol"));
    Opts o = Opts.of();
    o.mounts =
        List.of(
            DockerFlags.volume(src + ":/data/deep/er:ro,rslave"),
            DockerFlags.mount("type=tmpfs,dst=/scratch,tmpfs-size=1m,tmpfs-mode=1777"),
            DockerFlags.tmpfs("/run/t:size=64m,exec"),
            DockerFlags.volume("named:/var/lib/x"),
            DockerFlags.mount("type=bind,src=" + src + ",dst=/flat,bind-nonrecursive"));
    Spec s = generate(Opts.plain(), o, Map.of("/var/lib/x", vol)).spec();
    Mount bind = mount(s, "/data/deep/er");
    assertEquals(
        new Mount(
            "/data/deep/er", "bind", src.toString(), List.of("rbind", "rslave", "ro"), null, null),
        bind);
    assertEquals(
        List.of("noexec", "nosuid", "nodev", "rprivate", "size=1048576", "mode=1777"),
        mount(s, "/scratch").options());
    assertEquals(
        List.of("exec", "nosuid", "nodev", "rprivate", "size=64m"), mount(s, "/run/t").options());
    assertEquals(
        new Mount("/var/lib/x", "bind", vol.toString(), List.of("rbind", "rprivate"), null, null),
        mount(s, "/var/lib/x"));
    assertEquals(List.of("bind", "rprivate"), mount(s, "/flat").options());
    // an rslave mount needs a slave root to see the host's new mounts, a shared one a shared root
    // to show the container's to the host (as docker sets rootfsPropagation)
    assertEquals("rslave", s.linux().rootfsPropagation());
    o.mounts = List.of(DockerFlags.volume(src + ":/both:rshared"));
    assertEquals("rshared", generate(Opts.plain(), o, Map.of()).spec().linux().rootfsPropagation());
    o.mounts = List.of(DockerFlags.volume(src + ":/none"));
    assertEquals("", generate(Opts.plain(), o, Map.of()).spec().linux().rootfsPropagation());
    // docker's bind-recursive=readonly (the CRI's recursive_read_only): the runtime's rro, on a
    // read-only private mount only
    o.mounts =
        List.of(
            new MountOption(
                Type.BIND, src.toString(), "/r", true, List.of("bind-recursive=readonly")));
    assertEquals(
        List.of("rbind", "rprivate", "ro", "rro"),
        mount(generate(Opts.plain(), o, Map.of()).spec(), "/r").options());
    o.mounts =
        List.of(
            new MountOption(
                Type.BIND, src.toString(), "/r", false, List.of("bind-recursive=readonly")));
    assertTrue(refused(o).contains("bind-recursive=readonly of /r"), refused(o));
    // Parents first: fewer path components mount earlier.
    List<String> d = destinations(s);
    assertTrue(
        d.indexOf("/flat") < d.indexOf("/run/t")
            && d.indexOf("/run/t") < d.indexOf("/var/lib/x")
            && d.indexOf("/run/t") < d.indexOf("/data/deep/er"),
        d.toString());
  }

  @Test
  void mountErrorsAreDockers() throws Exception {
    Opts o = Opts.of();
    o.mounts =
        List.of(new MountOption(Type.BIND, tmp.resolve("nope").toString(), "/x", false, null));
    assertEquals(
        "invalid mount config for type \"bind\": bind source path does not exist: "
            + tmp.resolve("nope"),
        refused(o));
    Path src = Files.createDirectories(tmp.resolve("src"));
    o.mounts = List.of(DockerFlags.volume(src + ":/x"), DockerFlags.tmpfs("/x/"));
    assertEquals("Duplicate mount point: /x", refused(o));
    o.mounts = List.of(DockerFlags.tmpfs("/t:bogus=1"));
    assertTrue(refused(o).contains("unknown option 'bogus=1' for /t"));
    o.mounts = List.of(new MountOption(Type.BIND, src.toString(), "/x", false, List.of("nocopy")));
    assertTrue(refused(o).contains("unknown option 'nocopy'"));
    o.mounts = List.of(new MountOption(Type.BIND, src.toString(), "/a/..", false, List.of()));
    assertTrue(refused(o).contains("destination can't be '/'"));
    // A volume the engine did not prepare is its own bug, not the user's.
    o.mounts = List.of(DockerFlags.volume("data:/data"));
    assertTrue(
        refused(ErrorCategory.INTERNAL, Opts.plain(), o).contains("volume data was not prepared"));
  }

  @Test
  void imageVolumesAreReportedAndBound() throws Exception {
    ImageConfig image =
        Opts.image(
            null, null, null, List.of("sh"), Set.of("/var/db", "/cache", "/covered"), null, null);
    Opts o = Opts.of();
    o.mounts = List.of(DockerFlags.tmpfs("/covered"), DockerFlags.volume("named:/named:nocopy"));
    List<VolumeNeed> needs = SpecGenerator.volumesNeeded(image, o.build());
    assertEquals(
        List.of(
            new VolumeNeed("/named", "named", false, true),
            new VolumeNeed("/cache", null, true, false),
            new VolumeNeed("/var/db", null, true, false)),
        needs);
    Map<String, Path> dirs =
        Map.of(
            "/named", tmp.resolve("v1"), "/cache", tmp.resolve("v2"), "/var/db", tmp.resolve("v3"));
    GeneratedSpec g = generate(image, o, dirs);
    assertEquals(needs, g.volumes());
    assertEquals(tmp.resolve("v3").toString(), mount(g.spec(), "/var/db").source());
    assertEquals(List.of("rbind", "rprivate"), mount(g.spec(), "/cache").options());
    assertEquals("tmpfs", mount(g.spec(), "/covered").type());
  }

  @Test
  void userMountsReplaceDefaultsAndFiles() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path hostsFile = Files.writeString(tmp.resolve("myhosts"), "1.2.3.4 x\n");
    Opts o = Opts.of();
    o.mounts =
        List.of(DockerFlags.volume(src + ":/dev"), DockerFlags.volume(hostsFile + ":/etc/hosts"));
    Spec s = spec(o);
    List<String> d = destinations(s);
    assertFalse(
        d.contains("/dev/pts") || d.contains("/dev/shm") || d.contains("/dev/mqueue"),
        d.toString());
    assertEquals(hostsFile.toString(), mount(s, "/etc/hosts").source());
    assertEquals(1, d.stream().filter("/etc/hosts"::equals).count());
    Opts shm = Opts.of();
    shm.shmSize = 1 << 20;
    assertTrue(mount(spec(shm), "/dev/shm").options().contains("size=1048576"));
  }

  @Test
  void readOnlyRootfsMakesTheFilesReadOnlyToo() throws Exception {
    Opts o = Opts.of();
    o.readOnly = true;
    Spec s = spec(o);
    assertTrue(s.root().readonly());
    assertEquals(List.of("rbind", "rprivate", "ro"), mount(s, "/etc/resolv.conf").options());
  }

  // ---- limits ----

  @Test
  void resources() throws Exception {
    Opts o = Opts.of();
    o.resources = new ResourceOptions(64L << 20, 0, 1_500_000_000L, 512, "0-1", 100);
    Spec s = spec(o);
    var r = s.linux().resources();
    assertEquals(64L << 20, r.memory().limit());
    assertEquals(128L << 20, r.memory().swap());
    assertEquals(150_000L, r.cpu().quota());
    assertEquals(100_000L, r.cpu().period());
    assertEquals(512L, r.cpu().shares());
    assertEquals("0-1", r.cpu().cpus());
    assertEquals(100, r.pids().limit());
    assertEquals(new DeviceRule(false, "", null, null, "rwm"), r.devices().getFirst());
    assertTrue(r.devices().contains(new DeviceRule(true, "c", 1L, 3L, "rwm")));
    assertNull(spec(Opts.of()).linux().resources().memory());
    o.resources = new ResourceOptions(64L << 20, -1, 0, 0, null, 0);
    assertEquals(-1L, spec(o).linux().resources().memory().swap());

    o.resources = new ResourceOptions(5L << 20, 0, 0, 0, null, 0);
    assertTrue(refused(o).startsWith("Minimum memory limit allowed is 6MB"));
    o.resources = new ResourceOptions(64L << 20, 32L << 20, 0, 0, null, 0);
    assertTrue(
        refused(o).startsWith("Minimum memoryswap limit should be larger than memory limit"));
    o.resources = new ResourceOptions(0, 32L << 20, 0, 0, null, 0);
    assertTrue(
        refused(o)
            .startsWith("You should always set the Memory limit when using Memoryswap limit"));
    o.resources = new ResourceOptions(0, 0, 3_000_000_000L, 0, null, 0);
    assertEquals(
        "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available", refused(o));
    o.resources = new ResourceOptions(0, 0, 0, 0, "0-x", 0);
    assertTrue(refused(o).startsWith("Invalid value 0-x for cpuset cpus"));
  }

  @Test
  void ulimitsBecomeRlimits() throws Exception {
    Opts o = Opts.of();
    o.ulimits =
        List.of(
            new UlimitOption("nofile", 1024, 2048),
            new UlimitOption("core", -1, -1),
            new UlimitOption("nofile", 10, 20));
    assertEquals(
        List.of(new Rlimit("RLIMIT_CORE", -1, -1), new Rlimit("RLIMIT_NOFILE", 20, 10)),
        spec(o).process().rlimits());
    assertEquals(List.of(), spec(Opts.of()).process().rlimits());
    o.ulimits = List.of(new UlimitOption("wings", 1, 1));
    assertTrue(refused(o).startsWith("invalid ulimit type: wings"));
    o.ulimits = List.of(new UlimitOption("nproc", 5, 4));
    assertTrue(
        refused(o).startsWith("ulimit soft limit must be less than or equal to hard limit: 5 > 4"));
  }

  @Test
  void stopSignalIsOptionsThenImageThenSigterm() throws Exception {
    assertEquals(15, generate(Opts.plain(), Opts.of()).stopSignal());
    ImageConfig image = Opts.image(null, null, null, List.of("sh"), null, null, "SIGQUIT");
    assertEquals(3, generate(image, Opts.of()).stopSignal());
    Opts o = Opts.of();
    o.stopSignal = "kill";
    assertEquals(9, generate(image, o).stopSignal());
    o.stopSignal = "10";
    assertEquals(10, generate(image, o).stopSignal());
    o.stopSignal = "SIGNOPE";
    assertEquals("invalid signal: SIGNOPE", refused(o));
  }

  // ---- the whole ----

  @Test
  void theSpecIsValidAndSurvivesTheWriterAndReader() throws Exception {
    Opts o = Opts.of("sh", "-c", "true");
    o.user = "app";
    o.capAdd = List.of("SYS_ADMIN");
    o.ulimits = List.of(new UlimitOption("nofile", 100, 200));
    o.resources = new ResourceOptions(64L << 20, 0, 500_000_000L, 0, null, 10);
    Spec s = spec(o);
    assertEquals(List.of(), SpecValidator.validate(s, true));
    Spec back = SpecReader.parse(SpecWriter.write(s, JsonWriter.TWO_SPACES), "config.json");
    assertEquals(s, back);
    // As the engine writes a bundle: its own runtime takes the spec, runtime binaries the file.
    assertEquals(s, SpecReader.parse(SpecWriter.write(s, "\t"), "config.json"));
  }

  private static List<String> destinations(Spec s) {
    return s.mounts().stream().map(Mount::destination).toList();
  }

  private static Mount mount(Spec s, String destination) {
    return s.mounts().stream()
        .filter(m -> m.destination().equals(destination))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no mount at " + destination + " in " + destinations(s)));
  }
}
