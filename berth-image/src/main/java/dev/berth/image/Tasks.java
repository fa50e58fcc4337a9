package dev.berth.image;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/** Waiting for the threads a pull or an unpack starts (blob stores, a layer's file writer). */
public final class Tasks {
  private Tasks() {}

  /**
   * Waits for {@code task} to end, even when interrupted (the interrupt is kept for the caller),
   * and throws what it threw.
   */
  public static void await(FutureTask<Void> task) throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      while (true) {
        try {
          task.get();
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof IOException io) throw io;
          if (cause instanceof RuntimeException re) throw re;
          if (cause instanceof Error err) throw err;
          throw new IOException(cause);
        }
      }
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }
}
