package dev.berth.cli.runc;

import dev.berth.spec.error.ErrorCategory;

/**
 * How berth-runc ends a verb that failed, as runc does: its callers (containerd's shim, conmon,
 * podman) read the exit status and the last log line, never a category. runc exits 1 on every error
 * of a verb, whatever its kind, and exec 255 with "exec failed: ", so that a caller never takes the
 * failure of exec itself for the exit status of the process it was to run. Usage errors keep the
 * status the parser gives them.
 */
final class RuncExit {
  static final int ERROR = 1;
  static final int EXEC_FAILED = 255;

  private RuncExit() {}

  /** The exit status of {@code verb} failing with an error of {@code category}. */
  static int code(String verb, ErrorCategory category) {
    if (verb.equals("exec")) return EXEC_FAILED;
    // Every category by name: a new one gets its status decided here, not by default.
    return switch (category) {
      case NOT_FOUND,
          ALREADY_EXISTS,
          INVALID_ARGUMENT,
          FAILED_PRECONDITION,
          UNAUTHORIZED,
          PERMISSION_DENIED,
          RESOURCE_EXHAUSTED,
          UNAVAILABLE,
          UNIMPLEMENTED,
          DEADLINE_EXCEEDED,
          CANCELLED,
          INTERNAL ->
          ERROR;
    };
  }

  /** The log line of {@code verb} failing with {@code message}. */
  static String message(String verb, String message) {
    return verb.equals("exec") ? "exec failed: " + message : message;
  }
}
