package dev.berth.runtime.cgroups.devices;

import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.util.Arrays;

/**
 * Compiles a {@link DevicePolicy} into a BPF_PROG_TYPE_CGROUP_DEVICE program. The kernel runs it on
 * every open and mknod of a device node in the cgroup with a struct bpf_cgroup_dev_ctx {u32
 * access_type; u32 major; u32 minor} in r1; it returns 1 to allow and 0 to deny.
 *
 * <p>The program loads the context into registers once (w2 device type, w3 access, w4 major, w5
 * minor), then has one block per exception that falls through to the next block on any mismatch and
 * otherwise returns the exception's verdict; after the last block it returns the default. Only
 * these instructions are emitted, and the tests' interpreter knows exactly these: 32-bit loads from
 * the context, 32-bit mov/and/rsh, 64-bit mov of an immediate into r0, 32-bit conditional jumps
 * against immediates, exit. The 32-bit jumps (Linux 5.1) compare majors and minors over their full
 * unsigned range, which a 64-bit jump against a sign-extended immediate would not.
 */
public final class DeviceProgram {
  private DeviceProgram() {}

  // Opcodes: class | operation | source (K: the immediate, X: a register).
  static final int LDX_MEM_W = 0x61;
  static final int ALU32_MOV_X = 0xbc;
  static final int ALU32_AND_K = 0x54;
  static final int ALU32_RSH_K = 0x74;
  static final int ALU64_MOV_K = 0xb7;
  static final int JMP32_JEQ_K = 0x16;
  static final int JMP32_JNE_K = 0x56;
  static final int EXIT = 0x95;

  // Registers: r0 result, r1 context (then scratch), r2..r5 the context's fields.
  private static final int R0 = 0;
  private static final int R1 = 1;
  private static final int TYPE = 2;
  private static final int ACCESS = 3;
  private static final int MAJOR = 4;
  private static final int MINOR = 5;

  /**
   * The program for {@code policy}, one struct bpf_insn per long as {@link Linux#bpfInsn} encodes
   * it.
   */
  public static long[] compile(DevicePolicy policy) {
    Emitter e = new Emitter();
    e.add(LDX_MEM_W, TYPE, R1, 0, 0);
    e.add(ALU32_MOV_X, ACCESS, TYPE, 0, 0);
    e.add(ALU32_RSH_K, ACCESS, 0, 0, 16);
    e.add(ALU32_AND_K, TYPE, 0, 0, 0xffff);
    e.add(LDX_MEM_W, MAJOR, R1, 4, 0);
    e.add(LDX_MEM_W, MINOR, R1, 8, 0);
    int verdict = policy.defaultAllow() ? 0 : 1;
    for (DevicePolicy.Entry x : policy.exceptions()) {
      // Every jump of a block goes to the first instruction after it: size the block before
      // emitting it.
      int size =
          1
              + 3
              + (x.major() == DevicePolicy.ANY ? 0 : 1)
              + (x.minor() == DevicePolicy.ANY ? 0 : 1)
              + 2;
      boolean fullAccessCheck = !policy.defaultAllow() && x.access() == DevicePolicy.ALL;
      if (fullAccessCheck) size -= 3;
      int next = e.pc() + size;
      int type =
          x.type() == 'b' ? LinuxConstants.BPF_DEVCG_DEV_BLOCK : LinuxConstants.BPF_DEVCG_DEV_CHAR;
      e.jump(JMP32_JNE_K, TYPE, type, next);
      if (policy.defaultAllow()) {
        // A deny exception applies when it covers any of the access asked for.
        e.add(ALU32_MOV_X, R1, ACCESS, 0, 0);
        e.add(ALU32_AND_K, R1, 0, 0, x.access());
        e.jump(JMP32_JEQ_K, R1, 0, next);
      } else if (!fullAccessCheck) {
        // An allow exception applies when it covers all the access asked for.
        e.add(ALU32_MOV_X, R1, ACCESS, 0, 0);
        e.add(ALU32_AND_K, R1, 0, 0, ~x.access());
        e.jump(JMP32_JNE_K, R1, 0, next);
      }
      if (x.major() != DevicePolicy.ANY) e.jump(JMP32_JNE_K, MAJOR, (int) x.major(), next);
      if (x.minor() != DevicePolicy.ANY) e.jump(JMP32_JNE_K, MINOR, (int) x.minor(), next);
      e.add(ALU64_MOV_K, R0, 0, 0, verdict);
      e.add(EXIT, 0, 0, 0, 0);
      if (e.pc() != next)
        throw new IllegalStateException("device program block sized " + size + " but emitted more");
    }
    e.add(ALU64_MOV_K, R0, 0, 0, policy.defaultAllow() ? 1 : 0);
    e.add(EXIT, 0, 0, 0, 0);
    return e.done();
  }

  private static final class Emitter {
    private long[] insns = new long[64];
    private int n;

    int pc() {
      return n;
    }

    void add(int code, int dst, int src, int off, int imm) {
      if (n == insns.length) insns = Arrays.copyOf(insns, 2 * n);
      insns[n++] = Linux.bpfInsn(code, dst, src, off, imm);
    }

    /**
     * A conditional jump to instruction {@code target}; offsets count from the next instruction.
     */
    void jump(int code, int reg, int imm, int target) {
      int off = target - (n + 1);
      if (off > Short.MAX_VALUE)
        throw new IllegalStateException("device program: jump of " + off + " out of range");
      add(code, reg, 0, off, imm);
    }

    long[] done() {
      return Arrays.copyOf(insns, n);
    }
  }
}
