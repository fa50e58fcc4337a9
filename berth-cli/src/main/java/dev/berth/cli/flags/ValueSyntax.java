package dev.berth.cli.flags;

/**
 * Reads flag values with the syntax Go's {@code flag} package accepts, so that every number,
 * boolean and duration runc accepts is accepted here too. Failures are {@link
 * IllegalArgumentException}s whose message is Go's reason ({@code parse error} or {@code value out
 * of range}), which the parser puts into runc's wording.
 */
final class ValueSyntax {

  static final String PARSE_ERROR = "parse error";
  static final String RANGE_ERROR = "value out of range";

  private ValueSyntax() {}

  /** Go's {@code strconv.ParseBool}: 1, t, T, TRUE, true, True and their false counterparts. */
  static boolean parseBool(String text) {
    return switch (text) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default -> throw new IllegalArgumentException(PARSE_ERROR);
    };
  }

  /**
   * A signed 32-bit integer in Go's base-0 syntax: optional sign, then 0x/0o/0b/0 prefixes,
   * underscores.
   */
  static int parseInt(String text) {
    boolean negative = false;
    String digits = text;
    if (!digits.isEmpty() && (digits.charAt(0) == '+' || digits.charAt(0) == '-')) {
      negative = digits.charAt(0) == '-';
      digits = digits.substring(1);
    }
    long magnitude = parseMagnitude(digits);
    // Compare as unsigned: a magnitude at or past 2^63 shows up negative.
    long limit = negative ? 1L + Integer.MAX_VALUE : Integer.MAX_VALUE;
    if (Long.compareUnsigned(magnitude, limit) > 0) {
      throw new IllegalArgumentException(RANGE_ERROR);
    }
    return (int) (negative ? -magnitude : magnitude);
  }

  /**
   * An unsigned 64-bit integer in Go's base-0 syntax, no sign allowed; the result is read as
   * unsigned.
   */
  static long parseUint(String text) {
    return parseMagnitude(text);
  }

  private static long parseMagnitude(String text) {
    if (text.isEmpty() || !underscoresOk(text)) {
      throw new IllegalArgumentException(PARSE_ERROR);
    }
    int radix = 10;
    int start = 0;
    if (text.charAt(0) == '0' && text.length() > 1) {
      char prefix = Character.toLowerCase(text.charAt(1));
      if (text.length() >= 3 && (prefix == 'x' || prefix == 'o' || prefix == 'b')) {
        radix = prefix == 'x' ? 16 : prefix == 'o' ? 8 : 2;
        start = 2;
      } else {
        radix = 8; // a bare leading zero means octal, as in C and Go
        start = 1;
      }
    }
    StringBuilder clean = new StringBuilder(text.length() - start);
    for (int i = start; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '_') {
        continue;
      }
      if (Character.digit(c, radix) < 0 || c > 'z') {
        throw new IllegalArgumentException(PARSE_ERROR);
      }
      clean.append(c);
    }
    if (clean.isEmpty()) {
      // "0_" style leftovers are caught by underscoresOk; here only a bare octal "0" remains.
      return 0;
    }
    try {
      return Long.parseUnsignedLong(clean, 0, clean.length(), radix);
    } catch (
        IllegalArgumentException
            e) { // NumberFormatException, named by its parent to load one class less
      // the digits were checked above, so only overflow is left
      throw new IllegalArgumentException(RANGE_ERROR);
    }
  }

  /**
   * Go allows underscores in base-0 numbers only between digits or right after a base prefix
   * ({@code 1_000}, {@code 0x_ff}), never leading, trailing or doubled.
   */
  private static boolean underscoresOk(String text) {
    char previous = '^'; // '^' start, '0' digit or prefix, '_' underscore, '!' anything else
    int i = 0;
    boolean hex = false;
    if (text.length() >= 2 && text.charAt(0) == '0') {
      char prefix = Character.toLowerCase(text.charAt(1));
      if (prefix == 'x' || prefix == 'o' || prefix == 'b') {
        hex = prefix == 'x';
        i = 2;
        previous = '0';
      }
    }
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean digit = (c >= '0' && c <= '9') || (hex && Character.digit(c, 16) >= 0 && c <= 'z');
      if (digit) {
        previous = '0';
      } else if (c == '_') {
        if (previous != '0') {
          return false;
        }
        previous = '_';
      } else {
        if (previous == '_') {
          return false;
        }
        previous = '!';
      }
    }
    return previous != '_';
  }

  /**
   * Go's {@code time.ParseDuration}: a sign, then one or more decimal numbers each with a unit (ns,
   * us, µs, ms, s, m, h), such as {@code 1h2m0.5s}; a bare {@code 0} is allowed. Returns
   * nanoseconds, as Go's {@code time.Duration} holds them: {@code java.time} stays off the start
   * path until a verb reads one.
   */
  static long parseDurationNanos(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException(PARSE_ERROR);
    }
    try {
      return durationNanos(text);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          PARSE_ERROR); // Go also refuses durations past about 292 years
    }
  }

  private static long durationNanos(String text) {
    int i = 0;
    boolean negative = false;
    if (text.charAt(0) == '+' || text.charAt(0) == '-') {
      negative = text.charAt(0) == '-';
      i = 1;
    }
    if (text.substring(i).equals("0")) {
      return 0;
    }
    if (i == text.length()) {
      throw new IllegalArgumentException(PARSE_ERROR);
    }
    long totalNanos = 0;
    while (i < text.length()) {
      int wholeStart = i;
      long whole = 0;
      while (i < text.length() && isDigit(text.charAt(i))) {
        whole = Math.addExact(Math.multiplyExact(whole, 10), text.charAt(i) - '0');
        i++;
      }
      boolean hasWhole = i > wholeStart;
      long fraction = 0;
      long fractionScale = 1;
      boolean hasFraction = false;
      if (i < text.length() && text.charAt(i) == '.') {
        i++;
        int fractionStart = i;
        while (i < text.length() && isDigit(text.charAt(i))) {
          // digits past nanosecond precision of an hour cannot change the result
          if (fractionScale < 1_000_000_000_000_000L) {
            fraction = fraction * 10 + (text.charAt(i) - '0');
            fractionScale *= 10;
          }
          i++;
        }
        hasFraction = i > fractionStart;
      }
      if (!hasWhole && !hasFraction) {
        throw new IllegalArgumentException(PARSE_ERROR);
      }
      int unitStart = i;
      while (i < text.length() && !isDigit(text.charAt(i)) && text.charAt(i) != '.') {
        i++;
      }
      long unitNanos = unitNanos(text.substring(unitStart, i));
      if (unitNanos == 0) {
        throw new IllegalArgumentException(PARSE_ERROR); // missing or unknown unit
      }
      long part = Math.multiplyExact(whole, unitNanos);
      if (fraction > 0) {
        part = Math.addExact(part, (long) ((double) fraction * unitNanos / fractionScale));
      }
      totalNanos = Math.addExact(totalNanos, part);
    }
    return negative ? -totalNanos : totalNanos;
  }

  private static long unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> 1L;
      case "us", "\u00b5s", "\u03bcs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      default -> 0L;
    };
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
