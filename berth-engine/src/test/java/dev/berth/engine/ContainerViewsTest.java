package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ContainerViewsTest {
  /** docker ps shows dockerd's Command: arguments with a space in single quotes, the path never. */
  @Test
  void theListedCommandQuotesArgumentsWithSpacesAsDockerdDoes() {
    assertEquals(
        "sh -c 'echo started; sleep 1' x",
        ContainerViews.listedCommand(List.of("sh", "-c", "echo started; sleep 1", "x")));
    assertEquals("/opt/my app/run", ContainerViews.listedCommand(List.of("/opt/my app/run")));
    assertEquals("", ContainerViews.listedCommand(List.of()));
  }
}
