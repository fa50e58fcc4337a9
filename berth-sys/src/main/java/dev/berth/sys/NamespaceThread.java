package dev.berth.sys;

/**
 * Runs work that changes its thread's namespaces (setns, unshare) on a short-lived platform thread
 * of its own, so no other thread of the process — a virtual thread's carrier least of all — ever
 * finds itself in another namespace. The caller waits for the end even when interrupted: the thread
 * may hold kernel state half made (a mount, a moved device), which the caller must know about; the
 * interrupt is kept for it.
 */
public final class NamespaceThread {
  /** The work; whatever it throws is handed back in the {@link Outcome}. */
  @FunctionalInterface
  public interface Work<T> {
    T run() throws Exception;
  }

  /** What the work returned, or what it threw (then {@code value} is null). */
  public record Outcome<T>(T value, Throwable failure) {}

  private NamespaceThread() {}

  /** Runs {@code work} on a new platform thread named {@code name} and waits for it. */
  public static <T> Outcome<T> run(String name, Work<T> work) {
    Object[] value = new Object[1];
    Throwable[] failed = new Throwable[1];
    Thread t =
        Thread.ofPlatform()
            .name(name)
            .unstarted(
                () -> {
                  try {
                    value[0] = work.run();
                  } catch (Throwable e) {
                    failed[0] = e;
                  }
                });
    t.start();
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    @SuppressWarnings("unchecked")
    T v = (T) value[0];
    return new Outcome<>(v, failed[0]);
  }
}
