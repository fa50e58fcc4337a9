package dev.berth.spec.runtime;

/** A device cgroup rule. null major or minor means all (-1 in runc); empty type means all ("a"). */
public record DeviceRule(boolean allow, String type, Long major, Long minor, String access) {
  public DeviceRule {
    type = type == null ? "" : type;
    access = access == null ? "" : access;
  }
}
