package dev.berth.image.unpack;

import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_EXCL;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_WRONLY;

import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Creates a layer's small new files on worker threads while the layer's writer goes on reading the
 * tar: most of a file's cost is the kernel's (create, write, times, close), and the kernel creates
 * files in parallel, even in one directory. The writer hands over only a file whose slot nothing
 * else of the unpack can touch meanwhile (see LayerUnpacker's Session), with its data copied out of
 * the stream, and waits for every handed-over file ({@link #drain}) before an entry that could
 * touch one of them and before the directories' times are set. The first failure, by entry order,
 * is reported at the next handover or wait, naming its entry.
 */
final class FileWorkers implements AutoCloseable {
  /** The largest file handed over: its data is copied into a buffer of this size. */
  static final int MAX_FILE = 64 << 10;

  /** Files handed over and not yet written, at most: bounds the buffers (DEPTH x MAX_FILE). */
  private static final int DEPTH = 32;

  /** A directory fd shared by the writer's cache and the files handed over in it. */
  static final class DirRef {
    final Fd fd;
    private final AtomicInteger refs = new AtomicInteger(1);

    DirRef(Fd fd) {
      this.fd = fd;
    }

    DirRef retain() {
      refs.incrementAndGet();
      return this;
    }

    void release() {
      if (refs.decrementAndGet() == 0) fd.close();
    }
  }

  /** A file to create in {@code dir} as the entry says; {@code data} is its whole content. */
  record File(
      long seq,
      String entry,
      DirRef dir,
      String base,
      ByteBuffer data,
      int createMode,
      boolean chown,
      int uid,
      int gid,
      int chmod,
      Map<String, byte[]> xattrs,
      long atimeSec,
      int atimeNano,
      long mtimeSec,
      int mtimeNano) {}

  private static final File STOP =
      new File(-1, null, null, null, null, 0, false, 0, 0, -1, Map.of(), 0, 0, 0, 0);

  private final BlockingQueue<File> queue = new ArrayBlockingQueue<>(DEPTH);
  private final BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(DEPTH + 8);
  private final Thread[] threads;
  private int buffers; // made so far (writer thread only)
  private long seq; // writer thread only

  private final Object lock = new Object();
  private int pending; // handed over, not yet done (guarded by lock)
  private File failedFile; // the earliest failed (guarded by lock)
  private Throwable failure; // its error
  private volatile boolean failed;
  private volatile boolean aborted;

  FileWorkers(int count) {
    threads = new Thread[count];
    for (int i = 0; i < count; i++) {
      threads[i] = Thread.ofPlatform().name("unpack-files-" + i).daemon().unstarted(this::work);
    }
    for (Thread t : threads) t.start();
  }

  /**
   * A buffer to copy a file's data into (cleared; {@link #MAX_FILE} bytes), handed back through
   * {@link #submit} or {@link #giveBack}. Waits while every buffer is in use.
   */
  ByteBuffer buffer() throws IOException {
    ByteBuffer b = free.poll();
    if (b == null && buffers < DEPTH + threads.length) {
      buffers++;
      b = ByteBuffer.allocateDirect(MAX_FILE);
    }
    try {
      if (b == null) b = free.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a file buffer");
    }
    return b.clear();
  }

  /** A buffer {@link #buffer} gave that is not handed over after all. */
  void giveBack(ByteBuffer b) {
    free.offer(b);
  }

  /**
   * Hands {@code file} over (its {@code data} flipped, its {@code dir} retained for it); throws the
   * failure of one handed over before, if any.
   */
  void submit(File file) throws IOException {
    try {
      throwFailure();
    } catch (IOException | RuntimeException | Error x) {
      file.dir().release();
      free.offer(file.data());
      throw x;
    }
    synchronized (lock) {
      pending++;
    }
    try {
      queue.put(file);
    } catch (InterruptedException e) {
      done(file);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while handing over " + file.entry());
    }
  }

  /** Whether files handed over are not all written yet. */
  boolean busy() {
    synchronized (lock) {
      return pending > 0;
    }
  }

  /** The sequence number for the next file: failures are reported in entry order. */
  long nextSeq() {
    return seq++;
  }

  /**
   * Waits until every file handed over is written (or failed), then throws the earliest failure.
   * Not interruptible: the caller goes on to touch what those files are in.
   */
  void drain() throws IOException {
    boolean interrupted = false;
    synchronized (lock) {
      while (pending > 0) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    throwFailure();
  }

  private void throwFailure() throws IOException {
    if (!failed) return;
    File f;
    Throwable x;
    synchronized (lock) {
      f = failedFile;
      x = failure;
    }
    if (x instanceof UnpackException u) throw u;
    if (x instanceof Error err) throw err;
    String m = x.getMessage() == null ? x.toString() : x.getMessage();
    throw new UnpackException(f.entry(), m, x);
  }

  /**
   * Stops the workers: files not yet begun are dropped, the ones being written end, and no worker
   * runs once this returns.
   */
  @Override
  public void close() {
    aborted = true;
    boolean interrupted = false;
    for (int i = 0; i < threads.length; i++) {
      while (true) {
        try {
          queue.put(STOP);
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    for (Thread t : threads) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  private void work() {
    while (true) {
      File f;
      try {
        f = queue.take();
      } catch (InterruptedException e) {
        continue; // nothing interrupts these threads but a JVM going down; STOP ends them
      }
      if (f == STOP) return;
      try {
        if (!aborted && !failed) write(f);
      } catch (Throwable x) {
        fail(f, x);
      } finally {
        done(f);
      }
    }
  }

  private static void write(File f) throws IOException {
    try (Fd fd =
        Linux.openat(
            f.dir().fd, f.base(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, f.createMode())) {
      ByteBuffer data = f.data();
      while (data.hasRemaining()) Linux.write(fd, data);
      if (f.chown()) Linux.fchown(fd, f.uid(), f.gid());
      if (f.chmod() >= 0) Linux.fchmod(fd, f.chmod()); // after chown, which clears setuid/setgid
      for (Map.Entry<String, byte[]> x : f.xattrs().entrySet())
        Linux.fsetxattr(fd, x.getKey(), x.getValue(), 0);
      Linux.utimensat(fd, null, f.atimeSec(), f.atimeNano(), f.mtimeSec(), f.mtimeNano(), 0);
    }
  }

  private void fail(File f, Throwable x) {
    synchronized (lock) {
      if (failedFile == null || f.seq() < failedFile.seq()) {
        failedFile = f;
        failure = x;
      }
    }
    failed = true;
  }

  private void done(File f) {
    f.dir().release();
    free.offer(f.data());
    synchronized (lock) {
      if (--pending == 0) lock.notifyAll();
    }
  }
}
