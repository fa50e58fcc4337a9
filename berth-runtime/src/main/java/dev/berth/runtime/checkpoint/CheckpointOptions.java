package dev.berth.runtime.checkpoint;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code checkpoint} takes, as runc's flags of the same names.
 *
 * @param imagePath where CRIU writes the images (made 0700 if missing)
 * @param workPath where CRIU writes its log (dump.log), or null for {@code imagePath}
 * @param parentPath the images of a previous pre-dump, relative to {@code imagePath} (CRIU follows
 *     it as a link), or null
 * @param leaveRunning the container keeps running after the dump (else CRIU kills it and it is
 *     deleted)
 * @param statusFd an fd of this process that receives one \0 byte once the lazy-pages server is
 *     ready, or -1
 * @param pageServer where the memory pages go instead of the image directory, or null
 * @param preDump only the memory, for an iterative migration: the container keeps running
 * @param cgroupsMode CRIU's cgroup handling, or null for CRIU's default (soft)
 * @param emptyNamespaces namespaces ("network" only, as in runc) that restore creates empty instead
 *     of from the images; the network namespace always is, runc's and berth's containers do not own
 *     their network devices
 * @param criu the criu binary (a name looked up in $PATH, or a path)
 */
public record CheckpointOptions(
    Path imagePath,
    Path workPath,
    String parentPath,
    boolean leaveRunning,
    boolean tcpEstablished,
    boolean extUnixSk,
    boolean shellJob,
    boolean lazyPages,
    int statusFd,
    PageServer pageServer,
    boolean fileLocks,
    boolean preDump,
    CgroupsMode cgroupsMode,
    List<String> emptyNamespaces,
    boolean autoDedup,
    String criu) {

  public CheckpointOptions {
    emptyNamespaces = emptyNamespaces == null ? List.of() : List.copyOf(emptyNamespaces);
    if (criu == null || criu.isEmpty()) criu = "criu";
  }

  /**
   * A plain dump into {@code imagePath} that stops the container, with CRIU's defaults for the
   * rest.
   */
  public static CheckpointOptions of(Path imagePath) {
    return new CheckpointOptions(
        imagePath, null, null, false, false, false, false, false, -1, null, false, false, null,
        List.of(), false, "criu");
  }

  /** The same options with the container left running. */
  public CheckpointOptions leavingRunning() {
    return new CheckpointOptions(
        imagePath,
        workPath,
        parentPath,
        true,
        tcpEstablished,
        extUnixSk,
        shellJob,
        lazyPages,
        statusFd,
        pageServer,
        fileLocks,
        preDump,
        cgroupsMode,
        emptyNamespaces,
        autoDedup,
        criu);
  }

  /** The same options with another criu binary. */
  public CheckpointOptions withCriu(String binary) {
    return new CheckpointOptions(
        imagePath,
        workPath,
        parentPath,
        leaveRunning,
        tcpEstablished,
        extUnixSk,
        shellJob,
        lazyPages,
        statusFd,
        pageServer,
        fileLocks,
        preDump,
        cgroupsMode,
        emptyNamespaces,
        autoDedup,
        binary);
  }
}
