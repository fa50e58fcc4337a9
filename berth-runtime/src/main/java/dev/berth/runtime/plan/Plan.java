package dev.berth.runtime.plan;

import java.util.List;

/**
 * What berth-init does to start a container: the ops, in order (docs/berth-init-protocol.md). Plain
 * data, so a compiled plan can be checked without root ({@link PlanText}).
 */
public record Plan(List<Op> ops) {
  /** The PLAN message version this encoder writes and berth-init accepts. */
  public static final int VERSION = 1;

  /** The largest PLAN payload berth-init takes. */
  public static final int MAX_BYTES = 4 << 20;

  /** The op index of an ERROR that no op is to blame for (a malformed plan or message). */
  public static final int NO_OP = -1;

  public Plan {
    ops = List.copyOf(ops);
  }

  /**
   * The PLAN message payload: version, op count, then each op as opcode, payload length, payload.
   *
   * @throws IllegalArgumentException when a string holds a NUL byte or the plan exceeds {@link
   *     #MAX_BYTES}
   */
  public byte[] encode() {
    WireWriter w = new WireWriter(4096);
    w.u32(VERSION);
    w.u32(ops.size());
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      w.u32(op.opcode());
      int at = w.position();
      w.u32(0);
      try {
        op.encode(w);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "encode plan step " + i + " (" + op.describe() + "): " + e.getMessage(), e);
      }
      w.patchU32(at, w.position() - at - 4);
    }
    if (w.position() > MAX_BYTES) {
      throw new IllegalArgumentException(
          "encode plan: "
              + w.position()
              + " bytes exceed the limit of "
              + MAX_BYTES
              + " (environment or arguments too large?)");
    }
    return w.toByteArray();
  }

  /** What the op at {@code opIndex} of an ERROR message was doing, for the error the user sees. */
  public String describe(int opIndex) {
    if (opIndex == NO_OP) return "run berth-init";
    if (opIndex < 0 || opIndex >= ops.size())
      return "plan step " + Integer.toUnsignedString(opIndex);
    return ops.get(opIndex).describe();
  }
}
