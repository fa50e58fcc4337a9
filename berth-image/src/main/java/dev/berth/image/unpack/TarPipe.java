package dev.berth.image.unpack;

import dev.berth.image.LayerPhases;
import dev.berth.image.LayerPhases.Phase;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A layer's tar handed from the thread that reads it (download, blob digest, inflate: {@link
 * #pump}) through a thread that hashes it (the diff id: {@link #hashAll}) to the thread that writes
 * its files (the tar reader reads this stream), in a few chunks of direct buffers at a time: the
 * layer's work runs on every core, where one thread did it all in turn (a pull of an image that is
 * mostly one layer used one core). The hash has a thread of its own because neither of the others
 * is always the idle one: a layer's binaries keep the inflater busy and its small files the writer,
 * so the hash runs on whichever core the busier one leaves free.
 *
 * <p>The writer's stream ends where the reader's did, the same way: an error of the reader (a
 * corrupt or truncated stream, a broken download, a layer over its expansion limit) is thrown by
 * the writer's read that reaches it, after every byte before it, so it names the entry it cut as it
 * did without the pipe. A writer that is done (a refused entry, or the whole archive written) stops
 * the reader at its next chunk.
 */
final class TarPipe extends InputStream implements DirectSource {
  private static final int CHUNK = 512 * 1024;
  // Deeper did not help (16 to 256 chunks, a one-layer image of Debian's files): a layer's
  // inflate-bound parts (binaries) and file-bound parts (small files) are each long, and the writer
  // read a deep pipe's chunks from memory rather than from the cache.
  private static final int DEPTH = 4;
  // Every chunk at once: in each of the two queues, and one held by each of the three threads.
  private static final int CHUNKS = 2 * (DEPTH + 1) + 3;
  private static final long POLL_MS = 50;

  /** How the tar stream ended: with the reader's error, or (null) at its end. */
  private record End(IOException error) {}

  private final BlockingQueue<Object> full = new ArrayBlockingQueue<>(DEPTH + 1); // to hash
  private final BlockingQueue<Object> hashed = new ArrayBlockingQueue<>(DEPTH + 1); // to write
  private final BlockingQueue<ByteBuffer> empty = new ArrayBlockingQueue<>(CHUNKS);
  private byte[] heap; // the reader's, for a feed that is not direct (zstd, the JDK's gzip)
  private volatile boolean writerDone;
  private boolean endSent; // the reader's: it put the End in the pipe
  private int allocated; // the reader's: chunks made so far
  private ByteBuffer current;
  private End end;

  /** The stream read: the hasher hashes its bytes (the diff id), as they pass. */
  private final TarFeed feed;

  TarPipe(TarFeed feed) {
    this.feed = feed;
    feed.hashOnAnotherThread();
  }

  // ---- the reader's side

  /**
   * Reads {@code feed} to its end into the pipe, or until the writer is done. An error of the feed
   * goes into the pipe for the writer to meet, and is thrown here too. Interrupted, it throws
   * {@link InterruptedIOException} and leaves the writer to {@link #abandon}.
   */
  void pump() throws IOException {
    ByteBuffer b = null;
    try {
      while (true) {
        b = nextEmpty();
        if (b == null) return; // the writer is done
        b.clear();
        boolean atEnd = false;
        while (b.hasRemaining() && !atEnd) { // whole chunks: fewer hand-offs
          if (feed.direct()) {
            atEnd = feed.readInto(b) < 0;
          } else {
            if (heap == null) heap = new byte[CHUNK];
            int n = feed.read(heap, 0, Math.min(heap.length, b.remaining()));
            if (n < 0) atEnd = true;
            else b.put(heap, 0, n);
          }
        }
        ByteBuffer ready = b;
        b = null;
        if (ready.position() > 0) put(ready.flip());
        if (atEnd) {
          sendEnd(null);
          return;
        }
      }
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // The bytes read before the error first: the writer meets it where the stream broke.
      if (b != null && b.position() > 0) put(b.flip());
      sendEnd(e instanceof IOException io ? io : new IOException(e.toString(), e));
      throw e;
    }
  }

  private void sendEnd(IOException error) throws InterruptedIOException {
    put(new End(error));
    endSent = true;
  }

  /**
   * Ends the writer's stream now, with an error, when the reader stopped without sending its end
   * (it was interrupted): the writer's next read throws. The reader calls it whenever {@link #pump}
   * did not return; it does nothing when the end was sent.
   */
  void abandon() {
    if (endSent) return;
    endSent = true;
    full.clear();
    full.offer(new End(new InterruptedIOException("the layer's reading was interrupted")));
  }

  private ByteBuffer nextEmpty() throws InterruptedIOException {
    LayerPhases.enter(Phase.HANDOFF);
    try {
      ByteBuffer b = empty.poll();
      if (b != null) return b;
      if (allocated < CHUNKS) {
        allocated++;
        return ByteBuffer.allocateDirect(CHUNK);
      }
      while (!writerDone) {
        b = empty.poll(POLL_MS, TimeUnit.MILLISECONDS);
        if (b != null) return b;
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while unpacking");
    } finally {
      LayerPhases.exit();
    }
  }

  private void put(Object o) throws InterruptedIOException {
    LayerPhases.enter(Phase.HANDOFF);
    try {
      offer(full, o);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while unpacking");
    } finally {
      LayerPhases.exit();
    }
  }

  /** Puts {@code o} in {@code q}, unless the writer is done first: then false. */
  private boolean offer(BlockingQueue<Object> q, Object o) throws InterruptedException {
    while (!writerDone) {
      if (q.offer(o, POLL_MS, TimeUnit.MILLISECONDS)) return true;
    }
    return false;
  }

  // ---- the hasher's side

  /**
   * Hashes every chunk the reader pumps, in order, and passes it on to the writer, up to and with
   * the reader's end; returns then, or when the writer is done. Interrupted, or failing, it ends
   * the writer's stream with an error, as {@link #abandon} does.
   */
  void hashAll() {
    boolean passedEnd = false;
    Throwable failure = null;
    try {
      while (!passedEnd) {
        Object o;
        LayerPhases.enter(Phase.HANDOFF);
        try {
          o = full.poll(POLL_MS, TimeUnit.MILLISECONDS);
        } finally {
          LayerPhases.exit();
        }
        if (o == null) {
          if (writerDone) return;
          continue;
        }
        if (o instanceof ByteBuffer b) feed.hash(b.duplicate());
        LayerPhases.enter(Phase.HANDOFF);
        try {
          if (!offer(hashed, o)) return;
        } finally {
          LayerPhases.exit();
        }
        passedEnd = o instanceof End;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = new InterruptedIOException("the layer's hashing was interrupted");
    } catch (RuntimeException | Error e) {
      failure = e; // the writer throws it, naming the entry it cut
    } finally {
      if (failure != null) {
        hashed.clear();
        hashed.offer(
            new End(
                failure instanceof InterruptedIOException io
                    ? io
                    : new IOException("hashing the layer: " + failure, failure)));
      }
    }
  }

  // ---- the writer's side

  /** The writer reads no more (it ended, well or not): the reader stops at its next chunk. */
  void writerDone() {
    writerDone = true;
  }

  /** The chunk to read from, or null at the end; the reader's error when it ended with one. */
  private ByteBuffer chunk() throws IOException {
    while (current == null || !current.hasRemaining()) {
      if (end != null) {
        if (end.error() != null) throw end.error();
        return null;
      }
      if (current != null) empty.offer(current);
      current = null;
      Object o;
      LayerPhases.enter(Phase.HANDOFF);
      try {
        o = hashed.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while unpacking");
      } finally {
        LayerPhases.exit();
      }
      if (o instanceof End e) {
        end = e;
      } else {
        current = (ByteBuffer) o;
      }
    }
    return current;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    ByteBuffer c = chunk();
    if (c == null) return -1;
    int n = Math.min(len, c.remaining());
    c.get(b, off, n);
    return n;
  }

  @Override
  public int read() throws IOException {
    ByteBuffer c = chunk();
    return c == null ? -1 : c.get() & 0xff;
  }

  @Override
  public boolean direct() {
    return true;
  }

  /** Up to {@code max} bytes as a view of a chunk, valid until the next read; null at the end. */
  @Override
  public ByteBuffer readDirect(int max) throws IOException {
    ByteBuffer c = chunk();
    if (c == null) return null;
    int n = Math.min(max, c.remaining());
    ByteBuffer view = c.slice(c.position(), n);
    c.position(c.position() + n);
    return view;
  }

  /**
   * Reads to the end of the stream (what follows the archive's last entry), so that an error of the
   * reader there is thrown.
   */
  void drain() throws IOException {
    while (chunk() != null) current.position(current.limit());
  }
}
