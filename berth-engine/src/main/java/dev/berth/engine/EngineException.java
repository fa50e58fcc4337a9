package dev.berth.engine;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;

/**
 * An engine operation failed; the category says what the caller can do (see {@link ErrorCategory}).
 */
public final class EngineException extends BerthException {
  private static final long serialVersionUID = 1L;

  public EngineException(ErrorCategory category, String message) {
    super(category, message);
  }

  public EngineException(ErrorCategory category, String message, Throwable cause) {
    super(category, message, cause);
  }

  public static EngineException invalid(String message) {
    return new EngineException(ErrorCategory.INVALID_ARGUMENT, message);
  }

  public static EngineException precondition(String message) {
    return new EngineException(ErrorCategory.FAILED_PRECONDITION, message);
  }

  public static EngineException notFound(String message) {
    return new EngineException(ErrorCategory.NOT_FOUND, message);
  }

  public static EngineException internal(String message, Throwable cause) {
    return new EngineException(ErrorCategory.INTERNAL, message, cause);
  }
}
