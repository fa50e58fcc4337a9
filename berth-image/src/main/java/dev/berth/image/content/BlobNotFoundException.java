package dev.berth.image.content;

import dev.berth.spec.image.Digest;
import java.nio.file.NoSuchFileException;

/** A blob that is not in the content store: {@code blob sha256:.. not found}. */
public final class BlobNotFoundException extends NoSuchFileException {
  private static final long serialVersionUID = 1L;

  private final transient Digest digest;

  public BlobNotFoundException(Digest digest) {
    super(digest.toString());
    this.digest = digest;
  }

  public Digest digest() {
    return digest;
  }

  @Override
  public String getMessage() {
    return "blob " + digest + " not found";
  }
}
