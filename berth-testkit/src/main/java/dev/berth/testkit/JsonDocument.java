package dev.berth.testkit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON document read back as plain values, for tests that assert on what a command or the runtime
 * wrote: objects as maps (in document order), arrays as lists, strings, integers as Long, other
 * numbers as Double, booleans, and null as null (so a test can tell {@code null} from {@code []}).
 * jackson-core streaming: tests are off every start path, but databind is not needed either.
 */
public final class JsonDocument {
  private JsonDocument() {}

  /** Parses a whole document; malformed JSON or trailing data fails the test, showing the text. */
  public static Object parse(String json) {
    return parse(json.getBytes(StandardCharsets.UTF_8));
  }

  public static Object parse(byte[] json) {
    try (JsonParser p = new JsonFactory().createParser(json)) {
      p.nextToken();
      Object v = value(p);
      if (p.nextToken() != null) throw new IOException("trailing data after the document");
      return v;
    } catch (IOException | RuntimeException e) {
      throw new AssertionError(
          "not a JSON document: "
              + e.getMessage()
              + "\n"
              + new String(json, StandardCharsets.UTF_8),
          e);
    }
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(Object v) {
    return (Map<String, Object>) v;
  }

  @SuppressWarnings("unchecked")
  public static List<Object> array(Object v) {
    return (List<Object>) v;
  }

  private static Object value(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == null) throw new IOException("empty document");
    return switch (t) {
      case START_OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          m.put(name, value(p));
        }
        yield m;
      }
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) l.add(value(p));
        yield l;
      }
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT -> p.getLongValue();
      case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
      case VALUE_TRUE, VALUE_FALSE -> p.getBooleanValue();
      case VALUE_NULL -> null;
      default -> throw new IOException("unexpected " + t);
    };
  }
}
