package dev.berth.runtime.driver;

import dev.berth.runtime.ContainerException;

/**
 * The categories the drivers raise that {@link ContainerException} has no factory for yet: the one place in this
 * package that names its categories, so the shared error categories (issue 12) replace two lines here.
 */
final class Failures {
  private Failures() {}

  static ContainerException alreadyExists(String message) {
    return new ContainerException(ContainerException.Kind.ALREADY_EXISTS, message);
  }

  static ContainerException internal(String message, Throwable cause) {
    return new ContainerException(ContainerException.Kind.INTERNAL, message, cause);
  }
}
