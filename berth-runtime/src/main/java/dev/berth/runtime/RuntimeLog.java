package dev.berth.runtime;

/**
 * Where the runtime library tells what it is doing (debug) and what it let pass (warnings). A CLI
 * installs a sink that writes its own log format (berth-runc: runc's, so that {@code --debug},
 * {@code --log} and {@code --log-format} mean what engines expect); without one, warnings go to
 * stderr and debug lines nowhere.
 *
 * <p>Debug lines sit on every verb's path: with debug off, a call costs one static field read.
 * Callers that would build a message for it check {@link #debugOn()} first.
 */
public final class RuntimeLog {
  /**
   * Receives the lines; {@code fields} alternate name and value (numbers stay numbers, as logrus
   * fields).
   */
  public interface Sink {
    void debug(String msg, Object... fields);

    void warn(String msg);
  }

  private static Sink sink;
  private static boolean debug;

  private RuntimeLog() {}

  /** Installs {@code sink}; {@code debug} says whether debug lines are wanted at all. */
  public static void install(Sink s, boolean debugOn) {
    sink = s;
    debug = debugOn && s != null;
  }

  public static boolean debugOn() {
    return debug;
  }

  public static void debug(String msg) {
    if (debug) sink.debug(msg);
  }

  public static void debug(String msg, String key, Object value) {
    if (debug) sink.debug(msg, key, value);
  }

  public static void debug(String msg, String key1, Object value1, String key2, Object value2) {
    if (debug) sink.debug(msg, key1, value1, key2, value2);
  }

  public static void warn(String msg) {
    Sink s = sink;
    if (s != null) s.warn(msg);
    else System.err.println("berth-runc: warning: " + msg);
  }
}
