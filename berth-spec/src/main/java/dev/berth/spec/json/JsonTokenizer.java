package dev.berth.spec.json;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A strict RFC 8259 pull tokenizer over a UTF-8 document: the engine under {@link JsonReader}.
 *
 * <p>Ours rather than jackson-core's parser because every berth-runc verb parses JSON on its cold
 * start, and jackson's parser setup initialises {@code java.math} (BigInteger, BigDecimal: about 11
 * ms of a 40 ms verb, DESIGN.md "Startup budget"). This class needs nothing beyond {@code String}:
 * integers are accumulated into a long with overflow detection, floats are only recognised (the
 * reader refuses them where an integer is expected, and no spec field is a float), and line and
 * column are computed only when an error is reported.
 *
 * <p>The token stream is the one jackson produced, so {@link JsonReader} kept its semantics: {@link
 * #next()} returns {@link #BEGIN_OBJECT}, {@link #FIELD_NAME}, a value ..., {@link #END_OBJECT},
 * and {@link #END_OF_INPUT} when the top-level value is followed by nothing but whitespace; a
 * second top-level value is returned as a token, so the reader can name it ("unexpected object
 * after the top-level value").
 *
 * <p>Strictness: whitespace is space, tab, LF and CR only; strings reject unescaped control
 * characters, unknown escapes and invalid UTF-8 (overlong forms, encoded surrogates, code points
 * past U+10FFFF); numbers reject leading zeros, a leading '+', a bare '.', and a missing exponent;
 * literals must be exactly {@code true}, {@code false}, {@code null}; nesting deeper than {@link
 * #MAX_DEPTH} is refused, so a hostile document cannot make the reader's stacks grow without bound.
 * Two leniencies, both as before with jackson: a UTF-8 byte order mark at the start is ignored (RFC
 * 8259 section 8.1 allows it), and a {@code \}u escape of an unpaired surrogate reads as U+FFFD, as
 * Go's encoding/json does (runc reads the same files).
 */
final class JsonTokenizer {
  // Token kinds: ints, not an enum, so switching on them needs no synthetic switch-map class at
  // start-up.
  static final int END_OF_INPUT = 0;
  static final int BEGIN_OBJECT = 1;
  static final int END_OBJECT = 2;
  static final int BEGIN_ARRAY = 3;
  static final int END_ARRAY = 4;
  static final int FIELD_NAME = 5;
  static final int STRING = 6;
  static final int INTEGER = 7;
  static final int FLOAT = 8;
  static final int TRUE = 9;
  static final int FALSE = 10;
  static final int NULL = 11;

  /** Deepest nesting of objects and arrays accepted (jackson's default limit too). */
  static final int MAX_DEPTH = 1000;

  // What the grammar allows next.
  private static final int EXPECT_VALUE = 0; // start of document, after ':', after ',' in an array
  private static final int EXPECT_FIRST_FIELD = 1; // after '{': a field name or '}'
  private static final int EXPECT_FIELD = 2; // after ',' in an object
  private static final int EXPECT_FIRST_ELEMENT = 3; // after '[': a value or ']'
  private static final int EXPECT_SEPARATOR =
      4; // after a value: ',' or the closing bracket; at depth 0, the end

  // floor(2^64 / 10): a magnitude above it (unsigned) overflows uint64 when one more digit is
  // appended.
  private static final long UINT64_DIV10 = 1844674407370955161L;

  private final byte[] in;
  private final int start;
  private int pos;
  private int expect = EXPECT_VALUE;

  // Open containers, innermost last: whether each is an array, and the offset of its bracket for
  // error messages.
  private boolean[] arrays = new boolean[16];
  private int[] openedAt = new int[16];
  private int depth;

  // The current token.
  private int tokenStart;
  private int tokenEnd;
  private String text;
  private long magnitude;
  private boolean negative;
  private boolean overflow;

  // True while skip() runs: strings are validated but not built.
  private boolean skipping;
  // Scratch for strings with escapes or non-ASCII characters; most strings take the copy-the-bytes
  // path.
  private char[] chars;

  JsonTokenizer(byte[] json) {
    this.in = json;
    boolean bom =
        json.length >= 3
            && json[0] == (byte) 0xEF
            && json[1] == (byte) 0xBB
            && json[2] == (byte) 0xBF;
    this.start = bom ? 3 : 0;
    this.pos = start;
  }

  /** Reads the next token and returns its kind. */
  int next() throws MalformedJsonException {
    skipWhitespace();
    switch (expect) {
      case EXPECT_VALUE:
        if (depth == 0 && pos == in.length) {
          return END_OF_INPUT; // empty document: the reader says so in its own words
        }
        return value();
      case EXPECT_FIRST_FIELD:
        if (pos < in.length && in[pos] == '}') {
          return close();
        }
        return field("a field name or '}'");
      case EXPECT_FIELD:
        return field("a field name");
      case EXPECT_FIRST_ELEMENT:
        if (pos < in.length && in[pos] == ']') {
          return close();
        }
        return value();
      default:
        break;
    }
    if (depth == 0) {
      return pos == in.length ? END_OF_INPUT : value();
    }
    boolean array = arrays[depth - 1];
    int c = pos < in.length ? in[pos] : -1;
    if (c == ',') {
      pos++;
      skipWhitespace();
      return array ? value() : field("a field name");
    }
    if (c == (array ? ']' : '}')) {
      return close();
    }
    throw unexpected(
        pos, array ? "',' or ']' after an array element" : "',' or '}' after an object field");
  }

  /**
   * Skips the rest of the container whose begin token is current, validating it; the end token
   * becomes current.
   */
  void skipContainer() throws MalformedJsonException {
    int outer = depth - 1;
    skipping = true;
    try {
      while (depth > outer) {
        next();
      }
    } finally {
      skipping = false;
    }
  }

  /** Number of open objects and arrays, counting the one just begun. */
  int depth() {
    return depth;
  }

  /** The decoded text of the current {@link #STRING} or {@link #FIELD_NAME}. */
  String text() {
    return text;
  }

  /** The current {@link #INTEGER} or {@link #FLOAT} as written in the document. */
  String numberText() {
    return new String(in, tokenStart, tokenEnd - tokenStart, StandardCharsets.ISO_8859_1);
  }

  /** Whether the current {@link #INTEGER} fits a signed 64-bit long. */
  boolean isInt64() {
    if (overflow) {
      return false;
    }
    return negative ? magnitude >= 0 || magnitude == Long.MIN_VALUE : magnitude >= 0;
  }

  /** The current {@link #INTEGER} as a signed long; valid if {@link #isInt64()}. */
  long int64() {
    return negative
        ? -magnitude
        : magnitude; // -Long.MIN_VALUE is Long.MIN_VALUE, which is what -2^63 needs
  }

  /**
   * Whether the current {@link #INTEGER} fits an unsigned 64-bit integer; "-0" does not, as in Go.
   */
  boolean isUint64() {
    return !overflow && !negative;
  }

  /**
   * The current {@link #INTEGER} as the bits of an unsigned 64-bit integer; valid if {@link
   * #isUint64()}.
   */
  long uint64() {
    return magnitude;
  }

  // ---- grammar ----

  private int value() throws MalformedJsonException {
    tokenStart = pos;
    if (pos == in.length) {
      throw unexpected(pos, "a value");
    }
    int c = in[pos];
    switch (c) {
      case '{':
        open(false);
        expect = EXPECT_FIRST_FIELD;
        return BEGIN_OBJECT;
      case '[':
        open(true);
        expect = EXPECT_FIRST_ELEMENT;
        return BEGIN_ARRAY;
      case '"':
        text = string();
        expect = EXPECT_SEPARATOR;
        return STRING;
      case 't':
        literal("true");
        expect = EXPECT_SEPARATOR;
        return TRUE;
      case 'f':
        literal("false");
        expect = EXPECT_SEPARATOR;
        return FALSE;
      case 'n':
        literal("null");
        expect = EXPECT_SEPARATOR;
        return NULL;
      default:
        break;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      int kind = number();
      expect = EXPECT_SEPARATOR;
      return kind;
    }
    if (isWordByte(c)) {
      throw unrecognized();
    }
    throw unexpected(pos, "a value");
  }

  private int field(String expected) throws MalformedJsonException {
    tokenStart = pos;
    if (pos == in.length || in[pos] != '"') {
      throw unexpected(pos, expected);
    }
    text = string();
    skipWhitespace();
    if (pos == in.length || in[pos] != ':') {
      throw unexpected(pos, "':' after the field name");
    }
    pos++;
    expect = EXPECT_VALUE;
    return FIELD_NAME;
  }

  private void open(boolean array) throws MalformedJsonException {
    if (depth == MAX_DEPTH) {
      throw error(pos, "nesting deeper than " + MAX_DEPTH + " levels");
    }
    if (depth == arrays.length) {
      int n = Math.min(depth * 2, MAX_DEPTH);
      arrays = Arrays.copyOf(arrays, n);
      openedAt = Arrays.copyOf(openedAt, n);
    }
    arrays[depth] = array;
    openedAt[depth] = pos;
    depth++;
    pos++;
  }

  private int close() {
    tokenStart = pos;
    pos++;
    depth--;
    expect = EXPECT_SEPARATOR;
    return arrays[depth] ? END_ARRAY : END_OBJECT;
  }

  private void literal(String word) throws MalformedJsonException {
    int n = word.length();
    if (pos + n > in.length) {
      throw unrecognized();
    }
    for (int i = 1; i < n; i++) {
      if (in[pos + i] != word.charAt(i)) {
        throw unrecognized();
      }
    }
    if (pos + n < in.length && isWordByte(in[pos + n])) {
      throw unrecognized(); // "truex", "null0"
    }
    pos += n;
  }

  private int number() throws MalformedJsonException {
    byte[] b = in;
    int n = b.length;
    int p = pos;
    boolean neg = b[p] == '-';
    if (neg) {
      p++;
    }
    if (p == n || !isDigit(b[p])) {
      throw error(p, "invalid number, expected a digit after '-'");
    }
    long mag = 0;
    boolean over = false;
    if (b[p] == '0') {
      p++;
      if (p < n && isDigit(b[p])) {
        throw error(pos, "invalid number, leading zeros are not allowed");
      }
    } else {
      while (p < n && isDigit(b[p])) {
        int d = b[p] - '0';
        // mag is unsigned: negative as a signed long means it is already past 2^63.
        if (over || mag < 0 || mag > UINT64_DIV10 || (mag == UINT64_DIV10 && d > 5)) {
          over = true;
        } else {
          mag = mag * 10 + d;
        }
        p++;
      }
    }
    int kind = INTEGER;
    if (p < n && b[p] == '.') {
      p++;
      if (p == n || !isDigit(b[p])) {
        throw error(p, "invalid number, expected a digit after '.'");
      }
      while (p < n && isDigit(b[p])) {
        p++;
      }
      kind = FLOAT;
    }
    if (p < n && (b[p] == 'e' || b[p] == 'E')) {
      p++;
      if (p < n && (b[p] == '+' || b[p] == '-')) {
        p++;
      }
      if (p == n || !isDigit(b[p])) {
        throw error(p, "invalid number, expected a digit in the exponent");
      }
      while (p < n && isDigit(b[p])) {
        p++;
      }
      kind = FLOAT;
    }
    pos = p;
    tokenEnd = p;
    magnitude = mag;
    negative = neg;
    overflow = over;
    return kind;
  }

  /** Reads the string whose opening quote is at pos; returns it, or null while skipping. */
  private String string() throws MalformedJsonException {
    byte[] b = in;
    int n = b.length;
    int first = pos + 1;
    // Fast path: printable ASCII without escapes, nearly every string of a config.json.
    for (int i = first; i < n; i++) {
      byte c = b[i];
      if (c == '"') {
        pos = i + 1;
        return skipping ? null : new String(b, first, i - first, StandardCharsets.ISO_8859_1);
      }
      if (c == '\\' || c < 0x20) { // non-ASCII bytes are negative
        return decodeString(first, i);
      }
    }
    throw error(n, notClosed("string", tokenStart));
  }

  /** The slow path of {@link #string()}: bytes from {@code first} to {@code p} are plain ASCII. */
  private String decodeString(int first, int p) throws MalformedJsonException {
    byte[] b = in;
    int n = b.length;
    char[] buf = chars;
    if (buf == null || buf.length < p - first + 16) {
      buf = new char[Math.max(64, (p - first) * 2 + 16)];
    }
    int len = 0;
    for (int i = first; i < p; i++) {
      buf[len++] = (char) b[i];
    }
    while (true) {
      if (p == n) {
        chars = buf;
        throw error(n, notClosed("string", tokenStart));
      }
      if (len + 2 > buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      int c = b[p] & 0xFF;
      if (c == '"') {
        pos = p + 1;
        chars = buf;
        return skipping ? null : new String(buf, 0, len);
      }
      if (c == '\\') {
        if (p + 1 == n) {
          throw error(n, notClosed("string", tokenStart));
        }
        int e = b[p + 1];
        switch (e) {
          case '"', '\\', '/' -> buf[len++] = (char) e;
          case 'b' -> buf[len++] = '\b';
          case 'f' -> buf[len++] = '\f';
          case 'n' -> buf[len++] = '\n';
          case 'r' -> buf[len++] = '\r';
          case 't' -> buf[len++] = '\t';
          case 'u' -> {
            int u = hex4(p + 2);
            if (u >= 0xD800 && u <= 0xDBFF) {
              boolean escapeFollows = p + 7 < n && b[p + 6] == '\\' && b[p + 7] == 'u';
              int low = escapeFollows ? hex4Quiet(p + 8) : -1;
              if (low >= 0xDC00 && low <= 0xDFFF) {
                buf[len++] = (char) u;
                buf[len++] = (char) low;
                p += 6;
              } else {
                buf[len++] = '\uFFFD'; // unpaired: Go's choice; the next escape is read on its own
              }
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
              buf[len++] = '\uFFFD';
            } else {
              buf[len++] = (char) u;
            }
            p += 4;
          }
          default -> throw error(p, "invalid escape " + describeEscape(p + 1) + " in a string");
        }
        p += 2;
      } else if (c < 0x20) {
        throw error(p, "unescaped control character " + codePoint(c) + " in a string");
      } else if (c < 0x80) {
        buf[len++] = (char) c;
        p++;
      } else {
        int size = utf8Size(p);
        if (size == 0) {
          throw error(p, "invalid utf-8 in a string, at byte 0x" + hex(c, 2, false));
        }
        int cp = utf8CodePoint(p, size);
        if (cp >= 0x10000) {
          buf[len++] = Character.highSurrogate(cp);
          buf[len++] = Character.lowSurrogate(cp);
        } else {
          buf[len++] = (char) cp;
        }
        p += size;
      }
    }
  }

  /** The value of the four hex digits at {@code at}. */
  private int hex4(int at) throws MalformedJsonException {
    int v = 0;
    for (int i = at; i < at + 4; i++) {
      int d = i < in.length ? hexDigit(in[i]) : -1;
      if (d < 0) {
        if (i >= in.length) {
          throw error(in.length, notClosed("string", tokenStart));
        }
        throw error(
            i, "invalid \\u escape in a string, expected 4 hex digits, got " + describeAt(i));
      }
      v = v << 4 | d;
    }
    return v;
  }

  /**
   * Like {@link #hex4} but -1 instead of an error: used to look ahead for the low half of a
   * surrogate pair.
   */
  private int hex4Quiet(int at) {
    if (at + 4 > in.length) {
      return -1;
    }
    int v = 0;
    for (int i = at; i < at + 4; i++) {
      int d = hexDigit(in[i]);
      if (d < 0) {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
  }

  /**
   * Length of the valid UTF-8 sequence at {@code at} (RFC 3629: no overlongs, no surrogates), 0 if
   * invalid.
   */
  private int utf8Size(int at) {
    byte[] b = in;
    int n = b.length;
    int c0 = b[at] & 0xFF;
    if (c0 < 0xC2 || c0 > 0xF4) {
      return 0; // a continuation byte, an overlong 2-byte lead, or past U+10FFFF
    }
    int size = c0 < 0xE0 ? 2 : c0 < 0xF0 ? 3 : 4;
    if (at + size > n) {
      return 0;
    }
    int c1 = b[at + 1] & 0xFF;
    int lo = 0x80;
    int hi = 0xBF;
    if (c0 == 0xE0) {
      lo = 0xA0; // overlong
    } else if (c0 == 0xED) {
      hi = 0x9F; // UTF-16 surrogates
    } else if (c0 == 0xF0) {
      lo = 0x90; // overlong
    } else if (c0 == 0xF4) {
      hi = 0x8F; // past U+10FFFF
    }
    if (c1 < lo || c1 > hi) {
      return 0;
    }
    for (int i = 2; i < size; i++) {
      if ((b[at + i] & 0xC0) != 0x80) {
        return 0;
      }
    }
    return size;
  }

  private int utf8CodePoint(int at, int size) {
    byte[] b = in;
    int c0 = b[at] & 0xFF;
    return switch (size) {
      case 2 -> (c0 & 0x1F) << 6 | (b[at + 1] & 0x3F);
      case 3 -> (c0 & 0x0F) << 12 | (b[at + 1] & 0x3F) << 6 | (b[at + 2] & 0x3F);
      default ->
          (c0 & 0x07) << 18
              | (b[at + 1] & 0x3F) << 12
              | (b[at + 2] & 0x3F) << 6
              | (b[at + 3] & 0x3F);
    };
  }

  private void skipWhitespace() {
    byte[] b = in;
    int n = b.length;
    int p = pos;
    while (p < n) {
      byte c = b[p];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        break;
      }
      p++;
    }
    pos = p;
  }

  private static boolean isDigit(byte c) {
    return c >= '0' && c <= '9';
  }

  // Letters, digits and '_': what a mistyped literal or a bare word is made of ("tru", "NaN",
  // "undefined").
  private static boolean isWordByte(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  private static int hexDigit(byte c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  // ---- errors: only on the error path, so they may allocate and scan ----

  private MalformedJsonException unrecognized() {
    int end = tokenStart;
    while (end < in.length && end - tokenStart < 32 && isWordByte(in[end])) {
      end++;
    }
    String word = new String(in, tokenStart, end - tokenStart, StandardCharsets.ISO_8859_1);
    return error(tokenStart, "unrecognized token '" + word + "', expected a value");
  }

  private MalformedJsonException unexpected(int at, String expected) {
    if (at >= in.length) {
      if (depth > 0) {
        return error(at, notClosed(arrays[depth - 1] ? "array" : "object", openedAt[depth - 1]));
      }
      return error(at, "unexpected end-of-input, expected " + expected);
    }
    return error(at, "unexpected " + describeAt(at) + ", expected " + expected);
  }

  private String notClosed(String what, int openedAtOffset) {
    return "unexpected end-of-input, the "
        + what
        + " opened at "
        + lineColumn(openedAtOffset)
        + " is not closed";
  }

  private String describeAt(int at) {
    if (at >= in.length) {
      return "end-of-input";
    }
    int c = in[at] & 0xFF;
    if (c == '\'') {
      return "character \"'\"";
    }
    if (c > 0x20 && c < 0x7F) {
      return "character '" + (char) c + "'";
    }
    if (c < 0x80) {
      return "character " + codePoint(c);
    }
    int size = utf8Size(at);
    return size == 0
        ? "byte 0x" + hex(c, 2, false)
        : "character " + codePoint(utf8CodePoint(at, size));
  }

  private String describeEscape(int at) {
    int c = in[at] & 0xFF;
    return c > 0x20 && c < 0x7F ? "'\\" + (char) c + "'" : "'\\' followed by " + describeAt(at);
  }

  private static String codePoint(int cp) {
    return "U+" + hex(cp, 4, true);
  }

  private static String hex(int v, int minDigits, boolean upper) {
    String digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char[] out = new char[8];
    int i = out.length;
    do {
      out[--i] = digits.charAt(v & 0xF);
      v >>>= 4;
    } while (v != 0 || out.length - i < minDigits);
    return new String(out, i, out.length - i);
  }

  private MalformedJsonException error(int at, String reason) {
    int[] lc = locate(at);
    return new MalformedJsonException(at, lc[0], lc[1], reason);
  }

  private String lineColumn(int at) {
    int[] lc = locate(at);
    return "line " + lc[0] + ", column " + lc[1];
  }

  // Line and column (in code points) of a byte offset. LF, CR LF and a lone CR each end a line.
  private int[] locate(int at) {
    int line = 1;
    int column = 1;
    int end = Math.min(at, in.length);
    for (int i = start; i < end; i++) {
      int c = in[i];
      if (c == '\n' || (c == '\r' && (i + 1 == in.length || in[i + 1] != '\n'))) {
        line++;
        column = 1;
      } else if (c != '\r' && (c & 0xC0) != 0x80) {
        column++;
      }
    }
    return new int[] {line, column};
  }
}
