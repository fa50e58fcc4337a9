package dev.berth.image;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * With {@code -Dberth.trace.phases=true} (the property berth-runtime's PhaseTrace reads), a pull
 * prints to stderr, per layer, the time its threads spent in each {@link Phase}, to find where a
 * pull's time goes (bench/pull.sh gives the totals). The time of a thread bound to a layer ({@link
 * #bind}) is charged to the innermost phase it entered, so a download read under the inflater is
 * download, not inflate; what is in no phase is {@link Phase#UNPACK} (the tar reader and the
 * file-system calls). Off, every call costs one static field read.
 */
public final class LayerPhases {
  /** Whether tracing is on: read once. */
  public static final boolean ON = Boolean.getBoolean("berth.trace.phases");

  /** Where a layer's time goes. */
  public enum Phase {
    /** queued behind other layers, or waiting for another process's ingest of the same blob */
    WAIT,
    /** reading the registry's body */
    DOWNLOAD,
    /** appending the blob to its ingest file */
    WRITE,
    /** sha256 of the blob and of the tar (the diff id) */
    HASH,
    /** gzip or zstd */
    INFLATE,
    /** reading tar headers, creating files, writing their data, setting their metadata */
    UNPACK,
    /** one of a layer's two threads (reading and inflating, writing files) waiting for the other */
    HANDOFF,
    /** making the blob and the snapshot durable */
    FSYNC,
    /** moving the blob into the store, linking the snapshot */
    COMMIT
  }

  private static final Phase[] PHASES = Phase.values();
  private static final ThreadLocal<Frame> CURRENT = ON ? new ThreadLocal<>() : null;

  private LayerPhases() {}

  /** One layer's totals, shared by the threads that work on it. */
  public static final class Tally {
    private final String layer;
    private final long size;
    private final long start = System.nanoTime();
    private final AtomicLongArray nanos = new AtomicLongArray(PHASES.length);
    private volatile long end;

    private Tally(String layer, long size) {
      this.layer = layer;
      this.size = size;
    }

    /** Adds {@code ns} to {@code p} (a wait measured from outside, e.g. in a queue). */
    public void add(Phase p, long ns) {
      nanos.addAndGet(p.ordinal(), ns);
    }

    /** The layer's work is done (but for its commit): the end of its wall time. */
    public void done() {
      end = System.nanoTime();
    }

    /** Prints the totals, in milliseconds, with the wall time from the tally's start to done. */
    public void print() {
      StringBuilder b = new StringBuilder("berth: layer ");
      b.append(layer, 0, Math.min(layer.length(), 19)).append(' ');
      b.append(size >> 20).append(" MB:");
      for (Phase p : PHASES) {
        b.append(' ').append(p.name().toLowerCase()).append(' ');
        b.append(nanos.get(p.ordinal()) / 1_000_000);
      }
      long last = end == 0 ? System.nanoTime() : end;
      b.append(", done after ").append((last - start) / 1_000_000).append(" ms");
      System.err.println(b);
    }
  }

  /** A thread's place: the tally it charges, the phase it is in, since when, and the outer one. */
  private static final class Frame {
    final Tally tally;
    Phase phase;
    long since;
    final Phase[] outer = new Phase[8];
    int depth;

    Frame(Tally tally) {
      this.tally = tally;
      this.phase = Phase.UNPACK;
      this.since = System.nanoTime();
    }

    void charge(long now) {
      tally.add(phase, now - since);
      since = now;
    }
  }

  private static long lastMark = ON ? System.nanoTime() : 0;

  /**
   * Prints how long the pull's step that led up to here took (the manifest, the config, the layers,
   * the records), as PhaseTrace does for a verb.
   */
  public static synchronized void mark(String step) {
    if (!ON) return;
    long now = System.nanoTime();
    System.err.println("berth: pull step " + step + " " + (now - lastMark) / 1000 + " us");
    lastMark = System.nanoTime();
  }

  /** A new tally for a layer ({@code size} bytes of blob), or null when tracing is off. */
  public static Tally tally(String layer, long size) {
    return ON ? new Tally(layer, size) : null;
  }

  /** Charges this thread's time to {@code t} from now until {@link #unbind}; null: nothing. */
  public static void bind(Tally t) {
    if (ON && t != null) CURRENT.set(new Frame(t));
  }

  /** The tally this thread charges, to bind a helper thread to (null: none, or tracing off). */
  public static Tally current() {
    if (!ON) return null;
    Frame f = CURRENT.get();
    return f == null ? null : f.tally;
  }

  /** Stops charging this thread's time. */
  public static void unbind() {
    if (!ON) return;
    Frame f = CURRENT.get();
    if (f == null) return;
    f.charge(System.nanoTime());
    CURRENT.remove();
  }

  /** Charges this thread's time to {@code p} until the matching {@link #exit()}. */
  public static void enter(Phase p) {
    if (!ON) return;
    Frame f = CURRENT.get();
    if (f == null) return;
    f.charge(System.nanoTime());
    if (f.depth < f.outer.length) f.outer[f.depth] = f.phase;
    f.depth++;
    f.phase = p;
  }

  /** Back to the phase {@link #enter} left. */
  public static void exit() {
    if (!ON) return;
    Frame f = CURRENT.get();
    if (f == null || f.depth == 0) return;
    f.charge(System.nanoTime());
    f.depth--;
    if (f.depth < f.outer.length) f.phase = f.outer[f.depth];
  }
}
