package dev.berth.spec.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class BerthExceptionTest {
  @Test
  void keepsCategoryMessageAndCause() {
    IOException cause = new IOException("EACCES");
    BerthException e =
        new BerthException(ErrorCategory.INTERNAL, "read state of c1: EACCES", cause);
    assertEquals(ErrorCategory.INTERNAL, e.category());
    assertEquals("read state of c1: EACCES", e.getMessage());
    assertSame(cause, e.getCause());
  }

  @Test
  void aCategoryIsRequired() {
    // A front door reads the category of every error: none would be a bug found only when one is
    // mapped.
    assertThrows(NullPointerException.class, () -> new BerthException(null, "x"));
  }
}
