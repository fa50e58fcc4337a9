package dev.berth.engine.events;

import dev.berth.image.dirs.LockFile;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Stat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The store's event file: one JSON object a line, appended by every engine process under a lock (so
 * lines never interleave), bounded: once it holds {@code maxSize} bytes it becomes {@code
 * events.jsonl.1} (replacing the older one) and a new file starts. At most about twice {@code
 * maxSize} is kept; older events are gone, as a daemon's in-memory buffer forgets them too.
 *
 * <p>A line: <code>
 * {"time":"2026-12-05T20:31:41.123456789Z","type":"container","action":"die","id":"...",
 * "attributes":{"exitCode":"0","image":"busybox","name":"web"}}</code>. A line that does not parse
 * (a crash mid-write leaves at most one) is skipped by readers.
 */
public final class EventLog {
  public static final String FILE = "events.jsonl";

  /** The size at which the file is rotated, unless told otherwise. */
  public static final long DEFAULT_MAX_SIZE = 1 << 20;

  private final Path file;
  private final Path old;
  private final Path lock;
  private final long maxSize;

  public EventLog(Path dir, long maxSize) {
    this.file = dir.resolve(FILE);
    this.old = dir.resolve(FILE + ".1");
    this.lock = dir.resolve(FILE + ".lock");
    this.maxSize = maxSize;
  }

  public Path file() {
    return file;
  }

  /** Appends {@code e}, rotating the file first when it is full. */
  public void append(Event e) throws IOException {
    byte[] line = encode(e);
    try (LockFile l = LockFile.acquire(lock)) {
      Stat st = statOrNull(file.toString());
      if (st != null && st.size() + line.length > maxSize && st.size() > 0) {
        Linux.rename(file.toString(), old.toString(), 0);
      }
      try (Fd fd =
          Linux.open(
              file.toString(),
              LinuxConstants.O_WRONLY
                  | LinuxConstants.O_APPEND
                  | LinuxConstants.O_CREAT
                  | LinuxConstants.O_CLOEXEC,
              0600)) {
        Linux.writeAll(fd, line);
      }
    }
  }

  /** Every event kept, oldest first. */
  public List<Event> read() throws IOException {
    try (Follower f = follow(true)) {
      return f.poll();
    }
  }

  /**
   * A reader of the events appended from now on ({@code fromStart}: of every event kept, then the
   * new ones), across rotations.
   */
  public Follower follow(boolean fromStart) throws IOException {
    // Under the lock, so no rotation falls between opening the old file and the current one.
    try (LockFile l = LockFile.acquire(lock)) {
      Fd current = openOrNull(file.toString());
      Fd older = fromStart ? openOrNull(old.toString()) : null;
      Follower f = new Follower(current, older);
      if (!fromStart && current != null) f.position = Linux.fstat(current).size();
      return f;
    }
  }

  /**
   * A follower of the events appended from now on that can sleep until there are some: its {@link
   * Follower#changes()} is made before it opens the log, so no append falls between, and is closed
   * with it.
   */
  public Follower watch() throws IOException {
    Changes changes = new Changes(file.getParent());
    try {
      Follower f = follow(false);
      f.changes = changes;
      return f;
    } catch (IOException | RuntimeException e) {
      changes.close();
      throw e;
    }
  }

  /**
   * An inotify watch on the log's directory (appends, the file's creation, the rotation's rename;
   * other files there wake it too, harmlessly) and a pipe that {@link #wakeUp} writes to. Its fds
   * are polled by one thread, which closes it once it no longer polls them.
   */
  public static final class Changes implements AutoCloseable {
    private final Fd inotify;
    private final Fd[] wake;
    private boolean closed; // under this: a wake-up never writes to a closed (or reused) fd number

    Changes(Path dir) throws ErrnoException {
      inotify = Linux.inotifyInit1(LinuxConstants.O_NONBLOCK);
      try {
        Linux.inotifyAddWatch(
            inotify,
            dir.toString(),
            LinuxConstants.IN_MODIFY | LinuxConstants.IN_CREATE | LinuxConstants.IN_MOVED_TO);
        wake = Linux.pipe2(LinuxConstants.O_NONBLOCK);
      } catch (ErrnoException e) {
        inotify.close();
        throw e;
      }
    }

    /** The fds to poll for reading (POLLIN): ready once the log may have changed, or woken. */
    public Fd[] fds() {
      return new Fd[] {inotify, wake[0]};
    }

    /**
     * Waits up to {@code timeoutMs} for a change or a {@link #wakeUp}, then empties the fds;
     * whether either came.
     */
    public boolean await(int timeoutMs) throws ErrnoException {
      Fd[] fds = fds();
      short[] in = {LinuxConstants.POLLIN, LinuxConstants.POLLIN};
      boolean ready = Linux.poll(fds, in, new short[2], timeoutMs) > 0;
      drain();
      return ready;
    }

    /** Empties the fds, so that the next poll waits for a new change. */
    public void drain() throws ErrnoException {
      ByteBuffer buf = SCRATCH.get();
      for (Fd fd : fds()) {
        while (true) {
          buf.clear();
          try {
            if (Linux.read(fd, buf) <= 0) break;
          } catch (ErrnoException e) {
            if (e.errno() == LinuxConstants.EAGAIN) break;
            throw e;
          }
        }
      }
    }

    /** Makes the poller's wait end now (from another thread: a close); nothing once closed. */
    public synchronized void wakeUp() {
      if (closed) return;
      try {
        Linux.writeAll(wake[1], new byte[] {1});
      } catch (ErrnoException e) {
        // full (EAGAIN): a wake-up is pending already
      }
    }

    @Override
    public synchronized void close() {
      if (closed) return;
      closed = true;
      inotify.close();
      wake[0].close();
      wake[1].close();
    }
  }

  /**
   * The read buffer of the followers polled on a thread: a daemon may hold a follower per
   * subscriber (a thousand idle ones), polled in turn by one thread, so they share it.
   */
  private static final ThreadLocal<ByteBuffer> SCRATCH =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(64 * 1024));

  /** Reads the log as it grows; not thread-safe. */
  public final class Follower implements AutoCloseable {
    private Fd current;
    private Fd older;
    private long position;
    private Changes changes;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    private Follower(Fd current, Fd older) {
      this.current = current;
      this.older = older;
    }

    /**
     * What wakes this follower's reader ({@link #watch()}); null for a follower of {@link #follow}.
     */
    public Changes changes() {
      return changes;
    }

    /** The events appended since the last poll (none yet: an empty list). */
    public List<Event> poll() throws IOException {
      List<Event> out = new ArrayList<>();
      if (older != null) {
        drain(older, out);
        older.close();
        older = null;
        partial.reset();
      }
      while (true) {
        if (current == null) {
          current = openOrNull(file.toString());
          position = 0;
          if (current == null) return out;
        }
        drain(current, out);
        // Rotated: the file we hold is the old one now, complete (appends happen under the lock,
        // after renaming).
        Stat now = statOrNull(file.toString());
        Stat held = Linux.fstat(current);
        if (now == null || (now.ino() == held.ino() && now.dev() == held.dev())) return out;
        drain(current, out);
        current.close();
        current = null;
        partial.reset();
      }
    }

    private void drain(Fd fd, List<Event> out) throws ErrnoException {
      Linux.lseek(fd, fd == current ? position : 0, 0);
      ByteBuffer buf = SCRATCH.get();
      while (true) {
        buf.clear();
        int n = Linux.read(fd, buf);
        if (n <= 0) return;
        if (fd == current) position += n;
        for (int i = 0; i < n; i++) {
          byte b = buf.get(i);
          if (b != '\n') {
            partial.write(b);
            continue;
          }
          Event e = decode(partial.toByteArray());
          partial.reset();
          if (e != null) out.add(e);
        }
      }
    }

    @Override
    public void close() {
      if (changes != null) changes.close();
      if (current != null) current.close();
      if (older != null) older.close();
      current = null;
      older = null;
    }
  }

  static byte[] encode(Event e) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject()
        .field("time", Rfc3339.format(e.time()))
        .field("type", e.type())
        .field("action", e.action())
        .field("id", e.id())
        .name("attributes")
        .beginObject();
    for (Map.Entry<String, String> a : e.attributes().entrySet()) w.field(a.getKey(), a.getValue());
    w.endObject().endObject();
    byte[] json = w.toByteArray();
    byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
    line[json.length] = '\n';
    return line;
  }

  /** The event of one line, or null for a line that is not one. */
  static Event decode(byte[] line) {
    if (line.length == 0) return null;
    String time = null;
    String type = null;
    String action = null;
    String id = null;
    Map<String, String> attributes = new LinkedHashMap<>();
    try (JsonReader r = JsonReader.of(line, FILE)) {
      if (!r.beginObject()) return null;
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "time" -> time = r.string();
          case "type" -> type = r.string();
          case "action" -> action = r.string();
          case "id" -> id = r.string();
          case "attributes" -> {
            Map<String, String> m = r.stringMap();
            if (m != null) attributes.putAll(m);
          }
          default -> r.skip();
        }
      }
      if (time == null || type == null || action == null || id == null) return null;
      return new Event(Rfc3339.parse(time), type, action, id, attributes);
    } catch (SpecException | IllegalArgumentException e) {
      return null;
    }
  }

  private static Fd openOrNull(String path) throws ErrnoException {
    try {
      return Linux.open(path, LinuxConstants.O_RDONLY | LinuxConstants.O_CLOEXEC, 0);
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ENOENT) return null;
      throw e;
    }
  }

  private static Stat statOrNull(String path) throws ErrnoException {
    try {
      return Linux.stat(path);
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ENOENT) return null;
      throw e;
    }
  }
}
