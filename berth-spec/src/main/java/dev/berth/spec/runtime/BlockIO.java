package dev.berth.spec.runtime;

import java.util.List;

/** Block I/O cgroup limits; weights (uint16) are null when absent. */
public record BlockIO(
    Integer weight,
    Integer leafWeight,
    List<WeightDevice> weightDevice,
    List<ThrottleDevice> throttleReadBpsDevice,
    List<ThrottleDevice> throttleWriteBpsDevice,
    List<ThrottleDevice> throttleReadIOPSDevice,
    List<ThrottleDevice> throttleWriteIOPSDevice) {
  public BlockIO {
    weightDevice = Copies.list(weightDevice);
    throttleReadBpsDevice = Copies.list(throttleReadBpsDevice);
    throttleWriteBpsDevice = Copies.list(throttleWriteBpsDevice);
    throttleReadIOPSDevice = Copies.list(throttleReadIOPSDevice);
    throttleWriteIOPSDevice = Copies.list(throttleWriteIOPSDevice);
  }
}
