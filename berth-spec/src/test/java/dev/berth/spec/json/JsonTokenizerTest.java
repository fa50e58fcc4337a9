package dev.berth.spec.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonTokenizerTest {

  /**
   * The whole token stream of {@code json}, one short word per token, e.g. {@code { f:a 1 } end}.
   */
  private static String tokens(String json) throws MalformedJsonException {
    return tokens(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String tokens(byte[] json) throws MalformedJsonException {
    JsonTokenizer t = new JsonTokenizer(json);
    StringBuilder sb = new StringBuilder();
    for (int kind; ; ) {
      kind = t.next();
      if (!sb.isEmpty()) {
        sb.append(' ');
      }
      switch (kind) {
        case JsonTokenizer.END_OF_INPUT -> {
          return sb.append("end").toString();
        }
        case JsonTokenizer.BEGIN_OBJECT -> sb.append('{');
        case JsonTokenizer.END_OBJECT -> sb.append('}');
        case JsonTokenizer.BEGIN_ARRAY -> sb.append('[');
        case JsonTokenizer.END_ARRAY -> sb.append(']');
        case JsonTokenizer.FIELD_NAME -> sb.append("f:").append(t.text());
        case JsonTokenizer.STRING -> sb.append("s:").append(t.text());
        case JsonTokenizer.INTEGER -> sb.append("i:").append(t.numberText());
        case JsonTokenizer.FLOAT -> sb.append("d:").append(t.numberText());
        case JsonTokenizer.TRUE -> sb.append("true");
        case JsonTokenizer.FALSE -> sb.append("false");
        case JsonTokenizer.NULL -> sb.append("null");
        default -> fail("unknown token kind " + kind);
      }
    }
  }

  /** The single string value of {@code json}. */
  private static String string(String json) throws MalformedJsonException {
    return string(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String string(byte[] json) throws MalformedJsonException {
    JsonTokenizer t = new JsonTokenizer(json);
    assertEquals(JsonTokenizer.STRING, t.next());
    assertEquals(JsonTokenizer.END_OF_INPUT, t.next());
    return t.text();
  }

  /** The tokenizer positioned on the single number of {@code json}. */
  private static JsonTokenizer number(String json, int kind) throws MalformedJsonException {
    JsonTokenizer t = new JsonTokenizer(json.getBytes(StandardCharsets.UTF_8));
    assertEquals(kind, t.next(), json);
    return t;
  }

  /** "line L, column C: reason" of the error that reading all of {@code json} must raise. */
  private static String error(String json) {
    return error(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String error(byte[] json) {
    return assertThrows(MalformedJsonException.class, () -> tokens(json)).getMessage();
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  // ---- strings ----

  @Test
  void everySimpleEscapeDecodes() throws MalformedJsonException {
    assertEquals("\" \\ / \b \f \n \r \t", string("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""));
    assertEquals("a\"b", string("\"a\\\"b\""));
  }

  @Test
  void unicodeEscapesDecodeIncludingSurrogatePairs() throws MalformedJsonException {
    assertEquals("\u0000", string("\"\\u0000\""));
    assertEquals("é€", string("\"\\u00e9\\u20AC\""));
    assertEquals("😀", string("\"\\ud83d\\ude00\""));
    assertEquals("x😀y", string("\"x\\uD83D\\uDE00y\""));
    assertEquals("\uDBFF\uDFFF", string("\"\\udbff\\udfff\""), "U+10FFFF, the last code point");
  }

  @Test
  void unpairedSurrogateEscapesReadAsReplacementCharacterAsInGo() throws MalformedJsonException {
    assertEquals("\uFFFD", string("\"\\ud800\""));
    assertEquals("\uFFFD", string("\"\\udc00\""));
    assertEquals(
        "\uFFFDA", string("\"\\ud800\\u0041\""), "the following escape is read on its own");
    assertEquals("\uFFFD\uFFFD", string("\"\\ude00\\ud83d\""), "a pair in the wrong order");
    assertEquals("\uFFFD\\u", string("\"\\ud800\\\\u\""));
  }

  @Test
  void rawUtf8DecodesAtEverySequenceLength() throws MalformedJsonException {
    String text = "é ü € 中 😀 \u007f";
    assertEquals(text, string("\"" + text + "\""));
    assertEquals("é\n😀", string("\"é\\n😀\""), "escape after non-ASCII");
  }

  @Test
  void invalidUtf8InAStringIsRefusedWithItsPosition() {
    // {"s":"<bytes>"} : the string's content starts at column 7
    String[] expected = {
      "line 1, column 7: invalid utf-8 in a string, at byte 0xff",
      "line 1, column 7: invalid utf-8 in a string, at byte 0x80", // lone continuation byte
      "line 1, column 7: invalid utf-8 in a string, at byte 0xc0", // overlong '/'
      "line 1, column 7: invalid utf-8 in a string, at byte 0xe0", // overlong 3-byte
      "line 1, column 7: invalid utf-8 in a string, at byte 0xed", // an encoded surrogate
      "line 1, column 7: invalid utf-8 in a string, at byte 0xf4", // past U+10FFFF
      "line 1, column 7: invalid utf-8 in a string, at byte 0xe2", // truncated by the closing quote
      "line 1, column 8: invalid utf-8 in a string, at byte 0xc3", // after a valid character
    };
    int[][] content = {
      {0xff},
      {0x80},
      {0xc0, 0xaf},
      {0xe0, 0x80, 0xaf},
      {0xed, 0xa0, 0x80},
      {0xf4, 0x90, 0x80, 0x80},
      {0xe2, 0x82},
      {'a', 0xc3},
    };
    for (int i = 0; i < content.length; i++) {
      byte[] head = "{\"s\":\"".getBytes(StandardCharsets.US_ASCII);
      byte[] doc = new byte[head.length + content[i].length + 2];
      System.arraycopy(head, 0, doc, 0, head.length);
      System.arraycopy(bytes(content[i]), 0, doc, head.length, content[i].length);
      doc[doc.length - 2] = '"';
      doc[doc.length - 1] = '}';
      assertEquals(expected[i], error(doc));
    }
    assertEquals("line 1, column 1: unexpected byte 0xff, expected a value", error(bytes(0xff)));
    assertEquals(
        "line 1, column 1: unexpected character U+00E9, expected a value",
        error(bytes(0xc3, 0xa9)));
  }

  @Test
  void controlCharactersInStringsMustBeEscaped() {
    assertEquals(
        "line 1, column 3: unescaped control character U+000A in a string", error("\"a\nb\""));
    assertEquals(
        "line 1, column 2: unescaped control character U+0009 in a string", error("\"\t\""));
    assertEquals(
        "line 1, column 2: unescaped control character U+0000 in a string", error("\"\u0000\""));
    assertEquals(
        "line 1, column 2: unescaped control character U+001F in a string", error("\"\u001f\""));
  }

  @Test
  void badEscapesAreRefused() {
    assertEquals("line 1, column 2: invalid escape '\\x' in a string", error("\"\\x\""));
    assertEquals("line 1, column 2: invalid escape '\\U' in a string", error("\"\\U0041\""));
    assertEquals(
        "line 1, column 2: invalid escape '\\' followed by character U+0020 in a string",
        error("\"\\ \""));
    assertEquals(
        "line 1, column 6: invalid \\u escape in a string, expected 4 hex digits, got character '\"'",
        error("\"\\u12\""));
    assertEquals(
        "line 1, column 6: invalid \\u escape in a string, expected 4 hex digits, got character 'g'",
        error("\"\\u00g0\""));
    assertEquals(
        "line 1, column 5: unexpected end-of-input, the string opened at line 1, column 1 is not closed",
        error("\"\\u1"));
    assertEquals(
        "line 1, column 3: unexpected end-of-input, the string opened at line 1, column 1 is not closed",
        error("\"\\"));
  }

  @Test
  void bigStringsReadWhole() throws MalformedJsonException {
    String ascii = "x".repeat(1 << 20);
    assertEquals(ascii, string("\"" + ascii + "\""));
    // Escapes and non-ASCII take the decoding path, whose buffer must grow many times.
    String mixed = "a\"é😀\n".repeat(100_000);
    String escaped = mixed.replace("\"", "\\\"").replace("\n", "\\n");
    assertEquals(mixed, string("\"" + escaped + "\""));
    // A long ASCII prefix before the first escape.
    assertEquals(ascii + "\n", string("\"" + ascii + "\\n\""));
  }

  // ---- numbers ----

  @Test
  void integersAtTheEdgesOfLong() throws MalformedJsonException {
    JsonTokenizer max = number("9223372036854775807", JsonTokenizer.INTEGER);
    assertTrue(max.isInt64());
    assertEquals(Long.MAX_VALUE, max.int64());
    assertTrue(max.isUint64());

    JsonTokenizer min = number("-9223372036854775808", JsonTokenizer.INTEGER);
    assertTrue(min.isInt64());
    assertEquals(Long.MIN_VALUE, min.int64());
    assertFalse(min.isUint64());

    JsonTokenizer maxPlusOne = number("9223372036854775808", JsonTokenizer.INTEGER);
    assertFalse(maxPlusOne.isInt64());
    assertTrue(maxPlusOne.isUint64());
    assertEquals(Long.MIN_VALUE, maxPlusOne.uint64());

    assertFalse(number("-9223372036854775809", JsonTokenizer.INTEGER).isInt64());
    assertFalse(number("-18446744073709551616", JsonTokenizer.INTEGER).isInt64());
  }

  @Test
  void integersAtTheEdgesOfUint64() throws MalformedJsonException {
    JsonTokenizer max = number("18446744073709551615", JsonTokenizer.INTEGER);
    assertTrue(max.isUint64());
    assertEquals(-1L, max.uint64());
    assertFalse(max.isInt64());

    for (String over :
        new String[] {
          "18446744073709551616",
          "18446744073709551620",
          "18446744073709551625",
          "99999999999999999999",
          "184467440737095516150",
          "1" + "0".repeat(300)
        }) {
      JsonTokenizer t = number(over, JsonTokenizer.INTEGER);
      assertFalse(t.isUint64(), over);
      assertFalse(t.isInt64(), over);
      assertEquals(over, t.numberText());
    }
    assertEquals(
        1844674407370955161L, number("1844674407370955161", JsonTokenizer.INTEGER).uint64());
  }

  @Test
  void zeroAndNegativeZero() throws MalformedJsonException {
    JsonTokenizer zero = number("0", JsonTokenizer.INTEGER);
    assertEquals(0, zero.int64());
    assertTrue(zero.isUint64());
    JsonTokenizer minusZero = number("-0", JsonTokenizer.INTEGER);
    assertTrue(minusZero.isInt64());
    assertEquals(0, minusZero.int64());
    assertFalse(minusZero.isUint64(), "Go's ParseUint refuses \"-0\"");
  }

  @Test
  void floatsAreRecognisedAndKeepTheirText() throws MalformedJsonException {
    for (String f :
        new String[] {
          "1.0",
          "1e5",
          "1E5",
          "1e+5",
          "1e-5",
          "-1.5e-3",
          "0.5",
          "-0.0",
          "0e0",
          "1e400",
          "123456789012345678901234567890.5"
        }) {
      assertEquals(f, number(f, JsonTokenizer.FLOAT).numberText());
    }
  }

  @Test
  void malformedNumbersAreRefused() {
    assertEquals("line 1, column 1: invalid number, leading zeros are not allowed", error("01"));
    assertEquals("line 1, column 1: invalid number, leading zeros are not allowed", error("-01"));
    assertEquals("line 1, column 1: invalid number, leading zeros are not allowed", error("00"));
    assertEquals("line 1, column 3: invalid number, expected a digit after '.'", error("1."));
    assertEquals("line 1, column 3: invalid number, expected a digit after '.'", error("1.e5"));
    assertEquals("line 1, column 3: invalid number, expected a digit in the exponent", error("1e"));
    assertEquals(
        "line 1, column 4: invalid number, expected a digit in the exponent", error("1e+"));
    assertEquals("line 1, column 2: invalid number, expected a digit after '-'", error("-"));
    assertEquals("line 1, column 2: invalid number, expected a digit after '-'", error("-a"));
    assertEquals(
        "line 1, column 2: invalid number, expected a digit after '-'", error("-Infinity"));
    assertEquals("line 1, column 1: unexpected character '+', expected a value", error("+1"));
    assertEquals("line 1, column 1: unexpected character '.', expected a value", error(".5"));
    assertEquals("line 1, column 1: unrecognized token 'NaN', expected a value", error("NaN"));
    assertEquals(
        "line 1, column 3: unexpected character 'x', expected ',' or ']' after an array element",
        error("[0x10]"));
    assertEquals(
        "line 1, column 5: unexpected character '.', expected ',' or ']' after an array element",
        error("[1.5.3]"));
  }

  // ---- literals and structure ----

  @Test
  void literalsMustBeExact() throws MalformedJsonException {
    assertEquals("[ true false null ] end", tokens("[true,false,null]"));
    assertEquals("line 1, column 2: unrecognized token 'tru', expected a value", error("[tru]"));
    assertEquals("line 1, column 1: unrecognized token 'truex', expected a value", error("truex"));
    assertEquals("line 1, column 1: unrecognized token 'nulls', expected a value", error("nulls"));
    assertEquals("line 1, column 1: unrecognized token 'True', expected a value", error("True"));
    assertEquals("line 1, column 1: unrecognized token 'fals', expected a value", error("fals"));
    assertEquals(
        "line 1, column 1: unrecognized token 'undefined', expected a value", error("undefined"));
  }

  @Test
  void emptyAndNestedContainers() throws MalformedJsonException {
    assertEquals("{ } end", tokens("{}"));
    assertEquals("[ ] end", tokens("[]"));
    assertEquals(
        "{ f:a [ ] f:b { } f:c [ [ ] { } ] } end", tokens("{\"a\":[],\"b\":{},\"c\":[[],{}]}"));
    assertEquals("{ f: s: } end", tokens("{\"\":\"\"}"));
    // Repeated fields pass through as tokens; JsonReader callers keep the last value.
    assertEquals("{ f:a i:1 f:a i:2 } end", tokens("{\"a\":1,\"a\":2}"));
  }

  @Test
  void topLevelScalarsAndSecondValues() throws MalformedJsonException {
    assertEquals("i:1 end", tokens("1"));
    assertEquals("s:x end", tokens("\"x\""));
    assertEquals("null end", tokens(" null "));
    assertEquals("end", tokens(""), "empty document: the reader reports it");
    assertEquals("end", tokens(" \n\t\r "));
    // A second top-level value is a token, so the reader can name it in its error.
    assertEquals("{ } { } end", tokens("{} {}"));
    assertEquals("line 1, column 3: unrecognized token 'x', expected a value", error("{}x"));
  }

  @Test
  void whitespaceIsExactlyTheFourJsonCharacters() throws MalformedJsonException {
    assertEquals("{ f:a [ i:1 i:2 ] } end", tokens(" \t\r\n{ \"a\" \n:\r\n[\t1 ,\r2\n]\n}\r\n\t "));
    assertEquals("line 1, column 1: unexpected character U+000C, expected a value", error("\f1"));
    assertEquals(
        "line 1, column 1: unexpected character U+000B, expected a value", error("\u000b1"));
    assertEquals(
        "line 1, column 2: unexpected character U+00A0, expected a value", error("[\u00a01]"));
    assertEquals(
        "line 1, column 3: unexpected character U+0000, expected a value", error("{}\u0000"));
  }

  @Test
  void byteOrderMarkIsIgnoredOnlyAtTheStart() throws MalformedJsonException {
    assertEquals("{ } end", tokens(bytes(0xef, 0xbb, 0xbf, '{', '}')));
    assertEquals(
        "line 1, column 2: unexpected character U+FEFF, expected a value",
        error(bytes('[', 0xef, 0xbb, 0xbf, ']')));
  }

  @Test
  void structuralMistakesNameWhatWasExpected() {
    assertEquals(
        "line 1, column 8: unexpected character '}', expected a field name", error("{\"a\":1,}"));
    assertEquals("line 1, column 4: unexpected character ']', expected a value", error("[1,]"));
    assertEquals(
        "line 1, column 2: unexpected character ',', expected a field name or '}'", error("{,}"));
    assertEquals("line 1, column 2: unexpected character ',', expected a value", error("[,1]"));
    assertEquals(
        "line 1, column 2: unexpected character 'a', expected a field name or '}'", error("{a:1}"));
    assertEquals(
        "line 1, column 2: unexpected character \"'\", expected a field name or '}'",
        error("{'a':1}"));
    assertEquals(
        "line 1, column 6: unexpected character '1', expected ':' after the field name",
        error("{\"a\" 1}"));
    assertEquals(
        "line 1, column 5: unexpected character '=', expected ':' after the field name",
        error("{\"a\"=1}"));
    assertEquals(
        "line 1, column 8: unexpected character '\"', expected ',' or '}' after an object field",
        error("{\"a\":1 \"b\":2}"));
    assertEquals(
        "line 1, column 4: unexpected character '2', expected ',' or ']' after an array element",
        error("[1 2]"));
    assertEquals(
        "line 1, column 3: unexpected character '}', expected ',' or ']' after an array element",
        error("[1}"));
    assertEquals(
        "line 1, column 7: unexpected character ']', expected ',' or '}' after an object field",
        error("{\"a\":1]"));
    assertEquals("line 1, column 1: unexpected character ']', expected a value", error("]"));
    assertEquals("line 1, column 6: unexpected character '}', expected a value", error("{\"a\":}"));
    assertEquals("line 1, column 2: unexpected character ':', expected a value", error("[:]"));
  }

  @Test
  void endOfInputSaysWhatIsNotClosed() {
    assertEquals(
        "line 1, column 2: unexpected end-of-input, the object opened at line 1, column 1 is not closed",
        error("{"));
    assertEquals(
        "line 2, column 6: unexpected end-of-input, the array opened at line 2, column 3 is not closed",
        error("{\"a\":\n  [1,"));
    assertEquals(
        "line 1, column 6: unexpected end-of-input, the object opened at line 1, column 1 is not closed",
        error("{\"a\":"));
    assertEquals(
        "line 1, column 5: unexpected end-of-input, the object opened at line 1, column 1 is not closed",
        error("{\"a\""));
    assertEquals(
        "line 1, column 4: unexpected end-of-input, the string opened at line 1, column 2 is not closed",
        error("{\"a"));
    assertEquals("line 1, column 2: unrecognized token 't', expected a value", error("[t"));
  }

  @Test
  void linesAndColumnsCountLineBreaksAndCharacters() {
    assertEquals(
        "line 3, column 2: unexpected character ']', expected a value", error("[\n1,\n ]"));
    assertEquals(
        "line 3, column 2: unexpected character ']', expected a value", error("[\r\n1,\r\n ]"));
    assertEquals(
        "line 3, column 2: unexpected character ']', expected a value", error("[\r1,\r ]"));
    // Columns count characters, not bytes: "é😀" is 6 bytes but 2 columns.
    assertEquals(
        "line 1, column 6: unexpected character 'x', expected ',' or ']' after an array element",
        error("[\"é😀\"x]"));
    // The byte order mark is not a column.
    assertEquals(
        "line 1, column 3: unexpected character ']', expected a value",
        error(bytes(0xef, 0xbb, 0xbf, '[', ']', ']')));
  }

  // ---- depth ----

  private static String nested(int levels, String open, String close) {
    return open.repeat(levels) + close.repeat(levels);
  }

  @Test
  void nestingUpToTheLimitIsRead() throws MalformedJsonException {
    JsonTokenizer t =
        new JsonTokenizer(
            nested(JsonTokenizer.MAX_DEPTH, "[", "]").getBytes(StandardCharsets.UTF_8));
    for (int i = 1; i <= JsonTokenizer.MAX_DEPTH; i++) {
      assertEquals(JsonTokenizer.BEGIN_ARRAY, t.next());
      assertEquals(i, t.depth());
    }
    for (int i = 0; i < JsonTokenizer.MAX_DEPTH; i++) {
      assertEquals(JsonTokenizer.END_ARRAY, t.next());
    }
    assertEquals(JsonTokenizer.END_OF_INPUT, t.next());
  }

  @Test
  void deeperNestingIsRefused() {
    assertEquals(
        "line 1, column 1001: nesting deeper than 1000 levels",
        error(nested(JsonTokenizer.MAX_DEPTH + 1, "[", "]")));
    assertEquals(
        "line 1, column 5001: nesting deeper than 1000 levels",
        error(nested(JsonTokenizer.MAX_DEPTH + 1, "{\"a\":", "}")));
    // A hostile document: a megabyte of '[' fails at the limit, not after growing stacks.
    assertEquals(
        "line 1, column 1001: nesting deeper than 1000 levels", error("[".repeat(1 << 20)));
  }

  // ---- skip ----

  @Test
  void skipContainerStopsOnItsEndAndStillValidates() throws MalformedJsonException {
    JsonTokenizer t =
        new JsonTokenizer(
            "[{\"a\":[1,{\"b\":\"]\"}],\"c\":{}},2]".getBytes(StandardCharsets.UTF_8));
    assertEquals(JsonTokenizer.BEGIN_ARRAY, t.next());
    assertEquals(JsonTokenizer.BEGIN_OBJECT, t.next());
    t.skipContainer();
    assertEquals(1, t.depth());
    assertEquals(JsonTokenizer.INTEGER, t.next());
    assertEquals(2, t.int64());
    assertEquals(JsonTokenizer.END_ARRAY, t.next());
    assertEquals(JsonTokenizer.END_OF_INPUT, t.next());

    JsonTokenizer bad = new JsonTokenizer("{\"a\":[\"x\\q\"]}".getBytes(StandardCharsets.UTF_8));
    bad.next();
    MalformedJsonException e = assertThrows(MalformedJsonException.class, bad::skipContainer);
    assertEquals("line 1, column 9: invalid escape '\\q' in a string", e.getMessage());
  }

  // ---- robustness: any bytes end in tokens or MalformedJsonException, never another exception
  // ----

  private static final String SAMPLE =
      "{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":true,\"user\":{\"uid\":0,"
          + "\"gid\":-1},\"args\":[\"sh\",\"-c\",\"echo \\\"\\u00e9\\ud83d\\ude00\\\" é\"],\"rlimits\":[{\"hard\":"
          + "18446744073709551615,\"soft\":1.5e3}]},\"x\":null,\"y\":false,\"z\":[[],{},[{}]]}";

  @Test
  void everyTruncationIsRefusedCleanly() throws MalformedJsonException {
    byte[] whole = SAMPLE.getBytes(StandardCharsets.UTF_8);
    assertTrue(tokens(whole).endsWith("} end"));
    for (int n = 1; n < whole.length; n++) {
      byte[] prefix = java.util.Arrays.copyOf(whole, n);
      assertThrows(MalformedJsonException.class, () -> tokens(prefix), "prefix of length " + n);
    }
  }

  @Test
  void randomlyCorruptedDocumentsNeverCrashTheTokenizer() {
    byte[] whole = SAMPLE.getBytes(StandardCharsets.UTF_8);
    Random random = new Random(20261123); // fixed: a failure must reproduce
    List<String> crashes = new ArrayList<>();
    for (int round = 0; round < 20_000 && crashes.size() < 5; round++) {
      byte[] doc = whole.clone();
      for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
        doc[random.nextInt(doc.length)] = (byte) random.nextInt(256);
      }
      try {
        tokens(doc);
      } catch (MalformedJsonException expected) {
        // refusing is fine
      } catch (RuntimeException e) {
        crashes.add(e + " on " + new String(doc, StandardCharsets.ISO_8859_1));
      }
    }
    assertEquals(List.of(), crashes);
  }
}
