package dev.berth.spec.runtime;

/** Priority of one network interface (uint32). */
public record NetPriority(String name, int priority) {
  public NetPriority {
    name = name == null ? "" : name;
  }
}
