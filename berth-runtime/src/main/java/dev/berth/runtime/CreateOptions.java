package dev.berth.runtime;

import dev.berth.runtime.terminal.PtyHandler;
import java.nio.file.Path;

/**
 * What {@code create} and {@code run} take besides the bundle's config, as runc's flags of the same names.
 *
 * @param pidFile where to write the container init's pid, or null
 * @param consoleSocket the AF_UNIX socket that receives the pty master when {@code process.terminal} is true, or null
 * @param preserveFds how many fds after stdio (3, 4, ...) pass into the container
 * @param pty takes the pty master instead of a console socket (a foreground {@code run}'s terminal proxy), or null;
 *     unused when the process has no terminal
 */
public record CreateOptions(Path bundle, Path pidFile, Path consoleSocket, boolean noPivot, boolean noNewKeyring,
    int preserveFds, PtyHandler pty) {

  public CreateOptions(Path bundle, Path pidFile, Path consoleSocket, boolean noPivot, boolean noNewKeyring,
      int preserveFds) {
    this(bundle, pidFile, consoleSocket, noPivot, noNewKeyring, preserveFds, null);
  }

  public static CreateOptions of(Path bundle) {
    return new CreateOptions(bundle, null, null, false, false, 0, null);
  }

  /** The same options with the pty master going to {@code handler}. */
  public CreateOptions withPty(PtyHandler handler) {
    return new CreateOptions(bundle, pidFile, consoleSocket, noPivot, noNewKeyring, preserveFds, handler);
  }
}
