package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;

/** {@code resume <id>}: thaws a paused container. */
final class ResumeVerb {
  private ResumeVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    rt.resume(c.arg(0));
    return 0;
  }
}
