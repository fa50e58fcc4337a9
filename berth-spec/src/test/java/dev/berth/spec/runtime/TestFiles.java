package dev.berth.spec.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Test resources on the class path. */
final class TestFiles {
  private TestFiles() {}

  static byte[] bytes(String name) {
    try (InputStream in = TestFiles.class.getResourceAsStream("/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
