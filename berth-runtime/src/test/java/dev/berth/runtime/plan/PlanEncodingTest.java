package dev.berth.runtime.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The PLAN payload must be byte for byte what berth-init.c reads (docs/berth-init-protocol.md). */
class PlanEncodingTest {
  @BeforeAll
  static void littleEndian() {
    assumeTrue(
        ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN,
        "golden bytes are written for little-endian hosts");
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static String plan(String... opHex) {
    return "01000000" + String.format("%02x000000", opHex.length) + String.join("", opHex);
  }

  @Test
  void mkdirsHasPathStringWithNulThenMode() {
    byte[] b = new Plan(List.of(new Op.Mkdirs("/a", 0755))).encode();
    // opcode 6, 11 payload bytes: len 3, "/a\0", mode 0755 = 0x1ed
    assertEquals(plan("06000000" + "0b000000" + "03000000" + "2f6100" + "ed010000"), hex(b));
  }

  @Test
  void mountFieldsAreInWireOrder() {
    byte[] b =
        new Plan(List.of(new Op.Mount(false, true, "proc", "/proc", "proc", 0xe, ""))).encode();
    String payload =
        "00000000"
            + "01000000"
            + "05000000"
            + "70726f6300"
            + "06000000"
            + "2f70726f6300"
            + "05000000"
            + "70726f6300"
            + "0e00000000000000"
            + "01000000"
            + "00";
    assertEquals(plan("05000000" + "31000000" + payload), hex(b));
  }

  @Test
  void cloneFlagsAreSixtyFourBits() {
    byte[] b = new Plan(List.of(new Op.Clone(0x20000000L | 0x00020000L | 0x80L))).encode();
    assertEquals(plan("02000000" + "08000000" + "8000022000000000"), hex(b));
  }

  @Test
  void execIsTwoStringArrays() {
    byte[] b = new Plan(List.of(new Op.Exec(List.of("sh", "-c"), List.of("A=b")))).encode();
    String payload =
        "02000000"
            + "03000000"
            + "736800"
            + "03000000"
            + "2d6300"
            + "01000000"
            + "04000000"
            + "413d6200";
    assertEquals(plan("26000000" + "1e000000" + payload), hex(b));
  }

  @Test
  void setgroupsIsCountThenGids() {
    byte[] b =
        new Plan(List.of(new Op.Setgroups(List.of(1, 65534)), new Op.Setgroups(List.of())))
            .encode();
    assertEquals(
        plan(
            "19000000" + "0c000000" + "02000000" + "01000000" + "feff0000",
            "19000000" + "04000000" + "00000000"),
        hex(b));
  }

  @Test
  void seccompIsFlagsCountAndRawInstructions() {
    byte[] prog = HexFormat.of().parseHex("0600000000000000" + "060000000000ff7f");
    byte[] b = new Plan(List.of(new Op.Seccomp(2, prog))).encode();
    assertEquals(plan("21000000" + "18000000" + "02000000" + "02000000" + hex(prog)), hex(b));
  }

  @Test
  void unsignedValuesKeepAllBits() {
    byte[] b = new Plan(List.of(new Op.Setrlimit(7, -1L, -1L), new Op.Setresuid(-2))).encode();
    assertEquals(
        plan(
            "11000000" + "14000000" + "07000000" + "ffffffffffffffff" + "ffffffffffffffff",
            "1b000000" + "04000000" + "feffffff"),
        hex(b));
  }

  @Test
  void utf8StringsCountBytesNotChars() {
    byte[] b = new Plan(List.of(new Op.Sethostname("hé"))).encode();
    assertEquals(plan("0e000000" + "08000000" + "04000000" + "68c3a900"), hex(b));
  }

  /**
   * Every op, walked with the field list of the protocol doc: a mismatch between an encoder and the
   * table (a missing, extra or reordered field) leaves bytes over or runs short.
   */
  @Test
  void everyOpMatchesTheFieldsOfTheProtocolDoc() {
    List<Op> ops = allOps();
    TreeSet<Integer> covered = new TreeSet<>();
    for (Op op : ops) covered.add(op.opcode());
    TreeSet<Integer> all = new TreeSet<>();
    for (int i = 1; i <= Opcode.MAX; i++) if (Opcode.fields(i) != null) all.add(i);
    assertEquals(all, covered, "one example of every opcode of ops.def");

    ByteBuffer b = ByteBuffer.wrap(new Plan(ops).encode()).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(Plan.VERSION, b.getInt());
    assertEquals(ops.size(), b.getInt());
    for (Op op : ops) {
      assertEquals(op.opcode(), b.getInt(), op.toString());
      int len = b.getInt();
      int end = b.position() + len;
      for (String f : Opcode.fields(op.opcode()).split(" ")) {
        switch (f) {
          case "" -> {}
          case "u32" -> b.getInt();
          case "u64" -> b.getLong();
          case "str" -> str(b);
          case "strs" -> {
            int n = b.getInt();
            for (int i = 0; i < n; i++) str(b);
          }
          case "u32s" -> skip(b, 4 * b.getInt());
          case "filter" -> {
            b.getInt();
            skip(b, 8 * b.getInt());
          }
          default -> throw new AssertionError(f);
        }
      }
      assertEquals(
          end, b.position(), Opcode.name(op.opcode()) + ": payload length and fields disagree");
    }
    assertEquals(b.limit(), b.position());
  }

  /**
   * The protocol doc's op tables name every opcode of ops.def with its number, names and fields:
   * the doc is written by hand, so this is what keeps it the contract.
   */
  @Test
  void theProtocolDocListsEveryOpAsOpsDefDoes() throws Exception {
    Path doc = Path.of("../docs/berth-init-protocol.md");
    java.util.regex.Pattern row =
        java.util.regex.Pattern.compile(
            "^\\| (\\d+) \\| ([A-Z_]+) \\(`([a-z-]+)`\\) \\| (.*?) \\|");
    Map<Integer, String> documented = new java.util.TreeMap<>();
    for (String line : Files.readAllLines(doc)) {
      var m = row.matcher(line);
      if (!m.find()) continue;
      int n = Integer.parseInt(m.group(1));
      assertEquals(Opcode.name(n), m.group(3), "text name of " + m.group(2));
      documented.put(n, m.group(2) + " " + docFields(m.group(4)));
    }
    Map<Integer, String> defined = new java.util.TreeMap<>();
    for (Op op : allOps()) {
      defined.put(
          op.opcode(),
          documented.getOrDefault(op.opcode(), "").split(" ", 2)[0]
              + " "
              + Opcode.fields(op.opcode()));
    }
    assertEquals(defined, documented);
  }

  /** "`u32 count, u32 gids[count]`" -> "u32s": the doc's field list in ops.def's words. */
  private static String docFields(String cell) {
    if (cell.equals("—")) return "";
    List<String> types = new java.util.ArrayList<>();
    for (String f : cell.replace("`", "").split(", ")) {
      String[] tn = f.split(" ", 2);
      String type = tn[0].equals("strarr") ? "strs" : tn[0];
      if (tn.length > 1 && tn[1].contains("[")) {
        types.removeLast(); // the count before an array is part of it
        if (type.equals("bytes")) {
          types.removeLast(); // and the seccomp flags before the count
          type = "filter";
        } else {
          type = type + "s";
        }
      }
      types.add(type);
    }
    return String.join(" ", types);
  }

  private static void skip(ByteBuffer b, int n) {
    b.position(b.position() + n);
  }

  private static void str(ByteBuffer b) {
    int n = b.getInt();
    assertTrue(n >= 1);
    byte[] s = new byte[n];
    b.get(s);
    assertEquals(0, s[n - 1], "string ends with NUL");
    for (int i = 0; i < n - 1; i++) assertTrue(s[i] != 0, "no NUL inside a string");
  }

  static List<Op> allOps() {
    List<Op> ops = new ArrayList<>();
    ops.add(new Op.Setns(0x40000000, "/proc/1/ns/net"));
    ops.add(new Op.Clone(0x20020000L));
    ops.add(new Op.WaitGo());
    ops.add(new Op.SetRoot("/bundle/rootfs"));
    ops.add(new Op.Mount(true, true, "/a", "/b", "", 4096, "x=y"));
    ops.add(new Op.Mkdirs("/dev/pts", 0755));
    ops.add(new Op.Mkfile("/etc/hosts", 0644));
    ops.add(new Op.Mknod("/dev/null", 0020666, 1, 3, 0, 0));
    ops.add(new Op.Symlink("/proc/self/fd", "/dev/fd"));
    ops.add(new Op.Mask("/proc/kcore"));
    ops.add(new Op.Readonly("/proc/sys"));
    ops.add(new Op.Remount(true, "/data", 4096 | 32 | 1));
    ops.add(new Op.PivotRoot(false));
    ops.add(new Op.Sethostname("box"));
    ops.add(new Op.Setdomainname("example.org"));
    ops.add(new Op.WriteFile("/proc/sys/net/ipv4/ip_forward", "1"));
    ops.add(new Op.Setrlimit(7, 1024, 4096));
    ops.add(new Op.SyncHooks());
    ops.add(new Op.RunHook(0, 2000, "/hook", List.of("hook", "create"), List.of("A=1")));
    ops.add(new Op.Ready());
    ops.add(new Op.OpenFifo("/run/berth/x/exec.fifo"));
    ops.add(new Op.WaitFifo());
    ops.add(new Op.ResolveExec(List.of("/bin/sh", "/usr/bin/sh")));
    ops.add(new Op.Chdir("/"));
    ops.add(new Op.Setgroups(List.of(10, 20)));
    ops.add(new Op.Setresgid(1000));
    ops.add(new Op.Setresuid(1000));
    ops.add(new Op.Keepcaps(true));
    ops.add(new Op.CapsBounding(0xa80425fbL, 40));
    ops.add(new Op.Capset(1, 2, 3));
    ops.add(new Op.Ambient(0));
    ops.add(new Op.NoNewPrivs());
    ops.add(new Op.Seccomp(0, new byte[16]));
    ops.add(new Op.Umask(022));
    ops.add(new Op.Setsid());
    ops.add(new Op.OpenPty("/dev/console"));
    ops.add(new Op.ChownStdio(1000));
    ops.add(new Op.Personality(8));
    ops.add(new Op.IoprioSet(2, 4));
    ops.add(new Op.SchedSetattr(6, 1, -5, 0, 42000, 100000, 1000000, false));
    ops.add(new Op.SchedAffinity(List.of(0, 2), "process.execCPUAffinity.final"));
    ops.add(new Op.SetMempolicy(2, 1 << 15, List.of(0)));
    ops.add(new Op.CloseFds(3));
    ops.add(new Op.JoinKeyring("_ses.c1"));
    ops.add(new Op.SetDumpable(true));
    ops.add(new Op.Unshare(0x80));
    ops.add(new Op.IdmapTree("/srv/data", true, false, "0 1000 1\n", "0 1000 1\n", "mounts[0]"));
    ops.add(new Op.MoveMount(0, "/data"));
    ops.add(new Op.JoinCgroup("/sys/fs/cgroup/pids/c1/tasks"));
    ops.add(new Op.IntoCgroup("/sys/fs/cgroup/unified/c1"));
    ops.add(new Op.MountSetattr(true, "/data", 1, 0));
    ops.add(new Op.Umount("/proc", true));
    ops.add(new Op.CopySource("/etc"));
    ops.add(new Op.CopyTree("/etc"));
    ops.add(new Op.FifoDir());
    ops.add(new Op.Exec(List.of("sh"), List.of("PATH=/bin")));
    return ops;
  }

  @Test
  void nulInAStringNamesTheStep() {
    Plan p = new Plan(List.of(new Op.WaitGo(), new Op.Chdir("/a\0b")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::encode);
    assertTrue(e.getMessage().startsWith("encode plan step 1 (chdir to /a"), e.getMessage());
    assertTrue(e.getMessage().contains("NUL"), e.getMessage());
  }

  @Test
  void planLargerThanBerthInitTakesIsRefused() {
    String big = "x".repeat(1 << 20);
    Plan p = new Plan(List.of(new Op.Exec(List.of("sh"), List.of(big, big, big, big, big))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::encode);
    assertTrue(e.getMessage().contains("exceed the limit"), e.getMessage());
  }

  @Test
  void describeSaysWhatFailed() {
    assertEquals(
        "mount proc on /proc",
        new Op.Mount(false, true, "proc", "/proc", "proc", 14, "").describe());
    assertEquals(
        "bind mount /src on /dst",
        new Op.Mount(false, true, "/src", "/dst", "", 4096 | 16384, "").describe());
    assertEquals(
        "make / rslave", new Op.Mount(false, false, "", "/", "", (1 << 19) | 16384, "").describe());
    assertEquals("mkdir -p /dev/pts", new Op.Mkdirs("/dev/pts", 0755).describe());
    assertEquals("exec /bin/sh", new Op.Exec(List.of("/bin/sh"), List.of()).describe());
    assertEquals(
        "clone the container process into new mount, uts, pid namespaces",
        new Op.Clone(0x00020000L | 0x04000000L | 0x20000000L).describe());
    assertEquals(
        "join network namespace /var/run/netns/a",
        new Op.Setns(0x40000000, "/var/run/netns/a").describe());
    assertEquals(
        "remount /data ro,nosuid", new Op.Remount(true, "/data", 4096 | 32 | 1 | 2).describe());
    assertEquals(
        "find executable sh in PATH",
        new Op.ResolveExec(List.of("/usr/bin/sh", "/bin/sh")).describe());
    assertEquals("mknod /dev/sda b 8 0", new Op.Mknod("/dev/sda", 0060660, 8, 0, 0, 0).describe());
    assertEquals("set umask 022", new Op.Umask(022).describe());
    assertEquals("set RLIMIT_NOFILE", new Op.Setrlimit(7, 1, 1).describe());
  }

  @Test
  void planDescribesItsStepsAndUnblamedErrors() {
    Plan p = new Plan(List.of(new Op.WaitGo(), new Op.Mkdirs("/x", 0755)));
    assertEquals("mkdir -p /x", p.describe(1));
    assertEquals("run berth-init", p.describe(Plan.NO_OP));
    assertEquals("plan step 7", p.describe(7));
  }

  @Test
  void recordsAreImmutableCopies() {
    List<String> argv = new ArrayList<>(List.of("sh"));
    Op.Exec e = new Op.Exec(argv, null);
    argv.add("changed");
    assertEquals(List.of("sh"), e.argv());
    assertEquals(List.of(), e.env());
    byte[] prog = new byte[8];
    Op.Seccomp s = new Op.Seccomp(0, prog);
    prog[0] = 1;
    assertArrayEquals(new byte[8], s.program());
    assertEquals(new Op.Seccomp(0, new byte[8]), s);
    assertThrows(IllegalArgumentException.class, () -> new Op.Seccomp(0, new byte[7]));
    assertThrows(IllegalArgumentException.class, () -> new Op.Exec(List.of(), List.of()));
  }

  @Test
  void nullMountStringsMeanEmpty() {
    Op.Mount m = new Op.Mount(false, false, null, "/", null, 0, null);
    assertEquals("", m.source());
    assertEquals("", m.fstype());
    assertEquals("", m.data());
  }
}
