package dev.berth.runtime;

/**
 * With {@code -Dberth.trace.phases=true}, prints to stderr how long each phase of a verb took, to
 * find where a cold start spends its time (bench/runtime-lifecycle.sh gives the totals). Off, a
 * mark costs one static field read.
 */
public final class PhaseTrace {
  private static final boolean ON = Boolean.getBoolean("berth.trace.phases");
  private static long last = ON ? System.nanoTime() : 0;
  private static long lastCpu = ON ? cpuNanos() : 0;
  private static long lastThreadCpu = ON ? threadCpuNanos() : 0;

  private PhaseTrace() {}

  /**
   * Starts the clock (at main: the JVM's own start is measured from outside, against {@code
   * --version}).
   */
  public static void start() {
    if (ON) {
      last = System.nanoTime();
      lastCpu = cpuNanos();
      lastThreadCpu = threadCpuNanos();
    }
  }

  /** This process's CPU time (all its threads: JIT and GC included), user and system. */
  private static long cpuNanos() {
    return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos()).orElse(0L);
  }

  /**
   * The calling thread's CPU time in ns (/proc/thread-self/schedstat): the process's is counted in
   * clock ticks (10 ms), longer than most phases.
   */
  private static long threadCpuNanos() {
    try {
      String s =
          java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/schedstat"));
      return Long.parseLong(s.substring(0, s.indexOf(' ')));
    } catch (java.io.IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Ends the phase that led up to here, named {@code phase}. */
  public static void mark(String phase) {
    if (!ON) return;
    long now = System.nanoTime();
    long cpu = cpuNanos();
    long threadCpu = threadCpuNanos();
    // No printf: its Formatter would cost more than most phases. The process's CPU time beside the
    // wall time: on a loaded machine the wall time mostly measures the load.
    System.err.println(
        "berth: phase "
            + phase
            + " "
            + (now - last) / 1000
            + " us ("
            + (cpu - lastCpu) / 1000
            + " us cpu, "
            + (threadCpu - lastThreadCpu) / 1000
            + " us this thread)");
    lastCpu = cpuNanos();
    lastThreadCpu = threadCpuNanos();
    last = System.nanoTime();
  }
}
