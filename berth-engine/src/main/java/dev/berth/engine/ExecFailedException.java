package dev.berth.engine;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;

/**
 * An exec'd process could not be started in a running container (an unknown user, a command that is
 * not there or cannot run): docker's exec then ends with {@link #exitCode()}, 127 for a command not
 * found, else 126, where a container that is missing or not running is an error of the engine.
 */
public final class ExecFailedException extends BerthException {
  private static final long serialVersionUID = 1L;

  /** docker's status of an exec whose command was not found. */
  public static final int NOT_FOUND = 127;

  /** docker's status of an exec that could not start otherwise. */
  public static final int CANNOT_RUN = 126;

  private final int exitCode;

  public ExecFailedException(ErrorCategory category, String message, Throwable cause) {
    super(category, message, cause);
    this.exitCode =
        ContainerStarter.exitCode(cause instanceof Exception e ? e : this) == NOT_FOUND
            ? NOT_FOUND
            : CANNOT_RUN;
  }

  public int exitCode() {
    return exitCode;
  }
}
