package dev.berth.api.docker;

import java.util.ArrayList;
import java.util.List;

/**
 * Streams that wait on something to poll (the event log, a container's log file) without a thread
 * each: one thread looks at every such stream in turn, every {@link #PERIOD_MS}, and ends when none
 * is left. A thousand idle {@code docker events} clients cost a thousand small objects and one
 * thread, not a thousand threads.
 *
 * <p>A task's look must not block: it reads files (short syscalls), takes no lock another process
 * may hold long, and writes only what its connection takes without waiting ({@link
 * ResponseStream#writable()}: a slow client is left unread until it catches up).
 */
public final class StreamTicker implements AutoCloseable {
  /** How often each stream is looked at. */
  public static final long PERIOD_MS = 100;

  /** How long the thread stays once no stream is left. */
  private static final long LINGER_MS = 5_000;

  /** One stream's looks. */
  public interface Task {
    /**
     * Looks once: writes what is new; false when the stream is over. Throwing ends it too (its
     * connection closes: the client sees the stream break).
     */
    boolean tick() throws Exception;

    /** The stream is over (it said so, threw, or its client left): release what it holds. */
    void end(Throwable failure);
  }

  private final String name;
  private final List<Task> tasks = new ArrayList<>();
  private Thread thread;
  private boolean closed;

  public StreamTicker(String name) {
    this.name = name;
  }

  /** Adds a stream; its first look comes within one period. */
  public synchronized void add(Task t) {
    if (closed) {
      t.end(new IllegalStateException("the server is closing"));
      return;
    }
    tasks.add(t);
    if (thread == null) {
      thread = Thread.ofPlatform().name(name).daemon(true).stackSize(256 << 10).start(this::run);
    }
    notifyAll();
  }

  /** The streams being looked at. */
  public synchronized int size() {
    return tasks.size();
  }

  private void run() {
    List<Task> round = new ArrayList<>();
    while (true) {
      synchronized (this) {
        long idleSince = System.nanoTime();
        while (tasks.isEmpty() && !closed) {
          long left = LINGER_MS - (System.nanoTime() - idleSince) / 1_000_000;
          if (left <= 0) {
            thread = null;
            return;
          }
          try {
            wait(left);
          } catch (InterruptedException e) {
            // closing: looked at below
          }
        }
        if (closed) {
          thread = null;
          return;
        }
        round.clear();
        round.addAll(tasks);
      }
      for (Task t : round) {
        boolean more;
        Throwable failure = null;
        try {
          more = t.tick();
        } catch (Throwable e) {
          more = false;
          failure = e;
        }
        if (!more) {
          synchronized (this) {
            tasks.remove(t);
          }
          end(t, failure);
        }
      }
      try {
        Thread.sleep(PERIOD_MS);
      } catch (InterruptedException e) {
        // closing: looked at above
      }
    }
  }

  private static void end(Task t, Throwable failure) {
    try {
      t.end(failure);
    } catch (RuntimeException e) {
      // the stream is gone either way
    }
  }

  /** Ends every stream (their connections close with the server) and the thread. */
  @Override
  public void close() {
    List<Task> left;
    synchronized (this) {
      closed = true;
      left = new ArrayList<>(tasks);
      tasks.clear();
      notifyAll();
    }
    for (Task t : left) end(t, new IllegalStateException("the server is closing"));
  }
}
