package dev.berth.sys;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An owned file descriptor. {@link #close()} is atomic and idempotent: whichever thread swaps the
 * number to -1 closes it, so one fd number is never closed twice (a second close could hit a number
 * the kernel has reused meanwhile). Every fd {@link Linux} returns is close-on-exec; a child gets
 * fds only through the map of {@link Linux#spawn}.
 */
public final class Fd implements AutoCloseable {
  // AtomicInteger rather than a VarHandle: a VarHandle would bootstrap java.lang.invoke on every
  // CLI's start path.
  private final AtomicInteger fd;

  /** Takes ownership of an open fd number (e.g. one received with SCM_RIGHTS, or 0-2). */
  public Fd(int fd) {
    if (fd < 0) throw new IllegalArgumentException("invalid fd: " + fd);
    this.fd = new AtomicInteger(fd);
  }

  /**
   * The number, for a syscall or an fd map; throws when closed or released, so a stale number is
   * never used.
   */
  public int fd() {
    int n = fd.get();
    if (n < 0) throw new IllegalStateException("use of a closed fd");
    return n;
  }

  public boolean isOpen() {
    return fd.get() >= 0;
  }

  /** Gives up ownership: returns the number, which this object will no longer close. */
  public int release() {
    int n = fd.getAndSet(-1);
    if (n < 0) throw new IllegalStateException("release of a closed fd");
    return n;
  }

  /**
   * Closes the fd once; later calls do nothing. Errors are not reported: Linux frees the number
   * even when close(2) fails (EINTR, EIO), so there is nothing a caller could retry.
   */
  @Override
  public void close() {
    int n = fd.getAndSet(-1);
    if (n >= 0) Native.syscall6(Nr.CLOSE, n, 0, 0, 0, 0, 0);
  }

  @Override
  public String toString() {
    int n = fd.get();
    return n >= 0 ? "fd " + n : "fd (closed)";
  }
}
