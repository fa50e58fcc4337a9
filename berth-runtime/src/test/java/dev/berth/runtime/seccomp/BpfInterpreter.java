package dev.berth.runtime.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Runs a seccomp classic-BPF program the way the kernel does, on a {@code struct seccomp_data}
 * built from its fields, and refuses what the kernel's checker would refuse (unknown opcodes, jumps
 * out of the program, falling off the end, loads outside seccomp_data): so filter decisions can be
 * tested without loading anything.
 */
final class BpfInterpreter {
  private final ByteBuffer prog;
  private final int n;

  BpfInterpreter(byte[] program) {
    if (program.length == 0 || program.length % 8 != 0)
      throw new IllegalArgumentException("bad program length");
    prog = ByteBuffer.wrap(program).order(ByteOrder.nativeOrder());
    n = program.length / 8;
    if (n > 4096) throw new IllegalArgumentException("more than BPF_MAXINSNS instructions");
  }

  int length() {
    return n;
  }

  /**
   * The SECCOMP_RET_* value for a syscall; {@code args} may be shorter than six (the rest are 0).
   */
  int run(int arch, int nr, long... args) {
    ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    data.putInt(0, nr).putInt(4, arch).putLong(8, 0x7fff_0000_1234L);
    for (int i = 0; i < args.length; i++) data.putLong(16 + 8 * i, args[i]);
    int a = 0;
    int pc = 0;
    for (int steps = 0; ; steps++) {
      if (pc < 0 || pc >= n) throw new IllegalStateException("pc " + pc + " outside the program");
      if (steps > n) throw new IllegalStateException("loop");
      short code = prog.getShort(pc * 8);
      int jt = prog.get(pc * 8 + 2) & 0xff,
          jf = prog.get(pc * 8 + 3) & 0xff,
          k = prog.getInt(pc * 8 + 4);
      pc++;
      switch (code) {
        case 0x20 -> { // ld [k]
          if (k < 0 || k > 60 || k % 4 != 0)
            throw new IllegalStateException("load outside seccomp_data: " + k);
          a = data.getInt(k);
        }
        case 0x54 -> a &= k;
        case 0x05 -> pc += k;
        case 0x15 -> pc += a == k ? jt : jf;
        case 0x25 -> pc += Integer.compareUnsigned(a, k) > 0 ? jt : jf;
        case 0x35 -> pc += Integer.compareUnsigned(a, k) >= 0 ? jt : jf;
        case 0x45 -> pc += (a & k) != 0 ? jt : jf;
        case 0x06 -> {
          return k;
        }
        default ->
            throw new IllegalStateException(
                "opcode " + Integer.toHexString(code) + " at " + (pc - 1));
      }
    }
  }
}
