package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.CreateOptions;
import dev.berth.runtime.terminal.TerminalProxy;
import dev.berth.sys.ErrnoException;

/**
 * {@code run <id>}: create and start; in the foreground, forward signals to the container's init
 * and exit with its status (128+signal when killed), then delete it unless {@code --keep}. In the
 * foreground without {@code --console-socket}, a process with a terminal gets its pty proxied to
 * our stdio, as runc does.
 */
final class RunVerb {
  private RunVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    String id = c.arg(0);
    boolean detach = c.flags().getBool("detach");
    CreateOptions o = Verbs.createOptions(c);
    String pidfdSocket = PidfdSocket.of(c);
    if (detach) {
      return rt.run(id, o, true, c.flags().getBool("keep"), PidfdSocket.then(pidfdSocket, null));
    }
    // Only used if config.json asks for a terminal; until then it touches nothing.
    TerminalProxy proxy = o.consoleSocket() == null ? stdioProxy() : null;
    try (SignalForwarder forwarder = new SignalForwarder()) {
      if (proxy != null) forwarder.onResize(proxy::resize);
      return rt.run(
          id,
          proxy == null ? o : o.withPty(proxy),
          false,
          c.flags().getBool("keep"),
          PidfdSocket.then(pidfdSocket, forwarder::forwardTo));
    } finally {
      // Restores the caller's terminal before any error is printed.
      if (proxy != null) proxy.close();
    }
  }

  static TerminalProxy stdioProxy() throws ContainerException {
    try {
      return TerminalProxy.runcStdio();
    } catch (ErrnoException e) {
      throw ContainerException.invalid("set up the terminal proxy on stdio: " + e.getMessage());
    }
  }
}
