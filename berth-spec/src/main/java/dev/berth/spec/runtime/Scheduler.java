package dev.berth.spec.runtime;

import java.util.List;

/**
 * The scheduling policy and attributes of the process (sched_setattr(2)); {@code runtime}, {@code
 * deadline} and {@code period} are nanoseconds, for SCHED_DEADLINE only.
 */
public record Scheduler(
    String policy,
    int nice,
    int priority,
    List<String> flags,
    long runtime,
    long deadline,
    long period) {
  public Scheduler {
    policy = policy == null ? "" : policy;
    flags = Copies.list(flags);
  }
}
