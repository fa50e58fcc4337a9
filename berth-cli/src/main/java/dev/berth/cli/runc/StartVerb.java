package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;

/** {@code start <id>}: the created container execs its process. */
final class StartVerb {
  private StartVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    rt.start(c.arg(0));
    return 0;
  }
}
