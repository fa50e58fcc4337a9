package dev.berth.engine.config;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of TOML 1.0 that berth's configuration is written in: comments, {@code [tables]} with
 * dotted and quoted keys, {@code key = value} with dotted keys, basic and literal strings (one
 * line), booleans, decimal integers, and arrays of strings (over several lines too). Anything else
 * TOML has (floats, dates, inline tables, arrays of tables, multi-line strings) is refused with its
 * line, as are duplicate keys and tables, so a file never means something else than it says.
 *
 * <p>Ours, not a library: the ones kept up either need jackson-databind (jackson's TOML) or ANTLR
 * (tomlj), both far over the CLI's start-up budget; this subset is all the file needs.
 */
final class TomlSubset {
  private final String text;
  private final String source;
  private int at;
  private int line = 1;

  private TomlSubset(String text, String source) {
    this.text = text;
    this.source = source;
  }

  /** The document's root table; an error names {@code source:line}. */
  static Map<String, ConfigNode> parse(String text, String source) throws BerthException {
    return new TomlSubset(text, source).document();
  }

  private Map<String, ConfigNode> document() throws BerthException {
    Map<String, ConfigNode> root = new LinkedHashMap<>();
    Map<String, ConfigNode> current = root;
    String currentName = "";
    // Tables given by a header, so a second header of the same table is refused; and tables made
    // by dotted keys, which TOML forbids to define again with a header (or the other way round).
    List<Map<String, ConfigNode>> headed = new ArrayList<>();
    List<Map<String, ConfigNode>> dotted = new ArrayList<>();
    while (true) {
      skipBlankAndComments();
      if (at >= text.length()) return root;
      char c = text.charAt(at);
      if (c == '[') {
        int headerLine = line;
        at++;
        if (peek() == '[') throw error("arrays of tables ([[...]]) are not supported");
        List<String> key = key();
        skipSpaces();
        expect(']');
        endOfLine();
        currentName = String.join(".", key);
        current = table(root, key, headerLine, true);
        if (contains(headed, current)) throw error("table [" + currentName + "] defined twice");
        if (contains(dotted, current)) {
          throw error("table [" + currentName + "] already defined by dotted keys");
        }
        headed.add(current);
      } else {
        int keyLine = line;
        List<String> key = key();
        skipSpaces();
        expect('=');
        skipSpaces();
        Object value = value();
        endOfLine();
        Map<String, ConfigNode> into = current;
        for (int i = 0; i < key.size() - 1; i++) {
          into = table(into, key.subList(i, i + 1), keyLine, false);
          if (contains(headed, into)) {
            throw new BerthException(
                ErrorCategory.INVALID_ARGUMENT,
                source
                    + ":"
                    + keyLine
                    + ": table \""
                    + (currentName.isEmpty() ? "" : currentName + ".")
                    + String.join(".", key.subList(0, i + 1))
                    + "\" already defined by a header");
          }
          if (!contains(dotted, into)) dotted.add(into);
        }
        String last = key.get(key.size() - 1);
        if (into.containsKey(last)) {
          String full = (currentName.isEmpty() ? "" : currentName + ".") + String.join(".", key);
          throw new BerthException(
              ErrorCategory.INVALID_ARGUMENT,
              source + ":" + keyLine + ": key \"" + full + "\" given twice");
        }
        into.put(last, new ConfigNode(value, keyLine));
      }
    }
  }

  private static boolean contains(List<Map<String, ConfigNode>> tables, Map<String, ConfigNode> t) {
    for (Map<String, ConfigNode> x : tables) {
      if (x == t) return true;
    }
    return false;
  }

  /** The table at {@code path} under {@code from}, made when missing. */
  private Map<String, ConfigNode> table(
      Map<String, ConfigNode> from, List<String> path, int keyLine, boolean header)
      throws BerthException {
    Map<String, ConfigNode> t = from;
    for (String k : path) {
      ConfigNode n = t.get(k);
      if (n == null) {
        n = new ConfigNode(new LinkedHashMap<String, ConfigNode>(), keyLine);
        t.put(k, n);
      } else if (!(n.value() instanceof Map)) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            source
                + ":"
                + keyLine
                + ": \""
                + k
                + "\" is "
                + n.kind()
                + " (line "
                + n.line()
                + "), not a table");
      }
      t = n.table();
    }
    return t;
  }

  // ---- keys ----

  private List<String> key() throws BerthException {
    List<String> parts = new ArrayList<>();
    while (true) {
      skipSpaces();
      char c = peek();
      if (c == '"') parts.add(basicString());
      else if (c == '\'') parts.add(literalString());
      else {
        int start = at;
        while (at < text.length() && bareKeyChar(text.charAt(at))) at++;
        if (at == start) throw error("expected a key, found " + found());
        parts.add(text.substring(start, at));
      }
      skipSpaces();
      if (peek() != '.') return parts;
      at++;
    }
  }

  private static boolean bareKeyChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '-';
  }

  // ---- values ----

  private Object value() throws BerthException {
    char c = peek();
    if (c == '"') {
      if (text.startsWith("\"\"\"", at)) throw error("multi-line strings are not supported");
      return basicString();
    }
    if (c == '\'') {
      if (text.startsWith("'''", at)) throw error("multi-line strings are not supported");
      return literalString();
    }
    if (c == '[') return stringArray();
    if (c == '{') throw error("inline tables are not supported: use a [table]");
    int start = at;
    while (at < text.length() && " \t\r\n#,]".indexOf(text.charAt(at)) < 0) at++;
    String word = text.substring(start, at);
    if (word.equals("true")) return Boolean.TRUE;
    if (word.equals("false")) return Boolean.FALSE;
    if (word.matches("[+-]?(0|[1-9](_?[0-9])*)")) {
      try {
        return Long.parseLong(word.replace("_", ""));
      } catch (NumberFormatException e) {
        throw error("integer " + word + " out of range");
      }
    }
    if (word.isEmpty()) throw error("expected a value, found " + found());
    throw error(
        "value " + word + ": only strings, booleans, integers and arrays of strings are supported");
  }

  private List<String> stringArray() throws BerthException {
    expect('[');
    List<String> out = new ArrayList<>();
    while (true) {
      skipBlankAndComments();
      char c = peek();
      if (c == ']') {
        at++;
        return List.copyOf(out);
      }
      if (c == '"' || c == '\'') {
        out.add(c == '"' ? basicString() : literalString());
      } else {
        throw error("arrays hold strings only, found " + found());
      }
      skipBlankAndComments();
      if (peek() == ',') at++;
      else if (peek() != ']') throw error("expected ',' or ']' in an array, found " + found());
    }
  }

  private String basicString() throws BerthException {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      if (at >= text.length() || text.charAt(at) == '\n') throw error("unterminated string");
      char c = text.charAt(at++);
      if (c == '"') return b.toString();
      if (c != '\\') {
        if (c < 0x20 && c != '\t') throw error("control character in a string");
        b.append(c);
        continue;
      }
      if (at >= text.length()) throw error("unterminated string");
      char e = text.charAt(at++);
      switch (e) {
        case '"' -> b.append('"');
        case '\\' -> b.append('\\');
        case 'b' -> b.append('\b');
        case 't' -> b.append('\t');
        case 'n' -> b.append('\n');
        case 'f' -> b.append('\f');
        case 'r' -> b.append('\r');
        case 'u' -> b.appendCodePoint(hex(4));
        case 'U' -> b.appendCodePoint(hex(8));
        default -> throw error("unknown escape \\" + e + " in a string");
      }
    }
  }

  private int hex(int digits) throws BerthException {
    if (at + digits > text.length()) throw error("short unicode escape");
    String h = text.substring(at, at + digits);
    at += digits;
    try {
      int cp = Integer.parseUnsignedInt(h, 16);
      if (!Character.isValidCodePoint(cp) || (cp >= 0xD800 && cp <= 0xDFFF)) {
        throw error("unicode escape " + h + " is not a scalar value");
      }
      return cp;
    } catch (NumberFormatException e) {
      throw error("bad unicode escape " + h);
    }
  }

  private String literalString() throws BerthException {
    expect('\'');
    int start = at;
    while (at < text.length() && text.charAt(at) != '\'' && text.charAt(at) != '\n') at++;
    if (at >= text.length() || text.charAt(at) != '\'') throw error("unterminated string");
    return text.substring(start, at++);
  }

  // ---- whitespace ----

  private void skipSpaces() {
    while (at < text.length() && (text.charAt(at) == ' ' || text.charAt(at) == '\t')) at++;
  }

  /** Spaces, newlines and comments. */
  private void skipBlankAndComments() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c == ' ' || c == '\t' || c == '\r') at++;
      else if (c == '\n') {
        at++;
        line++;
      } else if (c == '#') {
        while (at < text.length() && text.charAt(at) != '\n') at++;
      } else return;
    }
  }

  /** After a key/value pair or a header: only a comment may follow on its line. */
  private void endOfLine() throws BerthException {
    skipSpaces();
    if (at < text.length() && text.charAt(at) == '#') {
      while (at < text.length() && text.charAt(at) != '\n') at++;
    }
    if (at < text.length() && text.charAt(at) == '\r') at++;
    if (at < text.length() && text.charAt(at) != '\n') {
      throw error("expected the end of the line, found " + found());
    }
  }

  private char peek() {
    return at < text.length() ? text.charAt(at) : '\0';
  }

  private void expect(char c) throws BerthException {
    if (peek() != c) throw error("expected '" + c + "', found " + found());
    at++;
  }

  private String found() {
    if (at >= text.length()) return "the end of the file";
    char c = text.charAt(at);
    return c == '\n' || c == '\r' ? "the end of the line" : "'" + c + "'";
  }

  private BerthException error(String message) {
    return new BerthException(ErrorCategory.INVALID_ARGUMENT, source + ":" + line + ": " + message);
  }
}
