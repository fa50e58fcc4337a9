package dev.berth.cli.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** go-units' sizes as docker stats prints them. */
class SizesTest {
  @Test
  void decimalSizesHaveThreeSignificantDigitsAndNoTrailingZeros() {
    assertEquals("0B", Sizes.decimal(0, 3));
    assertEquals("999B", Sizes.decimal(999, 3));
    assertEquals("1kB", Sizes.decimal(1000, 3));
    assertEquals("1.5kB", Sizes.decimal(1500, 3));
    assertEquals("12.3MB", Sizes.decimal(12_345_678, 3));
    assertEquals("1e+03kB", Sizes.decimal(999_600, 3), "Go's %g switches to an exponent");
  }

  @Test
  void binarySizesHaveFourSignificantDigits() {
    assertEquals("0B", Sizes.binary(0));
    assertEquals("1KiB", Sizes.binary(1024));
    assertEquals("492KiB", Sizes.binary(492 * 1024));
    assertEquals("1.805MiB", Sizes.binary(1_892_352));
    assertEquals("23.54GiB", Sizes.binary(25_275_000_000L));
    assertEquals("64MiB", Sizes.binary(64L << 20));
  }
}
