package dev.berth.engine.store;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;

/**
 * How the stores' I/O failures become {@link BerthException}s: a full disk is the host's limit, the
 * rest internal.
 */
public final class StoreErrors {
  private StoreErrors() {}

  /**
   * {@code what} failed with {@code e}: "write /var/lib/berth/...: no space left on device
   * (ENOSPC)".
   */
  public static BerthException io(String what, IOException e) {
    boolean full =
        e instanceof ErrnoException errno
            && (errno.errno() == LinuxConstants.ENOSPC || errno.errno() == LinuxConstants.EDQUOT);
    return new BerthException(
        full ? ErrorCategory.RESOURCE_EXHAUSTED : ErrorCategory.INTERNAL,
        what + ": " + e.getMessage(),
        e);
  }

  /** Whether {@code e} says the file is not there. */
  public static boolean isMissing(IOException e) {
    return e instanceof ErrnoException errno && errno.errno() == LinuxConstants.ENOENT
        || e instanceof java.nio.file.NoSuchFileException;
  }
}
