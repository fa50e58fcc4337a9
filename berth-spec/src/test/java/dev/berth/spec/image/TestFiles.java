package dev.berth.spec.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Test resources under image/ on the class path. */
final class TestFiles {
  private TestFiles() {}

  static byte[] bytes(String name) {
    try (InputStream in = TestFiles.class.getResourceAsStream("/image/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource image/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String string(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
