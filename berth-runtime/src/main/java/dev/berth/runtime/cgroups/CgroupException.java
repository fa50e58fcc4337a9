package dev.berth.runtime.cgroups;

import java.io.IOException;

/**
 * A cgroup operation that failed. The message names the file, value and errno, or the spec field a
 * host cannot honour ("linux.resources.hugepageLimits[0].pageSize: \"3MB\" is not a huge page size
 * of this host (2MB, 1GB)").
 */
public final class CgroupException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String errno;

  public CgroupException(String message) {
    this(message, null, null);
  }

  public CgroupException(String message, String errno, Throwable cause) {
    super(message, cause);
    this.errno = errno;
  }

  /**
   * The errno name ("EBUSY") when the kernel refused a file operation, else null (invalid or
   * unsupported input).
   */
  public String errno() {
    return errno;
  }
}
