package dev.berth.spec.runtime;

/**
 * The I/O scheduling class and priority of the process (ioprio_set(2)): {@code ioClass} is
 * IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE, {@code priority} 0 (highest) to 7.
 */
public record IoPriority(String ioClass, int priority) {
  public IoPriority {
    ioClass = ioClass == null ? "" : ioClass;
  }
}
