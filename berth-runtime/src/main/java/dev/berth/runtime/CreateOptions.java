package dev.berth.runtime;

import dev.berth.runtime.process.InitLauncher;
import dev.berth.runtime.terminal.PtyHandler;
import java.nio.file.Path;

/**
 * What {@code create} and {@code run} take besides the bundle's config, as runc's flags of the same
 * names.
 *
 * @param pidFile where to write the container init's pid, or null
 * @param consoleSocket the AF_UNIX socket that receives the pty master when {@code
 *     process.terminal} is true, or null
 * @param preserveFds how many fds after stdio (3, 4, ...) pass into the container
 * @param pty takes the pty master instead of a console socket (a foreground {@code run}'s terminal
 *     proxy), or null; unused when the process has no terminal
 * @param launcher how berth-init is started (a container monitor starts it: then the stdio is the
 *     monitor's), or null: this process spawns it with its own fds 0-2
 * @param config the bundle's config.json as this process wrote it, or null: read from the bundle
 */
public record CreateOptions(
    Path bundle,
    Path pidFile,
    Path consoleSocket,
    boolean noPivot,
    boolean noNewKeyring,
    int preserveFds,
    PtyHandler pty,
    InitLauncher launcher,
    BundleConfig config) {

  public CreateOptions(
      Path bundle,
      Path pidFile,
      Path consoleSocket,
      boolean noPivot,
      boolean noNewKeyring,
      int preserveFds,
      PtyHandler pty,
      InitLauncher launcher) {
    this(bundle, pidFile, consoleSocket, noPivot, noNewKeyring, preserveFds, pty, launcher, null);
  }

  public CreateOptions(
      Path bundle,
      Path pidFile,
      Path consoleSocket,
      boolean noPivot,
      boolean noNewKeyring,
      int preserveFds) {
    this(bundle, pidFile, consoleSocket, noPivot, noNewKeyring, preserveFds, null, null);
  }

  public CreateOptions(
      Path bundle,
      Path pidFile,
      Path consoleSocket,
      boolean noPivot,
      boolean noNewKeyring,
      int preserveFds,
      PtyHandler pty) {
    this(bundle, pidFile, consoleSocket, noPivot, noNewKeyring, preserveFds, pty, null);
  }

  public static CreateOptions of(Path bundle) {
    return new CreateOptions(bundle, null, null, false, false, 0, null, null, null);
  }

  /** The same options with the pty master going to {@code handler}. */
  public CreateOptions withPty(PtyHandler handler) {
    return new CreateOptions(
        bundle,
        pidFile,
        consoleSocket,
        noPivot,
        noNewKeyring,
        preserveFds,
        handler,
        launcher,
        config);
  }

  /** The same options with berth-init started by {@code l}. */
  public CreateOptions withLauncher(InitLauncher l) {
    return new CreateOptions(
        bundle, pidFile, consoleSocket, noPivot, noNewKeyring, preserveFds, pty, l, config);
  }

  /** The same options with the bundle's config given (see {@link BundleConfig}). */
  public CreateOptions withConfig(BundleConfig c) {
    return new CreateOptions(
        bundle, pidFile, consoleSocket, noPivot, noNewKeyring, preserveFds, pty, launcher, c);
  }

  /** How berth-init is started. */
  public InitLauncher initLauncher() {
    return launcher == null ? InitLauncher.SPAWN : launcher;
  }
}
