package dev.berth.cli.runc;

import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * berth-runc's log, in runc's formats because its callers parse them: containerd and conmon pass
 * {@code --log FILE --log-format json} and read the last error line from the file when a command
 * fails. Without {@code --log}, lines go to stderr as logrus text ({@code time="..." level=error
 * msg="..."}).
 */
final class RuncLog implements dev.berth.runtime.RuntimeLog.Sink {
  private final OutputStream file;
  private final boolean json;
  private final boolean debug;

  private RuncLog(OutputStream file, boolean json, boolean debug) {
    this.file = file;
    this.json = json;
    this.debug = debug;
  }

  static RuncLog open(String path, String format, boolean debug) throws IOException {
    boolean json = "json".equals(format);
    if (format != null && !format.equals("json") && !format.equals("text")) {
      throw new IOException("invalid log-format: " + format);
    }
    OutputStream f = path == null || path.isEmpty() ? null : new FileOutputStream(path, true);
    return new RuncLog(f, json, debug);
  }

  static RuncLog stderr() {
    return new RuncLog(null, false, false);
  }

  /** Whether lines go to a --log file (stderr otherwise). */
  boolean hasFile() {
    return file != null;
  }

  /** Whether {@code --debug} was given: the runtime library's debug lines come here only then. */
  boolean debugOn() {
    return debug;
  }

  /**
   * A debug line; {@code fields} alternate name and value, written after msg as logrus writes its
   * fields.
   */
  @Override
  public void debug(String msg, Object... fields) {
    if (debug) write("debug", msg, fields);
  }

  @Override
  public void warn(String msg) {
    write("warning", msg, NO_FIELDS);
  }

  private static final Object[] NO_FIELDS = {};

  /** Logs the error that ends the command; with a log file, stderr also gets the plain message. */
  void error(String msg) {
    write("error", msg, NO_FIELDS);
    if (file != null) {
      System.err.println(msg);
    }
  }

  private void write(String level, String msg, Object[] fields) {
    // Whole seconds, as logrus prints them; not Instant.toString(): java.time's formatter costs a
    // cold start ~2 ms.
    String time = Rfc3339.format(Instant.ofEpochSecond(System.currentTimeMillis() / 1000));
    StringBuilder sb = new StringBuilder(96 + msg.length());
    if (json) {
      // As logrus writes a JSON line: one object (encoding/json's escaping), its keys (level, msg,
      // time and the
      // fields) in sorted order.
      int n = 3 + fields.length / 2;
      String[] keys = new String[n];
      Object[] values = new Object[n];
      keys[0] = "level";
      values[0] = level;
      keys[1] = "msg";
      values[1] = msg;
      keys[2] = "time";
      values[2] = time;
      for (int i = 0, k = 3; k < n; i += 2, k++) {
        keys[k] = String.valueOf(fields[i]);
        values[k] = fields[i + 1];
      }
      for (int i = 1; i < n; i++) {
        for (int j = i; j > 0 && keys[j - 1].compareTo(keys[j]) > 0; j--) {
          String t = keys[j];
          keys[j] = keys[j - 1];
          keys[j - 1] = t;
          Object v = values[j];
          values[j] = values[j - 1];
          values[j - 1] = v;
        }
      }
      JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginObject();
      for (int i = 0; i < n; i++) {
        if (values[i] instanceof Number num) w.field(keys[i], num.longValue());
        else w.field(keys[i], String.valueOf(values[i]));
      }
      sb.append(w.endObject()).append('\n');
    } else {
      sb.append("time=\"")
          .append(time)
          .append("\" level=")
          .append(level)
          .append(" msg=")
          .append(quote(msg));
      for (int i = 0; i + 1 < fields.length; i += 2) {
        String v = String.valueOf(fields[i + 1]);
        sb.append(' ').append(fields[i]).append('=').append(needsQuoting(v) ? quote(v) : v);
      }
      sb.append('\n');
    }
    String line = sb.toString();
    try {
      if (file != null) {
        file.write(line.getBytes(StandardCharsets.UTF_8));
        file.flush();
      } else {
        PrintStream err = System.err;
        err.print(line);
        err.flush();
      }
    } catch (IOException e) {
      System.err.print(line);
    }
  }

  /** logrus quotes a text field's value unless it is made of these characters only. */
  private static boolean needsQuoting(String v) {
    if (v.isEmpty()) return true;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      boolean plain =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '.'
              || c == '_'
              || c == '/'
              || c == '@'
              || c == '^'
              || c == '+';
      if (!plain) return true;
    }
    return false;
  }

  /**
   * How logrus's text format quotes a value (Go's strconv.Quote for the characters runc's messages
   * hold).
   */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    return sb.append('"').toString();
  }
}
