package dev.berth.api.cri;

import dev.berth.spec.error.ErrorCategory;

/**
 * The gRPC status code the CRI answers an error of each category with, as containerd's and CRI-O's
 * CRI servers do (containerd's errdefs map one to one onto gRPC codes). The kubelet reads a few of
 * them: NOT_FOUND on a status or remove call means the container or sandbox is already gone,
 * DEADLINE_EXCEEDED from ExecSync is a probe that timed out, UNIMPLEMENTED makes it fall back from
 * an optional call.
 *
 * <p>Plain names and numbers (gRPC's {@code Status.Code}), so this needs no gRPC library: the
 * server turns them into its own type.
 */
public final class CriStatus {
  private CriStatus() {}

  /** The gRPC code's name ({@code "NOT_FOUND"}) for an error of {@code category}. */
  public static String name(ErrorCategory category) {
    return switch (category) {
      // gRPC's name for missing or refused credentials.
      case UNAUTHORIZED -> "UNAUTHENTICATED";
      case NOT_FOUND,
          ALREADY_EXISTS,
          INVALID_ARGUMENT,
          FAILED_PRECONDITION,
          PERMISSION_DENIED,
          RESOURCE_EXHAUSTED,
          UNAVAILABLE,
          UNIMPLEMENTED,
          DEADLINE_EXCEEDED,
          CANCELLED,
          INTERNAL ->
          category.name();
    };
  }

  /**
   * The gRPC code's number (as on the wire, in {@code grpc-status}) for an error of {@code
   * category}.
   */
  public static int code(ErrorCategory category) {
    return switch (category) {
      case CANCELLED -> 1;
      case INVALID_ARGUMENT -> 3;
      case DEADLINE_EXCEEDED -> 4;
      case NOT_FOUND -> 5;
      case ALREADY_EXISTS -> 6;
      case PERMISSION_DENIED -> 7;
      case RESOURCE_EXHAUSTED -> 8;
      case FAILED_PRECONDITION -> 9;
      case UNIMPLEMENTED -> 12;
      case INTERNAL -> 13;
      case UNAVAILABLE -> 14;
      case UNAUTHORIZED -> 16;
    };
  }
}
