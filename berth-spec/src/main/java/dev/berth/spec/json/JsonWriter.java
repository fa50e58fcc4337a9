package dev.berth.spec.json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A small streaming JSON writer whose output is byte-identical to Go's {@code encoding/json}
 * (Marshal and MarshalIndent), because runc's callers and users compare or parse what runc prints
 * ({@code spec}, {@code state}, {@code list --format json}).
 *
 * <p>Hand-written rather than on jackson's JsonGenerator: it is on every CLI start path and loads
 * two classes. Like Go, it escapes {@code <}, {@code >}, {@code &}, U+2028 and U+2029 as <code>
 * &#92;u003c</code> etc., control characters other than \n \r \t as <code>&#92;u00XX</code> (Go
 * 1.19, which built the installed runc, also writes \b and \f that way), and writes empty objects
 * and arrays as {@code {}} and {@code []} even when indenting. No trailing newline.
 *
 * <p>Usage: {@code w.beginObject().name("id").value("c1").endObject(); byte[] json =
 * w.toByteArray();}
 */
public final class JsonWriter {
  /** Indent of {@code runc spec}. */
  public static final String TABS = "\t";

  /** Indent of {@code runc state}. */
  public static final String TWO_SPACES = "  ";

  /** No whitespace at all. */
  public static final String COMPACT = "";

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private final byte[] indent;
  private byte[] buf = new byte[1024];
  private int len;

  // Per open container: has it an element yet (decides between "{" + newline and "," + newline).
  private boolean[] hasElement = new boolean[16];
  private int depth;
  private boolean afterName;

  /**
   * A writer that indents with {@code indent} per level ({@link #TABS}, {@link #TWO_SPACES}, {@link
   * #COMPACT}).
   */
  public JsonWriter(String indent) {
    this.indent = indent == null ? new byte[0] : indent.getBytes(StandardCharsets.UTF_8);
  }

  public JsonWriter beginObject() {
    beforeValue();
    put((byte) '{');
    open();
    return this;
  }

  public JsonWriter endObject() {
    close((byte) '}');
    return this;
  }

  public JsonWriter beginArray() {
    beforeValue();
    put((byte) '[');
    open();
    return this;
  }

  public JsonWriter endArray() {
    close((byte) ']');
    return this;
  }

  /** Writes a field name; the next call writes its value. */
  public JsonWriter name(String name) {
    beforeElement();
    quoted(name);
    put((byte) ':');
    if (indent.length > 0) {
      put((byte) ' ');
    }
    afterName = true;
    return this;
  }

  public JsonWriter value(String s) {
    if (s == null) {
      return nullValue();
    }
    beforeValue();
    quoted(s);
    return this;
  }

  public JsonWriter value(long v) {
    beforeValue();
    ascii(Long.toString(v));
    return this;
  }

  /** Writes {@code v} as an unsigned 64-bit number (Go's uint64). */
  public JsonWriter unsignedValue(long v) {
    beforeValue();
    ascii(Long.toUnsignedString(v));
    return this;
  }

  public JsonWriter value(boolean v) {
    beforeValue();
    ascii(v ? "true" : "false");
    return this;
  }

  /**
   * Writes {@code json}, a complete JSON value the caller vouches for (a document embedded as it
   * is), verbatim.
   */
  public JsonWriter rawValue(byte[] json) {
    beforeValue();
    for (byte b : json) {
      put(b);
    }
    return this;
  }

  public JsonWriter nullValue() {
    beforeValue();
    ascii("null");
    return this;
  }

  // Field shorthands, so writers of records stay one line per field.

  public JsonWriter field(String name, String value) {
    return name(name).value(value);
  }

  public JsonWriter field(String name, long value) {
    return name(name).value(value);
  }

  public JsonWriter field(String name, boolean value) {
    return name(name).value(value);
  }

  public JsonWriter unsignedField(String name, long value) {
    return name(name).unsignedValue(value);
  }

  /** The document written so far. */
  /**
   * Writes a tree of plain Java values: maps (keys in their iteration order, so callers build
   * objects in the order their peers print them), lists, strings, booleans, integral numbers, other
   * numbers as Go prints a float64, and null; anything else as its string.
   */
  public JsonWriter tree(Object v) {
    if (v == null) {
      nullValue();
    } else if (v instanceof String s) {
      value(s);
    } else if (v instanceof Boolean b) {
      value(b);
    } else if (v instanceof Integer
        || v instanceof Long
        || v instanceof Short
        || v instanceof Byte) {
      value(((Number) v).longValue());
    } else if (v instanceof Number n) {
      double d = n.doubleValue();
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        value((long) d);
      } else {
        rawValue(Double.toString(d).getBytes(StandardCharsets.US_ASCII));
      }
    } else if (v instanceof java.util.Map<?, ?> m) {
      beginObject();
      for (java.util.Map.Entry<?, ?> e : m.entrySet()) {
        name(String.valueOf(e.getKey()));
        tree(e.getValue());
      }
      endObject();
    } else if (v instanceof java.util.Collection<?> l) {
      beginArray();
      for (Object x : l) tree(x);
      endArray();
    } else {
      value(String.valueOf(v));
    }
    return this;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  public void writeTo(OutputStream out) throws IOException {
    out.write(buf, 0, len);
  }

  @Override
  public String toString() {
    return new String(buf, 0, len, StandardCharsets.UTF_8);
  }

  // ---- layout ----

  private void open() {
    if (depth == hasElement.length) {
      hasElement = Arrays.copyOf(hasElement, depth * 2);
    }
    hasElement[depth++] = false;
  }

  private void close(byte c) {
    if (depth == 0) {
      throw new IllegalStateException("close json container: none is open");
    }
    depth--;
    if (hasElement[depth]) {
      newline(depth);
    }
    put(c);
  }

  private void beforeValue() {
    if (afterName) {
      afterName = false;
      return;
    }
    if (depth > 0) {
      beforeElement();
    }
  }

  private void beforeElement() {
    if (depth == 0) {
      throw new IllegalStateException("write json field: no object is open");
    }
    if (hasElement[depth - 1]) {
      put((byte) ',');
    } else {
      hasElement[depth - 1] = true;
    }
    newline(depth);
  }

  private void newline(int level) {
    if (indent.length == 0) {
      return;
    }
    put((byte) '\n');
    for (int i = 0; i < level; i++) {
      for (byte b : indent) {
        put(b);
      }
    }
  }

  // ---- bytes ----

  private void quoted(String s) {
    put((byte) '"');
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
          put((byte) c);
          continue;
        }
        switch (c) {
          case '"' -> {
            put((byte) '\\');
            put((byte) '"');
          }
          case '\\' -> {
            put((byte) '\\');
            put((byte) '\\');
          }
          case '\n' -> {
            put((byte) '\\');
            put((byte) 'n');
          }
          case '\r' -> {
            put((byte) '\\');
            put((byte) 'r');
          }
          case '\t' -> {
            put((byte) '\\');
            put((byte) 't');
          }
          default -> unicodeEscape(c);
        }
      } else if (c == '\u2028' || c == '\u2029') {
        unicodeEscape(c);
      } else if (c < 0x800) {
        put((byte) (0xC0 | (c >> 6)));
        put((byte) (0x80 | (c & 0x3F)));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        put((byte) (0xF0 | (cp >> 18)));
        put((byte) (0x80 | ((cp >> 12) & 0x3F)));
        put((byte) (0x80 | ((cp >> 6) & 0x3F)));
        put((byte) (0x80 | (cp & 0x3F)));
      } else if (Character.isSurrogate(c)) {
        // A lone surrogate is not valid UTF-8; Go writes invalid bytes as U+FFFD, so do we.
        unicodeEscape('\ufffd');
      } else {
        put((byte) (0xE0 | (c >> 12)));
        put((byte) (0x80 | ((c >> 6) & 0x3F)));
        put((byte) (0x80 | (c & 0x3F)));
      }
    }
    put((byte) '"');
  }

  private void unicodeEscape(char c) {
    put((byte) '\\');
    put((byte) 'u');
    put(HEX[(c >> 12) & 0xF]);
    put(HEX[(c >> 8) & 0xF]);
    put(HEX[(c >> 4) & 0xF]);
    put(HEX[c & 0xF]);
  }

  private void ascii(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[len++] = (byte) s.charAt(i);
    }
  }

  private void put(byte b) {
    if (len == buf.length) {
      buf = Arrays.copyOf(buf, len * 2);
    }
    buf[len++] = b;
  }

  private void ensure(int n) {
    if (len + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(len * 2, len + n));
    }
  }
}
