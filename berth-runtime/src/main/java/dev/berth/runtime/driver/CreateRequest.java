package dev.berth.runtime.driver;

import java.nio.file.Path;

/**
 * What {@link RuntimeDriver#create} takes: runc's {@code create} flags as types.
 *
 * @param id the container id (runc's rule: letters, digits, '_', '+', '-', '.')
 * @param bundle the OCI bundle directory (config.json and, usually, the rootfs)
 * @param stdio the container process's fds 0-2 when it has no terminal
 * @param consoleSocket the AF_UNIX socket that receives the pty master when {@code process.terminal} is true, or null
 * @param pidFile where the container init's pid is written, or null
 * @param noPivot {@code --no-pivot}: move the root with MS_MOVE instead of pivot_root
 * @param noNewKeyring {@code --no-new-keyring}: keep the caller's session keyring
 * @param preserveFds how many of the caller's fds after stdio (3, 4, ...) pass into the container
 */
public record CreateRequest(String id, Path bundle, Stdio stdio, Path consoleSocket, Path pidFile, boolean noPivot,
    boolean noNewKeyring, int preserveFds) {

  public CreateRequest {
    if (stdio == null) stdio = Stdio.INHERIT;
    if (preserveFds < 0) throw new IllegalArgumentException("preserveFds: " + preserveFds + " (must be >= 0)");
  }

  /** Container {@code id} from {@code bundle}, with the caller's stdio and nothing else. */
  public static CreateRequest of(String id, Path bundle) {
    return new CreateRequest(id, bundle, Stdio.INHERIT, null, null, false, false, 0);
  }

  public CreateRequest withStdio(Stdio s) {
    return new CreateRequest(id, bundle, s, consoleSocket, pidFile, noPivot, noNewKeyring, preserveFds);
  }

  public CreateRequest withConsoleSocket(Path socket) {
    return new CreateRequest(id, bundle, stdio, socket, pidFile, noPivot, noNewKeyring, preserveFds);
  }

  public CreateRequest withPidFile(Path file) {
    return new CreateRequest(id, bundle, stdio, consoleSocket, file, noPivot, noNewKeyring, preserveFds);
  }
}
