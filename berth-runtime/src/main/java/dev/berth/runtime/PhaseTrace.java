package dev.berth.runtime;

/**
 * With {@code -Dberth.trace.phases=true}, prints to stderr how long each phase of a verb took, to
 * find where a cold start spends its time (bench/runtime-lifecycle.sh gives the totals). Off, a
 * mark costs one static field read.
 */
public final class PhaseTrace {
  private static final boolean ON = Boolean.getBoolean("berth.trace.phases");
  private static long last = ON ? System.nanoTime() : 0;

  private PhaseTrace() {}

  /**
   * Starts the clock (at main: the JVM's own start is measured from outside, against {@code
   * --version}).
   */
  public static void start() {
    if (ON) last = System.nanoTime();
  }

  /** Ends the phase that led up to here, named {@code phase}. */
  public static void mark(String phase) {
    if (!ON) return;
    long now = System.nanoTime();
    // No printf: its Formatter would cost more than most phases.
    System.err.println("berth: phase " + phase + " " + (now - last) / 1000 + " us");
    last = System.nanoTime();
  }
}
