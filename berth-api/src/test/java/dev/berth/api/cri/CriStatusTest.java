package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.spec.error.ErrorCategory;
import java.util.List;
import org.junit.jupiter.api.Test;

class CriStatusTest {
  /** gRPC's codes by number (grpc/doc/statuscodes.md); a name's index is its code on the wire. */
  private static final List<String> GRPC_CODES =
      List.of(
          "OK",
          "CANCELLED",
          "UNKNOWN",
          "INVALID_ARGUMENT",
          "DEADLINE_EXCEEDED",
          "NOT_FOUND",
          "ALREADY_EXISTS",
          "PERMISSION_DENIED",
          "RESOURCE_EXHAUSTED",
          "FAILED_PRECONDITION",
          "ABORTED",
          "OUT_OF_RANGE",
          "UNIMPLEMENTED",
          "INTERNAL",
          "UNAVAILABLE",
          "DATA_LOSS",
          "UNAUTHENTICATED");

  @Test
  void categoriesAreGrpcCodesOfTheSameNameExceptCredentials() {
    for (ErrorCategory c : ErrorCategory.values()) {
      String want = c == ErrorCategory.UNAUTHORIZED ? "UNAUTHENTICATED" : c.name();
      assertEquals(want, CriStatus.name(c), c.name());
    }
  }

  @Test
  void numbersAreGrpcsForTheName() {
    for (ErrorCategory c : ErrorCategory.values()) {
      assertEquals(GRPC_CODES.indexOf(CriStatus.name(c)), CriStatus.code(c), c.name());
    }
    assertEquals(
        5, CriStatus.code(ErrorCategory.NOT_FOUND)); // what the kubelet's NotFound checks read
    assertEquals(16, CriStatus.code(ErrorCategory.UNAUTHORIZED));
  }
}
