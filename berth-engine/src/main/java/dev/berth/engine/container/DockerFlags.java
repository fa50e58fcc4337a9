package dev.berth.engine.container;

import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.ContainerOptions.UlimitOption;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * docker's flag syntaxes, parsed into {@link ContainerOptions} values: shared by the {@code berth}
 * CLI and the Docker API (which receives some of them as strings too). Each error is
 * INVALID_ARGUMENT, names the value and says what is expected, in docker's words where docker has
 * them.
 */
public final class DockerFlags {
  private DockerFlags() {}

  /** Mount modes of {@code -v}: propagation, SELinux relabel, access, copy. */
  public static final Set<String> PROPAGATIONS =
      Set.of("shared", "rshared", "slave", "rslave", "private", "rprivate");

  /** The rlimit names of {@code --ulimit} (without RLIMIT_), as docker knows them. */
  public static final Set<String> ULIMIT_NAMES =
      Set.of(
          "as",
          "core",
          "cpu",
          "data",
          "fsize",
          "locks",
          "memlock",
          "msgqueue",
          "nice",
          "nofile",
          "nproc",
          "rss",
          "rtprio",
          "rttime",
          "sigpending",
          "stack");

  /** RLIM_INFINITY as a uint64 in a long: "unlimited" or -1 in a {@code --ulimit}. */
  public static final long UNLIMITED = -1L;

  /**
   * Bytes of a docker size: digits with an optional fraction, then an optional binary unit (b, k,
   * m, g, t, p; 1024 based, case-insensitive, with an optional "i" and "b": {@code 64m}, {@code
   * 1.5GiB}, {@code 512kb}, {@code 100}).
   */
  public static long bytes(String size) throws BerthException {
    String s = size == null ? "" : size.trim();
    int end = 0;
    while (end < s.length() && (Character.isDigit(s.charAt(end)) || s.charAt(end) == '.')) end++;
    String number = s.substring(0, end);
    String unit = s.substring(end).stripLeading().toLowerCase(Locale.ROOT);
    if (number.isEmpty()
        || number.startsWith(".")
        || number.endsWith(".")
        || number.indexOf('.') != number.lastIndexOf('.')) {
      throw invalid(
          "invalid size: '" + size + "' (want a number with an optional unit b, k, m, g, t or p)");
    }
    if (unit.endsWith("b")) unit = unit.substring(0, unit.length() - 1);
    if (unit.endsWith("i") && unit.length() == 2) unit = unit.substring(0, 1);
    int shift =
        switch (unit) {
          case "" -> 0;
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          case "t" -> 40;
          case "p" -> 50;
          default -> -1;
        };
    if (shift < 0)
      throw invalid(
          "invalid size: '" + size + "' (want a number with an optional unit b, k, m, g, t or p)");
    BigDecimal value = new BigDecimal(number).multiply(BigDecimal.valueOf(2).pow(shift));
    if (value.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0)
      throw invalid("invalid size: '" + size + "' (too large)");
    return value.longValue(); // docker truncates a fraction of a byte
  }

  /** {@code --cpus 1.5}: billionths of a CPU (1,500,000,000); at most nine decimals. */
  public static long nanoCpus(String cpus) throws BerthException {
    BigDecimal v;
    try {
      v = new BigDecimal(cpus.trim());
    } catch (NumberFormatException | NullPointerException e) {
      throw invalid(
          "invalid value for --cpus: '" + cpus + "' (want a decimal number of CPUs, e.g. 1.5)");
    }
    BigDecimal nano = v.movePointRight(9);
    if (v.signum() < 0)
      throw invalid("invalid value for --cpus: '" + cpus + "' (must not be negative)");
    try {
      return nano.longValueExact();
    } catch (ArithmeticException e) {
      throw invalid(
          "invalid value for --cpus: '" + cpus + "': value is too precise (at most 9 decimals)");
    }
  }

  /**
   * {@code -v}: {@code /host:/ctr[:opts]} (bind), {@code name:/ctr[:opts]} (named volume), {@code
   * /ctr} (anonymous volume); opts is a comma list of rw|ro, z|Z, nocopy and one propagation mode.
   */
  public static MountOption volume(String spec) throws BerthException {
    String[] parts = spec.split(":", -1);
    String source;
    String target;
    String mode = "";
    switch (parts.length) {
      case 1 -> {
        source = null;
        target = parts[0];
      }
      case 2 -> {
        if (isMountMode(parts[1])) throw invalidVolume(spec);
        source = parts[0];
        target = parts[1];
      }
      case 3 -> {
        source = parts[0];
        target = parts[1];
        mode = parts[2];
      }
      default -> throw invalidVolume(spec);
    }
    if (target.isEmpty() || (source != null && source.isEmpty())) throw invalidVolume(spec);
    if (!target.startsWith("/")) {
      throw invalid(
          "invalid volume specification: '"
              + spec
              + "': mount path '"
              + target
              + "' must be absolute");
    }
    if (target.equals("/"))
      throw invalid("invalid volume specification: '" + spec + "': destination can't be '/'");
    if (!isMountMode(mode))
      throw invalid("invalid mode: " + mode + " (in volume specification '" + spec + "')");
    boolean readOnly = false;
    List<String> options = new ArrayList<>();
    for (String m : mode.isEmpty() ? new String[0] : mode.split(",")) {
      switch (m) {
        case "ro" -> readOnly = true;
        case "rw" -> {}
        default -> options.add(PROPAGATIONS.contains(m) ? "bind-propagation=" + m : m);
      }
    }
    if (source != null && source.startsWith("/")) {
      if (options.contains("nocopy"))
        throw invalid("invalid mode: " + mode + " (nocopy is for volumes, not binds)");
      return new MountOption(MountOption.Type.BIND, source, target, readOnly, options);
    }
    if (source != null) volumeName(source);
    return new MountOption(MountOption.Type.VOLUME, source, target, readOnly, options);
  }

  /**
   * True for "" and a comma list of at most one each of rw|ro, z|Z, nocopy and a propagation mode.
   */
  private static boolean isMountMode(String mode) {
    if (mode.isEmpty()) return true;
    int rw = 0;
    int label = 0;
    int copy = 0;
    int propagation = 0;
    for (String m : mode.split(",", -1)) {
      switch (m) {
        case "rw", "ro" -> rw++;
        case "z", "Z" -> label++;
        case "nocopy" -> copy++;
        default -> {
          if (!PROPAGATIONS.contains(m)) return false;
          propagation++;
        }
      }
    }
    return rw <= 1 && label <= 1 && copy <= 1 && propagation <= 1;
  }

  /**
   * A local volume name: a letter or digit, then letters, digits, '_', '.', '-' (docker's rule).
   */
  public static String volumeName(String name) throws BerthException {
    boolean ok =
        name.length() >= 2 && Character.isLetterOrDigit(name.charAt(0)) && name.charAt(0) < 128;
    for (int i = 1; ok && i < name.length(); i++) {
      char c = name.charAt(i);
      ok = c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-');
    }
    if (!ok) {
      throw invalid(
          "\""
              + name
              + "\" includes invalid characters for a local volume name, only "
              + "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
    }
    return name;
  }

  /**
   * {@code --mount type=bind|volume|tmpfs,source=..,target=..,readonly,...} (type defaults to
   * volume). Options kept for the engine: {@code bind-propagation=X}, {@code bind-nonrecursive},
   * {@code nocopy}, {@code tmpfs-size=<bytes>}, {@code tmpfs-mode=<octal>}.
   */
  public static MountOption mount(String spec) throws BerthException {
    MountOption.Type type = MountOption.Type.VOLUME;
    String source = null;
    String target = null;
    boolean readOnly = false;
    List<String> options = new ArrayList<>();
    List<String> typed =
        new ArrayList<>(); // options only one type takes, with the key that brought them
    for (String field : csvFields(spec)) {
      int eq = field.indexOf('=');
      String key = (eq < 0 ? field : field.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
      String value = eq < 0 ? null : field.substring(eq + 1);
      switch (key) {
        case "readonly", "ro" -> readOnly = value == null || bool(value, field);
        case "volume-nocopy" -> {
          typed.add("volume:" + key);
          if (value == null || bool(value, field)) options.add("nocopy");
        }
        case "bind-nonrecursive" -> {
          typed.add("bind:" + key);
          if (value == null || bool(value, field)) options.add("bind-nonrecursive");
        }
        case "volume-opt", "volume-label" -> {
          // KEY=VALUE for the volume when this mount creates it (the local driver's options,
          // its labels); an existing volume keeps its own, as docker's
          typed.add("volume:" + key);
          if (value == null || value.indexOf('=') <= 0)
            throw invalid("invalid " + key + " '" + field + "': want " + key + "=KEY=VALUE");
          options.add(key + "=" + value);
        }
        case "volume-driver" -> {
          typed.add("volume:" + key);
          if (value != null && !value.isEmpty() && !value.equals("local"))
            throw new BerthException(
                ErrorCategory.NOT_FOUND,
                "error looking up volume plugin " + value + ": plugin not found");
        }
        default -> {
          if (value == null)
            throw invalid(
                "invalid field '" + field + "' must be a key=value pair (in '" + spec + "')");
          switch (key) {
            case "type" ->
                type =
                    switch (value.toLowerCase(Locale.ROOT)) {
                      case "bind" -> MountOption.Type.BIND;
                      case "volume" -> MountOption.Type.VOLUME;
                      case "tmpfs" -> MountOption.Type.TMPFS;
                      default ->
                          throw invalid(
                              "invalid mount type '"
                                  + value
                                  + "' in '"
                                  + spec
                                  + "' (want bind, volume or tmpfs)");
                    };
            case "source", "src" -> source = value;
            case "target", "destination", "dst" -> target = value;
            case "bind-propagation" -> {
              typed.add("bind:" + key);
              if (!PROPAGATIONS.contains(value)) {
                throw invalid(
                    "invalid bind-propagation '"
                        + value
                        + "' (want one of shared, rshared, slave, rslave, "
                        + "private, rprivate)");
              }
              options.add("bind-propagation=" + value);
            }
            case "tmpfs-size" -> {
              typed.add("tmpfs:" + key);
              options.add("tmpfs-size=" + bytes(value));
            }
            case "tmpfs-mode" -> {
              typed.add("tmpfs:" + key);
              options.add("tmpfs-mode=" + Integer.toOctalString(octal(value, "tmpfs-mode")));
            }
            case "consistency" -> {} // a macOS file sharing hint, ignored on Linux as docker does
            default -> throw invalid("unexpected key '" + key + "' in '" + spec + "'");
          }
        }
      }
    }
    if (target == null || target.isEmpty()) throw invalid("target is required in '" + spec + "'");
    String typeName = type.name().toLowerCase(Locale.ROOT);
    for (String t : typed) {
      if (!t.startsWith(typeName + ":")) {
        throw invalid(
            "cannot mix '"
                + t.substring(t.indexOf(':') + 1)
                + "' options with type '"
                + typeName
                + "' in '"
                + spec
                + "'");
      }
    }
    if (!target.startsWith("/")) {
      throw invalid(
          "invalid mount config for type \""
              + typeName
              + "\": invalid mount path: '"
              + target
              + "' mount path must be absolute");
    }
    switch (type) {
      case BIND -> {
        if (source == null || source.isEmpty()) {
          throw invalid("invalid mount config for type \"bind\": field Source must not be empty");
        }
        if (!source.startsWith("/")) {
          throw invalid(
              "invalid mount config for type \"bind\": invalid mount path: '"
                  + source
                  + "' mount path must be absolute");
        }
      }
      case VOLUME -> {
        if (source != null && source.isEmpty()) source = null;
        if (source != null) volumeName(source);
      }
      case TMPFS -> {
        if (source != null && !source.isEmpty()) {
          throw invalid(
              "invalid mount config for type \"tmpfs\": field Source must not be specified");
        }
        source = null;
      }
    }
    return new MountOption(type, source, target, readOnly, options);
  }

  /**
   * {@code --tmpfs /t[:opts]}: opts are tmpfs mount options as mount(8) takes them ({@code
   * size=64m,mode=1777,exec}); they are kept as given and checked by the engine.
   */
  public static MountOption tmpfs(String spec) throws BerthException {
    int colon = spec.indexOf(':');
    String target = colon < 0 ? spec : spec.substring(0, colon);
    String opts = colon < 0 ? "" : spec.substring(colon + 1);
    if (!target.startsWith("/")) {
      throw invalid("invalid tmpfs '" + spec + "': mount path '" + target + "' must be absolute");
    }
    List<String> options = new ArrayList<>();
    boolean readOnly = false;
    for (String o : opts.isEmpty() ? new String[0] : opts.split(",")) {
      if (o.equals("ro")) {
        readOnly = true;
      } else if (!o.equals("rw")) {
        options.add(o);
      }
    }
    return new MountOption(MountOption.Type.TMPFS, null, target, readOnly, options);
  }

  /**
   * {@code --device HOST[:CONTAINER][:PERMISSIONS]}: a host device made in the container, its
   * cgroup access r, w and m (all three by default), as docker parses it.
   */
  public static HostOptions.DeviceOption device(String spec) throws BerthException {
    String[] parts = spec.split(":", -1);
    if (parts.length > 3 || parts[0].isEmpty())
      throw invalid("invalid device specification: " + spec);
    String host = parts[0];
    String target = host;
    String perms = "rwm";
    if (parts.length == 2) {
      if (validPermissions(parts[1])) perms = parts[1];
      else target = parts[1];
    } else if (parts.length == 3) {
      target = parts[1];
      perms = parts[2];
    }
    if (!validPermissions(perms)) throw invalid("invalid device specification: " + spec);
    if (!host.startsWith("/") || !target.startsWith("/"))
      throw invalid("invalid device specification: " + spec + " (paths must be absolute)");
    return new HostOptions.DeviceOption(host, target, perms);
  }

  private static boolean validPermissions(String p) {
    if (p.isEmpty() || p.length() > 3) return false;
    for (char c : p.toCharArray()) if (c != 'r' && c != 'w' && c != 'm') return false;
    return true;
  }

  /**
   * {@code --ulimit name=soft[:hard]}; a value is a number, -1 or "unlimited"; hard defaults to
   * soft.
   */
  public static UlimitOption ulimit(String spec) throws BerthException {
    int eq = spec.indexOf('=');
    if (eq < 0)
      throw invalid(
          "invalid ulimit argument: " + spec + " (want name=soft[:hard], e.g. nofile=1024:2048)");
    String name = spec.substring(0, eq);
    if (!ULIMIT_NAMES.contains(name)) {
      throw invalid(
          "invalid ulimit type: "
              + name
              + " (want one of "
              + String.join(", ", sorted(ULIMIT_NAMES))
              + ")");
    }
    String[] values = spec.substring(eq + 1).split(":", -1);
    if (values.length > 2) {
      throw invalid(
          "too many limit value arguments - "
              + spec.substring(eq + 1)
              + ", can only have up to two, `soft[:hard]`");
    }
    long soft = limit(values[0], spec);
    long hard = values.length == 2 ? limit(values[1], spec) : soft;
    if (Long.compareUnsigned(soft, hard) > 0) {
      throw invalid(
          "ulimit soft limit must be less than or equal to hard limit: "
              + Long.toUnsignedString(soft)
              + " > "
              + Long.toUnsignedString(hard)
              + " (in "
              + spec
              + ")");
    }
    return new UlimitOption(name, soft, hard);
  }

  private static long limit(String v, String spec) throws BerthException {
    if (v.equals("unlimited") || v.equals("-1")) return UNLIMITED;
    try {
      long n = Long.parseLong(v);
      if (n >= 0) return n;
    } catch (NumberFormatException e) {
      // falls through to the error
    }
    throw invalid(
        "invalid ulimit value '" + v + "' in " + spec + " (want a number >= 0, -1 or unlimited)");
  }

  /**
   * The variables of an {@code --env-file}: one {@code KEY=VALUE} a line, kept as written after the
   * key's leading blanks; blank lines and lines starting with '#' skipped; a bare {@code KEY} takes
   * its value from {@code environment}, and stays bare (unset in the container) when it has none
   * there.
   */
  public static List<String> envFile(
      byte[] content, String fileName, Map<String, String> environment) throws BerthException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(content))
              .toString();
    } catch (CharacterCodingException e) {
      throw invalid("env file " + fileName + " contains invalid utf8 bytes");
    }
    if (text.startsWith("\uFEFF")) text = text.substring(1);
    List<String> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].stripLeading();
      if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
      if (line.isEmpty() || line.startsWith("#")) continue;
      int eq = line.indexOf('=');
      String key = eq < 0 ? line : line.substring(0, eq);
      if (key.isEmpty())
        throw invalid(
            "env file " + fileName + ": no variable name on line " + (i + 1) + ": '" + line + "'");
      if (key.chars().anyMatch(Character::isWhitespace)) {
        throw invalid(
            "env file "
                + fileName
                + ": variable '"
                + key
                + "' contains whitespaces (line "
                + (i + 1)
                + ")");
      }
      if (eq >= 0) {
        out.add(line);
      } else {
        String value = environment.get(key);
        out.add(value == null ? key : key + "=" + value);
      }
    }
    return out;
  }

  /**
   * A time as docker's {@code --since}/{@code --until} and the Engine API's {@code since}/{@code
   * until} take it: RFC 3339, a Unix time with an optional fraction ({@code 1700000000.5}), or a
   * duration back from now ({@code 10m}, {@code 1h30m}).
   */
  public static java.time.Instant time(String s) throws BerthException {
    try {
      return dev.berth.spec.json.Rfc3339.parse(s);
    } catch (IllegalArgumentException notRfc) {
      // next form
    }
    if (s.matches("[0-9]+(\\.[0-9]+)?")) {
      BigDecimal secs = new BigDecimal(s);
      long whole = secs.longValue();
      long nanos = secs.subtract(BigDecimal.valueOf(whole)).movePointRight(9).longValue();
      return java.time.Instant.ofEpochSecond(whole, nanos);
    }
    try {
      return java.time.Instant.now()
          .minus(java.time.Duration.parse("PT" + s.toUpperCase(Locale.ROOT)));
    } catch (java.time.format.DateTimeParseException e) {
      throw invalid("invalid time: " + s + " (want RFC 3339, a Unix time or a duration like 10m)");
    }
  }

  /**
   * docker's default network, "bridge" (berth's default network), for a create that names none.
   * TEST ONLY: BERTH_DEFAULT_NETWORK in {@code environment} replaces it; the build's test runs set
   * "none", so a test that runs containers without a network makes no bridge or rule in the host's
   * namespace.
   */
  public static String defaultNetwork(Map<String, String> environment) {
    String d = environment.get("BERTH_DEFAULT_NETWORK");
    return d == null || d.isEmpty() ? "bridge" : d;
  }

  /**
   * {@code --mount}'s fields as docker reads them (a CSV record): a field in double quotes may hold
   * commas ({@code "volume-opt=o=size=1m,uid=1000"}), {@code ""} inside is one quote.
   */
  static List<String> csvFields(String spec) throws BerthException {
    List<String> out = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < spec.length(); i++) {
      char c = spec.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < spec.length() && spec.charAt(i + 1) == '"') {
          f.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          f.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(f.toString());
        f.setLength(0);
      } else {
        f.append(c);
      }
    }
    if (quoted) throw invalid("unterminated quote in '" + spec + "'");
    out.add(f.toString());
    return out;
  }

  /**
   * {@code field} as one CSV field of {@link #csvFields}: quoted when it holds a comma or quote.
   */
  public static String csvField(String field) {
    if (field.indexOf(',') < 0 && field.indexOf('"') < 0) return field;
    return '"' + field.replace("\"", "\"\"") + '"';
  }

  private static boolean bool(String value, String field) throws BerthException {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "1", "true" -> true;
      case "0", "false" -> false;
      default -> throw invalid("invalid value for '" + field + "': want true or false");
    };
  }

  private static int octal(String value, String name) throws BerthException {
    try {
      int mode = Integer.parseInt(value, 8);
      if (mode >= 0 && mode <= 07777) return mode;
    } catch (NumberFormatException e) {
      // falls through
    }
    throw invalid("invalid " + name + " '" + value + "' (want an octal file mode, e.g. 1777)");
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }

  private static BerthException invalidVolume(String spec) {
    return invalid(
        "invalid volume specification: '"
            + spec
            + "' (want [/host-path|name:]/container-path[:opts])");
  }

  private static BerthException invalid(String message) {
    return new BerthException(ErrorCategory.INVALID_ARGUMENT, message);
  }
}
