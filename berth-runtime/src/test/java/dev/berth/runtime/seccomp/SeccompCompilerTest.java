package dev.berth.runtime.seccomp;

import static dev.berth.runtime.seccomp.SeccompCompiler.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerException;
import dev.berth.spec.runtime.Seccomp;
import dev.berth.spec.runtime.SeccompArg;
import dev.berth.spec.runtime.SeccompSyscall;
import dev.berth.spec.runtime.SpecReader;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Filter decisions, checked by running the compiled BPF in {@link BpfInterpreter}. */
class SeccompCompilerTest {
  static final int X86_64 = Arch.X86_64.auditArch;
  static final int I386 = Arch.X86.auditArch;
  static final int AARCH64 = Arch.AARCH64.auditArch;
  static final int ARM = 0x40000028;

  static int nr(String name) {
    return Arch.X86_64.number(name);
  }

  static Seccomp profile(String defaultAction, List<String> arches, SeccompSyscall... rules) {
    return new Seccomp(defaultAction, null, arches, List.of(), null, null, List.of(rules));
  }

  static SeccompSyscall rule(String action, String... names) {
    return new SeccompSyscall(List.of(names), action, null, List.of());
  }

  static SeccompSyscall rule(String action, Integer errno, List<SeccompArg> args, String... names) {
    return new SeccompSyscall(List.of(names), action, errno, args);
  }

  static SeccompArg arg(int index, String op, long value, long valueTwo) {
    return new SeccompArg(index, value, valueTwo, op);
  }

  static BpfInterpreter bpf(Seccomp s) throws ContainerException {
    return new BpfInterpreter(SeccompCompiler.compile(s, Arch.X86_64).bpf());
  }

  @Test
  void denyListReturnsTheRulesErrnoAndAllowsTheRest() throws Exception {
    var f =
        bpf(
            profile(
                "SCMP_ACT_ALLOW",
                List.of(),
                rule("SCMP_ACT_ERRNO", 38, List.of(), "mkdir", "mkdirat")));
    assertEquals(RET_ERRNO | 38, f.run(X86_64, nr("mkdir")));
    assertEquals(RET_ERRNO | 38, f.run(X86_64, nr("mkdirat")));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("read")));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("mkdir") + 1));
    assertEquals(RET_ALLOW, f.run(X86_64, 100_000));
  }

  @Test
  void allowListDeniesEverythingElseWithTheDefaultErrno() throws Exception {
    Seccomp s =
        new Seccomp(
            "SCMP_ACT_ERRNO",
            13,
            List.of(),
            List.of(),
            null,
            null,
            List.of(rule("SCMP_ACT_ALLOW", "read", "write", "exit_group")));
    var f = bpf(s);
    assertEquals(RET_ALLOW, f.run(X86_64, nr("read")));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("exit_group")));
    assertEquals(RET_ERRNO | 13, f.run(X86_64, nr("open")));
    // Architectures not listed: no ENOSYS above the profile (runc only patches the listed ones).
    assertEquals(RET_ERRNO | 13, f.run(X86_64, 5000));
  }

  @Test
  void actionsAndTheirDefaultData() throws Exception {
    var f =
        bpf(
            profile(
                "SCMP_ACT_ALLOW",
                List.of(),
                rule("SCMP_ACT_KILL", "read"),
                rule("SCMP_ACT_KILL_PROCESS", "write"),
                rule("SCMP_ACT_KILL_THREAD", "open"),
                rule("SCMP_ACT_TRAP", "close"),
                rule("SCMP_ACT_ERRNO", "stat"),
                rule("SCMP_ACT_TRACE", "fstat"),
                rule("SCMP_ACT_TRACE", 77, List.of(), "lstat"),
                rule("SCMP_ACT_LOG", "poll")));
    assertEquals(RET_KILL_THREAD, f.run(X86_64, nr("read")));
    assertEquals(RET_KILL_PROCESS, f.run(X86_64, nr("write")));
    assertEquals(RET_KILL_THREAD, f.run(X86_64, nr("open")));
    assertEquals(RET_TRAP, f.run(X86_64, nr("close")));
    assertEquals(RET_ERRNO | EPERM, f.run(X86_64, nr("stat")));
    assertEquals(RET_TRACE | EPERM, f.run(X86_64, nr("fstat")));
    assertEquals(RET_TRACE | 77, f.run(X86_64, nr("lstat")));
    assertEquals(RET_LOG, f.run(X86_64, nr("poll")));
  }

  @Test
  void flagsWord() throws Exception {
    Seccomp s =
        new Seccomp(
            "SCMP_ACT_ALLOW",
            null,
            List.of(),
            List.of(
                "SECCOMP_FILTER_FLAG_TSYNC",
                "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
            null,
            null,
            List.of());
    assertEquals(7, SeccompCompiler.compile(s, Arch.X86_64).flags());
  }

  @Test
  void noDefaultActionAndNoRulesMeansNoFilter() throws Exception {
    assertNull(SeccompCompiler.compile(null));
    assertNull(
        SeccompCompiler.compile(
            new Seccomp("", null, List.of("SCMP_ARCH_X86"), List.of(), null, null, List.of())));
  }

  /**
   * The semantics of each operator on 64-bit values, as the reference for the generated
   * comparisons.
   */
  static boolean holds(String op, long arg, long value, long valueTwo) {
    return switch (op) {
      case "SCMP_CMP_EQ" -> arg == value;
      case "SCMP_CMP_NE" -> arg != value;
      case "SCMP_CMP_LT" -> Long.compareUnsigned(arg, value) < 0;
      case "SCMP_CMP_LE" -> Long.compareUnsigned(arg, value) <= 0;
      case "SCMP_CMP_GT" -> Long.compareUnsigned(arg, value) > 0;
      case "SCMP_CMP_GE" -> Long.compareUnsigned(arg, value) >= 0;
      case "SCMP_CMP_MASKED_EQ" -> (arg & value) == valueTwo;
      default -> throw new AssertionError(op);
    };
  }

  static final List<String> OPS =
      List.of(
          "SCMP_CMP_EQ",
          "SCMP_CMP_NE",
          "SCMP_CMP_LT",
          "SCMP_CMP_LE",
          "SCMP_CMP_GT",
          "SCMP_CMP_GE",
          "SCMP_CMP_MASKED_EQ");

  @Test
  void everyOperatorComparesAll64BitsOn64BitAbis() throws Exception {
    long[] values = {
      0,
      1,
      5,
      0xffffffffL,
      0x1_0000_0000L,
      0x1_0000_0005L,
      0x2_0000_0004L,
      0x7fff_ffff_ffff_ffffL,
      0x8000_0000_0000_0000L,
      -1L,
      0xffff_ffff_0000_0000L
    };
    for (String op : OPS) {
      for (long v : values) {
        long two = op.equals("SCMP_CMP_MASKED_EQ") ? v & 0x0000_ffff_0000_00ffL : 0;
        var f =
            bpf(
                profile(
                    "SCMP_ACT_ALLOW",
                    List.of(),
                    rule("SCMP_ACT_ERRNO", 99, List.of(arg(3, op, v, two)), "ioctl")));
        List<Long> args = new ArrayList<>();
        for (long w : values) {
          args.add(w);
          args.add(w + 1);
          args.add(w - 1);
          args.add(w ^ 0x1_0000_0000L);
        }
        for (long a : args) {
          int expect = holds(op, a, v, two) ? RET_ERRNO | 99 : RET_ALLOW;
          assertEquals(
              expect,
              f.run(X86_64, nr("ioctl"), 0, 0, 0, a),
              op + " " + Long.toHexString(v) + " against arg " + Long.toHexString(a));
        }
      }
    }
  }

  @Test
  void randomComparisonsAgreeWithTheReference() throws Exception {
    Random r = new Random(42);
    for (int round = 0; round < 200; round++) {
      String op = OPS.get(r.nextInt(OPS.size()));
      long v = r.nextBoolean() ? r.nextLong() : r.nextInt(8) | ((long) r.nextInt(3) << 32);
      long two = r.nextLong() & v;
      int index = r.nextInt(6);
      var f =
          bpf(
              profile(
                  "SCMP_ACT_ALLOW",
                  List.of(),
                  rule("SCMP_ACT_KILL_PROCESS", null, List.of(arg(index, op, v, two)), "openat")));
      for (int i = 0; i < 50; i++) {
        long a =
            switch (r.nextInt(4)) {
              case 0 -> v;
              case 1 -> v + r.nextInt(3) - 1;
              case 2 -> (v & 0xffff_ffff_0000_0000L) | r.nextInt(8);
              default -> r.nextLong();
            };
        long[] args = new long[6];
        args[index] = a;
        assertEquals(
            holds(op, a, v, two) ? RET_KILL_PROCESS : RET_ALLOW,
            f.run(X86_64, nr("openat"), args),
            op
                + " "
                + Long.toHexString(v)
                + "/"
                + Long.toHexString(two)
                + " arg"
                + index
                + "="
                + Long.toHexString(a));
      }
    }
  }

  @Test
  void conditionsOfOneRuleAreAndedAndRulesAreOred() throws Exception {
    var f =
        bpf(
            profile(
                "SCMP_ACT_ERRNO",
                List.of(),
                rule(
                    "SCMP_ACT_ALLOW",
                    null,
                    List.of(arg(0, "SCMP_CMP_EQ", 1, 0), arg(2, "SCMP_CMP_GT", 10, 0)),
                    "kill"),
                rule("SCMP_ACT_ALLOW", null, List.of(arg(1, "SCMP_CMP_EQ", 9, 0)), "kill"),
                rule("SCMP_ACT_ALLOW", "getpid")));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("kill"), 1, 0, 11));
    assertEquals(RET_ERRNO | EPERM, f.run(X86_64, nr("kill"), 1, 0, 10));
    assertEquals(RET_ERRNO | EPERM, f.run(X86_64, nr("kill"), 2, 0, 11));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("kill"), 2, 9, 0));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("getpid")));
  }

  @Test
  void twoConditionsOnOneArgumentBecomeAlternatives() throws Exception {
    // runc splits such a rule, one rule per condition: personality(0) or personality(8).
    var f =
        bpf(
            profile(
                "SCMP_ACT_ERRNO",
                List.of(),
                rule(
                    "SCMP_ACT_ALLOW",
                    null,
                    List.of(arg(0, "SCMP_CMP_EQ", 0, 0), arg(0, "SCMP_CMP_EQ", 8, 0)),
                    "personality")));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("personality"), 0));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("personality"), 8));
    assertEquals(RET_ERRNO | EPERM, f.run(X86_64, nr("personality"), 4));
  }

  @Test
  void anUnconditionalRuleWinsOverConditionalOnes() throws Exception {
    var f =
        bpf(
            profile(
                "SCMP_ACT_ALLOW",
                List.of(),
                rule("SCMP_ACT_ERRNO", 5, List.of(arg(0, "SCMP_CMP_EQ", 1, 0)), "dup"),
                rule("SCMP_ACT_ERRNO", 6, List.of(), "dup"),
                rule("SCMP_ACT_ERRNO", 7, List.of(), "dup")));
    assertEquals(RET_ERRNO | 6, f.run(X86_64, nr("dup"), 1));
    assertEquals(RET_ERRNO | 6, f.run(X86_64, nr("dup"), 2));
  }

  @Test
  void aRuleWithTheDefaultActionIsDropped() throws Exception {
    // As runc: the first rule equals the default, so personality(4) reaches the second rule and is
    // allowed.
    var f =
        bpf(
            profile(
                "SCMP_ACT_ERRNO",
                List.of(),
                rule("SCMP_ACT_ERRNO", null, List.of(arg(0, "SCMP_CMP_EQ", 4, 0)), "personality"),
                rule(
                    "SCMP_ACT_ALLOW", null, List.of(arg(0, "SCMP_CMP_LT", 10, 0)), "personality")));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("personality"), 4));
    assertEquals(RET_ERRNO | EPERM, f.run(X86_64, nr("personality"), 11));
  }

  @Test
  void unknownSyscallNamesAreIgnored() throws Exception {
    var f =
        bpf(
            profile(
                "SCMP_ACT_ALLOW",
                List.of("SCMP_ARCH_X86"),
                rule("SCMP_ACT_ERRNO", "no_such_syscall", "socketcall", "mkdir")));
    assertEquals(RET_ERRNO | EPERM, f.run(X86_64, nr("mkdir")));
    // socketcall exists on i386 only: it applies there and nowhere else.
    assertEquals(RET_ERRNO | EPERM, f.run(I386, Arch.X86.number("socketcall")));
    assertEquals(RET_ALLOW, f.run(X86_64, Arch.X86.number("socketcall")));
  }

  @Test
  void aForeignArchitectureIsKilled() throws Exception {
    var f = bpf(profile("SCMP_ACT_ALLOW", List.of(), rule("SCMP_ACT_ERRNO", "mkdir")));
    assertEquals(RET_KILL_THREAD, f.run(AARCH64, 0));
    assertEquals(RET_KILL_THREAD, f.run(I386, 0));
    assertEquals(RET_KILL_THREAD, f.run(ARM, 0));
    // The native ABI is always in the filter, listed or not.
    var g =
        bpf(
            profile(
                "SCMP_ACT_ALLOW", List.of("SCMP_ARCH_AARCH64"), rule("SCMP_ACT_ERRNO", "mkdirat")));
    assertEquals(RET_ERRNO | EPERM, g.run(X86_64, nr("mkdirat")));
    assertEquals(RET_ERRNO | EPERM, g.run(AARCH64, Arch.AARCH64.number("mkdirat")));
    assertEquals(RET_ALLOW, g.run(AARCH64, nr("mkdirat")));
    assertEquals(RET_KILL_THREAD, g.run(I386, 0));
  }

  @Test
  void i386UsesItsOwnNumbersAndComparesTheLowWord() throws Exception {
    var f =
        bpf(
            profile(
                "SCMP_ACT_ALLOW",
                List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"),
                rule("SCMP_ACT_ERRNO", 21, List.of(), "mkdir"),
                rule(
                    "SCMP_ACT_ERRNO",
                    22,
                    List.of(arg(0, "SCMP_CMP_EQ", 0x1_0000_0007L, 0)),
                    "umask")));
    int mkdir32 = Arch.X86.number("mkdir");
    assertEquals(39, mkdir32);
    assertEquals(RET_ERRNO | 21, f.run(I386, mkdir32));
    assertEquals(RET_ALLOW, f.run(X86_64, mkdir32));
    assertEquals(RET_ERRNO | 22, f.run(I386, Arch.X86.number("umask"), 7));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("umask"), 7));
    assertEquals(RET_ERRNO | 22, f.run(X86_64, nr("umask"), 0x1_0000_0007L));
  }

  @Test
  void x32SyscallsAreKilledUnlessX32IsListed() throws Exception {
    int x32mkdir = Arch.X32.number("mkdir");
    assertEquals(Arch.X32_SYSCALL_BIT | nr("mkdir"), x32mkdir);
    var without =
        bpf(
            profile(
                "SCMP_ACT_ALLOW", List.of("SCMP_ARCH_X86_64"), rule("SCMP_ACT_ERRNO", "mkdir")));
    assertEquals(RET_KILL_THREAD, without.run(X86_64, x32mkdir));
    assertEquals(RET_KILL_THREAD, without.run(X86_64, Arch.X32_SYSCALL_BIT | nr("read")));
    assertEquals(RET_KILL_THREAD, without.run(X86_64, -1));
    var with =
        bpf(
            profile(
                "SCMP_ACT_ALLOW",
                List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X32"),
                rule("SCMP_ACT_ERRNO", "mkdir")));
    assertEquals(RET_ERRNO | EPERM, with.run(X86_64, x32mkdir));
    assertEquals(RET_ALLOW, with.run(X86_64, Arch.X32_SYSCALL_BIT | nr("read")));
    assertEquals(RET_ERRNO | EPERM, with.run(X86_64, nr("mkdir")));
    // x32-only numbers (512-547) are their own syscalls.
    assertEquals(RET_ALLOW, with.run(X86_64, Arch.X32.number("rt_sigaction")));
  }

  @Test
  void syscallsNewerThanTheProfileGetEnosysOnListedArchitectures() throws Exception {
    var f =
        bpf(
            profile(
                "SCMP_ACT_ERRNO",
                List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X32"),
                rule("SCMP_ACT_ALLOW", "read", "openat2"),
                rule("SCMP_ACT_ERRNO", "epoll_pwait2")));
    int highest = nr("epoll_pwait2"); // named with the default action: still counts, as in runc
    assertEquals(441, highest);
    assertEquals(RET_ALLOW, f.run(X86_64, nr("openat2")));
    assertEquals(RET_ERRNO | EPERM, f.run(X86_64, highest));
    assertEquals(RET_ERRNO | EPERM, f.run(X86_64, 200));
    assertEquals(RET_ERRNO | ENOSYS, f.run(X86_64, highest + 1));
    assertEquals(RET_ERRNO | ENOSYS, f.run(X86_64, 0x3fff_ffff));
    assertEquals(RET_ERRNO | ENOSYS, f.run(X86_64, Arch.X32.number("epoll_pwait2") + 1));
    assertEquals(RET_ALLOW, f.run(X86_64, Arch.X32.number("read")));
    // A permissive default gets no ENOSYS.
    var g =
        bpf(profile("SCMP_ACT_LOG", List.of("SCMP_ARCH_X86_64"), rule("SCMP_ACT_ERRNO", "read")));
    assertEquals(RET_LOG, g.run(X86_64, 999));
  }

  @Test
  void theProgramStartsWithTheArchitectureCheck() throws Exception {
    byte[] bpf = SeccompCompiler.compile(profile("SCMP_ACT_ALLOW", List.of()), Arch.X86_64).bpf();
    var b = java.nio.ByteBuffer.wrap(bpf).order(java.nio.ByteOrder.nativeOrder());
    assertEquals(0x20, b.getShort(0));
    assertEquals(4, b.getInt(4));
    assertEquals(0x15, b.getShort(8));
    assertEquals(X86_64, b.getInt(12));
  }

  static Seccomp defaultProfile() throws Exception {
    try (InputStream in = SeccompCompilerTest.class.getResourceAsStream("default-profile.json")) {
      String json =
          "{\"ociVersion\": \"1.0.2\", \"linux\": {\"seccomp\": "
              + new String(in.readAllBytes(), StandardCharsets.UTF_8)
              + "}}";
      return SpecReader.parse(json.getBytes(StandardCharsets.UTF_8), "default-profile.json")
          .linux()
          .seccomp();
    }
  }

  @Test
  void aDockerSizedProfileFitsAndDecidesEverySyscall() throws Exception {
    Seccomp s = defaultProfile();
    List<String> allowed = s.syscalls().get(0).names();
    assertTrue(allowed.size() > 300, "profile size " + allowed.size());
    var f = bpf(s);
    assertTrue(f.length() < 1500, "instructions: " + f.length());
    for (Arch a : List.of(Arch.X86_64, Arch.X86, Arch.X32)) {
      int audit = a.auditArch;
      for (String name : allowed) {
        int n = a.number(name);
        if (n >= 0) assertEquals(RET_ALLOW, f.run(audit, n), a + " " + name);
      }
      for (String name :
          List.of("mount", "unshare", "setns", "ptrace", "bpf", "kexec_load", "keyctl")) {
        int n = a.number(name);
        if (n >= 0) assertEquals(RET_ERRNO | EPERM, f.run(audit, n), a + " " + name);
      }
      int personality = a.number("personality");
      assertEquals(RET_ALLOW, f.run(audit, personality, 0));
      assertEquals(RET_ALLOW, f.run(audit, personality, 0xffffffffL));
      assertEquals(RET_ERRNO | EPERM, f.run(audit, personality, 0x0040000));
      int clone = a.number("clone");
      assertEquals(RET_ALLOW, f.run(audit, clone, 17));
      assertEquals(RET_ERRNO | EPERM, f.run(audit, clone, 0x10000000 | 17), "CLONE_NEWUSER");
      assertEquals(RET_ERRNO | ENOSYS, f.run(audit, a.number("clone3")));
      int highest = 0;
      for (SeccompSyscall r : s.syscalls())
        for (String name : r.names()) highest = Math.max(highest, a.number(name));
      assertEquals(RET_ERRNO | ENOSYS, f.run(audit, highest + 1), a + ": newer than the profile");
      assertEquals(
          RET_ERRNO | ENOSYS, f.run(audit, highest + 1000), a + ": newer than the profile");
    }
  }

  @Test
  void farJumpsAreRelaxedWhenEverySyscallHasArgumentRules() throws Exception {
    // Each syscall gets a block of conditions: the binary search then spans more than 255
    // instructions.
    List<SeccompSyscall> rules = new ArrayList<>();
    int i = 0;
    for (String name : defaultProfile().syscalls().get(0).names()) {
      if (Arch.X86_64.number(name) < 0) continue;
      rules.add(rule("SCMP_ACT_ALLOW", null, List.of(arg(i % 6, "SCMP_CMP_LE", i, 0)), name));
      i++;
    }
    Seccomp s = new Seccomp("SCMP_ACT_ERRNO", null, List.of(), List.of(), null, null, rules);
    var f = bpf(s);
    assertTrue(f.length() > 2000, "instructions: " + f.length());
    i = 0;
    for (SeccompSyscall r : rules) {
      int n = nr(r.names().get(0));
      long[] args = new long[6];
      args[i % 6] = i;
      assertEquals(RET_ALLOW, f.run(X86_64, n, args), r.names().get(0));
      args[i % 6] = i + 1;
      assertEquals(RET_ERRNO | EPERM, f.run(X86_64, n, args), r.names().get(0));
      i++;
    }
  }

  @Test
  void aProfileOverTheKernelsLimitIsRefused() {
    List<SeccompSyscall> rules = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      List<SeccompArg> args = new ArrayList<>();
      for (int j = 0; j < 6; j++) args.add(arg(j, "SCMP_CMP_GE", i * 7L + j, 0));
      rules.add(rule("SCMP_ACT_ALLOW", null, args, "ioctl"));
    }
    Seccomp s = new Seccomp("SCMP_ACT_ERRNO", null, List.of(), List.of(), null, null, rules);
    var e = assertThrows(ContainerException.class, () -> SeccompCompiler.compile(s, Arch.X86_64));
    assertTrue(e.getMessage().startsWith("linux.seccomp: the filter needs "), e.getMessage());
  }

  static String error(Seccomp s) {
    return assertThrows(ContainerException.class, () -> SeccompCompiler.compile(s, Arch.X86_64))
        .getMessage();
  }

  static Seccomp notifying(List<String> flags, SeccompSyscall... rules) {
    return new Seccomp(
        "SCMP_ACT_ALLOW", null, List.of(), flags, "/run/agent.sock", "meta", List.of(rules));
  }

  @Test
  void notifyRulesReturnUserNotifAndAskForAListener() throws Exception {
    SeccompProgram p =
        SeccompCompiler.compile(
            notifying(
                List.of("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
                rule("SCMP_ACT_NOTIFY", "mkdir", "mkdirat"),
                rule("SCMP_ACT_ERRNO", "rmdir")),
            Arch.X86_64);
    assertEquals(FLAG_NEW_LISTENER | FLAG_WAIT_KILLABLE_RECV, p.flags());
    var f = new BpfInterpreter(p.bpf());
    assertEquals(RET_USER_NOTIF, f.run(X86_64, nr("mkdir")));
    assertEquals(RET_USER_NOTIF, f.run(X86_64, nr("mkdirat")));
    assertEquals(RET_ERRNO | EPERM, f.run(X86_64, nr("rmdir")));
    assertEquals(RET_ALLOW, f.run(X86_64, nr("sendmsg")));

    // Without a notify rule there is no listener, whatever listenerPath says.
    assertEquals(
        0,
        SeccompCompiler.compile(notifying(List.of(), rule("SCMP_ACT_ERRNO", "rmdir")), Arch.X86_64)
            .flags());
  }

  @Test
  void badInputNamesTheField() {
    assertEquals(
        "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_MAYBE\"",
        error(profile("SCMP_ACT_MAYBE", List.of())));
    assertEquals(
        "linux.seccomp.syscalls[1].action: unknown action \"ALLOW\"",
        error(
            profile(
                "SCMP_ACT_ERRNO",
                List.of(),
                rule("SCMP_ACT_ALLOW", "read"),
                rule("ALLOW", "write"))));
    assertEquals(
        "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_FOO\"",
        error(
            profile(
                "SCMP_ACT_ERRNO",
                List.of(),
                rule(
                    "SCMP_ACT_ALLOW",
                    null,
                    List.of(arg(0, "SCMP_CMP_EQ", 1, 0), arg(1, "SCMP_CMP_FOO", 1, 0)),
                    "read"))));
    assertEquals(
        "linux.seccomp.syscalls[0].args[0].index: must be below 6, got 6",
        error(
            profile(
                "SCMP_ACT_ERRNO",
                List.of(),
                rule("SCMP_ACT_ALLOW", null, List.of(arg(6, "SCMP_CMP_EQ", 1, 0)), "read"))));
    assertEquals(
        "linux.seccomp.syscalls[0].names: must not be empty",
        error(profile("SCMP_ACT_ERRNO", List.of(), rule("SCMP_ACT_ALLOW"))));
    assertEquals(
        "linux.seccomp.architectures[0]: unknown architecture \"x86_64\"",
        error(profile("SCMP_ACT_ERRNO", List.of("x86_64"))));
    assertEquals(
        "linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY",
        error(profile("SCMP_ACT_ALLOW", List.of(), rule("SCMP_ACT_NOTIFY", "mkdir"))));
    assertTrue(
        error(notifying(List.of(), rule("SCMP_ACT_NOTIFY", "mkdir", "sendmsg")))
            .startsWith(
                "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot apply to sendmsg"));
    assertTrue(
        error(notifying(List.of(), rule("SCMP_ACT_NOTIFY", "write")))
            .startsWith(
                "linux.seccomp.syscalls[0].names[0]: SCMP_ACT_NOTIFY cannot apply to write"));
    assertEquals(
        "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an SCMP_ACT_NOTIFY rule",
        error(
            new Seccomp(
                "SCMP_ACT_ALLOW",
                null,
                List.of(),
                List.of("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"),
                "/run/agent.sock",
                null,
                List.of(rule("SCMP_ACT_ERRNO", "mkdir")))));
    assertEquals(
        "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action",
        error(profile("SCMP_ACT_NOTIFY", List.of())));
    assertEquals(
        "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"",
        error(
            new Seccomp(
                "SCMP_ACT_ALLOW",
                null,
                List.of(),
                List.of("SECCOMP_FILTER_FLAG_FOO"),
                null,
                null,
                List.of())));
  }
}
