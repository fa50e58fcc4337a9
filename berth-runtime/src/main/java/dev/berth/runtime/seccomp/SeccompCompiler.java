package dev.berth.runtime.seccomp;

import dev.berth.runtime.ContainerException;
import dev.berth.spec.runtime.Seccomp;
import dev.berth.spec.runtime.SeccompArg;
import dev.berth.spec.runtime.SeccompSyscall;
import dev.berth.spec.runtime.SpecValidator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Compiles the spec's {@code linux.seccomp} into a classic-BPF program with the decisions runc 1.1
 * makes through libseccomp 2.5, so a profile means the same thing under berth as under runc:
 *
 * <ul>
 *   <li>The filter knows the native ABI plus the listed architectures; any other {@code
 *       seccomp_data.arch} (and, on AUDIT_ARCH_X86_64, an x32 syscall number when x32 is not
 *       listed) gets libseccomp's bad-arch action, which runc leaves at its default: kill the
 *       thread. Architectures berth has no syscall table for are left out, so their processes get
 *       that same action.
 *   <li>A syscall name is resolved per ABI; a name an ABI lacks is skipped for that ABI, and a name
 *       no ABI knows is ignored (runc logs it at debug level and goes on: profiles name syscalls of
 *       newer kernels).
 *   <li>A rule whose action equals the default action is dropped (runc skips it before libseccomp).
 *       An unconditional rule for a syscall wins over conditional ones (libseccomp replaces or
 *       ignores them). Conditional rules are tried in spec order, the first whose conditions all
 *       hold decides; a rule that compares one argument twice is split into one rule per condition,
 *       as runc does.
 *   <li>When the default action does not allow (not ALLOW, LOG or TRACE), a syscall numbered above
 *       the highest one the profile names for a listed architecture returns ENOSYS, as runc's patch
 *       of the libseccomp filter does, so libcs fall back from syscalls newer than the profile
 *       instead of failing with EPERM.
 *   <li>SCMP_ACT_NOTIFY compiles to SECCOMP_RET_USER_NOTIF and makes the filter load with
 *       SECCOMP_FILTER_FLAG_NEW_LISTENER; the notify fd goes to {@code listenerPath} ({@link
 *       ListenerHandoff}).
 * </ul>
 *
 * The syscall number is dispatched by a binary search over ranges of equal outcome, so a
 * 300-syscall profile costs about nine comparisons and a few hundred instructions per ABI.
 */
public final class SeccompCompiler {
  // SECCOMP_RET_* (linux/seccomp.h)
  static final int RET_KILL_PROCESS = 0x80000000;
  static final int RET_KILL_THREAD = 0x00000000;
  static final int RET_TRAP = 0x00030000;
  static final int RET_ERRNO = 0x00050000;
  static final int RET_USER_NOTIF = 0x7fc00000;
  static final int RET_TRACE = 0x7ff00000;
  static final int RET_LOG = 0x7ffc0000;
  static final int RET_ALLOW = 0x7fff0000;

  // SECCOMP_FILTER_FLAG_*
  static final int FLAG_TSYNC = 1;
  static final int FLAG_LOG = 2;
  static final int FLAG_SPEC_ALLOW = 4;

  /** seccomp() returns a notify fd for the filter's SECCOMP_RET_USER_NOTIF outcomes. */
  public static final int FLAG_NEW_LISTENER = 8;

  static final int FLAG_WAIT_KILLABLE_RECV = 32;

  static final int EPERM = 1;
  static final int ENOSYS = 38;

  /**
   * What libseccomp does with a foreign architecture unless told otherwise (runc does not tell it).
   */
  static final int BAD_ARCH_ACTION = RET_KILL_THREAD;

  // offsets in struct seccomp_data
  static final int OFF_NR = 0;
  static final int OFF_ARCH = 4;
  static final int OFF_ARGS = 16;

  enum Op {
    NE,
    LT,
    LE,
    EQ,
    GE,
    GT,
    MASKED_EQ
  }

  // equals and hashCode by hand in these three: a record's generated ones cost ~20 ms of
  // method-handle spinning per record class at their first call in a JVM (the AOT cache does not
  // keep them), and every container start compares decisions.

  record Cond(int index, Op op, long value, long valueTwo) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Cond c
          && c.index == index
          && c.op == op
          && c.value == value
          && c.valueTwo == valueTwo;
    }

    @Override
    public int hashCode() {
      return (31 * (31 * index + op.hashCode()) + Long.hashCode(value)) * 31
          + Long.hashCode(valueTwo);
    }
  }

  record Rule(List<Cond> conds, int action) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Rule r && r.action == action && r.conds.equals(conds);
    }

    @Override
    public int hashCode() {
      return 31 * conds.hashCode() + action;
    }
  }

  /** What a syscall gets: the first conditional rule that matches, else {@code fallback}. */
  record Decision(List<Rule> rules, int fallback) {
    static Decision of(int action) {
      return new Decision(List.of(), action);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Decision d && d.fallback == fallback && d.rules.equals(rules);
    }

    @Override
    public int hashCode() {
      return 31 * rules.hashCode() + fallback;
    }
  }

  private record Named(String name, Rule rule) {}

  /**
   * Syscalls a runtime makes after loading the filter and before anyone holds the notify fd:
   * berth-init sends SECCOMP_FD (and an ERROR if that fails) with sendmsg; runc's init writes to
   * its sync pipe, so runc refuses write, and a profile that runs under runc must run here and the
   * other way round. Notified, they would wait forever for a listener that cannot exist yet.
   */
  private static final Set<String> NOT_NOTIFIABLE = Set.of("sendmsg", "write");

  private SeccompCompiler() {}

  /**
   * The filter for {@code seccomp} on this host's ABI, or null when the spec asks for none (no
   * section, or neither a default action nor rules, as runc reads it). Errors name the field.
   */
  public static SeccompProgram compile(Seccomp seccomp) throws ContainerException {
    if (off(seccomp)) return null;
    Arch arch = Arch.nativeArch();
    if (arch == null) {
      throw ContainerException.unsupported(
          "linux.seccomp: seccomp filters are not supported on "
              + System.getProperty("os.arch")
              + " yet");
    }
    return compile(seccomp, arch);
  }

  static boolean off(Seccomp s) {
    return s == null || (s.defaultAction().isEmpty() && s.syscalls().isEmpty());
  }

  /** The filter as compiled for a host whose own ABI is {@code nativeArch}. */
  static SeccompProgram compile(Seccomp s, Arch nativeArch) throws ContainerException {
    if (off(s)) return null;
    int defaultAction =
        action(s.defaultAction(), s.defaultErrnoRet(), "linux.seccomp.defaultAction");
    if (defaultAction == RET_USER_NOTIF) {
      throw invalid("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
    }
    List<Named> rules = rules(s.syscalls(), defaultAction);
    boolean notify = false;
    for (Named n : rules) notify |= n.rule().action() == RET_USER_NOTIF;
    int flags = flags(s.flags(), notify);
    if (notify) {
      if (s.listenerPath().isEmpty()) {
        throw invalid("linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY");
      }
      // The notify fd is what a NOTIFY rule needs; without it the kernel fails every notified
      // syscall with ENOSYS.
      flags |= FLAG_NEW_LISTENER;
    }

    // The native ABI is always in a libseccomp filter; the listed ones are added to it.
    Set<Arch> arches = new LinkedHashSet<>();
    arches.add(nativeArch);
    Set<Arch> listed = new LinkedHashSet<>();
    for (int i = 0; i < s.architectures().size(); i++) {
      String name = s.architectures().get(i);
      if (!SpecValidator.SECCOMP_ARCHITECTURES.contains(name)) {
        throw invalid(
            "linux.seccomp.architectures[" + i + "]: unknown architecture " + quote(name));
      }
      Arch a = Arch.byScmpName(name);
      if (a != null) listed.add(a);
    }
    arches.addAll(listed);

    List<String> allNames = new ArrayList<>();
    for (SeccompSyscall sc : s.syscalls()) allNames.addAll(sc.names());
    boolean permissive =
        defaultAction == RET_ALLOW
            || defaultAction == RET_LOG
            || (defaultAction & 0xfff00000) == RET_TRACE;

    Assembler asm = new Assembler();
    // Group the ABIs by the AUDIT_ARCH value the kernel reports (x86_64 and x32 share one).
    Map<Integer, List<Arch>> groups = new LinkedHashMap<>();
    for (Arch a : arches) groups.computeIfAbsent(a.auditArch, k -> new ArrayList<>()).add(a);
    Map<Integer, Assembler.Label> entry = new LinkedHashMap<>();
    asm.load(OFF_ARCH);
    for (int audit : groups.keySet()) {
      Assembler.Label here = asm.label(), next = asm.label();
      entry.put(audit, here);
      asm.jump(Assembler.JEQ, audit, here, next);
      asm.place(next);
    }
    asm.ret(BAD_ARCH_ACTION);
    for (var g : groups.entrySet()) {
      asm.place(entry.get(g.getKey()));
      asm.load(OFF_NR);
      List<Arch> members = g.getValue();
      boolean x64 = members.contains(Arch.X86_64), x32 = members.contains(Arch.X32);
      if (x64 || x32) {
        Assembler.Label l64 = asm.label(), l32 = asm.label(), bad = asm.label();
        asm.jump(Assembler.JGE, Arch.X32_SYSCALL_BIT, x32 ? l32 : bad, x64 ? l64 : bad);
        if (!x64 || !x32) {
          asm.place(bad);
          asm.ret(BAD_ARCH_ACTION);
        }
        if (x64) {
          asm.place(l64);
          abi(
              asm,
              Arch.X86_64,
              rules,
              allNames,
              defaultAction,
              !permissive && listed.contains(Arch.X86_64));
        }
        if (x32) {
          asm.place(l32);
          abi(
              asm,
              Arch.X32,
              rules,
              allNames,
              defaultAction,
              !permissive && listed.contains(Arch.X32));
        }
      } else {
        Arch a = members.get(0);
        abi(asm, a, rules, allNames, defaultAction, !permissive && listed.contains(a));
      }
    }
    byte[] bpf = asm.assemble();
    if (bpf.length / 8 > 4096) {
      throw invalid(
          "linux.seccomp: the filter needs "
              + bpf.length / 8
              + " BPF instructions, more than the kernel's limit of 4096");
    }
    return new SeccompProgram(flags, bpf);
  }

  // ---- the spec, checked and normalised ----

  private static int flags(List<String> names, boolean notify) throws ContainerException {
    int flags = 0;
    for (int i = 0; i < names.size(); i++) {
      String at = "linux.seccomp.flags[" + i + "]";
      flags |=
          switch (names.get(i)) {
            case "SECCOMP_FILTER_FLAG_TSYNC" -> FLAG_TSYNC;
            case "SECCOMP_FILTER_FLAG_LOG" -> FLAG_LOG;
            case "SECCOMP_FILTER_FLAG_SPEC_ALLOW" -> FLAG_SPEC_ALLOW;
            case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" -> {
              // The kernel accepts it only together with a listener (EINVAL otherwise).
              if (!notify) {
                throw invalid(
                    at + ": SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an SCMP_ACT_NOTIFY rule");
              }
              yield FLAG_WAIT_KILLABLE_RECV;
            }
            default -> throw invalid(at + ": unknown flag " + quote(names.get(i)));
          };
    }
    return flags;
  }

  static int action(String name, Integer errnoRet, String at) throws ContainerException {
    // runc passes errnoRet as an int16 and libseccomp keeps its low 16 bits.
    int data = errnoRet == null ? EPERM : errnoRet & 0xffff;
    return switch (name) {
      case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD" -> RET_KILL_THREAD;
      case "SCMP_ACT_KILL_PROCESS" -> RET_KILL_PROCESS;
      case "SCMP_ACT_TRAP" -> RET_TRAP;
      case "SCMP_ACT_ERRNO" -> RET_ERRNO | data;
      case "SCMP_ACT_TRACE" -> RET_TRACE | data;
      case "SCMP_ACT_ALLOW" -> RET_ALLOW;
      case "SCMP_ACT_LOG" -> RET_LOG;
      case "SCMP_ACT_NOTIFY" -> RET_USER_NOTIF;
      default -> throw invalid(at + ": unknown action " + quote(name));
    };
  }

  private static Op op(String name, String at) throws ContainerException {
    return switch (name) {
      case "SCMP_CMP_NE" -> Op.NE;
      case "SCMP_CMP_LT" -> Op.LT;
      case "SCMP_CMP_LE" -> Op.LE;
      case "SCMP_CMP_EQ" -> Op.EQ;
      case "SCMP_CMP_GE" -> Op.GE;
      case "SCMP_CMP_GT" -> Op.GT;
      case "SCMP_CMP_MASKED_EQ" -> Op.MASKED_EQ;
      default -> throw invalid(at + ": unknown operator " + quote(name));
    };
  }

  /**
   * Every (name, rule) pair that can change an outcome, in spec order; checks every entry, even
   * dropped ones.
   */
  private static List<Named> rules(List<SeccompSyscall> syscalls, int defaultAction)
      throws ContainerException {
    List<Named> out = new ArrayList<>();
    for (int i = 0; i < syscalls.size(); i++) {
      SeccompSyscall sc = syscalls.get(i);
      String at = "linux.seccomp.syscalls[" + i + "]";
      int action = action(sc.action(), sc.errnoRet(), at + ".action");
      if (sc.names().isEmpty()) throw invalid(at + ".names: must not be empty");
      for (int j = 0; j < sc.names().size(); j++) {
        if (sc.names().get(j).isEmpty()) throw invalid(at + ".names[" + j + "]: must not be empty");
        if (action == RET_USER_NOTIF && NOT_NOTIFIABLE.contains(sc.names().get(j))) {
          throw invalid(
              at
                  + ".names["
                  + j
                  + "]: SCMP_ACT_NOTIFY cannot apply to "
                  + sc.names().get(j)
                  + ": the runtime needs it to hand the notify fd over, so the container would hang at start (runc refuses"
                  + " write for the same reason)");
        }
      }
      List<Cond> conds = new ArrayList<>();
      boolean[] seen = new boolean[6];
      boolean repeated = false;
      for (int j = 0; j < sc.args().size(); j++) {
        SeccompArg a = sc.args().get(j);
        Op op = op(a.op(), at + ".args[" + j + "].op");
        if (Integer.compareUnsigned(a.index(), 6) >= 0) {
          throw invalid(
              at
                  + ".args["
                  + j
                  + "].index: must be below 6, got "
                  + Integer.toUnsignedString(a.index()));
        }
        repeated |= seen[a.index()];
        seen[a.index()] = true;
        conds.add(new Cond(a.index(), op, a.value(), a.valueTwo()));
      }
      if (action == defaultAction) continue;
      for (String name : sc.names()) {
        if (!repeated) {
          out.add(new Named(name, new Rule(List.copyOf(conds), action)));
        } else {
          // runc: conditions on the same argument cannot be AND-ed by libseccomp, so each becomes
          // its own rule.
          for (Cond c : conds) out.add(new Named(name, new Rule(List.of(c), action)));
        }
      }
    }
    return out;
  }

  // ---- code ----

  /** The code for one ABI, entered with the syscall number in A. */
  private static void abi(
      Assembler asm,
      Arch abi,
      List<Named> rules,
      List<String> allNames,
      int defaultAction,
      boolean enosysAbove) {
    Map<Integer, List<Rule>> byNr = new TreeMap<>(Integer::compareUnsigned);
    long highest = -1;
    for (Named n : rules) {
      int nr = abi.number(n.name());
      if (nr < 0) continue;
      byNr.computeIfAbsent(nr, k -> new ArrayList<>()).add(n.rule());
    }
    // runc's ENOSYS patch counts every syscall the profile names, whatever its action.
    if (enosysAbove) highest = highestNamed(abi, allNames);

    // Ranges [start, next start) of equal outcome over all 2^32 numbers.
    List<Long> starts = new ArrayList<>();
    List<Decision> decisions = new ArrayList<>();
    Decision dflt = Decision.of(defaultAction);
    long cur = 0;
    for (var e : byNr.entrySet()) {
      long nr = Integer.toUnsignedLong(e.getKey());
      if (nr > cur) addRange(starts, decisions, cur, dflt);
      addRange(starts, decisions, nr, decide(e.getValue(), defaultAction));
      cur = nr + 1;
    }
    if (highest >= 0 && highest + 1 > cur) {
      addRange(starts, decisions, cur, dflt);
      cur = highest + 1;
    }
    if (cur <= 0xffffffffL)
      addRange(starts, decisions, cur, highest >= 0 ? Decision.of(RET_ERRNO | ENOSYS) : dflt);
    tree(asm, abi, starts, decisions, 0, starts.size() - 1);
  }

  private static long highestNamed(Arch abi, List<String> names) {
    long highest = -1;
    for (String name : names) {
      int nr = abi.number(name);
      if (nr >= 0) highest = Math.max(highest, nr);
    }
    return highest;
  }

  private static void addRange(
      List<Long> starts, List<Decision> decisions, long start, Decision d) {
    if (!decisions.isEmpty() && decisions.getLast().equals(d))
      return; // merge with the range before
    starts.add(start);
    decisions.add(d);
  }

  private static Decision decide(List<Rule> rules, int defaultAction) {
    for (Rule r : rules) if (r.conds().isEmpty()) return Decision.of(r.action());
    return new Decision(List.copyOf(rules), defaultAction);
  }

  /** Binary search over the ranges lo..hi: A holds the syscall number. */
  private static void tree(
      Assembler asm, Arch abi, List<Long> starts, List<Decision> decisions, int lo, int hi) {
    if (lo == hi) {
      decision(asm, abi, decisions.get(lo));
      return;
    }
    int mid = (lo + hi + 1) >>> 1;
    Assembler.Label left = asm.label(), right = asm.label();
    asm.jump(Assembler.JGE, starts.get(mid).intValue(), right, left);
    asm.place(left);
    tree(asm, abi, starts, decisions, lo, mid - 1);
    asm.place(right);
    tree(asm, abi, starts, decisions, mid, hi);
  }

  private static void decision(Assembler asm, Arch abi, Decision d) {
    for (Rule r : d.rules()) {
      Assembler.Label next = asm.label();
      for (Cond c : r.conds()) {
        Assembler.Label pass = asm.label();
        condition(asm, abi.wideArgs, c, pass, next);
        asm.place(pass);
      }
      asm.ret(r.action());
      asm.place(next);
    }
    asm.ret(d.fallback());
  }

  /** Jumps to {@code pass} if the condition holds, else to {@code fail}; clobbers A. */
  static void condition(
      Assembler asm, boolean wide, Cond c, Assembler.Label pass, Assembler.Label fail) {
    int lowOff = OFF_ARGS + 8 * c.index();
    int lo = (int) c.value(), hi = (int) (c.value() >>> 32);
    if (!wide) {
      // A 32-bit ABI passes 32-bit arguments: compare the low word with the low word of the value,
      // as libseccomp.
      asm.load(lowOff);
      word(asm, c.op(), lo, (int) c.valueTwo(), pass, fail);
      return;
    }
    Assembler.Label low = asm.label();
    asm.load(lowOff + 4);
    switch (c.op()) {
      case EQ -> asm.jump(Assembler.JEQ, hi, low, fail);
      case NE -> asm.jump(Assembler.JEQ, hi, low, pass);
      case MASKED_EQ -> {
        asm.and(hi);
        asm.jump(Assembler.JEQ, (int) (c.valueTwo() >>> 32), low, fail);
      }
      case GT, GE -> {
        Assembler.Label eq = asm.label();
        asm.jump(Assembler.JGT, hi, pass, eq);
        asm.place(eq);
        asm.jump(Assembler.JEQ, hi, low, fail);
      }
      case LT, LE -> {
        Assembler.Label eq = asm.label();
        asm.jump(Assembler.JGE, hi, eq, pass);
        asm.place(eq);
        asm.jump(Assembler.JEQ, hi, low, fail);
      }
    }
    asm.place(low);
    asm.load(lowOff);
    word(asm, c.op(), lo, (int) c.valueTwo(), pass, fail);
  }

  /**
   * One 32-bit comparison of A (already loaded) with {@code value} (mask and datum for MASKED_EQ).
   */
  private static void word(
      Assembler asm, Op op, int value, int datum, Assembler.Label pass, Assembler.Label fail) {
    switch (op) {
      case EQ -> asm.jump(Assembler.JEQ, value, pass, fail);
      case NE -> asm.jump(Assembler.JEQ, value, fail, pass);
      case GT -> asm.jump(Assembler.JGT, value, pass, fail);
      case GE -> asm.jump(Assembler.JGE, value, pass, fail);
      case LT -> asm.jump(Assembler.JGE, value, fail, pass);
      case LE -> asm.jump(Assembler.JGT, value, fail, pass);
      case MASKED_EQ -> {
        asm.and(value);
        asm.jump(Assembler.JEQ, datum, pass, fail);
      }
    }
  }

  private static ContainerException invalid(String message) {
    return ContainerException.invalid(message);
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }
}
