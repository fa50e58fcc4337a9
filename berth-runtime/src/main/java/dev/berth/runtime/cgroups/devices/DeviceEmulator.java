package dev.berth.runtime.cgroups.devices;

import dev.berth.runtime.cgroups.CgroupException;
import dev.berth.spec.runtime.DeviceRule;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies device rules in order with the semantics of cgroup v1's devices.allow and devices.deny,
 * so that a rule list means on cgroup v2 what it means on v1: a rule of type "a" resets to
 * allow-all or deny-all; a rule against the default adds an exception (merging the access of one
 * for the same devices); a rule in the default's direction takes access away from the exception for
 * exactly the same devices, and drops it once it has none. Like a new v1 cgroup under an unconfined
 * parent, it starts by allowing everything.
 */
public final class DeviceEmulator {
  private static final long MAX_NUMBER = 0xffffffffL;

  private boolean defaultAllow = true;
  private final List<DevicePolicy.Entry> exceptions = new ArrayList<>();

  /**
   * Applies {@code rule}: an empty type means "a", an empty access "rwm", a null or negative major
   * or minor any number. {@code field} names the rule in errors ("linux.resources.devices[2]").
   */
  public void apply(DeviceRule rule, String field) throws CgroupException {
    String type = rule.type() == null || rule.type().isEmpty() ? "a" : rule.type();
    if (!type.equals("a") && !type.equals("b") && !type.equals("c")) {
      throw new CgroupException(field + ".type: must be a, b or c (got \"" + type + "\")");
    }
    int access = access(rule.access(), field);
    if (access == 0) return; // only letters runc ignores: the rule grants or takes nothing
    if (type.equals("a")) {
      // As the kernel: "a" ignores the numbers and the access, and resets everything.
      defaultAllow = rule.allow();
      exceptions.clear();
      return;
    }
    DevicePolicy.Entry e =
        new DevicePolicy.Entry(
            type.charAt(0),
            number(rule.major(), field + ".major"),
            number(rule.minor(), field + ".minor"),
            access);
    if (rule.allow() == defaultAllow) {
      remove(e);
    } else {
      add(e);
    }
  }

  /** The policy the rules applied so far add up to. */
  public DevicePolicy policy() {
    return new DevicePolicy(defaultAllow, exceptions);
  }

  private void add(DevicePolicy.Entry e) {
    for (int i = 0; i < exceptions.size(); i++) {
      DevicePolicy.Entry x = exceptions.get(i);
      if (x.sameDevices(e)) {
        exceptions.set(
            i, new DevicePolicy.Entry(x.type(), x.major(), x.minor(), x.access() | e.access()));
        return;
      }
    }
    exceptions.add(e);
  }

  private void remove(DevicePolicy.Entry e) {
    for (int i = exceptions.size() - 1; i >= 0; i--) {
      DevicePolicy.Entry x = exceptions.get(i);
      if (!x.sameDevices(e)) continue;
      int left = x.access() & ~e.access();
      if (left == 0) {
        exceptions.remove(i);
      } else {
        exceptions.set(i, new DevicePolicy.Entry(x.type(), x.major(), x.minor(), left));
      }
    }
  }

  private static int access(String s, String field) throws CgroupException {
    if (s == null || s.isEmpty()) return DevicePolicy.ALL;
    int mask = 0;
    for (int i = 0; i < s.length(); i++) {
      switch (s.charAt(i)) {
        case 'r' -> mask |= DevicePolicy.READ;
        case 'w' -> mask |= DevicePolicy.WRITE;
        case 'm' -> mask |= DevicePolicy.MKNOD;
        default -> {} // ignored, as runc reads an access string ("rwa" is "rw")
      }
    }
    return mask;
  }

  private static long number(Long n, String field) throws CgroupException {
    if (n == null || n < 0) return DevicePolicy.ANY;
    if (n > MAX_NUMBER)
      throw new CgroupException(field + ": must be at most " + MAX_NUMBER + " (got " + n + ")");
    return n;
  }
}
