package dev.berth.api.cri.streaming;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * The resize stream's JSON objects ({@code {"Width":80,"Height":24}}, one after another as Go's
 * json.Encoder writes them, split anywhere by the transport) to sizes. A malformed or oversized
 * object is skipped; the stream goes on with the next one.
 */
final class ResizeDecoder {
  private static final int MAX_OBJECT = 1024;

  private final Consumer<TerminalSize> sink;
  private final ByteArrayOutputStream object = new ByteArrayOutputStream();
  private int depth;
  private boolean inString;
  private boolean escaped;
  private boolean overflow;

  ResizeDecoder(Consumer<TerminalSize> sink) {
    this.sink = sink;
  }

  void feed(byte[] b) {
    for (byte c : b) {
      if (depth == 0) {
        if (c != '{') continue; // whitespace between objects
        object.reset();
        overflow = false;
      }
      if (object.size() < MAX_OBJECT) object.write(c);
      else overflow = true;
      if (inString) {
        if (escaped) escaped = false;
        else if (c == '\\') escaped = true;
        else if (c == '"') inString = false;
        continue;
      }
      if (c == '"') inString = true;
      else if (c == '{') depth++;
      else if (c == '}' && --depth == 0 && !overflow) parse(object.toByteArray());
    }
  }

  private void parse(byte[] json) {
    int width = 0;
    int height = 0;
    try (JsonReader r = JsonReader.of(json, "resize")) {
      if (!r.beginObject()) return;
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "Width", "width" -> width = r.uint16();
          case "Height", "height" -> height = r.uint16();
          default -> r.skip();
        }
      }
    } catch (SpecException e) {
      return; // not a size: skipped
    }
    if (width > 0 && height > 0) sink.accept(new TerminalSize(width, height));
  }
}
