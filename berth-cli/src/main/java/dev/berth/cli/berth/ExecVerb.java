package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.Engine;
import dev.berth.engine.ExecFailedException;
import dev.berth.engine.ExecSignals;
import dev.berth.engine.container.ExecOptions;
import dev.berth.runtime.driver.Stdio;
import dev.berth.runtime.terminal.TerminalProxy;
import dev.berth.spec.error.BerthException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import sun.misc.Signal;

/**
 * {@code berth exec [-i] [-t] [-d] [-e K=V] [--env-file F] [-u USER] [-w DIR] [--privileged]
 * CONTAINER CMD...}, as docker's: this terminal's stdio is the process's (with {@code -t}, a pty
 * proxied to it, raw with {@code -i}, its size followed), and berth ends with the process's status;
 * 126 or 127 when it could not start; with {@code -d} nothing is printed. Without a terminal the
 * signals of docker's sig-proxy are passed to the process ({@code --sig-proxy=false}: not).
 */
final class ExecVerb {
  private ExecVerb() {}

  private static final Stdio NO_STDIN = new Stdio(Path.of("/dev/null"), null, null);

  static int run(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    var f = c.flags();
    boolean interactive = f.getBool("interactive");
    boolean tty = f.getBool("tty");
    ExecOptions o =
        new ExecOptions(
            c.args().subList(1, c.args().size()),
            ContainerFlags.env(f, System.getenv()),
            f.getString("user"),
            f.getString("workdir"),
            false,
            0,
            0,
            false,
            f.getBool("privileged"));
    if (f.getBool("detach")) o = o.detached();
    TerminalProxy proxy = null;
    Fd[] idle = null;
    if (tty && !o.detach()) {
      int[] size = terminalSize();
      o = o.withTty(size[0], size[1]);
      if (interactive) {
        proxy = TerminalProxy.stdio();
      } else {
        // docker's -t without -i: the terminal gets no input, and never an end of it.
        idle = Linux.pipe2(0);
        proxy = new TerminalProxy(idle[0], new Fd(1));
      }
    }
    Engine engine = BerthMain.engine(c);
    out.flush();
    try {
      if (proxy != null) {
        TerminalProxy p = proxy;
        try {
          Signal.handle(new Signal("WINCH"), s -> p.resize());
        } catch (IllegalArgumentException e) {
          // no SIGWINCH here: the size stays as it was at start
        }
      }
      ExecSignals signals = null;
      if (proxy == null && !o.detach() && (!f.isSet("sig-proxy") || f.getBool("sig-proxy"))) {
        ExecSignals target = new ExecSignals();
        SignalProxy.install(target::send);
        signals = target;
      }
      int code =
          engine
              .exec(c.arg(0), o, interactive ? Stdio.INHERIT : NO_STDIN, proxy, signals)
              .exitCode();
      return o.detach() ? 0 : code;
    } catch (ExecFailedException e) {
      err.println("Error: " + e.getMessage());
      return e.exitCode();
    } finally {
      if (proxy != null) proxy.close();
      if (idle != null) {
        idle[0].close();
        idle[1].close();
      }
    }
  }

  /**
   * This terminal's rows and columns (stdin's, else stdout's), or zeros when neither is a terminal.
   */
  static int[] terminalSize() {
    for (int fd = 0; fd <= 1; fd++) {
      try {
        Fd t = new Fd(fd);
        if (Linux.isatty(t)) {
          int[] rc = Linux.getWinsize(t);
          return new int[] {rc[0], rc[1]};
        }
      } catch (ErrnoException e) {
        // closed: try the next one
      }
    }
    return new int[] {0, 0};
  }
}
