package dev.berth.runtime.create;

import dev.berth.spec.runtime.SpecValidator;
import java.util.List;

/** Capability sets as bit masks for capset(2), limited to what this kernel knows. */
final class CapabilityNames {
  private CapabilityNames() {}

  /**
   * The bit mask of the named capabilities that this kernel knows; unknown names are left out, as
   * runc does.
   */
  static long mask(List<String> names, int last) {
    long m = 0;
    for (String n : names) {
      int b = SpecValidator.capabilityNumber(n);
      if (b >= 0 && b <= last) m |= 1L << b;
    }
    return m;
  }
}
