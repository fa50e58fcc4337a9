package dev.berth.runtime.checkpoint;

import dev.berth.runtime.terminal.PtyHandler;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code restore} takes besides the container id and its bundle, as runc's flags of the same
 * names.
 *
 * @param imagePath the images a checkpoint wrote (never made: a missing one is an error)
 * @param workPath where CRIU writes its log (restore.log), or null for {@code imagePath}, so the
 *     log outlives a failed restore (runc's default, the state directory, is removed with it)
 * @param detach return once the container runs; else wait for its init and delete it after, as
 *     {@code run}
 * @param pidFile where to write the restored init's pid, or null
 * @param noSubreaper in the foreground, do not adopt the container's orphans
 * @param noPivot accepted as runc accepts it: CRIU sets up the root itself, there is no pivot_root
 *     to skip
 * @param lsmProfile "TYPE:NAME", the AppArmor or SELinux profile of the restored processes, or null
 * @param lsmMountContext the SELinux mount context of the restored mounts, or null
 * @param consoleSocket the AF_UNIX socket that receives the pty master of a container with a
 *     terminal, or null
 * @param pty takes the pty master instead of a console socket (a foreground restore's terminal
 *     proxy), or null
 */
public record RestoreOptions(
    Path imagePath,
    Path workPath,
    boolean tcpEstablished,
    boolean extUnixSk,
    boolean shellJob,
    boolean fileLocks,
    CgroupsMode cgroupsMode,
    boolean detach,
    Path pidFile,
    boolean noSubreaper,
    boolean noPivot,
    List<String> emptyNamespaces,
    boolean autoDedup,
    boolean lazyPages,
    String lsmProfile,
    String lsmMountContext,
    Path consoleSocket,
    PtyHandler pty,
    String criu) {

  public RestoreOptions {
    emptyNamespaces = emptyNamespaces == null ? List.of() : List.copyOf(emptyNamespaces);
    if (criu == null || criu.isEmpty()) criu = "criu";
    if (lsmProfile != null && lsmProfile.isEmpty()) lsmProfile = null;
    if (lsmMountContext != null && lsmMountContext.isEmpty()) lsmMountContext = null;
  }

  /** A detached restore from {@code imagePath} with CRIU's defaults for the rest. */
  public static RestoreOptions of(Path imagePath) {
    return new RestoreOptions(
        imagePath, null, false, false, false, false, null, true, null, false, false, List.of(),
        false, false, null, null, null, null, "criu");
  }

  /** The same options with the pty master going to {@code handler}. */
  public RestoreOptions withPty(PtyHandler handler) {
    return new RestoreOptions(
        imagePath,
        workPath,
        tcpEstablished,
        extUnixSk,
        shellJob,
        fileLocks,
        cgroupsMode,
        detach,
        pidFile,
        noSubreaper,
        noPivot,
        emptyNamespaces,
        autoDedup,
        lazyPages,
        lsmProfile,
        lsmMountContext,
        consoleSocket,
        handler,
        criu);
  }

  /** The same options with another criu binary. */
  public RestoreOptions withCriu(String binary) {
    return new RestoreOptions(
        imagePath,
        workPath,
        tcpEstablished,
        extUnixSk,
        shellJob,
        fileLocks,
        cgroupsMode,
        detach,
        pidFile,
        noSubreaper,
        noPivot,
        emptyNamespaces,
        autoDedup,
        lazyPages,
        lsmProfile,
        lsmMountContext,
        consoleSocket,
        pty,
        binary);
  }
}
