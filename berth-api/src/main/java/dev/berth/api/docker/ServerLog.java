package dev.berth.api.docker;

import java.io.PrintStream;
import java.time.Instant;

/**
 * berthd's log: one line per event on stderr ({@code time=... level=info msg="..."}, the shape of
 * dockerd's logrus lines, for journald), below a level set at start.
 */
public final class ServerLog {
  public enum Level {
    DEBUG,
    INFO,
    WARN,
    ERROR
  }

  private final PrintStream out;
  private final Level level;

  public ServerLog(PrintStream out, Level level) {
    this.out = out;
    this.level = level;
  }

  /** Parses "debug", "info", "warn", "error" (as dockerd's --log-level). */
  public static Level level(String s) {
    return switch (s.toLowerCase(java.util.Locale.ROOT)) {
      case "debug" -> Level.DEBUG;
      case "info" -> Level.INFO;
      case "warn", "warning" -> Level.WARN;
      case "error", "fatal", "panic" -> Level.ERROR;
      default -> throw new IllegalArgumentException("unknown log level " + s);
    };
  }

  public boolean enabled(Level l) {
    return l.compareTo(level) >= 0;
  }

  public void debug(String msg) {
    log(Level.DEBUG, msg, null);
  }

  public void info(String msg) {
    log(Level.INFO, msg, null);
  }

  public void warn(String msg) {
    log(Level.WARN, msg, null);
  }

  public void error(String msg, Throwable t) {
    log(Level.ERROR, msg, t);
  }

  private void log(Level l, String msg, Throwable t) {
    if (!enabled(l)) return;
    String line =
        "time=\""
            + Instant.now()
            + "\" level="
            + l.name().toLowerCase(java.util.Locale.ROOT)
            + " msg=\""
            + msg.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
            + "\"";
    synchronized (out) {
      out.println(line);
      if (t != null && enabled(Level.DEBUG)) t.printStackTrace(out);
    }
  }
}
