package dev.berth.runtime.terminal;

import dev.berth.spec.runtime.ConsoleSize;
import dev.berth.sys.Fd;
import java.io.IOException;

/**
 * Takes the pty master of a process with {@code process.terminal}, in place of a console socket:
 * what a foreground {@code run} or {@code exec} uses to proxy the caller's terminal ({@link
 * TerminalProxy}), or what a Java embedder uses to drive the terminal itself. berth-init waits
 * until the handler returns (PTY_DONE) before the process can exec, so a size set here is the one
 * it starts with.
 */
@FunctionalInterface
public interface PtyHandler {
  /**
   * @param master the pty master; the handler owns it from now on and closes it
   * @param requested {@code process.consoleSize}, or null when the config does not give one
   */
  void master(Fd master, ConsoleSize requested) throws IOException;
}
