package dev.berth.engine.store;

import static dev.berth.sys.LinuxConstants.O_RDONLY;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Container ids and names as docker makes and checks them: ids of 64 random lowercase hex digits,
 * names matching {@code [a-zA-Z0-9][a-zA-Z0-9_.-]+} (so at least two characters), given with or
 * without a leading "/", and generated names of the form {@code adjective_surname} when the user
 * gives none.
 */
public final class ContainerNames {
  /**
   * The longest name: each name is a file of the store's names directory (NAME_MAX). docker has no
   * limit of its own.
   */
  public static final int MAX_NAME = 255;

  /** Docker's character rule, as its error message prints it. */
  public static final String NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]";

  // Our own word lists (not docker's): 48 x 48 names before a suffix is needed.
  private static final String[] ADJECTIVES = {
    "amber", "bold", "brave", "bright", "calm", "clever", "cosy", "crisp", "curious", "daring",
        "deft", "eager",
    "earnest", "fair", "fervent", "fond", "gentle", "glad", "grand", "happy", "hardy", "humble",
        "jolly", "keen",
    "kind", "lively", "loyal", "lucid", "merry", "mellow", "nimble", "noble", "patient", "placid",
        "proud", "quick",
    "quiet", "rapid", "serene", "sharp", "silent", "steady", "sturdy", "swift", "tender", "upbeat",
        "vivid", "witty"
  };
  private static final String[] SURNAMES = {
    "agnesi",
    "babbage",
    "bohr",
    "boole",
    "cantor",
    "curie",
    "darwin",
    "dirac",
    "euclid",
    "euler",
    "faraday",
    "fermat",
    "fermi",
    "galois",
    "gauss",
    "germain",
    "goedel",
    "hamilton",
    "hilbert",
    "hopper",
    "huygens",
    "kepler",
    "lamarr",
    "laplace",
    "leibniz",
    "lovelace",
    "maxwell",
    "meitner",
    "mendel",
    "mirzakhani",
    "napier",
    "newton",
    "noether",
    "pascal",
    "pasteur",
    "planck",
    "poincare",
    "ramanujan",
    "riemann",
    "shannon",
    "somerville",
    "tesla",
    "turing",
    "volta",
    "wiles",
    "yalow",
    "zuse",
    "noyce"
  };

  private ContainerNames() {}

  /** Whether {@code s} is a full container id: 64 lowercase hex digits. */
  public static boolean isId(String s) {
    return s != null && s.length() == 64 && isHex(s);
  }

  /**
   * Whether {@code s} is made of lowercase hex digits only (and is not empty): an id or an id
   * prefix.
   */
  public static boolean isHex(String s) {
    if (s == null || s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
  }

  /** Whether {@code name} (without "/") matches docker's rule. */
  public static boolean isValidName(String name) {
    if (name == null || name.length() < 2 || !alnum(name.charAt(0))) return false;
    for (int i = 1; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
    }
    return true;
  }

  /**
   * The name without its leading "/" if it matches docker's rule; else INVALID_ARGUMENT with
   * docker's message ("Invalid container name (x!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed").
   */
  public static String checkName(String name) throws BerthException {
    String bare = name != null && name.startsWith("/") ? name.substring(1) : name;
    if (!isValidName(bare)) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "Invalid container name ("
              + dev.berth.spec.error.Printable.of(name, 64)
              + "), only "
              + NAME_CHARS
              + " are allowed");
    }
    if (bare.length() > MAX_NAME) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "Invalid container name ("
              + bare.substring(0, 20)
              + "...): "
              + bare.length()
              + " characters, at most "
              + MAX_NAME);
    }
    return bare;
  }

  /**
   * A new random id (64 hex digits from /dev/urandom: SecureRandom's providers would cost
   * milliseconds at start).
   */
  public static String randomId() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(32);
    try (Fd fd = Linux.open("/dev/urandom", O_RDONLY, 0)) {
      while (b.hasRemaining()) {
        if (Linux.read(fd, b) == 0) throw new IOException("read /dev/urandom: end of file");
      }
    }
    StringBuilder sb = new StringBuilder(64);
    for (byte x : b.array()) {
      sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
    }
    return sb.toString();
  }

  /**
   * A generated name: {@code adjective_surname}, or with a {@code _<n>} suffix once {@code attempt}
   * is past 8.
   */
  static String generate(String randomHex, int attempt) {
    int a = Integer.parseInt(randomHex.substring(0, 4), 16);
    int s = Integer.parseInt(randomHex.substring(4, 8), 16);
    String name =
        ADJECTIVES[(a + attempt * 7) % ADJECTIVES.length]
            + "_"
            + SURNAMES[(s + attempt * 13) % SURNAMES.length];
    return attempt < 8 ? name : name + "_" + Integer.parseInt(randomHex.substring(8, 12), 16);
  }

  private static boolean alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
}
