package dev.berth.sys;

/**
 * Signal names and numbers on Linux (x86_64 and aarch64 share them). Real-time signals are counted
 * as glibc and runc do: RTMIN is 34 (the kernel's 32 and 33 belong to the C library's threads),
 * RTMAX is 64; "RTMIN+n" and "RTMAX-n" name the ones between.
 */
public final class Signals {
  private Signals() {}

  /** Standard signal names without "SIG", at their number. */
  private static final String[] NAMES = {
    null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
    "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
  };

  /** The highest signal number. */
  public static final int MAX = LinuxConstants.SIGRTMAX;

  /**
   * The number of a signal given as "KILL", "SIGKILL", "kill", "9", "RTMIN", "SIGRTMIN+3" or
   * "RTMAX-2".
   *
   * @throws IllegalArgumentException "invalid signal: FOO" for anything else, or a number outside
   *     1..64
   */
  public static int parse(String signal) {
    if (signal == null || signal.isEmpty()) throw invalid(signal);
    char c0 = signal.charAt(0);
    if (c0 >= '0' && c0 <= '9') {
      int n = number(signal, 0);
      if (n < 1 || n > MAX) throw invalid(signal);
      return n;
    }
    String s = signal.toUpperCase(java.util.Locale.ROOT);
    if (s.startsWith("SIG")) s = s.substring(3);
    for (int i = 1; i < NAMES.length; i++) if (NAMES[i].equals(s)) return i;
    switch (s) {
      case "IOT":
        return LinuxConstants.SIGABRT;
      case "POLL":
        return LinuxConstants.SIGIO;
      case "CLD":
        return LinuxConstants.SIGCHLD;
      case "RTMIN":
        return LinuxConstants.SIGRTMIN;
      case "RTMAX":
        return LinuxConstants.SIGRTMAX;
      default:
        break;
    }
    int k = s.length() > 6 ? number(s, 6) : -1;
    if (k >= 0 && s.startsWith("RTMIN+") && LinuxConstants.SIGRTMIN + k <= MAX)
      return LinuxConstants.SIGRTMIN + k;
    if (k >= 0
        && s.startsWith("RTMAX-")
        && LinuxConstants.SIGRTMAX - k >= LinuxConstants.SIGRTMIN) {
      return LinuxConstants.SIGRTMAX - k;
    }
    throw invalid(signal);
  }

  /**
   * The name of a signal number with its "SIG" prefix: "SIGKILL", "SIGRTMIN+1", "SIGRTMAX-1"; a
   * number with no name (0, 32, 33, out of range) comes back as its digits.
   */
  public static String name(int signal) {
    if (signal > 0 && signal < NAMES.length) return "SIG" + NAMES[signal];
    if (signal == LinuxConstants.SIGRTMIN) return "SIGRTMIN";
    if (signal == LinuxConstants.SIGRTMAX) return "SIGRTMAX";
    // Up to the middle counted from RTMIN, the rest back from RTMAX (RTMIN+15 is 49, RTMAX-14 is
    // 50).
    if (signal > LinuxConstants.SIGRTMIN && signal <= LinuxConstants.SIGRTMIN + 15) {
      return "SIGRTMIN+" + (signal - LinuxConstants.SIGRTMIN);
    }
    if (signal > LinuxConstants.SIGRTMIN + 15 && signal < LinuxConstants.SIGRTMAX) {
      return "SIGRTMAX-" + (LinuxConstants.SIGRTMAX - signal);
    }
    return Integer.toString(signal);
  }

  /** Decimal digits from {@code from} to the end, or -1 when there are none or anything else. */
  private static int number(String s, int from) {
    if (from >= s.length() || s.length() - from > 3) return -1;
    int n = 0;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return n;
  }

  private static IllegalArgumentException invalid(String signal) {
    return new IllegalArgumentException("invalid signal: " + signal);
  }
}
