package dev.berth.image;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Descriptor;

/**
 * An image operation that failed, with a category the front ends map to exit codes and API
 * statuses, and a message that says what was being done ("pull 127.0.0.1:5000/app:1: layer
 * sha256:ab..: digest mismatch").
 */
public final class ImageException extends BerthException {
  private static final long serialVersionUID = 1L;

  public ImageException(ErrorCategory category, String message) {
    super(category, message);
  }

  public ImageException(ErrorCategory category, String message, Throwable cause) {
    super(category, message, cause);
  }

  public static ImageException notFound(String what) {
    return new ImageException(ErrorCategory.NOT_FOUND, what);
  }

  public static ImageException invalid(String message) {
    return new ImageException(ErrorCategory.INVALID_ARGUMENT, message);
  }

  /** A layer whose media type names no compression berth reads (nor a layer at all). */
  public static ImageException unsupportedLayer(String what, Descriptor layer) {
    return invalid(
        what
            + ": layer "
            + layer.digest()
            + ": unsupported media type \""
            + layer.mediaType()
            + "\"");
  }
}
