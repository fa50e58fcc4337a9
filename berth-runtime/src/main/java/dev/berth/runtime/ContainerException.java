package dev.berth.runtime;

/**
 * A runtime operation that failed, with a category the front ends map to exit codes and API statuses, and a message
 * that says what was being done ("create container c1: mount proc on /proc: EPERM").
 */
public final class ContainerException extends Exception {
  /** Domain categories (containerd's errdefs): mapped to exit codes or gRPC statuses only at the edge. */
  public enum Kind { NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT, FAILED_PRECONDITION, INTERNAL }

  private final Kind kind;

  public ContainerException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public ContainerException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public static ContainerException notFound(String id) {
    return new ContainerException(Kind.NOT_FOUND, "container \"" + id + "\" does not exist");
  }

  public static ContainerException invalid(String message) {
    return new ContainerException(Kind.INVALID_ARGUMENT, message);
  }

  public static ContainerException precondition(String message) {
    return new ContainerException(Kind.FAILED_PRECONDITION, message);
  }
}
