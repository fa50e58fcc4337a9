package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;

/** {@code pause <id>}: freezes every process of the container (cgroup freezer). */
final class PauseVerb {
  private PauseVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    rt.pause(c.arg(0));
    return 0;
  }
}
