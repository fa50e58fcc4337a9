package dev.berth.runtime;

import java.time.Instant;

/**
 * RFC 3339 times as Go writes them, for the "created" field of the state (runc's) and log lines. By hand, because
 * java.time's formatters cost milliseconds to set up, on the start path of every command that prints a time.
 */
public final class Rfc3339 {
  private Rfc3339() {}

  /**
   * {@code t} in UTC as Go's RFC3339Nano writes it: trailing zeros of the fraction dropped, no fraction at all for a
   * whole second.
   */
  public static String format(Instant t) {
    long secs = t.getEpochSecond();
    long days = Math.floorDiv(secs, 86400);
    int sod = (int) Math.floorMod(secs, 86400);
    // civil-from-days (Howard Hinnant's algorithm)
    long z = days + 719468;
    long era = Math.floorDiv(z, 146097);
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    long y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    StringBuilder sb = new StringBuilder(32);
    sb.append(y).append('-');
    two(sb, m).append('-');
    two(sb, d).append('T');
    two(sb, sod / 3600).append(':');
    two(sb, sod / 60 % 60).append(':');
    two(sb, sod % 60);
    int nanos = t.getNano();
    if (nanos != 0) {
      String f = Integer.toString(nanos + 1_000_000_000).substring(1);
      int end = f.length();
      while (f.charAt(end - 1) == '0') end--;
      sb.append('.').append(f, 0, end);
    }
    return sb.append('Z').toString();
  }

  private static StringBuilder two(StringBuilder sb, long v) {
    return sb.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
  }

}
