package dev.berth.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berth's hand-written encoding of CRIU's RPC, checked against the real peers: Google's protobuf
 * (Debian's python3-protobuf with CRIU's own generated rpc_pb2, shipped in the criu package)
 * decodes what berth writes and encodes what berth reads; and a real {@code criu swrk} answers
 * berth's requests.
 */
class CriuRpcTest {
  @TempDir Path tmp;

  /** CRIU's rpc_pb2 (package criu) and python3-protobuf. */
  private static final String PY =
      "import sys; sys.path.insert(0, '/usr/lib/python3/dist-packages');"
          + " import pycriu.rpc_pb2 as rpc; from google.protobuf import text_format;";

  private static String python(String script, String stdin) {
    Exec.Result r =
        Exec.run(List.of("python3", "-c", PY + script), Path.of("/"), Map.of(), stdin, 30);
    if (r.exitCode() != 0) throw new AssertionError("python3: " + r);
    return r.stdout();
  }

  @Test
  @RequiresCommand({"python3", "criu"})
  void protobufReadsTheRequestsBerthWrites() {
    ProtoWriter opts =
        new ProtoWriter()
            .int32(Rpc.IMAGES_DIR_FD, 7)
            .int32(Rpc.LOG_LEVEL, Rpc.LOG_ALL)
            .string(Rpc.LOG_FILE, "dump.log")
            .string(Rpc.ROOT, "/run/x/rootfs ü")
            .int32(Rpc.PID, 4242)
            .bool(Rpc.LEAVE_RUNNING, true)
            .bool(Rpc.SHELL_JOB, false)
            .uint32(Rpc.EMPTY_NS, 0x40000000)
            .int32(Rpc.MANAGE_CGROUPS_MODE, CgroupsMode.STRICT.rpc)
            .int32(Rpc.STATUS_FD, -1)
            .message(
                Rpc.PS,
                new ProtoWriter().string(Rpc.PS_ADDRESS, "10.0.0.1").int32(Rpc.PS_PORT, 27000))
            .message(
                Rpc.EXT_MNT,
                new ProtoWriter().string(Rpc.KEY, "/data").string(Rpc.VAL, "/srv/data"))
            .message(
                Rpc.INHERIT_FD, new ProtoWriter().string(Rpc.KEY, "pipe:[123]").int32(Rpc.VAL, 1))
            .message(
                Rpc.CG_ROOT,
                new ProtoWriter().string(Rpc.CTRL, "memory").string(Rpc.PATH, "/berth/c1"))
            .string(Rpc.EXTERNAL, "net[4026531840]:extRootNetNS")
            .string(Rpc.CONFIG_FILE, "/etc/criu/runc.conf");
    byte[] req = Checkpoints.request(Rpc.DUMP, opts);
    String text =
        python(
            "r = rpc.criu_req(); r.ParseFromString(bytes.fromhex(sys.stdin.read()));"
                + " print(text_format.MessageToString(r, as_utf8=True), end='')",
            HexFormat.of().formatHex(req));
    assertEquals(
        """
        type: DUMP
        opts {
          images_dir_fd: 7
          pid: 4242
          leave_running: true
          shell_job: false
          log_level: 4
          log_file: "dump.log"
          ps {
            address: "10.0.0.1"
            port: 27000
          }
          root: "/run/x/rootfs ü"
          ext_mnt {
            key: "/data"
            val: "/srv/data"
          }
          cg_root {
            ctrl: "memory"
            path: "/berth/c1"
          }
          inherit_fd {
            key: "pipe:[123]"
            fd: 1
          }
          manage_cgroups_mode: STRICT
          external: "net[4026531840]:extRootNetNS"
          empty_ns: 1073741824
          status_fd: -1
          config_file: "/etc/criu/runc.conf"
        }
        """,
        text);
  }

  @Test
  @RequiresCommand({"python3", "criu"})
  void berthReadsTheResponsesProtobufWrites() throws IOException {
    String hex =
        python(
                "r = rpc.criu_resp(); r.type = rpc.RESTORE; r.success = False; r.cr_errno = 2;"
                    + " r.cr_errmsg = 'no such image'; r.restore.pid = 77; r.status = 5; r.version.major_number = 3;"
                    + " r.version.minor_number = 17; r.version.sublevel = 1; r.version.gitid = 'abc';"
                    + " print(r.SerializeToString().hex())",
                null)
            .strip();
    Swrk.Response r = Swrk.parseResponse(HexFormat.of().parseHex(hex));
    assertEquals(Rpc.RESTORE, r.type());
    assertFalse(r.success());
    assertEquals(2, r.crErrno());
    assertEquals("no such image", r.crErrmsg());
    assertEquals(77, r.restoredPid());
    assertEquals("3.17.1", r.version());
    // Truncated: an error, never a half-read response taken for an answer.
    byte[] whole = HexFormat.of().parseHex(hex);
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 3);
    assertThrows(IOException.class, () -> Swrk.parseResponse(cut));
  }

  @Test
  @RequiresCommand("criu")
  void realCriuAnswersOverSwrk() throws IOException {
    byte[] req = new ProtoWriter().int32(Rpc.REQ_TYPE, Rpc.VERSION).toByteArray();
    Swrk.Response r = Swrk.call("criu", req, new int[0], null, (s, p, f) -> {});
    assertTrue(r.success(), r.toString());
    assertEquals(Rpc.VERSION, r.type());
    assertTrue(r.version().startsWith("3."), r.version());
  }

  @Test
  void aMissingCriuIsNamed() {
    IOException e = assertThrows(IOException.class, () -> Swrk.resolve("no-such-criu-binary"));
    assertTrue(
        e.getMessage().contains("no-such-criu-binary") && e.getMessage().contains("PATH"),
        e.getMessage());
    IOException f =
        assertThrows(IOException.class, () -> Swrk.resolve(tmp.resolve("criu").toString()));
    assertTrue(f.getMessage().contains(tmp.resolve("criu").toString()), f.getMessage());
  }

  @Test
  void criuThatDiesBeforeAnsweringIsReportedWithItsStatus() throws IOException {
    Path fake = tmp.resolve("fake-criu");
    Files.writeString(fake, "#!/bin/sh\nexit 3\n");
    fake.toFile().setExecutable(true);
    byte[] req = new ProtoWriter().int32(Rpc.REQ_TYPE, Rpc.VERSION).toByteArray();
    IOException e =
        assertThrows(
            IOException.class,
            () -> Swrk.call(fake.toString(), req, new int[0], null, (s, p, f) -> {}));
    assertTrue(
        e.getMessage().contains("exited before it answered")
            || e.getMessage().contains("EPIPE")
            || e.getMessage().contains("ECONNRESET"),
        e.getMessage());
  }

  @Test
  void cgroupRootsAreRelativeToTheirHierarchy() {
    String mountinfo =
        """
        30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
        31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
        32 25 0:28 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
        """;
    assertEquals(
        Map.of("memory", "/berth/c1", "cpu", "/berth/c1", "", "/berth/c1"),
        Checkpoints.cgroupRoots(
            Map.of(
                "memory",
                "/sys/fs/cgroup/memory/berth/c1",
                "cpu",
                "/sys/fs/cgroup/cpu,cpuacct/berth/c1",
                "",
                "/sys/fs/cgroup/unified/berth/c1"),
            mountinfo));
  }

  @Test
  void runcsFlagValuesAreCheckedAsRuncChecksThem() throws Exception {
    assertEquals(new PageServer("10.0.0.1", 27000), PageServer.parse("10.0.0.1:27000"));
    assertEquals(new PageServer("::1", 5), PageServer.parse("[::1]:5"));
    for (String bad : new String[] {"foo", ":1", "a:", "a:b:c", "[::1]"}) {
      assertThrows(dev.berth.runtime.ContainerException.class, () -> PageServer.parse(bad), bad);
    }
    var port =
        assertThrows(dev.berth.runtime.ContainerException.class, () -> PageServer.parse("a:b"));
    assertTrue(port.getMessage().startsWith("Invalid port number"), port.getMessage());
    assertEquals(CgroupsMode.FULL, CgroupsMode.parse("full"));
    assertEquals(null, CgroupsMode.parse(""));
    assertThrows(dev.berth.runtime.ContainerException.class, () -> CgroupsMode.parse("bad"));
    assertEquals(0x40000000, Checkpoints.emptyNamespaces(List.of("network")));
    var pid =
        assertThrows(
            dev.berth.runtime.ContainerException.class,
            () -> Checkpoints.emptyNamespaces(List.of("pid")));
    assertEquals("namespace \"pid\" is not supported", pid.getMessage());
  }
}
