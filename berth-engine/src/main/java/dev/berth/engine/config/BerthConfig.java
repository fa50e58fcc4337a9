package dev.berth.engine.config;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * berth's configuration file ({@code /etc/berth/berth.toml}, or {@code berth.json}; {@code --config
 * PATH} on berth and berthd): for now, the runtime handlers.
 *
 * <pre>
 * [runtimes.runc]                 # a handler named "runc"
 * runtime = "/usr/sbin/runc"      # an OCI runtime binary (a path, or a name in PATH),
 *                                 # or "berth": berth's runtime in-process
 * root = "/run/berth/runc"        # optional: its state directory
 * options = ["--debug"]           # optional: global flags before each of its verbs
 * </pre>
 *
 * The JSON form is the same tree: {@code {"runtimes": {"runc": {"runtime": "runc"}}}}. A file in
 * TOML is read by {@link TomlSubset} (errors name the line), a {@code .json} one by berth-spec's
 * reader (errors name the key's path). Unknown keys and values of the wrong type are errors: a
 * misspelt key would otherwise be silently ignored.
 *
 * @param runtimes the configured handlers, in the file's order
 */
public record BerthConfig(List<RuntimeHandlerConfig> runtimes) {
  /** Where berth looks when no --config is given: the TOML file, else the JSON one. */
  public static final Path DEFAULT_TOML = Path.of("/etc/berth/berth.toml");

  public static final Path DEFAULT_JSON = Path.of("/etc/berth/berth.json");

  public static final BerthConfig EMPTY = new BerthConfig(List.of());

  private static final Set<String> HANDLER_KEYS = Set.of("runtime", "root", "options");

  public BerthConfig {
    runtimes = runtimes == null ? List.of() : List.copyOf(runtimes);
  }

  /**
   * The default configuration file: {@link #DEFAULT_TOML} or {@link #DEFAULT_JSON}, whichever
   * exists; null when neither does. Both there is an error: one of them would be ignored.
   */
  public static Path defaultFile() throws BerthException {
    return defaultFile(DEFAULT_TOML, DEFAULT_JSON);
  }

  static Path defaultFile(Path toml, Path json) throws BerthException {
    boolean t = Files.exists(toml);
    boolean j = Files.exists(json);
    if (t && j) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "configuration: both " + toml + " and " + json + " exist: keep one");
    }
    return t ? toml : j ? json : null;
  }

  /** Reads {@code file}: JSON when its name ends in {@code .json}, else TOML. */
  public static BerthConfig read(Path file) throws BerthException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new BerthException(
          ErrorCategory.NOT_FOUND, "configuration file " + file + ": not found", e);
    } catch (IOException e) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT, "configuration file " + file + ": " + e.getMessage(), e);
    }
    String name = file.getFileName() == null ? "" : file.getFileName().toString();
    return name.endsWith(".json") ? json(bytes, file.toString()) : toml(bytes, file.toString());
  }

  // ---- TOML ----

  static BerthConfig toml(byte[] bytes, String source) throws BerthException {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new BerthException(ErrorCategory.INVALID_ARGUMENT, source + ": not UTF-8 text", e);
    }
    Map<String, ConfigNode> root = TomlSubset.parse(text, source);
    List<RuntimeHandlerConfig> handlers = new ArrayList<>();
    for (Map.Entry<String, ConfigNode> e : root.entrySet()) {
      if (!e.getKey().equals("runtimes")) throw unknown(source, e.getValue().line(), e.getKey());
      ConfigNode runtimes = e.getValue();
      if (!(runtimes.value() instanceof Map)) {
        throw wrongType(source, runtimes, "runtimes", "a table of handlers");
      }
      for (Map.Entry<String, ConfigNode> h : runtimes.table().entrySet()) {
        handlers.add(handler(source, h.getKey(), h.getValue()));
      }
    }
    return new BerthConfig(handlers);
  }

  private static RuntimeHandlerConfig handler(String source, String name, ConfigNode node)
      throws BerthException {
    String at = "runtimes." + name;
    if (!(node.value() instanceof Map)) throw wrongType(source, node, at, "a table");
    String runtime = null;
    Path root = null;
    List<String> options = List.of();
    for (Map.Entry<String, ConfigNode> e : node.table().entrySet()) {
      ConfigNode v = e.getValue();
      String key = at + "." + e.getKey();
      switch (e.getKey()) {
        case "runtime" -> runtime = string(source, v, key);
        case "root" -> root = Path.of(string(source, v, key));
        case "options" -> {
          if (!(v.value() instanceof List)) throw wrongType(source, v, key, "an array of strings");
          options = v.strings();
        }
        default -> throw unknown(source, v.line(), key);
      }
    }
    return check(source + ":" + node.line(), name, runtime, root, options);
  }

  private static String string(String source, ConfigNode v, String key) throws BerthException {
    if (!(v.value() instanceof String s)) throw wrongType(source, v, key, "a string");
    return s;
  }

  private static BerthException unknown(String source, int line, String key) {
    return new BerthException(
        ErrorCategory.INVALID_ARGUMENT, source + ":" + line + ": unknown key \"" + key + "\"");
  }

  private static BerthException wrongType(String source, ConfigNode v, String key, String want) {
    return new BerthException(
        ErrorCategory.INVALID_ARGUMENT,
        source + ":" + v.line() + ": " + key + ": " + want + ", not " + v.kind());
  }

  // ---- JSON ----

  static BerthConfig json(byte[] bytes, String source) throws BerthException {
    List<RuntimeHandlerConfig> handlers = new ArrayList<>();
    try (JsonReader r = JsonReader.of(bytes, source)) {
      if (r.beginObject()) {
        for (String f; (f = r.nextField()) != null; ) {
          if (!f.equals("runtimes")) throw r.error("unknown key \"" + f + "\"");
          if (!r.beginObject()) continue;
          Set<String> seen = new LinkedHashSet<>();
          for (String name; (name = r.nextField()) != null; ) {
            if (!seen.add(name)) throw r.error("handler given twice");
            handlers.add(jsonHandler(r, source, name));
          }
        }
      }
      r.end();
    } catch (SpecException e) {
      throw new BerthException(ErrorCategory.INVALID_ARGUMENT, e.getMessage(), e);
    }
    return new BerthConfig(handlers);
  }

  private static RuntimeHandlerConfig jsonHandler(JsonReader r, String source, String name)
      throws SpecException, BerthException {
    String runtime = null;
    Path root = null;
    List<String> options = List.of();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        if (!HANDLER_KEYS.contains(f)) throw r.error("unknown key \"" + f + "\"");
        switch (f) {
          case "runtime" -> runtime = r.string();
          case "root" -> root = r.isNull() ? null : Path.of(r.string());
          default -> options = r.strings();
        }
      }
    }
    return check(source, name, runtime, root, options);
  }

  // ---- both ----

  /** The handler's values, checked; {@code where} names it in an error. */
  private static RuntimeHandlerConfig check(
      String where, String name, String runtime, Path root, List<String> options)
      throws BerthException {
    if (runtime == null || runtime.isEmpty()) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          where + ": runtimes." + name + ".runtime: required (a binary, or \"berth\")");
    }
    if (root != null && !root.isAbsolute()) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          where + ": runtimes." + name + ".root: " + root + " is not an absolute path");
    }
    if (RuntimeHandlerConfig.IN_PROCESS.equals(runtime) && !options.isEmpty()) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          where + ": runtimes." + name + ".options: the in-process runtime takes none");
    }
    return new RuntimeHandlerConfig(name, runtime, root, options);
  }
}
