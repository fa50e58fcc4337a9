package dev.berth.cli.format;

import dev.berth.spec.json.JsonWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The part of Go's text/template that docker's and podman's {@code --format} flags are used with:
 * {@code {{.Field}}} and {@code {{.A.B}}}, {@code {{json .X}}}, the functions {@code upper}, {@code
 * lower}, {@code title}, {@code join}, {@code index}, {@code len}, {@code println}, {@code printf}
 * with %s/%d/%v/%q, pipelines with {@code |}, and {@code range}, {@code if}, {@code with}, {@code
 * else}, {@code end}. Data is plain Java: maps with String keys, lists, strings, numbers, booleans,
 * null. Written here rather than taken from a library: no Java library speaks Go's template syntax,
 * and a user's docker format strings must work unchanged.
 *
 * <p>A {@code table} prefix and the escapes {@code \t} and {@code \n} are the callers' business
 * ({@link Columns}), as in docker's formatter.
 */
public final class GoTemplate {
  private final List<Node> nodes;
  private final String source;

  private GoTemplate(String source, List<Node> nodes) {
    this.source = source;
    this.nodes = nodes;
  }

  /** Parses {@code source}; a syntax error names the action and what was expected. */
  public static GoTemplate parse(String source) {
    Parser p = new Parser(source);
    List<Node> nodes = p.list(false);
    return new GoTemplate(source, nodes);
  }

  /** Renders with {@code dot} as ".". */
  public String render(Object dot) {
    StringBuilder out = new StringBuilder();
    for (Node n : nodes) n.render(dot, out);
    return out.toString();
  }

  @Override
  public String toString() {
    return source;
  }

  /** A template error: bad syntax, an unknown function, a field that is not there. */
  public static final class TemplateException extends IllegalArgumentException {
    TemplateException(String message) {
      super(message);
    }
  }

  // ---- the tree ----

  private interface Node {
    void render(Object dot, StringBuilder out);
  }

  private record Text(String text) implements Node {
    @Override
    public void render(Object dot, StringBuilder out) {
      out.append(text);
    }
  }

  private record Action(Pipeline pipeline) implements Node {
    @Override
    public void render(Object dot, StringBuilder out) {
      out.append(print(pipeline.eval(dot)));
    }
  }

  /** {@code if}, {@code with} and {@code range}: a pipeline, a body, and an optional else. */
  private record Block(String kind, Pipeline pipeline, List<Node> body, List<Node> otherwise)
      implements Node {
    @Override
    public void render(Object dot, StringBuilder out) {
      Object v = pipeline.eval(dot);
      if (kind.equals("range")) {
        List<Object> items = new ArrayList<>();
        if (v instanceof List<?> l) {
          items.addAll(l);
        } else if (v instanceof Map<?, ?> m) {
          items.addAll(new TreeMap<>(stringKeys(m)).values());
        } else if (v != null) {
          throw new TemplateException("range can't iterate over " + print(v));
        }
        if (items.isEmpty()) {
          for (Node n : otherwise) n.render(dot, out);
        }
        for (Object item : items) {
          for (Node n : body) n.render(item, out);
        }
        return;
      }
      boolean truth = truth(v);
      Object inner = kind.equals("with") ? v : dot;
      for (Node n : truth ? body : otherwise) n.render(truth ? inner : dot, out);
    }
  }

  private record Pipeline(List<Command> commands) {
    Object eval(Object dot) {
      Object last = null;
      boolean first = true;
      for (Command c : commands) {
        last = c.eval(dot, first ? NONE : last);
        first = false;
      }
      return last;
    }
  }

  /** What a pipeline's first command gets as its "previous" value: nothing. */
  private static final Object NONE = new Object();

  /** A function call ({@code name} non-null) or a single operand. */
  private record Command(String name, List<Operand> args) {
    Object eval(Object dot, Object piped) {
      List<Object> values = new ArrayList<>();
      for (Operand a : args) values.add(a.eval(dot));
      if (piped != NONE) values.add(piped);
      if (name == null) {
        if (values.size() != 1)
          throw new TemplateException("can't give argument to non-function " + args.get(0));
        return values.get(0);
      }
      return Functions.call(name, values);
    }
  }

  private interface Operand {
    Object eval(Object dot);
  }

  private record Literal(Object value) implements Operand {
    @Override
    public Object eval(Object dot) {
      return value;
    }
  }

  /** {@code .}, {@code .A}, {@code .A.B}: a path from dot. */
  private record Field(List<String> path) implements Operand {
    @Override
    public Object eval(Object dot) {
      Object v = dot;
      for (String name : path) {
        if (v instanceof Map<?, ?> m) {
          if (!m.containsKey(name)) {
            throw new TemplateException("can't evaluate field " + name + " in " + describe(v));
          }
          v = m.get(name);
        } else if (v == null) {
          return null;
        } else {
          throw new TemplateException("can't evaluate field " + name + " in " + describe(v));
        }
      }
      return v;
    }

    @Override
    public String toString() {
      return path.isEmpty() ? "." : "." + String.join(".", path);
    }
  }

  private record Sub(Pipeline pipeline) implements Operand {
    @Override
    public Object eval(Object dot) {
      return pipeline.eval(dot);
    }
  }

  // ---- values ----

  /** Go's fmt %v of our values: maps as map[k:v] sorted by key, lists as [a b]. */
  static String print(Object v) {
    if (v == null) return "<no value>";
    if (v instanceof String s) return s;
    if (v instanceof Map<?, ?> m) {
      StringBuilder b = new StringBuilder("map[");
      boolean first = true;
      for (Map.Entry<String, ?> e : new TreeMap<>(stringKeys(m)).entrySet()) {
        if (!first) b.append(' ');
        first = false;
        b.append(e.getKey()).append(':').append(print(e.getValue()));
      }
      return b.append(']').toString();
    }
    if (v instanceof List<?> l) {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) b.append(' ');
        b.append(print(l.get(i)));
      }
      return b.append(']').toString();
    }
    return String.valueOf(v);
  }

  private static String describe(Object v) {
    if (v instanceof Map<?, ?>) return "object";
    if (v instanceof List<?>) return "list";
    if (v instanceof String) return "string";
    return v == null ? "nil" : v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> stringKeys(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  /** Go's truth: false, 0, nil and empty strings, lists and maps are false. */
  static boolean truth(Object v) {
    if (v == null) return false;
    if (v instanceof Boolean b) return b;
    if (v instanceof Number n) return n.doubleValue() != 0;
    if (v instanceof String s) return !s.isEmpty();
    if (v instanceof List<?> l) return !l.isEmpty();
    if (v instanceof Map<?, ?> m) return !m.isEmpty();
    return true;
  }

  /** JSON of a value, as Go's json.Marshal: compact. */
  static String json(Object v) {
    return new JsonWriter(JsonWriter.COMPACT).tree(v).toString();
  }

  // ---- functions ----

  private static final class Functions {
    static Object call(String name, List<Object> a) {
      return switch (name) {
        case "json" -> {
          arity(name, a, 1);
          yield json(a.get(0));
        }
        case "upper" -> {
          arity(name, a, 1);
          yield print(a.get(0)).toUpperCase(java.util.Locale.ROOT);
        }
        case "lower" -> {
          arity(name, a, 1);
          yield print(a.get(0)).toLowerCase(java.util.Locale.ROOT);
        }
        case "title" -> {
          arity(name, a, 1);
          String s = print(a.get(0));
          yield s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
        }
        case "len" -> {
          arity(name, a, 1);
          Object v = a.get(0);
          if (v instanceof List<?> l) yield (long) l.size();
          if (v instanceof Map<?, ?> m) yield (long) m.size();
          if (v instanceof String s) yield (long) s.length();
          throw new TemplateException("len of " + describe(v));
        }
        case "join" -> {
          arity(name, a, 2);
          if (!(a.get(0) instanceof List<?> l))
            throw new TemplateException("join: want a list, got " + print(a.get(0)));
          List<String> parts = new ArrayList<>();
          for (Object x : l) parts.add(print(x));
          yield String.join(print(a.get(1)), parts);
        }
        case "index" -> {
          if (a.size() < 2) throw new TemplateException("index: want a collection and a key");
          Object v = a.get(0);
          for (int i = 1; i < a.size(); i++) {
            Object k = a.get(i);
            if (v instanceof Map<?, ?> m) {
              v = m.get(print(k));
            } else if (v instanceof List<?> l && k instanceof Number n) {
              int at = n.intValue();
              if (at < 0 || at >= l.size())
                throw new TemplateException("index out of range: " + at);
              v = l.get(at);
            } else {
              throw new TemplateException("can't index " + describe(v) + " with " + print(k));
            }
          }
          yield v;
        }
        case "println" -> {
          List<String> parts = new ArrayList<>();
          for (Object x : a) parts.add(print(x));
          yield String.join(" ", parts) + "\n";
        }
        case "printf" -> {
          if (a.isEmpty()) throw new TemplateException("printf: want a format");
          yield printf(print(a.get(0)), a.subList(1, a.size()));
        }
        default -> throw new TemplateException("function \"" + name + "\" not defined");
      };
    }

    private static void arity(String name, List<Object> a, int n) {
      if (a.size() != n)
        throw new TemplateException(name + ": want " + n + " argument(s), got " + a.size());
    }

    private static String printf(String format, List<Object> args) {
      StringBuilder b = new StringBuilder();
      int next = 0;
      for (int i = 0; i < format.length(); i++) {
        char c = format.charAt(i);
        if (c != '%' || i + 1 == format.length()) {
          b.append(c);
          continue;
        }
        char verb = format.charAt(++i);
        if (verb == '%') {
          b.append('%');
          continue;
        }
        Object v = next < args.size() ? args.get(next++) : null;
        switch (verb) {
          case 's', 'v', 'd' -> b.append(print(v));
          case 'q' -> b.append(json(print(v)));
          default ->
              throw new TemplateException(
                  "printf: verb %" + verb + " is not supported (use %s, %d, %v, %q)");
        }
      }
      return b.toString();
    }
  }

  // ---- the parser ----

  private static final class Parser {
    private final String src;
    private int at;

    /** The keyword that ended the last {@link #list}: "end", "else" or null at the end of input. */
    private String stop;

    Parser(String src) {
      this.src = src;
    }

    List<Node> list(boolean inBlock) {
      List<Node> nodes = new ArrayList<>();
      while (at < src.length()) {
        int open = src.indexOf("{{", at);
        if (open < 0) {
          nodes.add(new Text(src.substring(at)));
          at = src.length();
          break;
        }
        if (open > at) nodes.add(new Text(src.substring(at, open)));
        int close = src.indexOf("}}", open + 2);
        if (close < 0)
          throw new TemplateException("unclosed action at offset " + open + " of \"" + src + "\"");
        String action = src.substring(open + 2, close);
        // {{- and -}} trim the white space beside them, as Go's.
        boolean trimLeft = action.startsWith("- ") || action.equals("-");
        boolean trimRight = action.endsWith(" -");
        if (trimLeft) {
          action = action.substring(1);
          if (!nodes.isEmpty() && nodes.get(nodes.size() - 1) instanceof Text t) {
            nodes.set(nodes.size() - 1, new Text(t.text().stripTrailing()));
          }
        }
        if (trimRight) action = action.substring(0, action.length() - 1);
        at = close + 2;
        if (trimRight) {
          while (at < src.length() && Character.isWhitespace(src.charAt(at))) at++;
        }
        List<String> tokens = tokenize(action.strip());
        if (tokens.isEmpty())
          throw new TemplateException("missing value for command in \"{{" + action + "}}\"");
        String head = tokens.get(0);
        switch (head) {
          case "end", "else" -> {
            if (!inBlock)
              throw new TemplateException("unexpected {{" + head + "}} in \"" + src + "\"");
            if (tokens.size() > 1)
              throw new TemplateException("unexpected " + tokens.get(1) + " after " + head);
            stop = head;
            return nodes;
          }
          case "if", "with", "range" -> {
            Pipeline p = pipeline(tokens.subList(1, tokens.size()), action);
            List<Node> body = list(true);
            List<Node> otherwise = List.of();
            if ("else".equals(stop)) {
              otherwise = list(true);
            }
            if (!"end".equals(stop))
              throw new TemplateException("missing {{end}} for {{" + action.strip() + "}}");
            stop = null;
            nodes.add(new Block(head, p, body, otherwise));
          }
          default -> nodes.add(new Action(pipeline(tokens, action)));
        }
      }
      if (inBlock) throw new TemplateException("missing {{end}} in \"" + src + "\"");
      return nodes;
    }

    private Pipeline pipeline(List<String> tokens, String action) {
      if (tokens.isEmpty())
        throw new TemplateException("missing pipeline in \"{{" + action + "}}\"");
      List<Command> commands = new ArrayList<>();
      List<String> current = new ArrayList<>();
      for (String t : tokens) {
        if (t.equals("|")) {
          commands.add(command(current, action));
          current = new ArrayList<>();
        } else {
          current.add(t);
        }
      }
      commands.add(command(current, action));
      return new Pipeline(commands);
    }

    private Command command(List<String> tokens, String action) {
      if (tokens.isEmpty())
        throw new TemplateException("missing command in \"{{" + action + "}}\"");
      String first = tokens.get(0);
      boolean function =
          Character.isLetter(first.charAt(0)) && !first.equals("true") && !first.equals("false");
      List<Operand> args = new ArrayList<>();
      for (String t : function ? tokens.subList(1, tokens.size()) : tokens)
        args.add(operand(t, action));
      return new Command(function ? first : null, args);
    }

    private Operand operand(String t, String action) {
      if (t.startsWith("("))
        return new Sub(pipeline(tokenize(t.substring(1, t.length() - 1)), action));
      if (t.startsWith("\"")) return new Literal(unquote(t));
      if (t.startsWith("`")) return new Literal(t.substring(1, t.length() - 1));
      if (t.equals("true") || t.equals("false")) return new Literal(Boolean.parseBoolean(t));
      if (t.equals(".")) return new Field(List.of());
      if (t.startsWith(".")) {
        List<String> path = List.of(t.substring(1).split("\\.", -1));
        for (String p : path) {
          if (p.isEmpty())
            throw new TemplateException("bad field " + t + " in \"{{" + action + "}}\"");
        }
        return new Field(path);
      }
      if (t.matches("-?[0-9]+")) return new Literal(Long.parseLong(t));
      throw new TemplateException("function \"" + t + "\" not defined");
    }

    private static String unquote(String t) {
      StringBuilder b = new StringBuilder();
      for (int i = 1; i < t.length() - 1; i++) {
        char c = t.charAt(i);
        if (c == '\\' && i + 1 < t.length() - 1) {
          char e = t.charAt(++i);
          b.append(
              switch (e) {
                case 'n' -> '\n';
                case 't' -> '\t';
                default -> e;
              });
        } else {
          b.append(c);
        }
      }
      return b.toString();
    }

    /** Splits an action into words, strings, parenthesised pipelines and '|'. */
    private static List<String> tokenize(String s) {
      List<String> out = new ArrayList<>();
      int i = 0;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (Character.isWhitespace(c)) {
          i++;
        } else if (c == '|') {
          out.add("|");
          i++;
        } else if (c == '"' || c == '`') {
          int j = i + 1;
          while (j < s.length() && s.charAt(j) != c) j += (c == '"' && s.charAt(j) == '\\') ? 2 : 1;
          if (j >= s.length())
            throw new TemplateException("unterminated string in \"{{" + s + "}}\"");
          out.add(s.substring(i, j + 1));
          i = j + 1;
        } else if (c == '(') {
          int depth = 0;
          int j = i;
          for (; j < s.length(); j++) {
            if (s.charAt(j) == '(') depth++;
            if (s.charAt(j) == ')' && --depth == 0) break;
          }
          if (j >= s.length()) throw new TemplateException("unclosed ( in \"{{" + s + "}}\"");
          out.add(s.substring(i, j + 1));
          i = j + 1;
        } else {
          int j = i;
          while (j < s.length()
              && !Character.isWhitespace(s.charAt(j))
              && s.charAt(j) != '|'
              && s.charAt(j) != '(') j++;
          out.add(s.substring(i, j));
          i = j;
        }
      }
      return out;
    }
  }
}
