package dev.berth.engine.fs;

import dev.berth.engine.EngineException;
import dev.berth.spec.error.ErrorCategory;

/**
 * docker cp's rules for where a copy lands, the same both ways:
 *
 * <ul>
 *   <li>a destination directory that exists receives the source under its own name ({@code SRC/.}:
 *       its contents);
 *   <li>a destination file that exists is replaced by a source file, and refuses a directory;
 *   <li>a destination that does not exist is created as a copy of the source (a directory with its
 *       contents), in its parent, which must exist; a name ending in "/" must be an existing
 *       directory for a file.
 * </ul>
 *
 * @param intoDestination extract into the destination itself (else into its parent)
 * @param name what the tar's top entry is called ("." for a directory's contents)
 */
public record CopyPlan(boolean intoDestination, String name) {
  /**
   * The plan for {@code src} (as the user spelled it; {@code srcIsDir}: what it is) onto {@code
   * dst} ({@code dstExists}, {@code dstIsDir}: what is there, after following a symlink).
   */
  public static CopyPlan of(
      String src, boolean srcIsDir, String dst, boolean dstExists, boolean dstIsDir)
      throws EngineException {
    boolean contents = src.equals(".") || src.endsWith("/.");
    if ((contents || src.endsWith("/")) && !srcIsDir) {
      throw new EngineException(
          ErrorCategory.INVALID_ARGUMENT, "lstat " + src + ": not a directory");
    }
    if (dstExists && dstIsDir) return new CopyPlan(true, contents ? "." : base(src));
    if (dstExists) {
      if (srcIsDir)
        throw new EngineException(ErrorCategory.INVALID_ARGUMENT, "cannot copy directory");
      return new CopyPlan(false, base(dst));
    }
    if (dst.endsWith("/") && !srcIsDir) {
      throw new EngineException(ErrorCategory.NOT_FOUND, "no such directory: " + dst);
    }
    return new CopyPlan(false, base(dst));
  }

  /**
   * The directory a plan that is not {@link #intoDestination} extracts into: {@code dst}'s parent,
   * or {@code top}.
   */
  public static String parent(String dst, String top) {
    String p = trimSlashes(dst);
    int slash = p.lastIndexOf('/');
    if (slash < 0) return top;
    return slash == 0 ? "/" : p.substring(0, slash);
  }

  /** The last component of a path as the user spelled it, trailing slashes and "/." ignored. */
  static String base(String path) {
    String p = path.endsWith("/.") ? path.substring(0, path.length() - 2) : path;
    p = trimSlashes(p);
    if (p.isEmpty() || p.equals("/")) return ".";
    String b = p.substring(p.lastIndexOf('/') + 1);
    return b.equals("..") || b.equals(".") ? "." : b;
  }

  private static String trimSlashes(String p) {
    while (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
    return p;
  }
}
