package dev.berth.engine.fs;

import dev.berth.sys.LinuxConstants;
import java.time.Instant;

/**
 * What docker's "stat a container path" says of a file: its name (the last component of the path
 * asked for), size, st_mode (type and permission bits), modification time, and a symlink's target
 * as stored.
 */
public record PathStat(String name, long size, int mode, Instant mtime, String linkTarget) {
  public PathStat {
    linkTarget = linkTarget == null ? "" : linkTarget;
  }

  public boolean isDirectory() {
    return (mode & LinuxConstants.S_IFMT) == LinuxConstants.S_IFDIR;
  }

  public boolean isSymlink() {
    return (mode & LinuxConstants.S_IFMT) == LinuxConstants.S_IFLNK;
  }
}
