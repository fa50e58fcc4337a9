package dev.berth.sys;

/** The machine: x86_64 or aarch64, the two the tables in this package know. */
final class Arch {
  private Arch() {}

  static final boolean AARCH64;

  static {
    String a = System.getProperty("os.arch");
    if ("aarch64".equals(a) || "arm64".equals(a)) {
      AARCH64 = true;
    } else if ("amd64".equals(a) || "x86_64".equals(a)) {
      AARCH64 = false;
    } else {
      throw new UnsupportedOperationException("berth-sys supports x86_64 and aarch64, not " + a);
    }
  }
}
