package dev.berth.runtime;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;

/**
 * A runtime operation that failed, with a category the front ends map to exit codes and API
 * statuses, and a message that says what was being done ("create container c1: mount proc on /proc:
 * EPERM").
 */
public final class ContainerException extends BerthException {
  private static final long serialVersionUID = 1L;

  public ContainerException(ErrorCategory category, String message) {
    super(category, message);
  }

  public ContainerException(ErrorCategory category, String message, Throwable cause) {
    super(category, message, cause);
  }

  public static ContainerException notFound(String id) {
    return new ContainerException(
        ErrorCategory.NOT_FOUND, "container \"" + id + "\" does not exist");
  }

  public static ContainerException invalid(String message) {
    return new ContainerException(ErrorCategory.INVALID_ARGUMENT, message);
  }

  public static ContainerException precondition(String message) {
    return new ContainerException(ErrorCategory.FAILED_PRECONDITION, message);
  }

  public static ContainerException alreadyExists(String message) {
    return new ContainerException(ErrorCategory.ALREADY_EXISTS, message);
  }

  public static ContainerException internal(String message, Throwable cause) {
    return new ContainerException(ErrorCategory.INTERNAL, message, cause);
  }

  /** Something berth does not implement (yet), as opposed to a request that is wrong. */
  public static ContainerException unsupported(String message) {
    return new ContainerException(ErrorCategory.UNIMPLEMENTED, message);
  }
}
