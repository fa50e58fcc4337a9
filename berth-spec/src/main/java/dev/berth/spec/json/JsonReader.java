package dev.berth.spec.json;

import static dev.berth.spec.json.JsonTokenizer.BEGIN_ARRAY;
import static dev.berth.spec.json.JsonTokenizer.BEGIN_OBJECT;
import static dev.berth.spec.json.JsonTokenizer.END_ARRAY;
import static dev.berth.spec.json.JsonTokenizer.END_OBJECT;
import static dev.berth.spec.json.JsonTokenizer.END_OF_INPUT;
import static dev.berth.spec.json.JsonTokenizer.FALSE;
import static dev.berth.spec.json.JsonTokenizer.FIELD_NAME;
import static dev.berth.spec.json.JsonTokenizer.FLOAT;
import static dev.berth.spec.json.JsonTokenizer.INTEGER;
import static dev.berth.spec.json.JsonTokenizer.NULL;
import static dev.berth.spec.json.JsonTokenizer.STRING;
import static dev.berth.spec.json.JsonTokenizer.TRUE;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pull reader over a UTF-8 JSON document that knows the path of the value it is on, so every
 * error names the field ({@code process.args[1]: expected string, got number}). Malformed JSON is
 * reported with its position ({@code invalid json at line 3, column 29: unexpected character ']',
 * expected a value}); {@code JsonTokenizer} says how strict the syntax is and why it is ours rather
 * than jackson-core's.
 *
 * <p>Model: the reader is always positioned on a value. Read it with one of the typed methods,
 * enter it with {@link #beginObject()} / {@link #beginArray()}, or {@link #skip()} it; then move on
 * with {@link #nextField()} or {@link #nextElement()}. Typical use, without lambdas (they cost
 * start-up time):
 *
 * <pre>{@code
 * if (!r.beginObject()) return null;           // JSON null: absent
 * for (String f; (f = r.nextField()) != null; ) {
 *     switch (f) {
 *         case "path" -> path = r.string();
 *         default -> r.skip();                  // unknown fields are ignored
 *     }
 * }
 * }</pre>
 *
 * <p>Semantics follow Go's encoding/json, which is what runc and containerd use: a JSON {@code
 * null} leaves a value at its zero value (empty string, 0, false, absent), integers must be integer
 * literals in range of their Go type, and a repeated field keeps its last value.
 */
public final class JsonReader implements AutoCloseable {
  private final JsonTokenizer tokens;
  private final String source;
  private int token;

  // Path stack: one frame per open object or array. names[i] is the current field of an object
  // frame (null before
  // the first field); indexes[i] is the current index of an array frame (-1 before the first
  // element).
  private String[] names = new String[16];
  private int[] indexes = new int[16];
  private boolean[] arrays = new boolean[16];
  private int depth;

  private JsonReader(JsonTokenizer tokens, String source) {
    this.tokens = tokens;
    this.source = source == null ? "" : source;
  }

  /**
   * Opens a reader positioned on the top-level value of {@code json}; {@code source} prefixes every
   * error.
   */
  public static JsonReader of(byte[] json, String source) throws SpecException {
    JsonReader reader = new JsonReader(new JsonTokenizer(json), source);
    reader.advance();
    if (reader.token == END_OF_INPUT) {
      throw reader.error("empty document, expected a json value");
    }
    return reader;
  }

  /** The source name given to {@link #of}. */
  public String source() {
    return source;
  }

  /**
   * The path of the current value, e.g. {@code linux.namespaces[2].type}; empty at the top level.
   */
  public String path() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      if (arrays[i]) {
        if (indexes[i] >= 0) {
          sb.append('[').append(indexes[i]).append(']');
        }
      } else if (names[i] != null) {
        if (!sb.isEmpty()) {
          sb.append('.');
        }
        sb.append(names[i]);
      }
    }
    return sb.toString();
  }

  /** An exception for the current value: the message is prefixed with source and path. */
  public SpecException error(String detail) {
    return new SpecException(source, path(), detail);
  }

  /** True if the current value is an array (fields that take one value or a list of them). */
  public boolean isArray() {
    return token == BEGIN_ARRAY;
  }

  /** True if the current value is an object. */
  public boolean isObject() {
    return token == BEGIN_OBJECT;
  }

  /** True if the current value is JSON null. */
  public boolean isNull() {
    return token == NULL;
  }

  // ---- structure ----

  /** Enters the current object; returns false (and consumes it) if the value is null. */
  public boolean beginObject() throws SpecException {
    if (token == NULL) {
      return false;
    }
    if (token != BEGIN_OBJECT) {
      throw mismatch("object");
    }
    push(false);
    return true;
  }

  /**
   * Moves to the next field of the current object and returns its name, or null after the last one.
   */
  public String nextField() throws SpecException {
    advance();
    if (token == END_OBJECT) {
      depth--;
      return null;
    }
    if (token != FIELD_NAME) {
      throw error("expected a field name, got " + describe(token));
    }
    String name = tokens.text();
    names[depth - 1] = name;
    advance();
    return name;
  }

  /** Enters the current array; returns false (and consumes it) if the value is null. */
  public boolean beginArray() throws SpecException {
    if (token == NULL) {
      return false;
    }
    if (token != BEGIN_ARRAY) {
      throw mismatch("array");
    }
    push(true);
    return true;
  }

  /** Moves to the next element of the current array; false after the last one. */
  public boolean nextElement() throws SpecException {
    advance();
    if (token == END_ARRAY) {
      depth--;
      return false;
    }
    indexes[depth - 1]++;
    return true;
  }

  /** Skips the current value, with everything nested in it. */
  public void skip() throws SpecException {
    if (token == BEGIN_OBJECT || token == BEGIN_ARRAY) {
      try {
        tokens.skipContainer();
      } catch (MalformedJsonException e) {
        throw syntax(e);
      }
    }
  }

  /**
   * Checks that nothing but whitespace follows the top-level value, as Go's json.Unmarshal does.
   */
  public void end() throws SpecException {
    advance();
    if (token != END_OF_INPUT) {
      throw new SpecException(
          source, "", "unexpected " + describe(token) + " after the top-level value");
    }
  }

  @Override
  public void close() {
    // nothing to release: the reader only holds the caller's byte[]; AutoCloseable keeps callers'
    // try blocks
  }

  // ---- scalars ----

  /** A string; null reads as "". */
  public String string() throws SpecException {
    if (token == STRING) {
      return tokens.text();
    }
    if (token == NULL) {
      return "";
    }
    throw mismatch("string");
  }

  /** A boolean; null reads as false. */
  public boolean bool() throws SpecException {
    if (token == TRUE) {
      return true;
    }
    if (token == FALSE || token == NULL) {
      return false;
    }
    throw mismatch("boolean");
  }

  /** A boolean, or null when the value is null. */
  public Boolean optBool() throws SpecException {
    return token == NULL ? null : bool();
  }

  /** A signed 64-bit integer; null reads as 0. */
  public long int64() throws SpecException {
    if (token == NULL) {
      return 0;
    }
    integerToken("int64");
    if (!tokens.isInt64()) {
      throw outOfRange("int64");
    }
    return tokens.int64();
  }

  /**
   * An unsigned 64-bit integer in the bits of a long (18446744073709551615 reads as -1L); null
   * reads as 0.
   */
  public long uint64() throws SpecException {
    if (token == NULL) {
      return 0;
    }
    integerToken("uint64");
    if (!tokens.isUint64()) {
      throw outOfRange("uint64"); // negative (even -0, as Go) or past 18446744073709551615
    }
    return tokens.uint64();
  }

  /** A signed 32-bit integer; null reads as 0. */
  public int int32() throws SpecException {
    long v = int64Checked("int32");
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw outOfRange("int32");
    }
    return (int) v;
  }

  /**
   * An unsigned 32-bit integer in the bits of an int (use {@link Integer#toUnsignedLong}); null
   * reads as 0.
   */
  public int uint32() throws SpecException {
    long v = int64Checked("uint32");
    if (v < 0 || v > 0xFFFF_FFFFL) {
      throw outOfRange("uint32");
    }
    return (int) v;
  }

  /** An unsigned 16-bit integer; null reads as 0. */
  public int uint16() throws SpecException {
    long v = int64Checked("uint16");
    if (v < 0 || v > 0xFFFF) {
      throw outOfRange("uint16");
    }
    return (int) v;
  }

  public Long optInt64() throws SpecException {
    return token == NULL ? null : int64();
  }

  public Long optUint64() throws SpecException {
    return token == NULL ? null : uint64();
  }

  public Integer optInt32() throws SpecException {
    return token == NULL ? null : int32();
  }

  public Integer optUint32() throws SpecException {
    return token == NULL ? null : uint32();
  }

  public Integer optUint16() throws SpecException {
    return token == NULL ? null : uint16();
  }

  // ---- common composites ----

  /** An array of strings; null reads as an empty list. */
  public List<String> strings() throws SpecException {
    if (!beginArray()) {
      return List.of();
    }
    List<String> list = new ArrayList<>();
    while (nextElement()) {
      list.add(string());
    }
    return list;
  }

  /** An object of string values, in document order; null reads as an empty map. */
  public Map<String, String> stringMap() throws SpecException {
    if (!beginObject()) {
      return Map.of();
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (String f; (f = nextField()) != null; ) {
      map.put(f, string());
    }
    return map;
  }

  // ---- internals ----

  private long int64Checked(String type) throws SpecException {
    if (token == NULL) {
      return 0;
    }
    integerToken(type);
    if (!tokens.isInt64()) {
      throw outOfRange(type);
    }
    return tokens.int64();
  }

  private void integerToken(String type) throws SpecException {
    if (token == INTEGER) {
      return;
    }
    if (token == FLOAT) {
      throw error("expected " + type + ", got number " + tokens.numberText());
    }
    throw error("expected " + type + ", got " + describe(token));
  }

  private SpecException outOfRange(String type) {
    return error("number " + tokens.numberText() + " out of range for " + type);
  }

  private SpecException mismatch(String expected) {
    return error("expected " + expected + ", got " + describe(token));
  }

  private static String describe(int t) {
    return switch (t) {
      case END_OF_INPUT -> "end of input";
      case STRING -> "string";
      case INTEGER, FLOAT -> "number";
      case TRUE, FALSE -> "boolean";
      case NULL -> "null";
      case BEGIN_OBJECT -> "object";
      case BEGIN_ARRAY -> "array";
      case FIELD_NAME -> "field name";
      case END_OBJECT -> "\"}\"";
      default -> "\"]\"";
    };
  }

  private void push(boolean array) {
    if (depth == names.length) {
      int n = depth * 2;
      names = java.util.Arrays.copyOf(names, n);
      indexes = java.util.Arrays.copyOf(indexes, n);
      arrays = java.util.Arrays.copyOf(arrays, n);
    }
    arrays[depth] = array;
    names[depth] = null;
    indexes[depth] = -1;
    depth++;
  }

  private void advance() throws SpecException {
    try {
      token = tokens.next();
    } catch (MalformedJsonException e) {
      throw syntax(e);
    }
  }

  private SpecException syntax(MalformedJsonException e) {
    return new SpecException(
        source,
        path(),
        "invalid json at line " + e.line() + ", column " + e.column() + ": " + e.reason(),
        e);
  }
}
