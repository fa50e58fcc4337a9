package dev.berth.spec.runtime;

/** A condition on one syscall argument; value and valueTwo are uint64. */
public record SeccompArg(int index, long value, long valueTwo, String op) {
  public SeccompArg {
    op = op == null ? "" : op;
  }
}
