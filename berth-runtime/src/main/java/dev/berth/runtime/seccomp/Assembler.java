package dev.berth.runtime.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A classic-BPF assembler with symbolic labels. Conditional jumps have 8-bit offsets, so after
 * layout any that reaches further than 255 instructions is relaxed into a jump to an adjacent
 * {@code ja} (32-bit offset) until everything fits. All jumps go forward: seccomp's verifier
 * rejects anything else, and the compiler only places labels after their users.
 */
final class Assembler {
  // struct sock_filter codes (linux/filter.h, linux/bpf_common.h)
  static final short LD_W_ABS = 0x20;
  static final short ALU_AND_K = 0x54;
  static final short JA = 0x05;
  static final short JEQ = 0x15;
  static final short JGT = 0x25;
  static final short JGE = 0x35;
  static final short RET_K = 0x06;

  /** A position in the program, placed once. */
  static final class Label {
    int at = -1;
  }

  private static final class Insn {
    final short code;
    final int k;
    Label jt;
    Label jf;

    Insn(short code, int k, Label jt, Label jf) {
      this.code = code;
      this.k = k;
      this.jt = jt;
      this.jf = jf;
    }

    boolean conditional() {
      return jf != null;
    }
  }

  private List<Object> items = new ArrayList<>(); // Insn or Label, in program order

  Label label() {
    return new Label();
  }

  void place(Label l) {
    items.add(l);
  }

  void load(int offset) {
    items.add(new Insn(LD_W_ABS, offset, null, null));
  }

  void and(int mask) {
    items.add(new Insn(ALU_AND_K, mask, null, null));
  }

  /** {@code if (A <cond> k) goto jt else goto jf}; cond is JEQ, JGT or JGE. */
  void jump(short cond, int k, Label jt, Label jf) {
    items.add(new Insn(cond, k, jt, jf));
  }

  void ja(Label to) {
    items.add(new Insn(JA, 0, to, null));
  }

  void ret(int value) {
    items.add(new Insn(RET_K, value, null, null));
  }

  /** The program as struct sock_filter entries in native byte order, 8 bytes each. */
  byte[] assemble() {
    while (relax()) {
      // Each pass only adds trampolines; offsets only grow, so this ends once nothing is out of
      // reach.
    }
    int n = layout();
    ByteBuffer out = ByteBuffer.allocate(n * 8).order(ByteOrder.nativeOrder());
    int pc = 0;
    for (Object o : items) {
      if (!(o instanceof Insn i)) continue;
      int jt = 0, jf = 0, k = i.k;
      if (i.code == JA) {
        k = offset(pc, i.jt);
      } else if (i.conditional()) {
        jt = offset(pc, i.jt);
        jf = offset(pc, i.jf);
        if (jt > 255 || jf > 255)
          throw new IllegalStateException("bpf: jump out of reach after relaxation");
      }
      out.putShort(i.code).put((byte) jt).put((byte) jf).putInt(k);
      pc++;
    }
    return out.array();
  }

  /** Places the labels; returns the number of instructions. */
  private int layout() {
    int pc = 0;
    for (Object o : items) {
      if (o instanceof Label l) l.at = pc;
      else pc++;
    }
    return pc;
  }

  private static int offset(int pc, Label target) {
    if (target.at < 0) throw new IllegalStateException("bpf: jump to a label never placed");
    int off = target.at - pc - 1;
    if (off < 0) throw new IllegalStateException("bpf: backward jump");
    return off;
  }

  private boolean relax() {
    layout();
    List<Object> out = new ArrayList<>(items.size() + 16);
    boolean changed = false;
    int pc = 0;
    for (Object o : items) {
      out.add(o);
      if (!(o instanceof Insn i)) continue;
      if (i.conditional()) {
        boolean farT = offset(pc, i.jt) > 255;
        boolean farF = offset(pc, i.jf) > 255;
        if (farT) {
          Label t = new Label();
          out.add(t);
          out.add(new Insn(JA, 0, i.jt, null));
          i.jt = t;
        }
        if (farF) {
          Label f = new Label();
          out.add(f);
          out.add(new Insn(JA, 0, i.jf, null));
          i.jf = f;
        }
        changed |= farT || farF;
      }
      pc++;
    }
    items = out;
    return changed;
  }
}
