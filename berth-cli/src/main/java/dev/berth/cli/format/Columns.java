package dev.berth.cli.format;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * docker's {@code --format} for listing verbs: "table" (the verb's default columns), {@code table
 * <template>} (a header, then one row per object, aligned as docker's tabwriter: cells padded to
 * the widest plus 3, at least 10), "json" (podman's: one array), or any other template, rendered
 * once per object. In templates the two characters {@code \t} and {@code \n} stand for a tab and a
 * newline, as docker's formatter reads them.
 */
public final class Columns {
  private Columns() {}

  /**
   * Prints {@code rows} as {@code format} says.
   *
   * @param defaultTable the verb's table template without the "table " prefix, e.g. {@code
   *     {{.ID}}\t{{.Image}}\t{{.Names}}}
   * @param headers a column header per field name ("ID" to "CONTAINER ID"); a field not there is
   *     headed by its upper-cased name
   */
  public static void print(
      PrintStream out,
      List<? extends Map<String, ?>> rows,
      String format,
      String defaultTable,
      Map<String, String> headers) {
    String f = format == null || format.isEmpty() ? "table" : format;
    if (f.equals("json")) {
      out.println(GoTemplate.json(rows));
      return;
    }
    boolean table = f.equals("table") || f.startsWith("table ");
    String body = f.equals("table") ? defaultTable : table ? f.substring("table ".length()) : f;
    GoTemplate t = GoTemplate.parse(body.replace("\\t", "\t").replace("\\n", "\n"));
    if (!table) {
      StringBuilder b = new StringBuilder();
      for (Map<String, ?> row : rows) b.append(t.render(row)).append('\n');
      out.print(b);
      return;
    }
    List<String> lines = new ArrayList<>();
    lines.add(t.render(new HeaderRow(headers)));
    for (Map<String, ?> row : rows) lines.add(t.render(row));
    out.print(align(lines));
  }

  /**
   * docker inspect's output of {@code objects}: one JSON array indented by four spaces (no format,
   * or "json"), else the template rendered once per object, each on its own line.
   *
   * @throws GoTemplate.TemplateException for a bad template or a field an object lacks
   */
  public static void inspect(PrintStream out, List<?> objects, String format) {
    if (format == null || format.isEmpty() || format.equals("json")) {
      out.println(new dev.berth.spec.json.JsonWriter("    ").tree(objects));
      return;
    }
    GoTemplate t = GoTemplate.parse(format.replace("\\t", "\t").replace("\\n", "\n"));
    StringBuilder b = new StringBuilder();
    for (Object o : objects) b.append(t.render(o)).append('\n');
    out.print(b);
  }

  /** What the header line is rendered against: every field answers its column's header. */
  private static final class HeaderRow extends java.util.AbstractMap<String, Object> {
    private final Map<String, String> headers;

    HeaderRow(Map<String, String> headers) {
      this.headers = headers;
    }

    @Override
    public boolean containsKey(Object key) {
      return true;
    }

    @Override
    public Object get(Object key) {
      String h = headers.get(key);
      return h != null ? h : String.valueOf(key).toUpperCase(java.util.Locale.ROOT);
    }

    @Override
    public java.util.Set<Entry<String, Object>> entrySet() {
      return java.util.Set.of();
    }
  }

  /**
   * docker's tabwriter (minwidth 10, padding 3, spaces): tab-ended cells aligned per column, last
   * cells as they are.
   */
  public static String align(List<String> text) {
    return align(text, 10);
  }

  /** {@link #align(List)} with cells at least {@code minWidth} wide (docker top's writer: 20). */
  public static String align(List<String> text, int minWidth) {
    List<String[]> rows = new ArrayList<>();
    for (String block : text) {
      for (String line : block.split("\n", -1)) rows.add(line.split("\t", -1));
    }
    // A trailing empty line from a final newline in the template is not a row.
    if (!rows.isEmpty()
        && rows.get(rows.size() - 1).length == 1
        && rows.get(rows.size() - 1)[0].isEmpty()
        && text.get(text.size() - 1).endsWith("\n")) {
      rows.remove(rows.size() - 1);
    }
    int columns = 0;
    for (String[] r : rows) columns = Math.max(columns, r.length - 1);
    int[] width = new int[columns];
    for (String[] r : rows) {
      for (int i = 0; i < r.length - 1; i++)
        width[i] = Math.max(width[i], Math.max(minWidth, r[i].length() + 3));
    }
    StringBuilder b = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        b.append(r[i]);
        if (i < r.length - 1) b.append(" ".repeat(width[i] - r[i].length()));
      }
      b.append('\n');
    }
    return b.toString();
  }
}
