package dev.berth.image;

/**
 * An image operation that failed, with a category the front ends map to exit codes and API statuses, and a message
 * that says what was being done ("pull 127.0.0.1:5000/app:1: layer sha256:ab..: digest mismatch").
 */
public final class ImageException extends Exception {
  /** Domain categories (containerd's errdefs), mapped to exit codes or HTTP statuses only at the edge. */
  public enum Kind { NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT, FAILED_PRECONDITION, UNAUTHORIZED, UNAVAILABLE, INTERNAL }

  private static final long serialVersionUID = 1L;
  private final Kind kind;

  public ImageException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public ImageException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public static ImageException notFound(String what) {
    return new ImageException(Kind.NOT_FOUND, what);
  }

  public static ImageException invalid(String message) {
    return new ImageException(Kind.INVALID_ARGUMENT, message);
  }
}
