package dev.berth.spec.runtime;

/**
 * A resource limit. hard and soft are uint64: compare with {@link Long#compareUnsigned}; {@code
 * -1L} (18446744073709551615) is RLIM_INFINITY.
 */
public record Rlimit(String type, long hard, long soft) {
  public Rlimit {
    type = type == null ? "" : type;
  }
}
