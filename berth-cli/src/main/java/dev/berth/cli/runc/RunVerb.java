package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;

/**
 * {@code run <id>}: create and start; in the foreground, forward signals to the container's init and exit with its
 * status (128+signal when killed), then delete it unless {@code --keep}.
 */
final class RunVerb {
  private RunVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    String id = c.arg(0);
    boolean detach = c.flags().getBool("detach");
    SignalForwarder forwarder = detach ? null : new SignalForwarder();
    try {
      return rt.run(id, Verbs.createOptions(c), detach, c.flags().getBool("keep"),
          forwarder == null ? null : forwarder::forwardTo);
    } finally {
      if (forwarder != null) forwarder.close();
    }
  }
}
