package dev.berth.api.cri.streaming;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A session's streams as the client opened them: stdin (null when not asked for; its end is the
 * client closing it), stdout and stderr (null when not asked for; a write throws once the client is
 * gone), the terminal's size changes, and the client's disconnect.
 */
public final class Streams {
  private static final TerminalSize END = new TerminalSize(-1, -1);

  private final InputStream stdin;
  private final OutputStream stdout;
  private final OutputStream stderr;
  private final boolean tty;
  private final LinkedBlockingQueue<TerminalSize> resizes = new LinkedBlockingQueue<>(64);
  private final List<Runnable> onDisconnect = new ArrayList<>();
  private boolean disconnected;

  public Streams(InputStream stdin, OutputStream stdout, OutputStream stderr, boolean tty) {
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
    this.tty = tty;
  }

  public InputStream stdin() {
    return stdin;
  }

  public OutputStream stdout() {
    return stdout;
  }

  public OutputStream stderr() {
    return stderr;
  }

  public boolean tty() {
    return tty;
  }

  /** The next terminal size the client sent, blocking; null once no more can come. */
  public TerminalSize nextResize() throws InterruptedException {
    TerminalSize s = resizes.take();
    if (s == END) {
      resizes.offer(END); // for any other taker
      return null;
    }
    return s;
  }

  /**
   * Runs {@code r} when the client goes away before the session ended (at once if it has); it runs
   * on a thread of the server's, so it must not block.
   */
  public void onDisconnect(Runnable r) {
    synchronized (this) {
      if (!disconnected) {
        onDisconnect.add(r);
        return;
      }
    }
    r.run();
  }

  /** A size change from the client; dropped when the consumer lags far behind (the last wins). */
  public void resized(TerminalSize s) {
    while (!resizes.offer(s)) resizes.poll();
  }

  /** No more size changes will come. */
  public void endResizes() {
    resized(END);
  }

  /** The session ended by itself: a later disconnect has nothing to release. */
  public synchronized void finished() {
    disconnected = true;
    onDisconnect.clear();
  }

  /** The client went away: runs the disconnect callbacks once. */
  public void disconnected() {
    List<Runnable> run;
    synchronized (this) {
      if (disconnected) return;
      disconnected = true;
      run = List.copyOf(onDisconnect);
      onDisconnect.clear();
    }
    for (Runnable r : run) r.run();
    endResizes();
  }
}
