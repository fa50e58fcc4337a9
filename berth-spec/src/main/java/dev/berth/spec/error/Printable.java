package dev.berth.spec.error;

/**
 * Untrusted text (a name from a request, an archive, a registry) as it may appear in an error
 * message: one line, control characters escaped ({@code \n}, {@code \r}, {@code \t}, {@code \0},
 * else {@code \xNN}) so a newline in a name cannot forge a line of a log or a terminal escape reach
 * a user's screen, and cut after a bound so a megabyte of name does not make a megabyte of message.
 */
public final class Printable {
  private Printable() {}

  /** {@code s} escaped, cut after {@code max} characters (then ending with "..."). */
  public static String of(String s, int max) {
    if (s == null) return "null";
    boolean cut = s.length() > max;
    String part = cut ? s.substring(0, max) : s;
    StringBuilder b = null;
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      if (c >= 0x20 && c != 0x7f) {
        if (b != null) b.append(c);
        continue;
      }
      if (b == null) b = new StringBuilder(part.length() + 8).append(part, 0, i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\0' -> b.append("\\0");
        default -> {
          b.append("\\x")
              .append(Character.forDigit(c >> 4, 16))
              .append(Character.forDigit(c & 15, 16));
        }
      }
    }
    String out = b == null ? part : b.toString();
    return cut ? out + "..." : out;
  }
}
