package dev.berth.runtime.driver;

import dev.berth.runtime.BundleConfig;
import dev.berth.runtime.monitor.MonitorConfig;
import java.nio.file.Path;

/**
 * What {@link RuntimeDriver#create} takes: runc's {@code create} flags as types.
 *
 * @param id the container id (runc's rule: letters, digits, '_', '+', '-', '.')
 * @param bundle the OCI bundle directory (config.json and, usually, the rootfs)
 * @param stdio the container process's fds 0-2 when it has no terminal
 * @param consoleSocket the AF_UNIX socket that receives the pty master when {@code
 *     process.terminal} is true, or null
 * @param pidFile where the container init's pid is written, or null
 * @param noPivot {@code --no-pivot}: move the root with MS_MOVE instead of pivot_root
 * @param noNewKeyring {@code --no-new-keyring}: keep the caller's session keyring
 * @param preserveFds how many of the caller's fds after stdio (3, 4, ...) pass into the container
 * @param monitor start the container under a monitor of this configuration
 *     (dev.berth.runtime.monitor): the monitor starts the runtime's create as its child, holds the
 *     container's stdio (then {@code stdio} must be inherited and {@code consoleSocket} null: the
 *     monitor's console socket is used) and records its exit; null: none
 * @param config the bundle's config.json as the caller wrote it: a runtime in this process takes it
 *     instead of reading the file back (a runtime binary reads the file); null: read it
 */
public record CreateRequest(
    String id,
    Path bundle,
    Stdio stdio,
    Path consoleSocket,
    Path pidFile,
    boolean noPivot,
    boolean noNewKeyring,
    int preserveFds,
    MonitorConfig monitor,
    BundleConfig config) {

  public CreateRequest {
    if (stdio == null) stdio = Stdio.INHERIT;
    if (preserveFds < 0)
      throw new IllegalArgumentException("preserveFds: " + preserveFds + " (must be >= 0)");
    if (monitor != null && !stdio.inherited()) {
      throw new IllegalArgumentException(
          "stdio: " + stdio + " (under a monitor the container's stdio is the monitor's)");
    }
    if (monitor != null && consoleSocket != null) {
      throw new IllegalArgumentException(
          "consoleSocket: " + consoleSocket + " (under a monitor the monitor's is used)");
    }
  }

  public CreateRequest(
      String id,
      Path bundle,
      Stdio stdio,
      Path consoleSocket,
      Path pidFile,
      boolean noPivot,
      boolean noNewKeyring,
      int preserveFds) {
    this(id, bundle, stdio, consoleSocket, pidFile, noPivot, noNewKeyring, preserveFds, null, null);
  }

  /** The console socket the runtime sends the pty master to: the monitor's, or the caller's. */
  public Path effectiveConsoleSocket() {
    return monitor != null ? monitor.consoleSocket() : consoleSocket;
  }

  /** Container {@code id} from {@code bundle}, with the caller's stdio and nothing else. */
  public static CreateRequest of(String id, Path bundle) {
    return new CreateRequest(id, bundle, Stdio.INHERIT, null, null, false, false, 0, null, null);
  }

  public CreateRequest withStdio(Stdio s) {
    return new CreateRequest(
        id, bundle, s, consoleSocket, pidFile, noPivot, noNewKeyring, preserveFds, monitor, config);
  }

  public CreateRequest withConsoleSocket(Path socket) {
    return new CreateRequest(
        id, bundle, stdio, socket, pidFile, noPivot, noNewKeyring, preserveFds, monitor, config);
  }

  public CreateRequest withPidFile(Path file) {
    return new CreateRequest(
        id,
        bundle,
        stdio,
        consoleSocket,
        file,
        noPivot,
        noNewKeyring,
        preserveFds,
        monitor,
        config);
  }

  public CreateRequest withMonitor(MonitorConfig m) {
    return new CreateRequest(
        id, bundle, stdio, consoleSocket, pidFile, noPivot, noNewKeyring, preserveFds, m, config);
  }

  public CreateRequest withConfig(BundleConfig c) {
    return new CreateRequest(
        id, bundle, stdio, consoleSocket, pidFile, noPivot, noNewKeyring, preserveFds, monitor, c);
  }
}
