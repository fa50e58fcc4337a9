package dev.berth.cli.flags;

import java.util.List;

/**
 * One row of a flag table: its names, the kind of value it takes, its default, and its help.
 *
 * <p>Built with the static factories, for example {@code FlagSpec.string("bundle", "b", "path to
 * the root of the bundle directory", ".")}; a {@code shortName} of {@code null} means the flag has
 * one name only. Names are written without dashes: on the command line every name may be given with
 * one or two dashes, as Go's {@code flag} package allows.
 *
 * @param names the names, the first one being the one shown first in help; at least one
 * @param kind the kind of value
 * @param defaultValue the value seen when the flag is not given: {@code String}, {@code Boolean},
 *     {@code Integer}, {@code Long} (for {@link Kind#UINT}), {@code Long} nanoseconds (for {@link
 *     Kind#DURATION}) or an empty {@code List<String>}
 * @param defaultText the default as help shows it, or {@code null} to show none
 * @param placeholder the word help shows after a flag that takes a value (runc shows {@code value})
 * @param help one line of help text
 * @param hidden parsed as usual but left out of help and completion
 */
public record FlagSpec(
    List<String> names,
    Kind kind,
    Object defaultValue,
    String defaultText,
    String placeholder,
    String help,
    boolean hidden) {

  /** The kind of value a flag takes, with Go's syntax for each. */
  public enum Kind {
    /**
     * no separate value: {@code --x} means true, {@code --x=false} false (Go's {@code
     * strconv.ParseBool})
     */
    BOOL,
    /** any string, the next argument even if it starts with a dash */
    STRING,
    /**
     * a 32-bit signed integer, decimal or with a {@code 0x}, {@code 0o}, {@code 0b} or {@code 0}
     * prefix
     */
    INT,
    /**
     * an unsigned 64-bit integer, same syntax as {@link #INT} without a sign, read with {@link
     * Flags#getUint}
     */
    UINT,
    /** a Go duration such as {@code 5s}, {@code 1m30s} or {@code 250ms} */
    DURATION,
    /** repeatable: every occurrence adds one string */
    STRING_LIST
  }

  public FlagSpec {
    if (names == null || names.isEmpty()) {
      throw new IllegalArgumentException("flag: names must not be empty");
    }
    names = List.copyOf(names);
    for (String name : names) {
      checkName(name);
    }
    if (kind == null) {
      throw new IllegalArgumentException("flag " + names.getFirst() + ": kind must not be null");
    }
    defaultValue = checkDefault(names.getFirst(), kind, defaultValue);
    if (help == null) {
      help = "";
    }
    if (placeholder == null) {
      placeholder = kind == Kind.BOOL ? "" : "value";
    }
  }

  /** A boolean flag, false unless given. */
  public static FlagSpec bool(String name, String shortName, String help) {
    return new FlagSpec(names(name, shortName), Kind.BOOL, Boolean.FALSE, null, null, help, false);
  }

  /**
   * A string flag; {@code defaultValue} may be null or empty for "no default", which reads as
   * {@code ""}.
   */
  public static FlagSpec string(String name, String shortName, String help, String defaultValue) {
    String value = defaultValue == null ? "" : defaultValue;
    return new FlagSpec(
        names(name, shortName),
        Kind.STRING,
        value,
        value.isEmpty() ? null : value,
        null,
        help,
        false);
  }

  /** A signed integer flag; help always shows its default, as runc does even for 0. */
  public static FlagSpec integer(String name, String shortName, String help, int defaultValue) {
    return new FlagSpec(
        names(name, shortName),
        Kind.INT,
        defaultValue,
        Integer.toString(defaultValue),
        null,
        help,
        false);
  }

  /** An unsigned 64-bit integer flag; {@code defaultValue} is read as unsigned. */
  public static FlagSpec uint(String name, String shortName, String help, long defaultValue) {
    return new FlagSpec(
        names(name, shortName),
        Kind.UINT,
        defaultValue,
        Long.toUnsignedString(defaultValue),
        null,
        help,
        false);
  }

  /** A duration flag with its default in Go syntax ({@code "5s"}), which help shows as written. */
  public static FlagSpec duration(String name, String shortName, String help, String defaultValue) {
    long value;
    try {
      value = ValueSyntax.parseDurationNanos(defaultValue);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "flag "
              + name
              + ": default must be a go duration such as 5s, got \""
              + defaultValue
              + "\"");
    }
    return new FlagSpec(
        names(name, shortName), Kind.DURATION, value, defaultValue, null, help, false);
  }

  /** A repeatable string flag ({@code -e A=1 -e B=2}); empty unless given. */
  public static FlagSpec stringList(String name, String shortName, String help) {
    return new FlagSpec(
        names(name, shortName), Kind.STRING_LIST, List.of(), null, null, help, false);
  }

  /**
   * This flag with another placeholder word in help ({@code --bundle path} instead of {@code
   * --bundle value}).
   */
  public FlagSpec withPlaceholder(String word) {
    if (kind == Kind.BOOL) {
      throw new IllegalArgumentException(
          "flag " + name() + ": a boolean flag takes no placeholder");
    }
    return new FlagSpec(names, kind, defaultValue, defaultText, word, help, hidden);
  }

  /**
   * This flag left out of help and completion: for compatibility flags nobody should start using.
   */
  public FlagSpec asHidden() {
    return new FlagSpec(names, kind, defaultValue, defaultText, placeholder, help, true);
  }

  /** The first name, the one values are looked up by in messages. */
  public String name() {
    return names.getFirst();
  }

  /** Whether {@code candidate} (without dashes) is one of this flag's names. */
  public boolean hasName(String candidate) {
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(candidate)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the flag needs a value: everything but {@link Kind#BOOL}. */
  public boolean takesValue() {
    return kind != Kind.BOOL;
  }

  private static List<String> names(String name, String shortName) {
    return shortName == null ? List.of(name) : List.of(name, shortName);
  }

  // The parser hands these defaults out through typed getters, so a wrong type must fail here, not
  // in a verb.
  // (If-chains rather than an enum switch: a switch pulls in a synthetic class and two JDK classes
  // at start.)
  private static Object checkDefault(String name, Kind kind, Object value) {
    Object zero;
    Class<?> expected;
    if (kind == Kind.BOOL) {
      zero = Boolean.FALSE;
      expected = Boolean.class;
    } else if (kind == Kind.STRING) {
      zero = "";
      expected = String.class;
    } else if (kind == Kind.INT) {
      zero = 0;
      expected = Integer.class;
    } else if (kind == Kind.UINT) {
      zero = 0L;
      expected = Long.class;
    } else if (kind == Kind.DURATION) {
      zero = 0L;
      expected = Long.class; // nanoseconds
    } else {
      zero = List.of();
      expected = List.class;
    }
    if (value == null) {
      return zero;
    }
    if (!expected.isInstance(value)) {
      throw new IllegalArgumentException(
          "flag "
              + name
              + ": default of a "
              + kind
              + " flag must be a "
              + expected.getSimpleName()
              + ", got "
              + value.getClass().getSimpleName());
    }
    return kind == Kind.STRING_LIST ? List.copyOf((List<?>) value) : value;
  }

  private static void checkName(String name) {
    if (!isWord(name)) {
      // A leading dash would read as a third dash; '=' as a value; others break help and completion
      // scripts.
      throw new IllegalArgumentException(
          "flag: name must be letters, digits, '-', '_' or '.' not starting "
              + "with a dash, got \""
              + name
              + "\"");
    }
  }

  /**
   * A name safe on a command line, in help and in a shell case pattern: [A-Za-z0-9][A-Za-z0-9._-]*.
   */
  static boolean isWord(String name) {
    if (name == null || name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.'))) {
        return false;
      }
    }
    return true;
  }
}
