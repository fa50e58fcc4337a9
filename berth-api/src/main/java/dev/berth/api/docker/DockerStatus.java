package dev.berth.api.docker;

import dev.berth.spec.error.ErrorCategory;

/**
 * The HTTP status the Docker Engine API answers an error of each category with, as dockerd's own
 * error classes (moby's errdefs) do, so that the docker CLI and SDKs (Testcontainers, docker-py)
 * react as they do to dockerd: a 404 lets {@code docker rm --force} of a missing container succeed,
 * a 409 is a name in use or a container in the wrong state, a 401 tells refused credentials from a
 * missing image.
 *
 * <p>Not here: dockerd's 304 for a start of a running container or a stop of a stopped one, which
 * is an answer of those two endpoints, not an error. The body is {@code {"message": "..."}} with
 * the exception's message.
 */
public final class DockerStatus {
  private DockerStatus() {}

  /** The HTTP status for an error of {@code category}. */
  public static int of(ErrorCategory category) {
    return switch (category) {
      case NOT_FOUND -> 404;
      case INVALID_ARGUMENT -> 400;
      // dockerd answers a name in use and a container in the wrong state ("is not running", "cannot
      // remove a
      // running container", an image in use) alike: 409 Conflict. containerd's own mapping would
      // say 412.
      case ALREADY_EXISTS, FAILED_PRECONDITION -> 409;
      case UNAUTHORIZED -> 401;
      case PERMISSION_DENIED -> 403;
      case UNAVAILABLE -> 503;
      case UNIMPLEMENTED -> 501;
      // dockerd has no class of its own for these and answers them as system errors.
      case RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, CANCELLED, INTERNAL -> 500;
    };
  }
}
