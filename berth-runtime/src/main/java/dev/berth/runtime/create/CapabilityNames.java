package dev.berth.runtime.create;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import dev.berth.spec.runtime.SpecValidator;

/** Capability sets as bit masks for capset(2), limited to what this kernel knows. */
final class CapabilityNames {
  private static int lastCap = -1;

  private CapabilityNames() {}

  /** The bit mask of the named capabilities that this kernel knows; unknown names are left out, as runc does. */
  static long mask(List<String> names) {
    long m = 0;
    int last = lastCap();
    for (String n : names) {
      int b = SpecValidator.capabilityNumber(n);
      if (b >= 0 && b <= last) m |= 1L << b;
    }
    return m;
  }

  /** The highest capability this kernel supports. */
  static int lastCap() {
    if (lastCap < 0) {
      try {
        lastCap = Integer.parseInt(Files.readString(Path.of("/proc/sys/kernel/cap_last_cap")).strip());
      } catch (IOException | NumberFormatException e) {
        lastCap = SpecValidator.CAPABILITIES.size() - 1;
      }
    }
    return lastCap;
  }
}
