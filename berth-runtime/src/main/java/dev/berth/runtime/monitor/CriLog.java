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
   * (negative: all), as one list: for logs known to be small (a container's log is written by the
   * container and has no bound unless rotated; the front doors read it with {@link #reader}).
   */
  public static List<Entry> read(Path log, Instant since, int tail) throws IOException {
    List<Entry> out = new ArrayList<>();
    try (Follower f = reader(log, since, tail)) {
      for (List<Entry> b; !(b = f.poll()).isEmpty(); ) out.addAll(b);
    }
    return out;
  }

  /**
   * What {@link #read} gives, in batches of at most about {@link #BATCH_BYTES} of text (and {@link
   * #BATCH_RECORDS} records): each {@link Follower#poll} returns the next one, an empty list at the
   * end, which is the end of the live file as it was at the first poll.
   */
  public static Follower reader(Path log, Instant since, int tail) {
    return new Follower(log, since, tail, false);
  }

  /**
   * Follows the log ({@code logs -f}): the polls return what {@link #reader}'s would, then what was
   * written since, across rotations and reopens; an empty batch when there is nothing new yet (the
   * caller waits and asks again).
   */
  public static Follower follow(Path log, Instant since, int tail) throws IOException {
    return new Follower(log, since, tail, true);
  }

  /**
   * The text one poll returns at most, about (a batch ends after the read that reaches it): a
   * container may have written gigabytes, which must never be held whole by the daemon.
   */
  public static final int BATCH_BYTES = 1 << 20;

  /** The records one poll returns at most, about (each costs memory beside its text). */
  public static final int BATCH_RECORDS = 16 * 1024;

  /**
   * The read buffer of the followers polled on a thread: a daemon may follow many logs (one per
   * {@code logs -f} client), polled in turn by one thread, so they share it.
   */
  private static final ThreadLocal<ByteBuffer> SCRATCH =
      ThreadLocal.withInitial(() -> ByteBuffer.allocate(64 * 1024));

  /** A position in a log that moves on with each {@link #poll}. */
  public static final class Follower implements AutoCloseable {
    private final Path log;
    private final Instant since;
    private final int tail;
    private final boolean follow;
    private FileChannel channel;
    private Object key;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean first = true;
    // The files found at the first poll, read in turn (null: done, following the live one).
    private List<Path> files;
    private int index;
    // Records to leave out before the first one returned (those before the tail).
    private long skip;
    // Where a reader stops in the live file: its size at the first poll.
    private long end = Long.MAX_VALUE;

    Follower(Path log, Instant since, int tail, boolean follow) {
      this.log = log;
      this.since = since;
      this.tail = tail;
      this.follow = follow;
    }

    /** The next batch of records (empty: none yet when following, the end when reading). */
    public List<Entry> poll() throws IOException {
      List<Entry> out = new ArrayList<>();
      if (first) {
        first = false;
        files = files(log);
        if (!follow && !files.isEmpty()) {
          try {
            end = Files.size(files.getLast());
          } catch (NoSuchFileException e) {
            end = 0;
          }
        }
        if (tail >= 0) skip = Math.max(0, count(files) - tail);
      }
      while (files != null) {
        if (channel == null) {
          if (index >= files.size()) {
            files = null;
            break;
          }
          Path p = files.get(index);
          FileChannel c = open(p);
          if (c == null) {
            index++;
            continue;
          }
          channel = c;
          if (index == files.size() - 1) key = keyOf(p);
        }
        if (drain(channel, out)) return out;
        if (index == files.size() - 1) {
          files = null; // the live file: followed from here
          break;
        }
        channel.close();
        channel = null;
        pending.reset();
        index++;
      }
      if (!follow) return out;
      if (channel != null && drain(channel, out)) return out;
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

    /** The records of {@code files} from {@code since} on, read through and not kept. */
    private long count(List<Path> files) throws IOException {
      long n = 0;
      try (Follower all = new Follower(log, since, -1, false)) {
        all.first = false;
        all.files = files;
        all.end = end;
        for (List<Entry> b; !(b = all.poll()).isEmpty(); ) n += b.size();
      }
      return n;
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

    /**
     * Reads records of {@code c} into {@code out} until its end (false) or until the batch is full
     * (true: more may follow).
     */
    private boolean drain(FileChannel c, List<Entry> out) throws IOException {
      ByteBuffer buf = SCRATCH.get();
      long text = 0;
      for (Entry e : out) text += e.text().length;
      while (true) {
        if (text >= BATCH_BYTES || out.size() >= BATCH_RECORDS) return true;
        buf.clear();
        if (end != Long.MAX_VALUE && files != null && index == files.size() - 1) {
          long left = end - c.position();
          if (left <= 0) return false;
          if (left < buf.capacity()) buf.limit((int) left);
        }
        int n = c.read(buf);
        if (n <= 0) return false;
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
          start = i + 1;
          if (e == null || (since != null && e.time().isBefore(since))) continue;
          if (skip > 0) {
            skip--;
            continue;
          }
          out.add(e);
          text += e.text().length;
        }
        // A line without its newline yet: the monitor writes at most a record's worth (8 KiB);
        // anything longer is not its file, and is dropped rather than held.
        if (pending.size() + n - start > MAX_LINE) {
          pending.reset();
        } else {
          pending.write(b, start, n - start);
        }
      }
    }

    @Override
    public void close() throws IOException {
      if (channel != null) channel.close();
    }
  }

  /** The longest line kept while its newline is awaited. */
  private static final int MAX_LINE = 1 << 20;
}
