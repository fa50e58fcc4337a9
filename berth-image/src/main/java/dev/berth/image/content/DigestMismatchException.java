package dev.berth.image.content;

import dev.berth.spec.image.Digest;
import java.io.IOException;

/**
 * Bytes written for a blob hash to another digest: {@code blob sha256:..: digest mismatch, got
 * sha256:..}.
 */
public final class DigestMismatchException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Digest expected;
  private final transient Digest got;

  public DigestMismatchException(Digest expected, Digest got) {
    super("blob " + expected + ": digest mismatch, got " + got);
    this.expected = expected;
    this.got = got;
  }

  public Digest expected() {
    return expected;
  }

  public Digest got() {
    return got;
  }
}
