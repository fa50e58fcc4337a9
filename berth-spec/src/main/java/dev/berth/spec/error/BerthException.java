package dev.berth.spec.error;

import java.util.Objects;

/**
 * A failed operation of the stack: its {@link ErrorCategory}, which the front doors map to exit
 * codes and statuses, and a message that says what was being done, outermost first ("create
 * container c1: mount proc on /proc: EPERM"). The cause, when there is one, is kept for {@code
 * --debug} and logs, not flattened away.
 *
 * <p>Each layer throws its own subclass ({@code ContainerException}, {@code ImageException}) with
 * factories for its common cases; a front door catches this type and reads {@link #category()},
 * never the subclass.
 */
public class BerthException extends Exception {
  private static final long serialVersionUID = 1L;

  private final ErrorCategory category;

  public BerthException(ErrorCategory category, String message) {
    super(message);
    this.category = Objects.requireNonNull(category, "category");
  }

  public BerthException(ErrorCategory category, String message, Throwable cause) {
    super(message, cause);
    this.category = Objects.requireNonNull(category, "category");
  }

  public final ErrorCategory category() {
    return category;
  }
}
