package dev.berth.cli.berth;

import dev.berth.spec.error.ErrorCategory;

/**
 * How berth ends a command that failed, as podman does: 125 for any error of berth itself (a bad command line
 * too), except where podman documents its own statuses. Its removal verbs ({@code rmi}, {@code image rm}, and later
 * {@code rm} and {@code volume rm}) exit 1 when a named object does not exist and nothing else failed, so a script
 * can tell "already gone" from a real failure. podman's 2 for an object in use by a container waits for the engine:
 * an image cannot be used by a container yet, and berth refuses rmi of an image with two names (podman's 125) with
 * the same category as an image in use.
 */
final class BerthExit {
  static final int ERROR = 125;
  static final int REMOVE_NOT_FOUND = 1;
  static final int DAEMON_ERROR = 1;

  private BerthExit() {}

  /** The exit status of command {@code verb} failing with an error of {@code category}. */
  static int code(String verb, ErrorCategory category) {
    return switch (verb) {
      case "rmi", "rm" -> category == ErrorCategory.NOT_FOUND ? REMOVE_NOT_FOUND : ERROR;
      // docker's: a container that is missing or not running is the daemon's error, and its CLI exits 1 then.
      case "exec", "attach", "top", "stats" -> category == ErrorCategory.NOT_FOUND
          || category == ErrorCategory.FAILED_PRECONDITION ? DAEMON_ERROR : ERROR;
      default -> ERROR;
    };
  }
}
