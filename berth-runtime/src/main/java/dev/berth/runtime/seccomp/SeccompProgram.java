package dev.berth.runtime.seccomp;

import java.util.Arrays;

/**
 * A compiled seccomp filter: the flags word of {@code seccomp(SECCOMP_SET_MODE_FILTER, flags,
 * prog)} and the program, struct sock_filter entries (u16 code, u8 jt, u8 jf, u32 k) in native byte
 * order, 8 bytes each.
 */
public record SeccompProgram(int flags, byte[] bpf) {
  public SeccompProgram {
    bpf = bpf.clone();
  }

  @Override
  public byte[] bpf() {
    return bpf.clone();
  }

  /** Number of BPF instructions. */
  public int length() {
    return bpf.length / 8;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SeccompProgram p && p.flags == flags && Arrays.equals(p.bpf, bpf);
  }

  @Override
  public int hashCode() {
    return 31 * flags + Arrays.hashCode(bpf);
  }

  @Override
  public String toString() {
    return "SeccompProgram[flags=" + flags + ", insns=" + length() + "]";
  }
}
