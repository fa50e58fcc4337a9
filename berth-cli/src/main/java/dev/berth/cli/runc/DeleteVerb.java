package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;

/**
 * {@code delete [--force] <id>}: removes a stopped or created container; force kills a running one
 * first.
 */
final class DeleteVerb {
  private DeleteVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    rt.delete(c.arg(0), c.flags().getBool("force"));
    return 0;
  }
}
