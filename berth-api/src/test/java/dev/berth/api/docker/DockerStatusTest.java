package dev.berth.api.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.spec.error.ErrorCategory;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DockerStatusTest {
  @Test
  void everyCategoryGetsTheStatusDockerdAnswersWith() {
    Map<ErrorCategory, Integer> want = new EnumMap<>(ErrorCategory.class);
    want.put(ErrorCategory.NOT_FOUND, 404); // "No such container: c1"
    want.put(
        ErrorCategory.ALREADY_EXISTS,
        409); // "Conflict. The container name "/web" is already in use"
    want.put(ErrorCategory.INVALID_ARGUMENT, 400);
    want.put(ErrorCategory.FAILED_PRECONDITION, 409); // "Container c1 is not running"
    want.put(ErrorCategory.UNAUTHORIZED, 401);
    want.put(ErrorCategory.PERMISSION_DENIED, 403);
    want.put(ErrorCategory.RESOURCE_EXHAUSTED, 500);
    want.put(ErrorCategory.UNAVAILABLE, 503);
    want.put(ErrorCategory.UNIMPLEMENTED, 501);
    want.put(ErrorCategory.DEADLINE_EXCEEDED, 500);
    want.put(ErrorCategory.CANCELLED, 500);
    want.put(ErrorCategory.INTERNAL, 500);
    assertEquals(
        ErrorCategory.values().length, want.size(), "a new category needs its status here");
    for (ErrorCategory c : ErrorCategory.values())
      assertEquals(want.get(c), DockerStatus.of(c), c.name());
  }
}
