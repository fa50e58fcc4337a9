package dev.berth.spec.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonReaderTest {

  private static JsonReader reader(String json) throws SpecException {
    return JsonReader.of(json.getBytes(StandardCharsets.UTF_8), "doc.json");
  }

  @Test
  void pathFollowsNestedObjectsAndArrays() throws SpecException {
    try (JsonReader r = reader("{\"a\":[{\"b\":{\"c\":[0,1,\"x\"]}}]}")) {
      assertTrue(r.beginObject());
      assertEquals("a", r.nextField());
      assertTrue(r.beginArray());
      assertTrue(r.nextElement());
      assertTrue(r.beginObject());
      assertEquals("b", r.nextField());
      assertTrue(r.beginObject());
      assertEquals("c", r.nextField());
      assertTrue(r.beginArray());
      assertTrue(r.nextElement());
      assertEquals(0, r.int32());
      assertTrue(r.nextElement());
      assertTrue(r.nextElement());
      assertEquals("a[0].b.c[2]", r.path());
      SpecException e = assertThrows(SpecException.class, r::int64);
      assertEquals("doc.json: a[0].b.c[2]: expected int64, got string", e.getMessage());
    }
  }

  @Test
  void skipLeavesTheReaderOnTheNextSibling() throws SpecException {
    try (JsonReader r = reader("{\"skip\":{\"x\":[1,{\"y\":\"}\"}],\"z\":{}},\"keep\":7}")) {
      r.beginObject();
      assertEquals("skip", r.nextField());
      r.skip();
      assertEquals("keep", r.nextField());
      assertEquals(7, r.uint32());
      assertNull(r.nextField());
      r.end();
    }
  }

  @Test
  void nullReadsAsZeroValues() throws SpecException {
    try (JsonReader r = reader("[null,null,null,null,null,null]")) {
      r.beginArray();
      r.nextElement();
      assertEquals("", r.string());
      r.nextElement();
      assertFalse(r.bool());
      r.nextElement();
      assertNull(r.optInt64());
      r.nextElement();
      assertEquals(List.of(), r.strings());
      r.nextElement();
      assertEquals(Map.of(), r.stringMap());
      r.nextElement();
      assertFalse(r.beginObject());
      assertFalse(r.nextElement());
      r.end();
    }
  }

  @Test
  void unsignedRangesMatchGo() throws SpecException {
    try (JsonReader r = reader("[18446744073709551615, 4294967295, 65535, -2147483648]")) {
      r.beginArray();
      r.nextElement();
      assertEquals(-1L, r.uint64());
      r.nextElement();
      assertEquals(-1, r.uint32());
      r.nextElement();
      assertEquals(65535, r.uint16());
      r.nextElement();
      assertEquals(Integer.MIN_VALUE, r.int32());
    }
  }

  private static String error(String json, boolean skipEverything) {
    return assertThrows(
            SpecException.class,
            () -> {
              try (JsonReader r = reader(json)) {
                if (skipEverything) {
                  r.skip();
                } else {
                  r.beginObject();
                  for (String f; (f = r.nextField()) != null; ) {
                    r.skip();
                  }
                }
                r.end();
              }
            })
        .getMessage();
  }

  @Test
  void signedIntegersAtTheEdges() throws SpecException {
    try (JsonReader r =
        reader("[9223372036854775807,-9223372036854775808,-0,2147483647,-2147483649]")) {
      r.beginArray();
      r.nextElement();
      assertEquals(Long.MAX_VALUE, r.int64());
      r.nextElement();
      assertEquals(Long.MIN_VALUE, r.int64());
      r.nextElement();
      assertEquals(0, r.int32());
      r.nextElement();
      assertEquals(Integer.MAX_VALUE, r.int32());
      r.nextElement();
      SpecException e = assertThrows(SpecException.class, r::int32);
      assertEquals("doc.json: [4]: number -2147483649 out of range for int32", e.getMessage());
    }
  }

  @Test
  void integersOneStepOutOfRangeAreRefusedWithTheirText() throws SpecException {
    String[][] cases = {
      {"9223372036854775808", "int64"},
      {"-9223372036854775809", "int64"},
      {"18446744073709551616", "uint64"},
      {"-1", "uint64"},
      {"-0", "uint64"},
      {"4294967296", "uint32"},
      {"65536", "uint16"},
      {"-1", "uint16"},
      {"2147483648", "int32"},
      {"18446744073709551615", "uint32"},
      {"100000000000000000000000000000", "int64"},
    };
    for (String[] c : cases) {
      try (JsonReader r = reader("{\"n\":" + c[0] + "}")) {
        r.beginObject();
        r.nextField();
        SpecException e = assertThrows(SpecException.class, () -> read(r, c[1]), c[0]);
        assertEquals("doc.json: n: number " + c[0] + " out of range for " + c[1], e.getMessage());
      }
    }
  }

  private static void read(JsonReader r, String type) throws SpecException {
    switch (type) {
      case "int64" -> r.int64();
      case "uint64" -> r.uint64();
      case "int32" -> r.int32();
      case "uint32" -> r.uint32();
      default -> r.uint16();
    }
  }

  @Test
  void floatsAreNotIntegers() throws SpecException {
    for (String f : new String[] {"1.0", "1e5", "-0.0", "1E+400"}) {
      try (JsonReader r = reader("[" + f + "]")) {
        r.beginArray();
        r.nextElement();
        SpecException e = assertThrows(SpecException.class, r::uint64);
        assertEquals("doc.json: [0]: expected uint64, got number " + f, e.getMessage());
        assertEquals(
            "expected string, got number", assertThrows(SpecException.class, r::string).detail());
      }
    }
  }

  @Test
  void stringsDecodeEscapesAndUtf8() throws SpecException {
    try (JsonReader r = reader("{\"k\\u00e9y\":\"tab\\there \\ud83d\\ude00 é\"}")) {
      r.beginObject();
      assertEquals("kéy", r.nextField());
      assertEquals("tab\there 😀 é", r.string());
      assertNull(r.nextField());
      r.end();
    }
  }

  @Test
  void repeatedKeysKeepTheLastValue() throws SpecException {
    try (JsonReader r = reader("{\"a\":\"1\",\"b\":\"2\",\"a\":\"3\"}")) {
      assertEquals(Map.of("a", "3", "b", "2"), r.stringMap());
    }
  }

  @Test
  void malformedJsonNamesThePathAndThePosition() {
    // While a value is skipped the path stays on the skipped field.
    assertEquals(
        "doc.json: a: invalid json at line 2, column 6: unrecognized token 'tru', expected a value",
        error("{\"a\":{\n\"b\": tru}}", false));
    SpecException walked =
        assertThrows(
            SpecException.class,
            () -> {
              try (JsonReader r = reader("{\"a\":{\n\"b\": tru}}")) {
                r.beginObject();
                r.nextField();
                r.beginObject();
                r.nextField();
              }
            });
    assertEquals(
        "doc.json: a.b: invalid json at line 2, column 6: unrecognized token 'tru', expected a value",
        walked.getMessage());
    assertEquals(
        "doc.json: a: invalid json at line 1, column 11: unexpected character ']', expected a value",
        error("{\"a\":[1,2,]}", false));
    assertEquals(
        "doc.json: invalid json at line 1, column 2: unexpected character 'a', expected a field name "
            + "or '}'",
        error("{a:1}", false));
  }

  @Test
  void skippedValuesAreStillValidated() {
    assertEquals(
        "doc.json: x: invalid json at line 1, column 12: invalid number, leading zeros are not allowed",
        error("{\"x\":{\"y\":[01]}}", false));
    assertEquals(
        "doc.json: x: invalid json at line 1, column 14: invalid utf-8 in a string, at byte 0xff",
        assertThrows(
                SpecException.class,
                () -> {
                  byte[] doc = "{\"x\":[\"ok\",\"?\"]}".getBytes(StandardCharsets.UTF_8);
                  doc[13] = (byte) 0xff;
                  try (JsonReader r = JsonReader.of(doc, "doc.json")) {
                    r.beginObject();
                    r.nextField();
                    r.skip();
                  }
                })
            .getMessage());
  }

  @Test
  void hostileNestingIsRefusedEvenWhenSkipped() {
    String deep = "{\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
    assertEquals(
        "doc.json: x: invalid json at line 1, column 1005: nesting deeper than 1000 levels",
        error(deep, false));
    assertEquals(
        "doc.json: invalid json at line 1, column 1001: nesting deeper than 1000 levels",
        error("[".repeat(1001) + "]".repeat(1001), true));
  }

  @Test
  void trailingDataIsRejected() {
    assertEquals("doc.json: unexpected object after the top-level value", error("{} {}", false));
    assertEquals("doc.json: unexpected number after the top-level value", error("{}\n7", false));
    assertEquals(
        "doc.json: invalid json at line 1, column 3: unexpected character ',', expected a value",
        error("{},", false));
  }
}
