package dev.berth.cli.format;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * docker's sizes (go-units): {@link #decimal} as HumanSizeWithPrecision ("1.5kB", "12.3MB": powers
 * of 1000) and {@link #binary} as BytesSize ("1.02MiB", "15.5GiB": powers of 1024), both with Go's
 * {@code %g} (so many significant digits, trailing zeros dropped).
 */
public final class Sizes {
  private Sizes() {}

  private static final String[] DECIMAL = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  private static final String[] BINARY = {
    "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"
  };

  /** go-units' HumanSizeWithPrecision(n, precision): docker stats' NET I/O and BLOCK I/O use 3. */
  public static String decimal(double n, int precision) {
    return scaled(n, 1000, DECIMAL, precision);
  }

  /** go-units' BytesSize: docker stats' MEM USAGE / LIMIT. */
  public static String binary(double n) {
    return scaled(n, 1024, BINARY, 4);
  }

  private static String scaled(double n, double base, String[] units, int precision) {
    int u = 0;
    while (n >= base && u < units.length - 1) {
      n /= base;
      u++;
    }
    return g(n, precision) + units[u];
  }

  /** Go's {@code %.<precision>g} of {@code v} (v >= 0). */
  static String g(double v, int precision) {
    if (v == 0) return "0";
    BigDecimal d = new BigDecimal(v).round(new MathContext(precision));
    int exponent = d.precision() - d.scale() - 1;
    if (exponent < -4 || exponent >= precision) {
      BigDecimal mantissa = d.movePointLeft(exponent).stripTrailingZeros();
      String e = Integer.toString(Math.abs(exponent));
      return mantissa.toPlainString()
          + "e"
          + (exponent < 0 ? "-" : "+")
          + (e.length() < 2 ? "0" + e : e);
    }
    return d.stripTrailingZeros().toPlainString();
  }
}
