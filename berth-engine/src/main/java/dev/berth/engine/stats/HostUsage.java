package dev.berth.engine.stats;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host's side of a stats sample: its CPU time and CPUs (/proc/stat), its memory
 * (/proc/meminfo).
 */
public final class HostUsage {
  private HostUsage() {}

  /** USER_HZ: the unit of /proc/stat's times on every Linux architecture docker supports. */
  private static final long CLOCK_TICKS = 100;

  /** The host's CPU time and online CPUs: {@code [nanoseconds, cpus]}. */
  public static long[] cpu() throws IOException {
    return cpu(Files.readString(Path.of("/proc/stat"), StandardCharsets.US_ASCII));
  }

  /**
   * {@link #cpu()} of a /proc/stat text: the "cpu" line's first seven fields, as docker sums them,
   * and the cpuN lines.
   */
  static long[] cpu(String procStat) {
    long ticks = 0;
    long cpus = 0;
    for (String line : procStat.split("\n")) {
      if (line.startsWith("cpu ")) {
        String[] f = line.trim().split("\\s+");
        for (int i = 1; i < f.length && i <= 7; i++) ticks += Long.parseLong(f[i]);
      } else if (line.startsWith("cpu")) {
        cpus++;
      }
    }
    return new long[] {ticks * (1_000_000_000L / CLOCK_TICKS), cpus};
  }

  /** The host's memory in bytes (MemTotal), 0 when unknown. */
  public static long memory() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"), StandardCharsets.US_ASCII)) {
      if (line.startsWith("MemTotal:")) {
        String[] f = line.trim().split("\\s+");
        return Long.parseLong(f[1]) * 1024;
      }
    }
    return 0;
  }

  /**
   * Bytes received and sent ({@code [rx, tx]}) on the interfaces of {@code pid}'s network namespace
   * but lo.
   */
  public static long[] network(int pid) throws IOException {
    long rx = 0;
    long tx = 0;
    Path dev = Path.of("/proc/" + pid + "/net/dev");
    for (String line : Files.readAllLines(dev, StandardCharsets.US_ASCII)) {
      int colon = line.indexOf(':');
      if (colon < 0) continue;
      String name = line.substring(0, colon).trim();
      if (name.equals("lo")) continue;
      String[] f = line.substring(colon + 1).trim().split("\\s+");
      if (f.length < 9) continue;
      rx += Long.parseLong(f[0]);
      tx += Long.parseLong(f[8]);
    }
    return new long[] {rx, tx};
  }
}
