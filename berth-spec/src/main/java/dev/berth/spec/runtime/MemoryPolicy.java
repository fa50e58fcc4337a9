package dev.berth.spec.runtime;

import java.util.List;

/**
 * The NUMA memory policy of the container's processes (runtime-spec 1.3 {@code linux.memoryPolicy},
 * set_mempolicy(2)): a mode (MPOL_*), a node list ("0-3,7") and mode flags (MPOL_F_*); empty
 * strings when absent.
 */
public record MemoryPolicy(String mode, String nodes, List<String> flags) {
  public MemoryPolicy {
    mode = mode == null ? "" : mode;
    nodes = nodes == null ? "" : nodes;
    flags = Copies.list(flags);
  }

  /** Whether nothing is given: {@code "memoryPolicy": {}} leaves the policy alone, as in runc. */
  public boolean isEmpty() {
    return mode.isEmpty() && nodes.isEmpty() && flags.isEmpty();
  }
}
