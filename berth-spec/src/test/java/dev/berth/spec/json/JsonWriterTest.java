package dev.berth.spec.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonWriterTest {

  @Test
  void escapesLikeGoEncodingJson() {
    // Go's json.Marshal output for the same string (HTML-safe escaping, Go 1.19).
    String in = "a\"b\\c\nd\re\tf\bg\fh\u0001i<j>k&l\u2028m\u2029n\u007fo";
    String expected =
        "\"a\\\"b\\\\c\\nd\\re\\tf\\u0008g\\u000ch\\u0001i\\u003cj\\u003ek\\u0026l\\u2028m\\u2029n"
            + "\u007fo\"";
    assertEquals(expected, new JsonWriter(JsonWriter.COMPACT).value(in).toString());
  }

  @Test
  void writesNonAsciiAsUtf8AndLoneSurrogatesAsReplacement() {
    byte[] out = new JsonWriter("").value("é€😀").toByteArray();
    assertEquals("\"é€😀\"", new String(out, StandardCharsets.UTF_8));
    assertEquals(2 + 2 + 3 + 4, out.length);
    assertEquals("\"x\\ufffdy\"", new JsonWriter("").value("x\ud800y").toString());
  }

  @Test
  void indentsLikeMarshalIndentWithEmptyContainersInline() {
    JsonWriter w = new JsonWriter(JsonWriter.TABS);
    w.beginObject()
        .field("a", 1)
        .name("empty")
        .beginObject()
        .endObject()
        .name("none")
        .beginArray()
        .endArray()
        .name("list")
        .beginArray()
        .value("x")
        .value(true)
        .nullValue()
        .endArray()
        .endObject();
    assertEquals(
        "{\n\t\"a\": 1,\n\t\"empty\": {},\n\t\"none\": [],\n\t\"list\": [\n\t\t\"x\",\n\t\ttrue,\n"
            + "\t\tnull\n\t]\n}",
        w.toString());
  }

  @Test
  void compactHasNoWhitespace() {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginArray().beginObject().field("k", "v").endObject().value(-5).endArray();
    assertEquals("[{\"k\":\"v\"},-5]", w.toString());
  }

  @Test
  void unsignedValuesPrintAllSixtyFourBits() {
    assertEquals("18446744073709551615", new JsonWriter("").unsignedValue(-1L).toString());
    assertEquals("-1", new JsonWriter("").value(-1L).toString());
  }

  @Test
  void growsPastItsInitialBuffer() {
    String big = "x".repeat(5000);
    JsonWriter w = new JsonWriter("  ");
    w.beginArray();
    for (int i = 0; i < 40; i++) {
      w.beginObject();
    }
    w.value(big);
    for (int i = 0; i < 40; i++) {
      w.endObject();
    }
    w.endArray();
    assertEquals(true, w.toString().contains(big));
  }

  @Test
  void misuseIsAProgrammingError() {
    assertThrows(IllegalStateException.class, () -> new JsonWriter("").endObject());
    assertThrows(IllegalStateException.class, () -> new JsonWriter("").name("x"));
  }
}
