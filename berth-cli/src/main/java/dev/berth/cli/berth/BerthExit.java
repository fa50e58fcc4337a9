package dev.berth.cli.berth;

import dev.berth.spec.error.ErrorCategory;
import java.util.Set;

/**
 * How berth ends a command that failed. Image verbs as podman does: 125 for any error of berth
 * itself (a bad command line too), except where podman documents its own statuses: its removal
 * verbs ({@code rmi}, {@code image rm}, and {@code volume rm}) exit 1 when a named object does not
 * exist and nothing else failed, so a script can tell "already gone" from a real failure. podman's
 * 2 for an object in use by a container waits for the engine: an image cannot be used by a
 * container yet, and berth refuses rmi of an image with two names (podman's 125) with the same
 * category as an image in use.
 *
 * <p>Container verbs as docker does (issue 12 asks for docker's exit codes): {@code run} and {@code
 * create} exit 125 for an error of the engine (126/127 for a command that cannot run or is not
 * there, else the container's status); the verbs on existing containers ({@link #CONTAINER_VERBS})
 * exit 1 for any error about a container, as docker's CLI does for every error its daemon answers
 * ("No such container", "is not running", "cannot remove a running container"). podman 4.3 exits
 * 125 there, except {@code rm} (1 for a missing container, 2 for a running one). A bad command line
 * is 125 everywhere.
 */
final class BerthExit {
  static final int ERROR = 125;
  static final int REMOVE_NOT_FOUND = 1;

  /**
   * docker's status for a failed verb on an existing container (start, stop, kill, wait, rm, ...).
   */
  static final int CONTAINER_ERROR = 1;

  /** The verbs on containers whose errors exit {@link #CONTAINER_ERROR}. */
  static final Set<String> CONTAINER_VERBS =
      Set.of(
          "start", "stop", "restart", "kill", "wait", "pause", "unpause", "rm", "rename", "logs");

  private BerthExit() {}

  /**
   * The exit status of command {@code verb} of {@code app} ("berth", "berth image", ...) failing
   * with {@code category}.
   */
  static int code(String app, String verb, ErrorCategory category) {
    if (!app.equals("berth image") && CONTAINER_VERBS.contains(verb)) return CONTAINER_ERROR;
    return switch (verb) {
      case "rmi", "rm" -> category == ErrorCategory.NOT_FOUND ? REMOVE_NOT_FOUND : ERROR;
      // docker's: a container that is missing or not running is the daemon's error, and its CLI
      // exits 1 then.
      case "exec", "attach", "top", "stats" ->
          category == ErrorCategory.NOT_FOUND || category == ErrorCategory.FAILED_PRECONDITION
              ? CONTAINER_ERROR
              : ERROR;
      default -> ERROR;
    };
  }
}
