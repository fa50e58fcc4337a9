package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.spec.error.ErrorCategory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** podman's exit statuses for a failed command, which scripts written for podman read. */
class BerthExitTest {
  @Test
  void anyErrorExits125() {
    for (String verb : List.of("pull", "push", "images", "tag", "save", "load", "import", "inspect", "login",
        "logout", "prune", "mount", "unmount")) {
      for (ErrorCategory c : ErrorCategory.values()) assertEquals(125, BerthExit.code(verb, c), verb + " " + c);
    }
  }

  @Test
  void removingWhatDoesNotExistExits1AndAnythingElse125() {
    for (String verb : List.of("rmi", "rm")) {
      for (ErrorCategory c : ErrorCategory.values()) {
        assertEquals(c == ErrorCategory.NOT_FOUND ? 1 : 125, BerthExit.code(verb, c), verb + " " + c);
      }
    }
  }
}
