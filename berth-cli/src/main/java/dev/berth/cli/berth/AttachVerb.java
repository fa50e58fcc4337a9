package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineException;
import dev.berth.engine.container.DetachKeys;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.runtime.monitor.ExitFile;
import dev.berth.spec.error.BerthException;
import java.io.IOException;
import java.io.PrintStream;

/**
 * {@code berth attach [--no-stdin] [--sig-proxy=false] [--detach-keys KEYS] CONTAINER}: this
 * terminal joined to a running container's stdio through its monitor (output from now on; stdin
 * when the container keeps it open; with its terminal, ours in raw mode and resized), until the
 * container exits; berth then ends with its exit code, as docker's attach. With a terminal and
 * stdin, the detach keys (docker's ctrl-p ctrl-q by default) end the attach with the container
 * running, exit 0.
 */
final class AttachVerb {
  private AttachVerb() {}

  static int run(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    ContainerRecord r = engine.inspect(c.arg(0));
    if (r.state().status() == Status.PAUSED) {
      throw EngineException.precondition(
          "You cannot attach to a paused container, unpause it first");
    }
    if (r.state().status() != Status.RUNNING) {
      throw EngineException.precondition(
          "You cannot attach to a stopped container, start it first");
    }
    DetachKeys keys = DetachKeys.parse(c.flags().getString("detach-keys"));
    boolean sigProxy = !c.flags().isSet("sig-proxy") || c.flags().getBool("sig-proxy");
    boolean stdin = !c.flags().getBool("no-stdin") && r.options().openStdin();
    ExitFile.ExitStatus exit;
    boolean detached = false;
    try (AttachSession s =
        AttachSession.open(engine.layout(r.id()).attachSocket(), r.options().tty(), out, err)) {
      s.begin(stdin, r.options().stdinEndsWithAttach(), r.state().pid(), sigProxy, keys);
      exit = s.pump();
      detached = exit == null && s.detached();
    } catch (dev.berth.sys.ErrnoException e) {
      // The monitor's socket is gone: the container exited between the look and the connect.
      exit = null;
    }
    out.flush();
    if (detached) return detached(err);
    err.flush();
    if (exit != null) return exit.exitCode();
    // The monitor went away without an exit frame (or before we connected): ask the engine.
    try {
      return engine.await(r.id());
    } catch (BerthException e) {
      if (e.category() == dev.berth.spec.error.ErrorCategory.NOT_FOUND)
        return 0; // an --rm container, gone
      throw e;
    }
  }

  /**
   * The end of a session the user detached from: docker's line on stderr (the terminal is restored
   * by then), exit 0.
   */
  static int detached(PrintStream err) {
    err.println("read escape sequence");
    err.flush();
    return 0;
  }
}
