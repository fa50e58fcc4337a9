package dev.berth.spec.runtime;

import java.util.BitSet;

/**
 * The kernel's list format for CPUs and NUMA nodes ("0-3,7", cpuset(7)): numbers and inclusive
 * ranges separated by commas.
 */
public final class CpuList {
  private CpuList() {}

  /**
   * The numbers of {@code list}, each below {@code limit}.
   *
   * @throws IllegalArgumentException naming the part that is not a number, a reversed range or a
   *     number at or above the limit
   */
  public static BitSet parse(String list, int limit) {
    BitSet set = new BitSet();
    if (list.isBlank()) return set;
    for (String part : list.split(",", -1)) {
      String p = part.strip();
      int dash = p.indexOf('-');
      int from = number(dash < 0 ? p : p.substring(0, dash), limit, p);
      int to = dash < 0 ? from : number(p.substring(dash + 1), limit, p);
      if (to < from) throw new IllegalArgumentException("range " + quote(p) + " is reversed");
      set.set(from, to + 1);
    }
    return set;
  }

  private static int number(String s, int limit, String part) {
    if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(c -> c >= '0' && c <= '9'))
      throw new IllegalArgumentException(quote(part) + " is not a number or a range");
    long n = Long.parseLong(s);
    if (n >= limit)
      throw new IllegalArgumentException(n + " is out of range (the limit is " + limit + ")");
    return (int) n;
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }
}
