package dev.berth.spec.runtime;

/**
 * One entry of {@code linux.netDevices}: the runtime's device named by the map key is moved into
 * the container's network namespace, renamed to {@code name} when that is not empty.
 */
public record NetDevice(String name) {
  public NetDevice {
    name = name == null ? "" : name;
  }
}
