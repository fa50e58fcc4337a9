package dev.berth.runtime.checkpoint;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CRIU's own account of a failure: its RPC answer says only "not successful" (runc reports "criu
 * failed: type DUMP errno 0"), the reason is in its log. The first error lines are the cause; later
 * ones are the unwinding.
 */
final class CriuLog {
  private static final int MAX_LINES = 3;
  private static final long MAX_READ = 1 << 20;

  private CriuLog() {}

  /**
   * The first few "Error (file:line): ..." lines of {@code log}, without their timestamps; empty if
   * none.
   */
  static List<String> errors(Path log) {
    List<String> out = new ArrayList<>();
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
      long len = f.length();
      byte[] b = new byte[(int) Math.min(len, MAX_READ)];
      f.readFully(b);
      for (String line : new String(b, StandardCharsets.UTF_8).split("\n")) {
        int at = line.indexOf("Error (");
        if (at < 0) continue;
        out.add(line.substring(at).strip());
        if (out.size() == MAX_LINES) break;
      }
    } catch (IOException e) {
      // no log (CRIU failed before it opened one): the response alone is reported
    }
    return out;
  }

  /**
   * The message of a request CRIU answered as failed: its errno and message if any, its log's
   * errors, the log.
   */
  static String failure(Swrk.Response r, int type, Path log) {
    StringBuilder b = new StringBuilder("criu failed: type ").append(Rpc.typeName(type));
    if (r.crErrno() != 0)
      b.append(" errno ")
          .append(r.crErrno())
          .append(" (")
          .append(dev.berth.sys.ErrnoException.name(r.crErrno()))
          .append(')');
    if (!r.crErrmsg().isEmpty()) b.append(": ").append(r.crErrmsg());
    List<String> errors = errors(log);
    if (!errors.isEmpty()) b.append(": ").append(String.join("; ", errors));
    return b.append(" (log file: ").append(log).append(')').toString();
  }
}
