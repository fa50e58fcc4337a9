package dev.berth.runtime.state;

/**
 * The runtime-spec lifecycle states, plus runc's "paused"; {@link #toString()} is the spec's
 * lowercase word.
 */
public enum Status {
  CREATING,
  CREATED,
  RUNNING,
  PAUSED,
  STOPPED;

  @Override
  public String toString() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
