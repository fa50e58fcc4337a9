package dev.berth.spec.json;

import java.time.Instant;

/**
 * RFC 3339 times as Go writes and reads them: the "created" field of runc's state, log lines, image
 * configs and the image store. By hand, because java.time's formatters and parsers cost
 * milliseconds to set up (Instant.parse: ~30 ms cold), on the start path of every command that
 * prints or reads a time.
 */
public final class Rfc3339 {
  private Rfc3339() {}

  /**
   * {@code t} in UTC as Go's RFC3339Nano writes it: trailing zeros of the fraction dropped, no
   * fraction at all for a whole second.
   */
  public static String format(Instant t) {
    return format(t, false);
  }

  /**
   * {@code t} in UTC with all nine digits of the fraction, as docker prints log timestamps (Go's
   * RFC3339NanoFixed): lines stamped in one second stay aligned.
   */
  public static String formatFixedNanos(Instant t) {
    return format(t, true);
  }

  private static String format(Instant t, boolean fixed) {
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
    if (nanos != 0 || fixed) {
      String f = Integer.toString(nanos + 1_000_000_000).substring(1);
      int end = f.length();
      while (!fixed && f.charAt(end - 1) == '0') end--;
      sb.append('.').append(f, 0, end);
    }
    return sb.append('Z').toString();
  }

  /**
   * Parses {@code YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)} (a lowercase t or z, or a space
   * for the T, as Go accepts); the message of the exception says what is wrong.
   */
  public static Instant parse(String s) {
    int n = s.length();
    if (n < 20
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || "Tt ".indexOf(s.charAt(10)) < 0
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      throw bad(s);
    }
    long year = digits(s, 0, 4);
    int month = (int) digits(s, 5, 2);
    int day = (int) digits(s, 8, 2);
    int hour = (int) digits(s, 11, 2);
    int minute = (int) digits(s, 14, 2);
    int second = (int) digits(s, 17, 2);
    if (month < 1
        || month > 12
        || day < 1
        || day > daysIn(year, month)
        || hour > 23
        || minute > 59
        || second > 60) {
      throw bad(s);
    }
    int i = 19;
    int nanos = 0;
    if (i < n && s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
      if (i == start || i - start > 9) throw bad(s);
      nanos = (int) digits(s, start, i - start);
      for (int k = i - start; k < 9; k++) nanos *= 10;
    }
    if (i >= n) throw bad(s);
    int offset;
    char z = s.charAt(i);
    if ((z == 'Z' || z == 'z') && i + 1 == n) {
      offset = 0;
    } else if ((z == '+' || z == '-') && i + 6 == n && s.charAt(i + 3) == ':') {
      int h = (int) digits(s, i + 1, 2);
      int m = (int) digits(s, i + 4, 2);
      if (h > 23 || m > 59) throw bad(s);
      offset = (h * 3600 + m * 60) * (z == '-' ? -1 : 1);
    } else {
      throw bad(s);
    }
    // days-from-civil (Howard Hinnant's algorithm), the inverse of format's
    long y = month <= 2 ? year - 1 : year;
    long era = Math.floorDiv(y, 400);
    long yoe = y - era * 400;
    long doy = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    return Instant.ofEpochSecond(
        days * 86400 + hour * 3600L + minute * 60L + Math.min(second, 59) - offset, nanos);
  }

  private static long digits(String s, int from, int count) {
    long v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') throw bad(s);
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static int daysIn(long year, int month) {
    if (month == 2) return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
    return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
  }

  private static IllegalArgumentException bad(String s) {
    return new IllegalArgumentException(
        "invalid time \"" + s + "\": want RFC 3339, e.g. 2026-01-02T03:04:05Z");
  }

  private static StringBuilder two(StringBuilder sb, long v) {
    return sb.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
  }
}
