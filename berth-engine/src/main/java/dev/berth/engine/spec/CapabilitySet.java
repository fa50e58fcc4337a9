package dev.berth.engine.spec;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.runtime.SpecValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * docker's capability rules: its default set, {@code --cap-drop} then {@code --cap-add}, ALL, and
 * privileged.
 */
public final class CapabilitySet {
  private CapabilitySet() {}

  /** What a container gets unless told otherwise (docker 20.10 and later). */
  public static final List<String> DEFAULT =
      List.of(
          "CAP_CHOWN",
          "CAP_DAC_OVERRIDE",
          "CAP_FSETID",
          "CAP_FOWNER",
          "CAP_MKNOD",
          "CAP_NET_RAW",
          "CAP_SETGID",
          "CAP_SETUID",
          "CAP_SETFCAP",
          "CAP_SETPCAP",
          "CAP_NET_BIND_SERVICE",
          "CAP_SYS_CHROOT",
          "CAP_KILL",
          "CAP_AUDIT_WRITE");

  /**
   * The container's capabilities. A name may omit "CAP_" and is case-insensitive; privileged and
   * "ALL" in capAdd give every capability the kernel knows and {@code bounding} holds (as docker
   * and containerd give the current ones: one the daemon lacks cannot be set) but the dropped ones;
   * "ALL" in capDrop leaves only the added ones; otherwise the default set less capDrop plus
   * capAdd. An unknown name is an error naming it.
   */
  public static List<String> of(
      List<String> capAdd, List<String> capDrop, boolean privileged, int capLastCap, long bounding)
      throws BerthException {
    List<String> known = known(capLastCap);
    if (privileged) return grantable(known, bounding);
    if (capAdd.isEmpty() && capDrop.isEmpty()) return DEFAULT;
    List<String> add = normalize(capAdd, known);
    List<String> drop = normalize(capDrop, known);
    Set<String> caps = new LinkedHashSet<>();
    if (add.contains("ALL")) {
      for (String c : grantable(known, bounding)) if (!drop.contains(c)) caps.add(c);
    } else if (drop.contains("ALL")) {
      caps.addAll(add);
    } else {
      for (String c : DEFAULT) if (!drop.contains(c)) caps.add(c);
      caps.addAll(add);
    }
    return List.copyOf(caps);
  }

  /** Every capability this kernel knows, by name, in number order. */
  public static List<String> known(int capLastCap) {
    int last = Math.min(capLastCap, SpecValidator.CAPABILITIES.size() - 1);
    return SpecValidator.CAPABILITIES.subList(0, last + 1);
  }

  /**
   * The capabilities of {@code known} (in number order) that {@code bounding} holds: what this
   * process may hand on. On a host whose root lacks one (a sandbox without CAP_SYS_RESOURCE, a
   * hardened init), asking for it fails the start with EPERM.
   */
  public static List<String> grantable(List<String> known, long bounding) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < known.size() && i < 64; i++) {
      if ((bounding & (1L << i)) != 0) out.add(known.get(i));
    }
    return out;
  }

  /** This process's capability bounding set, from /proc/self/status (all bits when unreadable). */
  public static long bounding() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("CapBnd:")) return Long.parseUnsignedLong(line.substring(7).trim(), 16);
      }
    } catch (IOException | NumberFormatException e) {
      // no procfs: assume every capability, capset will say if one is missing
    }
    return -1L;
  }

  private static List<String> normalize(List<String> names, List<String> known)
      throws BerthException {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      String c = n.trim().toUpperCase(Locale.ROOT);
      if (!c.equals("ALL") && !c.startsWith("CAP_")) c = "CAP_" + c;
      if (!c.equals("ALL") && !known.contains(c)) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT, "unknown capability: \"" + c + "\"");
      }
      out.add(c);
    }
    return out;
  }
}
