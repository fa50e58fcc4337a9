package dev.berth.cli.runc;

import dev.berth.spec.json.Rfc3339;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * berth-runc's log, in runc's formats because its callers parse them: containerd and conmon pass {@code --log FILE
 * --log-format json} and read the last error line from the file when a command fails. Without {@code --log}, lines go
 * to stderr as logrus text ({@code time="..." level=error msg="..."}).
 */
final class RuncLog {
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

  void debug(String msg) {
    if (debug) write("debug", msg);
  }

  void warn(String msg) {
    write("warning", msg);
  }

  /** Logs the error that ends the command; with a log file, stderr also gets the plain message. */
  void error(String msg) {
    write("error", msg);
    if (file != null) {
      System.err.println(msg);
    }
  }

  private void write(String level, String msg) {
    // Whole seconds, as logrus prints them; not Instant.toString(): java.time's formatter costs a cold start ~2 ms.
    String time = Rfc3339.format(Instant.ofEpochSecond(System.currentTimeMillis() / 1000));
    String line = json
        ? "{\"level\":\"" + level + "\",\"msg\":" + quote(msg) + ",\"time\":\"" + time + "\"}\n"
        : "time=\"" + time + "\" level=" + level + " msg=" + quote(msg) + "\n";
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

  /** A JSON string literal, which is also how logrus quotes text values. */
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
