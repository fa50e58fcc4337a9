package dev.berth.runtime.checkpoint;

import dev.berth.runtime.ContainerException;

/**
 * How CRIU treats the container's cgroups ({@code --manage-cgroups-mode}): soft (CRIU's default)
 * restores the cgroup tree and its properties only where missing, full always, strict fails if they
 * differ.
 */
public enum CgroupsMode {
  SOFT(3),
  FULL(4),
  STRICT(5);

  /** The criu_cg_mode number of rpc.proto. */
  final int rpc;

  CgroupsMode(int rpc) {
    this.rpc = rpc;
  }

  /** runc's flag value ("soft", "full", "strict"); empty is null, CRIU's default. */
  public static CgroupsMode parse(String value) throws ContainerException {
    return switch (value) {
      case "" -> null;
      case "soft" -> SOFT;
      case "full" -> FULL;
      case "strict" -> STRICT;
      default ->
          throw ContainerException.invalid(
              "Invalid manage cgroups mode " + quote(value) + ": want soft, full or strict");
    };
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
