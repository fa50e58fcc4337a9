package dev.berth.spec.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecReaderTest {

  private static Spec parse(String json) throws SpecException {
    return SpecReader.parse(json.getBytes(StandardCharsets.UTF_8), "config.json");
  }

  private static String error(String json) {
    return assertThrows(SpecException.class, () -> parse(json)).getMessage();
  }

  @Test
  void readsRuncDefaultSpec() throws SpecException {
    Spec spec = SpecReader.parse(TestFiles.bytes("runc/spec.json"), "config.json");
    assertEquals("1.0.2-dev", spec.ociVersion());
    assertEquals(List.of("sh"), spec.process().args());
    assertTrue(spec.process().terminal());
    assertEquals("/", spec.process().cwd());
    assertEquals(new Rlimit("RLIMIT_NOFILE", 1024, 1024), spec.process().rlimits().getFirst());
    assertEquals(List.of(), spec.process().capabilities().inheritable());
    assertEquals(new Root("rootfs", true), spec.root());
    assertEquals(7, spec.mounts().size());
    assertEquals(
        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
        spec.mounts().get(2).options());
    assertEquals(
        new DeviceRule(false, "", null, null, "rwm"),
        spec.linux().resources().devices().getFirst());
    assertEquals(
        List.of("pid", "network", "ipc", "uts", "mount"),
        spec.linux().namespaces().stream().map(Namespace::type).toList());
    assertTrue(spec.hooks().isEmpty());
    assertEquals(DefaultSpecs.runc(), spec);
  }

  @Test
  void readsEveryFieldOfARichConfig() throws SpecException {
    Spec spec = SpecReader.parse(TestFiles.bytes("fixtures/rich.json"), "rich.json");
    Process p = spec.process();
    assertEquals(new ConsoleSize(40, 120), p.consoleSize());
    assertEquals(4294967295L, Integer.toUnsignedLong(p.user().uid()));
    assertEquals(100, p.user().gid());
    assertEquals(18, p.user().umask());
    assertEquals(4294967294L, Integer.toUnsignedLong(p.user().additionalGids().get(1)));
    assertEquals("builder", p.user().username());
    assertEquals("echo <hi> & bye", p.args().get(2));
    assertEquals("sh -c x", p.commandLine());
    assertEquals(List.of("CAP_CHOWN"), p.capabilities().inheritable());
    assertEquals(List.of("CAP_NET_BIND_SERVICE"), p.capabilities().ambient());
    assertEquals(
        -1L, p.rlimits().get(1).hard(), "18446744073709551615 is RLIM_INFINITY, all bits set");
    assertEquals(-500, p.oomScoreAdj());
    assertEquals("berth-default", p.apparmorProfile());
    assertEquals("system_u:system_r:container_t:s0", p.selinuxLabel());
    assertTrue(p.noNewPrivileges());

    assertEquals("example.org", spec.domainname());
    Mount data = spec.mounts().get(1);
    assertEquals(List.of(new IdMapping(0, 100000, 65536)), data.uidMappings());
    assertEquals(List.of(new IdMapping(0, 200000, 65536)), data.gidMappings());
    assertEquals(
        new Hook("/usr/bin/net-setup", List.of("net-setup", "--up"), List.of("A=1"), 5),
        spec.hooks().createRuntime().getFirst());
    assertEquals(2, spec.hooks().poststart().size());
    assertEquals("/usr/bin/cleanup", spec.hooks().poststop().getFirst().path());
    assertEquals(
        List.of("a.first", "org.example.key"),
        List.copyOf(spec.annotations().keySet()),
        "maps iterate sorted, as Go writes them");

    Linux l = spec.linux();
    assertEquals("1", l.sysctl().get("net.ipv4.ip_forward"));
    assertEquals("/berth/box", l.cgroupsPath());
    assertEquals(new Namespace("network", "/var/run/netns/box"), l.namespaces().get(1));
    assertEquals(8, l.namespaces().size());
    assertEquals(new Device("c", "/dev/fuse", 10, 229, 438, 0, 0), l.devices().getFirst());
    assertEquals(new Device("b", "/dev/sda", 8, 0, null, null, null), l.devices().get(1));
    assertEquals("rslave", l.rootfsPropagation());
    assertEquals(List.of("/proc/kcore"), l.maskedPaths());
    assertEquals(List.of("/proc/sys"), l.readonlyPaths());
    assertEquals("system_u:object_r:container_file_t:s0", l.mountLabel());
    assertEquals(new Personality("LINUX32", List.of()), l.personality());
    assertEquals(new TimeOffset(86400, 500), l.timeOffsets().get("monotonic"));
    assertEquals(new TimeOffset(-5, 0), l.timeOffsets().get("boottime"));

    Resources r = l.resources();
    assertEquals(new DeviceRule(true, "c", 1L, 3L, "rw"), r.devices().get(1));
    assertEquals(
        new Memory(536870912L, 268435456L, -1L, 0L, 1024L, 60L, false, true, true), r.memory());
    assertEquals(
        new Cpu(1024L, 50000L, 10000L, 100000L, 950000L, 1000000L, "0-3", "0", 0L), r.cpu());
    assertEquals(new Pids(512), r.pids());
    BlockIO b = r.blockIO();
    assertEquals(500, b.weight());
    assertEquals(300, b.leafWeight());
    assertEquals(new WeightDevice(8, 16, null, 200), b.weightDevice().get(1));
    assertEquals(new ThrottleDevice(8, 0, 104857600), b.throttleReadBpsDevice().getFirst());
    assertEquals(new ThrottleDevice(8, 0, 52428800), b.throttleWriteBpsDevice().getFirst());
    assertEquals(new ThrottleDevice(8, 0, 1000), b.throttleReadIOPSDevice().getFirst());
    assertEquals(new ThrottleDevice(8, 0, 500), b.throttleWriteIOPSDevice().getFirst());
    assertEquals(new HugepageLimit("2MB", 209715200), r.hugepageLimits().getFirst());
    assertEquals(
        new Network(1048577L, List.of(new NetPriority("eth0", 500), new NetPriority("lo", 0))),
        r.network());
    assertEquals("default 100", r.unified().get("io.weight"));

    Seccomp s = l.seccomp();
    assertEquals("SCMP_ACT_ERRNO", s.defaultAction());
    assertEquals(1, s.defaultErrnoRet());
    assertEquals(List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"), s.architectures());
    assertEquals(List.of("SECCOMP_FILTER_FLAG_LOG"), s.flags());
    assertEquals("/run/seccomp.sock", s.listenerPath());
    assertEquals("meta", s.listenerMetadata());
    assertEquals(
        new SeccompArg(1, -1L, 4, "SCMP_CMP_MASKED_EQ"), s.syscalls().get(1).args().get(1));
    assertEquals(38, s.syscalls().get(2).errnoRet());
    assertNull(s.syscalls().getFirst().errnoRet());

    assertEquals(
        List.of(), SpecValidator.validate(spec, true), "the rich fixture is a valid config");
  }

  @Test
  void aHugepageLimitsPageSizeIsReadInAnyCase() throws SpecException {
    // runc (Go's decoder) matches field names in any case; its own bats tests write "pagesize".
    Spec spec =
        parse(
            "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"linux\":{\"resources\":"
                + "{\"hugepageLimits\":[{\"pagesize\":\"2MB\",\"limit\":2097152},"
                + "{\"PAGESIZE\":\"1GB\",\"limit\":0}]}}}");
    assertEquals(
        List.of(new HugepageLimit("2MB", 2097152), new HugepageLimit("1GB", 0)),
        spec.linux().resources().hugepageLimits());
  }

  @Test
  void richConfigRoundTrips() throws SpecException {
    Spec spec = SpecReader.parse(TestFiles.bytes("fixtures/rich.json"), "rich.json");
    for (String indent :
        new String[] {JsonWriter.TABS, JsonWriter.TWO_SPACES, JsonWriter.COMPACT}) {
      byte[] written = SpecWriter.write(spec, indent);
      assertEquals(spec, SpecReader.parse(written, "written"), "indent " + indent.length());
      // Writing is deterministic: a second pass gives the same bytes.
      assertEquals(
          new String(written, StandardCharsets.UTF_8),
          new String(
              SpecWriter.write(SpecReader.parse(written, "w"), indent), StandardCharsets.UTF_8));
    }
  }

  @Test
  void absentFieldsReadAsEmptyNotNull() throws SpecException {
    Spec spec = parse("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\"}}");
    assertNull(spec.root());
    assertNull(spec.linux());
    assertEquals("", spec.hostname());
    assertEquals(List.of(), spec.mounts());
    assertEquals(Map.of(), spec.annotations());
    assertTrue(spec.hooks().isEmpty());
    assertEquals(User.ROOT, spec.process().user());
    assertEquals(List.of(), spec.process().env());
    assertNull(spec.process().capabilities());
    assertNull(spec.process().oomScoreAdj());
  }

  @Test
  void nullMeansAbsentAsInGo() throws SpecException {
    Spec spec =
        parse(
            "{\"ociVersion\":\"1.0.0\",\"process\":null,\"hostname\":null,\"mounts\":null,"
                + "\"linux\":{\"resources\":{\"memory\":{\"limit\":null,\"swap\":5}}}}");
    assertNull(spec.process());
    assertEquals("", spec.hostname());
    assertEquals(List.of(), spec.mounts());
    assertNull(spec.linux().resources().memory().limit());
    assertEquals(5L, spec.linux().resources().memory().swap());
  }

  @Test
  void unknownFieldsAreSkippedWhateverTheirShape() throws SpecException {
    Spec spec =
        parse(
            """
                {"x": {"a": [1, {"b": [[], {}]}, "]}"], "c": {"d": null}},
                 "ociVersion": "1.0.0",
                 "y": [[{"z": [1.5e10, -3, true, false, null]}]],
                 "process": {"u": {"v": 1}, "args": ["a"], "w": [], "cwd": "/"},
                 "hostname": "h", "z": "tail"}
                """);
    assertEquals("1.0.0", spec.ociVersion());
    assertEquals(List.of("a"), spec.process().args());
    assertEquals("/", spec.process().cwd());
    assertEquals("h", spec.hostname());
  }

  @Test
  void aRepeatedFieldKeepsTheLastValue() throws SpecException {
    assertEquals("b", parse("{\"hostname\":\"a\",\"hostname\":\"b\"}").hostname());
  }

  @Test
  void wrongTypeNamesTheFieldPath() {
    assertEquals(
        "config.json: process.args[1]: expected string, got number",
        error("{\"process\":{\"args\":[\"sh\",1]}}"));
    assertEquals(
        "config.json: linux.namespaces: expected array, got object",
        error("{\"linux\":{\"namespaces\":{}}}"));
    assertEquals(
        "config.json: root.readonly: expected boolean, got string",
        error("{\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}}"));
    assertEquals("config.json: process: expected object, got array", error("{\"process\":[]}"));
    assertEquals(
        "config.json: mounts[1].options[0]: expected string, got object",
        error("{\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"/b\",\"options\":[{}]}]}"));
    assertEquals(
        "config.json: annotations.k: expected string, got boolean",
        error("{\"annotations\":{\"k\":true}}"));
    assertEquals("config.json: expected object, got array", error("[]"));
  }

  @Test
  void unknownNamespaceTypeIsRejected() {
    assertEquals(
        "config.json: linux.namespaces[2].type: unknown namespace type \"foo\"",
        error(
            "{\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"uts\"},{\"type\":\"foo\"}]}}"));
  }

  @Test
  void numbersMustFitTheirGoType() {
    assertEquals(
        "config.json: process.user.uid: number 4294967296 out of range for uint32",
        error("{\"process\":{\"user\":{\"uid\":4294967296}}}"));
    assertEquals(
        "config.json: process.user.gid: number -1 out of range for uint32",
        error("{\"process\":{\"user\":{\"uid\":0,\"gid\":-1}}}"));
    assertEquals(
        "config.json: process.rlimits[0].hard: number 18446744073709551616 out of range for uint64",
        error(
            "{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"hard\":18446744073709551616}]}}"));
    assertEquals(
        "config.json: process.rlimits[0].soft: number -1 out of range for uint64",
        error("{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":-1}]}}"));
    assertEquals(
        "config.json: linux.resources.pids.limit: expected int64, got number 1.5",
        error("{\"linux\":{\"resources\":{\"pids\":{\"limit\":1.5}}}}"));
    assertEquals(
        "config.json: linux.resources.memory.limit: number 9223372036854775808 out of range for int64",
        error("{\"linux\":{\"resources\":{\"memory\":{\"limit\":9223372036854775808}}}}"));
    assertEquals(
        "config.json: linux.resources.blockIO.weight: number 65536 out of range for uint16",
        error("{\"linux\":{\"resources\":{\"blockIO\":{\"weight\":65536}}}}"));
    assertEquals(
        "config.json: process.oomScoreAdj: expected int32, got string",
        error("{\"process\":{\"oomScoreAdj\":\"5\"}}"));
  }

  @Test
  void malformedJsonGivesLineAndColumn() {
    String message =
        error("{\n  \"ociVersion\": \"1.0.0\",\n  \"process\": {\"args\": [\"sh\",]}\n}");
    assertTrue(message.startsWith("config.json: process.args"), message);
    assertTrue(message.contains("invalid json at line 3, column"), message);

    String truncated = error("{\"ociVersion\": \"1.0.0\", \"process\": {");
    assertTrue(truncated.contains("invalid json") && truncated.contains("end-of-input"), truncated);

    assertEquals("config.json: empty document, expected a json value", error("  "));
    assertTrue(
        error("{} {}").startsWith("config.json: unexpected object after the top-level value"),
        error("{} {}"));
    assertTrue(error("{\"a\": tru}").contains("invalid json at line 1"), error("{\"a\": tru}"));
  }

  @Test
  void readNamesTheFileAndKeepsIoErrorsApart(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("config.json");
    assertThrows(NoSuchFileException.class, () -> SpecReader.read(config));
    Files.writeString(config, "{\"process\":{\"cwd\":7}}");
    SpecException e = assertThrows(SpecException.class, () -> SpecReader.read(config));
    assertEquals(config + ": process.cwd: expected string, got number", e.getMessage());
    assertEquals("process.cwd", e.path());
    assertEquals(config.toString(), e.source());
    assertEquals("expected string, got number", e.detail());
  }

  @Test
  void parsesAProcessForExec() throws SpecException {
    Process p =
        SpecReader.parseProcess(
            ("{\"args\":[\"ps\",\"aux\"],\"cwd\":\"/tmp\",\"env\":[\"A=b\"],"
                    + "\"user\":{\"uid\":1000,\"gid\":1000}}")
                .getBytes(StandardCharsets.UTF_8),
            "process.json");
    assertEquals(List.of("ps", "aux"), p.args());
    assertEquals(1000, p.user().uid());
    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                SpecReader.parseProcess(
                    "{\"args\":\"ps\"}".getBytes(StandardCharsets.UTF_8), "process.json"));
    assertEquals("process.json: args: expected array, got string", e.getMessage());
  }

  @Test
  void parsesResourcesForUpdate() throws SpecException {
    Resources r =
        SpecReader.parseResources(
            ("{\"memory\":{\"limit\":1048576},\"cpu\":{\"quota\":-1}," + "\"pids\":{\"limit\":10}}")
                .getBytes(StandardCharsets.UTF_8),
            "resources.json");
    assertEquals(1048576L, r.memory().limit());
    assertNull(r.memory().swap());
    assertEquals(-1L, r.cpu().quota());
    assertNull(r.cpu().shares());
    assertEquals(10, r.pids().limit());
    assertNull(r.blockIO());
  }

  @Test
  void stateWritesRuntimeSpecOrderCompactAndRoundTrips() throws SpecException {
    State state =
        new State("1.0.2-dev", "c1", "running", 4242, "/b/c1", Map.of("z", "1", "a", "<2>"));
    String json = new String(SpecWriter.writeState(state), StandardCharsets.UTF_8);
    assertEquals(
        "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"c1\",\"status\":\"running\",\"pid\":4242,"
            + "\"bundle\":\"/b/c1\",\"annotations\":{\"a\":\"\\u003c2\\u003e\",\"z\":\"1\"}}",
        json);
    assertEquals(state, SpecReader.parseState(json.getBytes(StandardCharsets.UTF_8), "state"));

    State stopped = new State("1.0.2-dev", "c1", "stopped", 0, "/b/c1", null);
    assertEquals(
        "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"c1\",\"status\":\"stopped\",\"bundle\":\"/b/c1\"}",
        new String(SpecWriter.writeState(stopped), StandardCharsets.UTF_8));
    assertEquals(
        "{\n  \"ociVersion\": \"1.0.2-dev\",\n  \"id\": \"c1\",\n  \"status\": \"stopped\",\n"
            + "  \"bundle\": \"/b/c1\"\n}",
        new String(SpecWriter.writeState(stopped, JsonWriter.TWO_SPACES), StandardCharsets.UTF_8));
  }

  @Test
  void writerOmitsEmptyFieldsLikeGoOmitempty() {
    Spec minimal =
        new Spec(
            "1.0.2-dev",
            new Process(
                false,
                null,
                null,
                List.of("true"),
                null,
                null,
                null,
                null,
                null,
                false,
                null,
                null,
                null),
            new Root("rootfs", false),
            null,
            null,
            null,
            null,
            null,
            null);
    assertEquals(
        "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},"
            + "\"args\":[\"true\"],\"cwd\":\"\"},\"root\":{\"path\":\"rootfs\"}}",
        new String(SpecWriter.write(minimal, JsonWriter.COMPACT), StandardCharsets.UTF_8));
  }

  @Test
  void writerKeepsGoFieldOrderOfTopLevelFields() {
    // Go's Spec struct order: ociVersion, process, root, hostname, domainname, mounts, hooks,
    // annotations, linux.
    Spec spec =
        new Spec(
            "1.0.2-dev",
            null,
            new Root("r", false),
            "h",
            "d",
            List.of(new Mount("/m", null, null, null, null, null)),
            new Hooks(List.of(new Hook("/p", null, null, null)), null, null, null, null, null),
            Map.of("b", "2", "a", "1"),
            new Linux(
                null, null, null, null, null, "/c", null, null, null, null, null, null, null,
                null));
    assertEquals(
        "{\"ociVersion\":\"1.0.2-dev\",\"root\":{\"path\":\"r\"},\"hostname\":\"h\","
            + "\"domainname\":\"d\",\"mounts\":[{\"destination\":\"/m\"}],"
            + "\"hooks\":{\"prestart\":[{\"path\":\"/p\"}]},\"annotations\":{\"a\":\"1\",\"b\":\"2\"},"
            + "\"linux\":{\"cgroupsPath\":\"/c\"}}",
        new String(SpecWriter.write(spec, JsonWriter.COMPACT), StandardCharsets.UTF_8));
  }

  @Test
  void recordsCopyTheirCollections() {
    java.util.ArrayList<String> args = new java.util.ArrayList<>(List.of("a"));
    Process p =
        new Process(false, null, null, args, null, null, "/", null, null, false, null, null, null);
    args.add("b");
    assertEquals(List.of("a"), p.args());
    assertThrows(UnsupportedOperationException.class, () -> p.args().add("c"));
    assertFalse(p.env() == null);
  }

  @Test
  void readsAConfigFromDisk(@TempDir Path dir) throws IOException, SpecException {
    Path config = dir.resolve("config.json");
    Files.write(config, SpecWriter.write(DefaultSpecs.runc(), JsonWriter.TABS));
    assertEquals(DefaultSpecs.runc(), SpecReader.read(config));
  }

  @Test
  void readsAndWritesNetDevicesIntelRdtAndRdma() throws SpecException {
    Spec spec =
        SpecReader.parse(
            ("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, \"linux\": {"
                    + "\"netDevices\": {\"eth1\": {\"name\": \"ctr0\"}, \"dummy0\": {}},"
                    + " \"intelRdt\": {\"closID\": \"c1\", \"l3CacheSchema\": \"L3:0=ff\","
                    + " \"enableCMT\": true},"
                    + " \"resources\": {\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3,"
                    + " \"hcaObjects\": 10000}, \"mlx5_2\": {}}}}}")
                .getBytes(StandardCharsets.UTF_8),
            "config.json");
    Linux l = spec.linux();
    assertEquals(
        Map.of("eth1", new NetDevice("ctr0"), "dummy0", new NetDevice("")), l.netDevices());
    assertEquals(new IntelRdt("c1", "L3:0=ff", "", true, null), l.intelRdt());
    assertEquals(
        Map.of("mlx5_1", new Rdma(3L, 10000L), "mlx5_2", new Rdma(null, null)),
        l.resources().rdma());
    assertEquals(spec, SpecReader.parse(SpecWriter.write(spec, JsonWriter.COMPACT), "written"));
  }
}
