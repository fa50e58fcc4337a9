package dev.berth.image.registry;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The content of a blob to push, readable from the start as many times as needed: an upload is
 * retried after a 401, and each chunk of a chunked upload opens it again and skips to its offset.
 */
@FunctionalInterface
public interface BlobSource {
  /** A new stream over the whole blob, from byte 0. */
  InputStream open() throws IOException;

  static BlobSource of(byte[] content) {
    return () -> new ByteArrayInputStream(content);
  }

  static BlobSource of(Path file) {
    return () -> Files.newInputStream(file);
  }
}
