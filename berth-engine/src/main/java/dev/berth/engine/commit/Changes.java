package dev.berth.engine.commit;

import dev.berth.engine.EngineException;
import dev.berth.spec.image.ImageConfig.ContainerConfig;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * docker commit --change: Dockerfile instructions applied to an image's container config, in order.
 * CMD, ENTRYPOINT and VOLUME take the JSON form or the shell form (CMD and ENTRYPOINT then run
 * under {@code /bin/sh -c}); ENV and LABEL take {@code KEY=VALUE} pairs (quotes allowed) or ENV's
 * legacy {@code KEY VALUE}; a relative WORKDIR is joined to the one before. An ENTRYPOINT clears
 * CMD unless a CMD came earlier in the same changes (docker's rule).
 */
public final class Changes {
  private Changes() {}

  /**
   * The instructions {@code docker commit -c} accepts (not ONBUILD, which berth's configs do not
   * keep, nor HEALTHCHECK yet: a committed container's own healthcheck is kept).
   */
  private static final Set<String> VALID =
      Set.of(
          "cmd", "entrypoint", "env", "expose", "label", "stopsignal", "user", "volume", "workdir");

  /** Checks every change without applying it: INVALID_ARGUMENT naming the first bad one. */
  public static void check(List<String> changes) throws EngineException {
    apply(ContainerConfig.EMPTY, changes);
  }

  public static ContainerConfig apply(ContainerConfig c, List<String> changes)
      throws EngineException {
    String user = c.user();
    Set<String> ports = new LinkedHashSet<>(c.exposedPorts());
    Map<String, String> env = new LinkedHashMap<>();
    for (String e : c.env()) env.put(key(e), e);
    List<String> entrypoint = c.entrypoint();
    List<String> cmd = c.cmd();
    Set<String> volumes = new LinkedHashSet<>(c.volumes());
    String workdir = c.workingDir();
    Map<String, String> labels = new LinkedHashMap<>(c.labels());
    String stopSignal = c.stopSignal();
    boolean cmdSet = false;
    for (String change : changes) {
      String line = change.strip();
      int sp = indexOfSpace(line);
      String instr = (sp < 0 ? line : line.substring(0, sp)).toLowerCase(Locale.ROOT);
      String rest = sp < 0 ? "" : line.substring(sp).strip();
      if (!VALID.contains(instr)) {
        throw EngineException.invalid(
            instr.isEmpty() ? "empty change command" : instr + " is not a valid change command");
      }
      if (rest.isEmpty())
        throw EngineException.invalid(instr.toUpperCase(Locale.ROOT) + " requires an argument");
      switch (instr) {
        case "cmd" -> {
          cmd = command(rest, change);
          cmdSet = true;
        }
        case "entrypoint" -> {
          entrypoint = command(rest, change);
          if (!cmdSet) cmd = null;
        }
        case "env" -> {
          for (String[] kv : pairs(rest, change, true)) env.put(kv[0], kv[0] + "=" + kv[1]);
        }
        case "label" -> {
          for (String[] kv : pairs(rest, change, false)) labels.put(kv[0], kv[1]);
        }
        case "expose" -> {
          for (String p : words(rest))
            ports.add(p.contains("/") ? p.toLowerCase(Locale.ROOT) : p + "/tcp");
        }
        case "volume" -> volumes.addAll(rest.startsWith("[") ? json(rest, change) : words(rest));
        case "workdir" ->
            workdir =
                rest.startsWith("/") || workdir.isEmpty()
                    ? clean(rest)
                    : clean(workdir + "/" + rest);
        case "user" -> user = rest;
        case "stopsignal" -> stopSignal = rest;
        default -> throw new IllegalStateException(instr);
      }
    }
    return new ContainerConfig(
        user,
        ports,
        new ArrayList<>(env.values()),
        entrypoint,
        cmd,
        volumes,
        workdir,
        labels,
        stopSignal,
        c.argsEscaped(),
        c.healthcheck());
  }

  /** The JSON form (an array of strings), else the shell form under /bin/sh -c. */
  private static List<String> command(String rest, String change) throws EngineException {
    if (rest.startsWith("[")) {
      try {
        return json(rest, change);
      } catch (EngineException notJson) {
        // docker takes what does not parse as JSON as the shell form
      }
    }
    return List.of("/bin/sh", "-c", rest);
  }

  private static List<String> json(String rest, String change) throws EngineException {
    try (JsonReader r = JsonReader.of(rest.getBytes(StandardCharsets.UTF_8), "change")) {
      List<String> out = r.strings();
      r.end();
      return out;
    } catch (SpecException e) {
      throw EngineException.invalid("change \"" + change + "\": " + e.getMessage());
    }
  }

  /** KEY=VALUE pairs (values may be quoted), or with {@code legacy} a single "KEY VALUE". */
  private static List<String[]> pairs(String rest, String change, boolean legacy)
      throws EngineException {
    List<String> words = words(rest);
    List<String[]> out = new ArrayList<>();
    if (legacy && !words.getFirst().contains("=")) {
      int sp = indexOfSpace(rest);
      if (sp < 0) throw EngineException.invalid("ENV names can not be blank: " + change);
      out.add(new String[] {rest.substring(0, sp), rest.substring(sp).strip()});
      return out;
    }
    for (String w : words) {
      int eq = w.indexOf('=');
      if (eq <= 0)
        throw EngineException.invalid("change \"" + change + "\": " + w + " is not KEY=VALUE");
      out.add(new String[] {w.substring(0, eq), w.substring(eq + 1)});
    }
    return out;
  }

  /**
   * Words split at unquoted blanks; quotes ("..", '..') and backslash escapes removed, as a
   * Dockerfile reads them.
   */
  static List<String> words(String s) throws EngineException {
    List<String> out = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (quote != 0) {
        if (ch == quote) {
          quote = 0;
        } else if (ch == '\\' && quote == '"' && i + 1 < s.length()) {
          w.append(s.charAt(++i));
        } else {
          w.append(ch);
        }
      } else if (ch == '"' || ch == '\'') {
        quote = ch;
        inWord = true;
      } else if (ch == '\\' && i + 1 < s.length()) {
        w.append(s.charAt(++i));
        inWord = true;
      } else if (Character.isWhitespace(ch)) {
        if (inWord) out.add(w.toString());
        w.setLength(0);
        inWord = false;
      } else {
        w.append(ch);
        inWord = true;
      }
    }
    if (quote != 0) throw EngineException.invalid("unmatched quote in \"" + s + "\"");
    if (inWord) out.add(w.toString());
    return out;
  }

  private static String clean(String path) {
    List<String> parts = new ArrayList<>();
    for (String p : path.split("/")) {
      if (p.isEmpty() || p.equals(".")) continue;
      if (p.equals("..")) {
        if (!parts.isEmpty()) parts.removeLast();
      } else {
        parts.add(p);
      }
    }
    return "/" + String.join("/", parts);
  }

  private static int indexOfSpace(String s) {
    for (int i = 0; i < s.length(); i++) if (Character.isWhitespace(s.charAt(i))) return i;
    return -1;
  }

  private static String key(String env) {
    int eq = env.indexOf('=');
    return eq < 0 ? env : env.substring(0, eq);
  }
}
