package dev.berth.runtime.monitor;

import dev.berth.spec.json.Rfc3339;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Reads the CRI log a monitor writes ({@code <RFC3339Nano> <stdout|stderr> <F|P> <text>} per line)
 * across its rotations: {@code log.N} (oldest) ... {@code log.1}, {@code log}. Lines that do not
 * parse (a record cut by a full disk) are skipped.
 */
public final class CriLog {
  private CriLog() {}

  public enum Stream {
    STDOUT,
    STDERR
  }

  /**
   * One record: a whole line of the container's output without its newline ({@code partial} false),
   * or a piece of a longer line, or the end of the output without a newline ({@code partial} true;
   * the next records of the stream continue it).
   */
  public record Entry(Instant time, Stream stream, boolean partial, byte[] text) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e
          && time.equals(e.time)
          && stream == e.stream
          && partial == e.partial
          && Arrays.equals(text, e.text);
    }

    @Override
    public int hashCode() {
      return Objects.hash(time, stream, partial, Arrays.hashCode(text));
    }

    @Override
    public String toString() {
      return time
          + " "
          + stream
          + (partial ? " P " : " F ")
          + new String(text, StandardCharsets.UTF_8);
    }
  }

  /** The files of the log that exist, oldest first. */
  public static List<Path> files(Path log) {
    List<Path> out = new ArrayList<>();
    for (int i = 1; Files.exists(rotated(log, i)); i++) out.add(0, rotated(log, i));
    if (Files.exists(log)) out.add(log);
    return out;
  }

  private static Path rotated(Path log, int i) {
    return log.resolveSibling(log.getFileName() + "." + i);
  }

  /** One line of a log without its newline, or null when it is not a record. */
  public static Entry parse(byte[] b, int from, int to) {
    int s1 = indexOf(b, from, to, (byte) ' ');
    if (s1 < 0) return null;
    int s2 = indexOf(b, s1 + 1, to, (byte) ' ');
    if (s2 < 0 || s2 + 2 > to || (s2 + 2 < to && b[s2 + 2] != ' ')) return null;
    Instant t;
    try {
      t = Rfc3339.parse(new String(b, from, s1 - from, StandardCharsets.US_ASCII));
    } catch (RuntimeException e) {
      return null;
    }
    String stream = new String(b, s1 + 1, s2 - s1 - 1, StandardCharsets.US_ASCII);
    Stream st =
        stream.equals("stdout") ? Stream.STDOUT : stream.equals("stderr") ? Stream.STDERR : null;
    byte flag = b[s2 + 1];
    if (st == null || (flag != 'F' && flag != 'P')) return null;
    int text = Math.min(s2 + 3, to);
    return new Entry(t, st, flag == 'P', Arrays.copyOfRange(b, text, to));
  }

  private static int indexOf(byte[] b, int from, int to, byte c) {
    for (int i = from; i < to; i++) if (b[i] == c) return i;
    return -1;
  }

  /**
   * Every record of the log from {@code since} on (null: all), only the last {@code tail} of them
   * (negative: all).
   */
  public static List<Entry> read(Path log, Instant since, int tail) throws IOException {
    try (Follower f = follow(log, since, tail)) {
      return f.poll();
    }
  }

  /**
   * Follows the log ({@code logs -f}): the first {@link Follower#poll} returns what {@link #read}
   * would, the next ones what was written since, across rotations and reopens.
   */
  public static Follower follow(Path log, Instant since, int tail) throws IOException {
    return new Follower(log, since, tail);
  }

  /** A position in a log that moves on with each {@link #poll}. */
  /**
   * The read buffer of the followers polled on a thread: a daemon may follow many logs (one per
   * {@code logs -f} client), polled in turn by one thread, so they share it.
   */
  private static final ThreadLocal<ByteBuffer> SCRATCH =
      ThreadLocal.withInitial(() -> ByteBuffer.allocate(64 * 1024));

  public static final class Follower implements AutoCloseable {
    private final Path log;
    private final Instant since;
    private final int tail;
    private FileChannel channel;
    private Object key;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean first = true;

    Follower(Path log, Instant since, int tail) {
      this.log = log;
      this.since = since;
      this.tail = tail;
    }

    /**
     * The records written since the last call (none: an empty list; the caller waits and asks
     * again).
     */
    public List<Entry> poll() throws IOException {
      List<Entry> out = new ArrayList<>();
      if (first) {
        first = false;
        List<Path> files = files(log);
        for (int i = 0; i < files.size(); i++) {
          FileChannel c = open(files.get(i));
          if (c == null) continue;
          boolean last = i == files.size() - 1;
          if (last) {
            channel = c;
            key = keyOf(files.get(i));
            drain(c, out);
          } else {
            try (c) {
              drain(c, out);
            }
            pending.reset();
          }
        }
        if (tail >= 0 && out.size() > tail)
          out = new ArrayList<>(out.subList(out.size() - tail, out.size()));
        return out;
      }
      if (channel != null) drain(channel, out);
      // Rotated or renamed away (a reopen): the rest of the old file is read above, the new one
      // from its start.
      Object now = keyOf(log);
      if (now != null && !now.equals(key)) {
        FileChannel c = open(log);
        if (c != null) {
          if (channel != null) channel.close();
          pending.reset();
          channel = c;
          key = keyOf(log);
          drain(c, out);
        }
      }
      return out;
    }

    private static FileChannel open(Path p) throws IOException {
      try {
        return FileChannel.open(p, StandardOpenOption.READ);
      } catch (NoSuchFileException e) {
        return null;
      }
    }

    private static Object keyOf(Path p) {
      try {
        return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
      } catch (IOException e) {
        return null;
      }
    }

    private void drain(FileChannel c, List<Entry> out) throws IOException {
      ByteBuffer buf = SCRATCH.get();
      while (true) {
        buf.clear();
        int n = c.read(buf);
        if (n <= 0) return;
        byte[] b = buf.array();
        int start = 0;
        for (int i = 0; i < n; i++) {
          if (b[i] != '\n') continue;
          Entry e;
          if (pending.size() > 0) {
            pending.write(b, start, i - start);
            byte[] line = pending.toByteArray();
            pending.reset();
            e = parse(line, 0, line.length);
          } else {
            e = parse(b, start, i);
          }
          if (e != null && (since == null || !e.time().isBefore(since))) out.add(e);
          start = i + 1;
        }
        pending.write(b, start, n - start);
      }
    }

    @Override
    public void close() throws IOException {
      if (channel != null) channel.close();
    }
  }
}
