package dev.berth.spec.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.json.SpecException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecValidatorTest {

  /**
   * runc's default spec with {@code patch} merged into its JSON text: a one-line way to break one
   * thing.
   */
  private static List<String> problems(String linuxAndTopLevel) throws SpecException {
    return SpecValidator.validate(parse(linuxAndTopLevel), true);
  }

  private static Spec parse(String json) throws SpecException {
    return SpecReader.parse(json.getBytes(StandardCharsets.UTF_8), "config.json");
  }

  private static Spec withProcess(Process p) {
    Spec d = DefaultSpecs.runc();
    return new Spec(
        d.ociVersion(),
        p,
        d.root(),
        d.hostname(),
        d.domainname(),
        d.mounts(),
        d.hooks(),
        d.annotations(),
        d.linux());
  }

  private static Spec withLinux(Linux l) {
    Spec d = DefaultSpecs.runc();
    return new Spec(
        d.ociVersion(),
        d.process(),
        d.root(),
        d.hostname(),
        d.domainname(),
        d.mounts(),
        d.hooks(),
        d.annotations(),
        l);
  }

  private static Linux linux(List<Namespace> ns, List<IdMapping> uids, List<IdMapping> gids) {
    return new Linux(
        ns, uids, gids, null, null, null, null, null, null, null, null, null, null, null);
  }

  private static Process process(
      List<String> args, String cwd, List<Rlimit> rlimits, Capabilities caps) {
    return new Process(
        false,
        null,
        null,
        args,
        null,
        List.of("PATH=/bin"),
        cwd,
        caps,
        rlimits,
        false,
        null,
        null,
        null);
  }

  @Test
  void aMinimalValidConfig() throws SpecException {
    assertEquals(
        List.of(),
        problems(
            """
                {"ociVersion": "1.0.0", "root": {"path": "rootfs"}, "process": {"args": ["true"], "cwd": "/"}}"""));
  }

  @Test
  void versionRootAndProcess() throws SpecException {
    assertEquals(
        List.of(
            "ociVersion: must not be empty", "root: must be present", "process: must be present"),
        problems("{}"));
    assertEquals(
        List.of("ociVersion: unsupported version \"2.0.0\", want 1.x"),
        problems(
            "{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
                + "\"cwd\":\"/\"}}"));
    assertEquals(
        List.of("ociVersion: unsupported version \"1.x\", want 1.x"),
        problems(
            "{\"ociVersion\":\"1.x\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
                + "\"cwd\":\"/\"}}"));
    assertEquals(
        List.of("root.path: must not be empty"),
        problems(
            "{\"ociVersion\":\"1.2.0+dev\",\"root\":{},\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"}}"));
    assertEquals(
        List.of(),
        SpecValidator.validate(
            parse("{\"ociVersion\":\"1.0.2-dev\",\"root\":{\"path\":\"r\"}}"), false),
        "process is optional when not creating");
  }

  @Test
  void processArgsCwdAndEnv() {
    Process p =
        new Process(
            false,
            null,
            null,
            List.of(),
            null,
            List.of("OK=1", "NOEQUALS", "=x"),
            "tmp",
            null,
            null,
            false,
            null,
            1001,
            null);
    assertEquals(
        List.of(
            "process.args: must not be empty",
            "process.cwd: must be an absolute path, got \"tmp\"",
            "process.env[1]: must be NAME=VALUE, got \"NOEQUALS\"",
            "process.env[2]: must be NAME=VALUE, got \"=x\"",
            "process.oomScoreAdj: must be between -1000 and 1000, got 1001"),
        SpecValidator.validate(withProcess(p), true));
    assertEquals(SpecValidator.validateProcess(p), SpecValidator.validate(withProcess(p), true));
  }

  @Test
  void rlimits() {
    Process p =
        process(
            List.of("sh"),
            "/",
            List.of(
                new Rlimit("RLIMIT_NOFILE", 1024, 1024),
                new Rlimit("RLIMIT_NOFILE", 10, 10),
                new Rlimit("RLIMIT_BOGUS", 1, 1),
                new Rlimit("RLIMIT_CORE", 10, 20),
                new Rlimit("RLIMIT_AS", -1L, 1L << 40),
                new Rlimit("RLIMIT_STACK", 1, -1L)),
            null);
    assertEquals(
        List.of(
            "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"",
            "process.rlimits[2].type: unknown rlimit \"RLIMIT_BOGUS\"",
            "process.rlimits[3]: soft limit 20 exceeds hard limit 10",
            "process.rlimits[5]: soft limit 18446744073709551615 exceeds hard limit 1"),
        SpecValidator.validateProcess(p));
    assertEquals(7, SpecValidator.rlimitNumber("RLIMIT_NOFILE"));
    assertEquals(15, SpecValidator.rlimitNumber("RLIMIT_RTTIME"));
  }

  @Test
  void capabilities() {
    Capabilities caps =
        new Capabilities(
            List.of("CAP_CHECKPOINT_RESTORE", "CAP_FLY"),
            List.of("kill"),
            List.of(),
            List.of("CAP_BPF"),
            List.of("CAP_NET_RAW", "CAP_SYS_WHATEVER"));
    // Not problems (runc warns and runs): the runtime leaves them out with a warning.
    Process p = process(List.of("sh"), "/", null, caps);
    assertEquals(List.of(), SpecValidator.validateProcess(p));
    assertEquals(
        List.of("CAP_FLY", "kill", "CAP_SYS_WHATEVER"), SpecValidator.unknownCapabilities(p));
    assertEquals(40, SpecValidator.capabilityNumber("CAP_CHECKPOINT_RESTORE"));
    assertEquals(21, SpecValidator.capabilityNumber("CAP_SYS_ADMIN"));
    assertEquals(41, SpecValidator.CAPABILITIES.size());
  }

  @Test
  void namespaces() {
    Linux l =
        linux(
            List.of(
                new Namespace("pid", ""),
                new Namespace("bogus", ""),
                new Namespace("pid", ""),
                new Namespace("network", "var/run/netns/x"),
                new Namespace("uts", "")),
            null,
            null);
    assertEquals(
        List.of(
            "linux.namespaces[1].type: unknown namespace type \"bogus\"",
            "linux.namespaces[2].type: duplicate namespace \"pid\"",
            "linux.namespaces[3].path: must be an absolute path, got \"var/run/netns/x\""),
        SpecValidator.validate(withLinux(l), true));
  }

  @Test
  void hostnameNeedsUtsNamespace() {
    Linux l = linux(List.of(new Namespace("pid", ""), new Namespace("mount", "")), null, null);
    assertEquals(
        List.of("hostname: needs a uts namespace in linux.namespaces"),
        SpecValidator.validate(withLinux(l), true));
  }

  @Test
  void userNamespaceAndMappingsGoTogether() {
    List<Namespace> withUserns = List.of(new Namespace("user", ""), new Namespace("uts", ""));
    List<IdMapping> one = List.of(new IdMapping(0, 1000, 1));
    assertEquals(
        List.of(
            "linux.uidMappings: required when a user namespace is created",
            "linux.gidMappings: required when a user namespace is created"),
        SpecValidator.validate(withLinux(linux(withUserns, null, null)), true));
    assertEquals(List.of(), SpecValidator.validate(withLinux(linux(withUserns, one, one)), true));

    List<Namespace> joined =
        List.of(new Namespace("user", "/proc/1/ns/user"), new Namespace("uts", ""));
    assertEquals(
        List.of(),
        SpecValidator.validate(withLinux(linux(joined, null, null)), true),
        "joining a user namespace needs no mappings");

    List<Namespace> noUserns = List.of(new Namespace("uts", ""));
    assertEquals(
        List.of(
            "linux.uidMappings: needs a user namespace in linux.namespaces",
            "linux.gidMappings: needs a user namespace in linux.namespaces"),
        SpecValidator.validate(withLinux(linux(noUserns, one, one)), true));
  }

  @Test
  void idMappingSizesAndOverlaps() {
    List<Namespace> ns = List.of(new Namespace("user", ""), new Namespace("uts", ""));
    List<IdMapping> uids =
        List.of(
            new IdMapping(0, 100000, 1000),
            new IdMapping(500, 300000, 10),
            new IdMapping(2000, 100500, 10),
            new IdMapping(5000, 0, 0),
            new IdMapping(4294967295L, 1, 2));
    List<IdMapping> gids = List.of(new IdMapping(0, 1, 1));
    assertEquals(
        List.of(
            "linux.uidMappings[1]: container ids 500-509 overlap linux.uidMappings[0]",
            "linux.uidMappings[2]: host ids 100500-100509 overlap linux.uidMappings[0]",
            "linux.uidMappings[3].size: must be greater than 0",
            "linux.uidMappings[4]: range exceeds the 32-bit id space"),
        SpecValidator.validate(withLinux(linux(ns, uids, gids)), true));
  }

  @Test
  void mountsHooksDevicesPropagationSysctlAndPaths() throws SpecException {
    List<String> problems =
        problems(
            """
                {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
                 "process": {"args": ["sh"], "cwd": "/"},
                 "mounts": [{"destination": "/ok"}, {"destination": "", "type": "tmpfs"}],
                 "hooks": {"prestart": [{"path": "/bin/ok"}],
                           "createRuntime": [{"path": "relative/hook"}],
                           "poststop": [{"path": "/bin/x", "timeout": 0}]},
                 "linux": {
                   "devices": [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3},
                               {"path": "dev/x", "type": "z", "major": 1, "minor": 1}],
                   "rootfsPropagation": "sideways",
                   "sysctl": {"": "1", "net.core.somaxconn": "1024"},
                   "maskedPaths": ["/proc/kcore", "proc/keys"],
                   "readonlyPaths": ["sys"],
                   "personality": {"domain": "BSD"},
                   "resources": {"devices": [{"allow": false, "type": "x", "access": ""},
                                             {"allow": true, "type": "c", "access": "rwx"}]}
                 }}""");
    assertEquals(
        List.of(
            "mounts[1].destination: must not be empty",
            "hooks.createRuntime[0].path: must be an absolute path, got \"relative/hook\"",
            "hooks.poststop[0].timeout: must be greater than 0, got 0",
            "linux.devices[1].type: unknown device type \"z\", want c, b, u or p",
            "linux.devices[1].path: must be an absolute path, got \"dev/x\"",
            "linux.resources.devices[0].type: unknown device type \"x\", want a, b or c",
            "linux.sysctl[\"\"]: not a sysctl name",
            "linux.sysctl[\"net.core.somaxconn\"]: not allowed in the host's network namespace: needs a network"
                + " namespace in linux.namespaces",
            "linux.rootfsPropagation: unknown propagation \"sideways\", want one of shared slave private rshared "
                + "rslave rprivate unbindable runbindable",
            "linux.maskedPaths: unable to restrict sys entries without a private MNT namespace",
            "linux.readonlyPaths: unable to restrict sys entries without a private MNT namespace",
            "linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"",
            "linux.readonlyPaths[0]: must be an absolute path, got \"sys\"",
            "linux.personality.domain: unknown domain \"BSD\", want LINUX or LINUX32"),
        problems);
  }

  @Test
  void sysctlsMustBelongToANamespaceOfTheContainer() throws SpecException {
    String all =
        "\"sysctl\": {\"kernel.msgmax\": \"1\", \"fs.mqueue.msg_max\": \"1\", \"net.ipv4.ip_forward\": \"1\","
            + " \"net/ipv4/conf/eth0.100/forwarding\": \"1\", \"kernel.domainname\": \"d\"}";
    assertEquals(
        List.of(),
        problems(
            withNamespaces(
                "[{\"type\": \"ipc\"}, {\"type\": \"network\"}," + " {\"type\": \"uts\"}]", all)));
    // The same keys without those namespaces would change the host.
    assertEquals(
        List.of(
            "linux.sysctl[\"fs.mqueue.msg_max\"]: not allowed in the host's ipc namespace: needs an ipc namespace in"
                + " linux.namespaces",
            "linux.sysctl[\"kernel.domainname\"]: not in a separate kernel namespace: it would change the host",
            "linux.sysctl[\"kernel.msgmax\"]: not allowed in the host's ipc namespace: needs an ipc namespace in"
                + " linux.namespaces",
            "linux.sysctl[\"net.ipv4.ip_forward\"]: not allowed in the host's network namespace: needs a network"
                + " namespace in linux.namespaces",
            "linux.sysctl[\"net/ipv4/conf/eth0.100/forwarding\"]: not allowed in the host's network namespace:"
                + " needs a network namespace in linux.namespaces"),
        problems(withNamespaces("[{\"type\": \"mount\"}]", all)));
    // Sysctls no namespace isolates are refused whatever the namespaces; so are names that are not
    // sysctls.
    assertEquals(
        List.of(
            "linux.sysctl[\"kernel.core_pattern\"]: not in a separate kernel namespace: it would change the host",
            "linux.sysctl[\"kernel.hostname\"]: not allowed: set the hostname field instead",
            "linux.sysctl[\"kernel.printk_ratelimit_burst\"]: not in a separate kernel namespace: it would change"
                + " the host",
            "linux.sysctl[\"net..x\"]: not a sysctl name",
            "linux.sysctl[\"net/../../kernel/core_pattern\"]: not a sysctl name",
            "linux.sysctl[\"vm.overcommit_memory\"]: not in a separate kernel namespace: it would change the host"),
        problems(
            withNamespaces(
                "[{\"type\": \"ipc\"}, {\"type\": \"network\"}, {\"type\": \"uts\"}]",
                "\"sysctl\": {\"kernel.core_pattern\": \"|/x\", \"kernel.printk_ratelimit_burst\": \"11\","
                    + " \"vm.overcommit_memory\": \"1\", \"kernel.hostname\": \"h\", \"net..x\": \"1\","
                    + " \"net/../../kernel/core_pattern\": \"1\"}")));
  }

  private static String withNamespaces(String namespaces, String more) {
    return "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"args\": [\"sh\"],"
        + " \"cwd\": \"/\"}, \"linux\": {\"namespaces\": "
        + namespaces
        + ", "
        + more
        + "}}";
  }

  @Test
  void everyRootfsPropagationIsAccepted() throws SpecException {
    for (String p : SpecValidator.ROOTFS_PROPAGATIONS) {
      assertEquals(
          List.of(),
          problems(
              "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},"
                  + "\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"linux\":{\"rootfsPropagation\":\""
                  + p
                  + "\"}}"));
    }
  }

  @Test
  void seccomp() throws SpecException {
    List<String> problems =
        problems(
            """
                {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
                 "linux": {"seccomp": {
                   "defaultAction": "SCMP_ACT_MAYBE",
                   "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"],
                   "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FAST"],
                   "syscalls": [
                     {"names": ["read"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                               {"index": 6, "value": 1, "op": "SCMP_CMP_ALMOST"}]},
                     {"names": [], "action": "SCMP_ACT_NOTIFY"},
                     {"names": ["write"], "action": "allow"}
                   ]}}}""");
    assertEquals(
        List.of(
            "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_MAYBE\"",
            "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"",
            "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"",
            "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_ALMOST\"",
            "linux.seccomp.syscalls[0].args[1].index: must be below 6, got 6",
            "linux.seccomp.syscalls[1].names: must not be empty",
            "linux.seccomp.syscalls[2].action: unknown action \"allow\"",
            "linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY"),
        problems);
  }

  @Test
  void seccompActionsAndOperatorsOfTheSpecAreAccepted() throws SpecException {
    StringBuilder rules = new StringBuilder();
    for (String action : SpecValidator.SECCOMP_ACTIONS) {
      for (String op : SpecValidator.SECCOMP_OPERATORS) {
        if (!rules.isEmpty()) {
          rules.append(',');
        }
        rules
            .append("{\"names\":[\"read\"],\"action\":\"")
            .append(action)
            .append("\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"")
            .append(op)
            .append("\"}]}");
      }
    }
    assertEquals(
        List.of(),
        problems(
            "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},"
                + "\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"},\"linux\":{\"seccomp\":{\"defaultAction\":"
                + "\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/l.sock\",\"syscalls\":["
                + rules
                + "]}}}"));
  }

  @Test
  void emptySeccompIsOffAndNotifyCannotBeTheDefault() throws SpecException {
    String base =
        "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
            + "\"cwd\":\"/\"},\"linux\":{\"seccomp\":";
    assertEquals(List.of(), problems(base + "{}}}"));
    assertEquals(
        List.of("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"),
        problems(base + "{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/l\"}}}"));
  }

  @Test
  void timeOffsetsNeedATimeNamespace() throws SpecException {
    List<String> problems =
        problems(
            """
                {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
                 "linux": {"timeOffsets": {"monotonic": {"secs": 1}, "realtime": {"secs": 2}}}}""");
    assertEquals(
        List.of(
            "linux.timeOffsets: needs a time namespace in linux.namespaces",
            "linux.timeOffsets: unknown clock \"realtime\", want monotonic or boottime"),
        problems);
  }

  @Test
  void resourcesForUpdate() {
    Resources r =
        new Resources(
            List.of(new DeviceRule(true, "q", null, null, "r")),
            null,
            null,
            null,
            null,
            null,
            null,
            null);
    assertEquals(
        List.of("linux.resources.devices[0].type: unknown device type \"q\", want a, b or c"),
        SpecValidator.validateResources(r));
  }

  @Test
  void messagesAreLowercaseAndNameTheirField() throws SpecException {
    List<String> all =
        problems(
            """
                {"ociVersion": "9", "process": {"args": [], "cwd": "x", "rlimits": [{"type": "X"}]},
                 "linux": {"namespaces": [{"type": "user"}], "rootfsPropagation": "x"}}""");
    assertTrue(all.size() >= 6, all.toString());
    for (String p : all) {
      assertTrue(p.matches("^[a-zA-Z.\\[\\]0-9]+: [a-z\"].*[^.]$"), p);
    }
  }

  @Test
  void netDevicesNeedTheContainersOwnNetworkNamespaceAndValidDistinctNames() throws SpecException {
    assertEquals(
        List.of(),
        problems(
            withNamespaces(
                "[{\"type\": \"network\", \"path\": \"/run/netns/t\"}]",
                "\"netDevices\": {\"dummy0\": {}, \"eth9\": {\"name\": \"ctr0\"}}")));
    assertEquals(
        List.of("linux.netDevices: unable to move network devices without a private NET namespace"),
        problems(withNamespaces("[{\"type\": \"pid\"}]", "\"netDevices\": {\"dummy0\": {}}")));
    assertEquals(
        List.of(
            "linux.netDevices[a:b]: invalid network device name \"a:b\"",
            "linux.netDevices[d1].name: invalid network device name \"sixteen-bytes-xx\"",
            "linux.netDevices[d2].name: invalid network device name \"..\"",
            "linux.netDevices[d4]: network device name \"d3\" is already taken in the container by"
                + " \"d3\""),
        problems(
            withNamespaces(
                "[{\"type\": \"network\"}]",
                "\"netDevices\": {\"a:b\": {}, \"d1\": {\"name\": \"sixteen-bytes-xx\"},"
                    + " \"d2\": {\"name\": \"..\"}, \"d3\": {}, \"d4\": {\"name\": \"d3\"}}")));
    assertTrue(SpecValidator.isNetDeviceName("fifteen-bytes-x"));
    assertTrue(!SpecValidator.isNetDeviceName("has space"));
  }

  @Test
  void intelRdtClosIdIsADirectoryName() throws SpecException {
    assertEquals(
        List.of("linux.intelRdt.closID: invalid intelRdt.ClosID \"a/b\""),
        problems(withNamespaces("[]", "\"intelRdt\": {\"closID\": \"a/b\"}")));
  }
}
