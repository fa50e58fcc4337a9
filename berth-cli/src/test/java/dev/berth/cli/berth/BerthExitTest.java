package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.spec.error.ErrorCategory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exit statuses of a failed command that scripts read: podman's for the image verbs, docker's
 * for containers.
 */
class BerthExitTest {
  @Test
  void anyErrorExits125() {
    for (String verb :
        List.of(
            "pull", "push", "images", "tag", "save", "load", "import", "inspect", "login", "logout",
            "prune", "mount", "unmount", "run", "create", "ps")) {
      for (ErrorCategory c : ErrorCategory.values()) {
        assertEquals(125, BerthExit.code("berth", verb, c), verb + " " + c);
      }
    }
  }

  @Test
  void removingAnImageThatDoesNotExistExits1AndAnythingElse125() {
    for (String[] v : List.of(new String[] {"berth", "rmi"}, new String[] {"berth image", "rm"})) {
      for (ErrorCategory c : ErrorCategory.values()) {
        assertEquals(
            c == ErrorCategory.NOT_FOUND ? 1 : 125, BerthExit.code(v[0], v[1], c), v[1] + " " + c);
      }
    }
  }

  @Test
  void verbsOnContainersExit1AsDockers() {
    for (String app : List.of("berth", "berth container")) {
      for (String verb :
          List.of(
              "start", "stop", "restart", "kill", "wait", "pause", "unpause", "rm", "rename",
              "logs")) {
        for (ErrorCategory c : ErrorCategory.values())
          assertEquals(1, BerthExit.code(app, verb, c), verb + " " + c);
      }
    }
  }
}
