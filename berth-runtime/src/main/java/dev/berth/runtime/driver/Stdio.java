package dev.berth.runtime.driver;

import java.nio.file.Path;

/**
 * Where a container's (or an exec'd process's) fds 0, 1 and 2 come from: a file each, or the
 * caller's own fd when the path is null. Output files are appended to and made when missing; the
 * input file must exist.
 */
public record Stdio(Path in, Path out, Path err) {
  /** The caller's own stdio. */
  public static final Stdio INHERIT = new Stdio(null, null, null);

  /** Whether every stream is the caller's own. */
  public boolean inherited() {
    return in == null && out == null && err == null;
  }
}
