package dev.berth.runtime.cgroups.devices;

/**
 * Runs a device program on one struct bpf_cgroup_dev_ctx, knowing only the instructions {@link
 * DeviceProgram} documents: anything else fails, so the generator cannot drift from the subset the
 * tests check. Like the verifier it refuses reads of registers never written, and jumps out of the
 * program.
 */
final class BpfInterpreter {
  private static final long CTX = 0x5ec0_0000_0000_0000L;

  private BpfInterpreter() {}

  /** The program's return value for access_type = type | access << 16, major, minor. */
  static long run(long[] program, int type, int access, long major, long minor) {
    int[] ctx = {type | access << 16, (int) major, (int) minor};
    long[] r = new long[11];
    boolean[] set = new boolean[11];
    r[1] = CTX;
    set[1] = true;
    int pc = 0;
    for (int steps = 0; steps < 10_000; steps++) {
      if (pc < 0 || pc >= program.length)
        throw new AssertionError("pc " + pc + " outside the program");
      long insn = program[pc];
      int code = (int) (insn & 0xff);
      int dst = (int) (insn >>> 8 & 0xf);
      int src = (int) (insn >>> 12 & 0xf);
      int off = (short) (insn >>> 16);
      int imm = (int) (insn >>> 32);
      pc++;
      switch (code) {
        case DeviceProgram.LDX_MEM_W -> {
          if (r[src] != CTX || off < 0 || off > 8 || off % 4 != 0)
            throw new AssertionError("bad load at " + (pc - 1));
          r[dst] = ctx[off / 4] & 0xffffffffL;
          set[dst] = true;
        }
        case DeviceProgram.ALU32_MOV_X -> {
          read(set, src, pc);
          r[dst] = r[src] & 0xffffffffL;
          set[dst] = true;
        }
        case DeviceProgram.ALU32_AND_K -> {
          read(set, dst, pc);
          r[dst] = (r[dst] & imm) & 0xffffffffL;
        }
        case DeviceProgram.ALU32_RSH_K -> {
          read(set, dst, pc);
          r[dst] = (r[dst] & 0xffffffffL) >>> (imm & 31);
        }
        case DeviceProgram.ALU64_MOV_K -> {
          r[dst] = imm;
          set[dst] = true;
        }
        case DeviceProgram.JMP32_JEQ_K -> {
          read(set, dst, pc);
          if ((int) r[dst] == imm) pc += off;
        }
        case DeviceProgram.JMP32_JNE_K -> {
          read(set, dst, pc);
          if ((int) r[dst] != imm) pc += off;
        }
        case DeviceProgram.EXIT -> {
          read(set, 0, pc);
          return r[0];
        }
        default ->
            throw new AssertionError(
                "opcode 0x"
                    + Integer.toHexString(code)
                    + " at "
                    + (pc - 1)
                    + " is not in the interpreted subset");
      }
      if (dst == 10) throw new AssertionError("write to the frame pointer at " + (pc - 1));
    }
    throw new AssertionError("no exit after 10000 steps");
  }

  private static void read(boolean[] set, int reg, int pc) {
    if (!set[reg]) throw new AssertionError("r" + reg + " read before written at " + (pc - 1));
  }
}
