package dev.berth.api.docker;

/**
 * An answer of the HTTP layer itself, not of an engine call: an unsupported API version, a body
 * over the limit, a malformed query or body, a missing route. Engine errors travel as {@link
 * dev.berth.spec.error.BerthException} and get their status from {@link DockerStatus}.
 */
public final class ApiError extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;

  public ApiError(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }

  public static ApiError badRequest(String message) {
    return new ApiError(400, message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, message);
  }
}
