package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;

/** {@code create <id>}: the container waits, set up, for start; prints nothing. */
final class CreateVerb {
  private CreateVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    rt.create(c.arg(0), Verbs.createOptions(c));
    String pidfdSocket = PidfdSocket.of(c);
    if (pidfdSocket != null) PidfdSocket.send(pidfdSocket, rt.state(c.arg(0)).pid());
    return 0;
  }
}
