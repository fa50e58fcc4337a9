package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.flags.Parser;
import dev.berth.runtime.ContainerException;
import dev.berth.spec.error.ErrorCategory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** runc's exit statuses for a failed verb, which containerd's shim, conmon and podman read. */
class RuncExitTest {
  @Test
  void everyErrorOfAVerbExits1AsRunc() {
    for (String verb :
        List.of("create", "start", "run", "state", "kill", "delete", "pause", "update", "events")) {
      for (ErrorCategory c : ErrorCategory.values())
        assertEquals(1, RuncExit.code(verb, c), verb + " " + c);
      assertEquals(
          "container \"c1\" does not exist",
          RuncExit.message(verb, "container \"c1\" does not exist"));
    }
  }

  @Test
  void execFailingItselfExits255SoItIsNeverTakenForTheProcessStatus() {
    for (ErrorCategory c : ErrorCategory.values())
      assertEquals(255, RuncExit.code("exec", c), c.name());
    assertEquals(
        "exec failed: container \"c1\" does not exist",
        RuncExit.message("exec", "container \"c1\" does not exist"));
  }

  @Test
  void whatBerthDoesNotImplementIsNotABadRequest() throws Exception {
    ParsedCommand c =
        assertInstanceOf(
            ParsedCommand.class,
            new Parser(RuncApp.build())
                .parse(new String[] {"update", "--l3-cache-schema", "L3:0=f", "c1"}));
    ContainerException e =
        assertThrows(ContainerException.class, () -> UpdateVerb.fromFlags(c.flags()));
    assertEquals(ErrorCategory.UNIMPLEMENTED, e.category(), e.getMessage());
  }
}
