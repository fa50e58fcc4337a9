package dev.berth.runtime;

import java.nio.file.Path;

/**
 * What {@code create} and {@code run} take besides the bundle's config, as runc's flags of the same names.
 *
 * @param pidFile where to write the container init's pid, or null
 * @param consoleSocket the AF_UNIX socket that receives the pty master when {@code process.terminal} is true, or null
 * @param preserveFds how many fds after stdio (3, 4, ...) pass into the container
 */
public record CreateOptions(Path bundle, Path pidFile, Path consoleSocket, boolean noPivot, boolean noNewKeyring,
    int preserveFds) {

  public static CreateOptions of(Path bundle) {
    return new CreateOptions(bundle, null, null, false, false, 0);
  }
}
