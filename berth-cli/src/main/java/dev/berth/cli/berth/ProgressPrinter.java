package dev.berth.cli.berth;

import dev.berth.image.Progress;
import dev.berth.spec.image.Digest;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's pull and push progress. On a terminal: one line per blob, redrawn in place, with a bar,
 * bytes and speed; otherwise: a plain line each time a blob changes phase (what CI logs and pipes
 * want); quiet: nothing.
 */
final class ProgressPrinter implements Progress {
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintStream out;
  private final boolean terminal;
  private final boolean quiet;
  private final boolean pushing;
  private final List<Digest> order = new ArrayList<>();
  private final Map<Digest, Row> rows = new HashMap<>();
  private int drawnLines;
  private long lastDraw;

  private static final class Row {
    Phase phase;
    long current;
    long total;
    final long started = System.nanoTime();
  }

  ProgressPrinter(PrintStream out, boolean terminal, boolean quiet) {
    this(out, terminal, quiet, false);
  }

  /**
   * {@code pushing}: docker's push wording ("Layer already exists") instead of the pull's ("Already
   * exists").
   */
  ProgressPrinter(PrintStream out, boolean terminal, boolean quiet, boolean pushing) {
    this.pushing = pushing;
    this.out = out;
    this.terminal = terminal;
    this.quiet = quiet;
  }

  static boolean stdoutIsTerminal() {
    return System.console() != null && System.console().isTerminal();
  }

  @Override
  public synchronized void blob(Digest digest, Phase phase, long current, long total) {
    if (quiet) return;
    Row row = rows.get(digest);
    if (row == null) {
      row = new Row();
      rows.put(digest, row);
      order.add(digest);
    }
    Phase before = row.phase;
    row.phase = phase;
    row.current = current;
    row.total = total;
    if (terminal) {
      long now = System.nanoTime();
      if (phase != Phase.DOWNLOADING && phase != Phase.UPLOADING
          || now - lastDraw > REDRAW_NANOS
          || before != phase) {
        redraw();
        lastDraw = now;
      }
    } else if (before != phase) {
      out.println(shortId(digest) + ": " + words(phase));
    }
  }

  @Override
  public synchronized void message(String line) {
    if (quiet) return;
    if (terminal) redraw();
    out.println(line);
    drawnLines = 0;
  }

  /** Draws the final state of every row once more, so the terminal ends with complete lines. */
  synchronized void finish() {
    if (terminal && !quiet) redraw();
    drawnLines = 0;
  }

  private void redraw() {
    StringBuilder b = new StringBuilder();
    if (drawnLines > 0) b.append("\033[").append(drawnLines).append('A');
    for (Digest d : order) {
      Row r = rows.get(d);
      b.append("\r\033[2K").append(shortId(d)).append(": ").append(words(r.phase));
      if (r.phase == Phase.DOWNLOADING || r.phase == Phase.UPLOADING) {
        b.append(' ').append(bar(r.current, r.total)).append(' ').append(bytes(r.current));
        if (r.total > 0) b.append('/').append(bytes(r.total));
        double secs = (System.nanoTime() - r.started) / 1e9;
        if (secs > 0.2) b.append("  ").append(bytes((long) (r.current / secs))).append("/s");
      }
      b.append('\n');
    }
    drawnLines = order.size();
    out.print(b);
    out.flush();
  }

  private String words(Phase p) {
    return switch (p) {
      case WAITING -> "Waiting";
      case EXISTS -> pushing ? "Layer already exists" : "Already exists";
      case DOWNLOADING -> "Downloading";
      case EXTRACTING -> "Extracting";
      case VERIFYING -> "Verifying Checksum";
      case DONE -> "Pull complete";
      case MOUNTED -> "Mounted from source repository";
      case UPLOADING -> "Pushing";
      case PUSHED -> "Pushed";
      case FAILED -> "Failed";
    };
  }

  private static String bar(long current, long total) {
    int width = 40;
    int filled = total > 0 ? (int) Math.min(width, current * width / total) : 0;
    StringBuilder b = new StringBuilder(width + 2).append('[');
    for (int i = 0; i < width; i++) b.append(i < filled - 1 ? '=' : i == filled - 1 ? '>' : ' ');
    return b.append(']').toString();
  }

  static String shortId(Digest d) {
    return d.encoded().substring(0, 12);
  }

  /** Sizes as docker prints them: decimal units, three significant digits. */
  static String bytes(long n) {
    return dev.berth.cli.format.Sizes.decimal(n, 3);
  }
}
