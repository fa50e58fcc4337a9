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
 * #pump}) to the thread that hashes it (the diff id) and writes its files (the tar reader reads
 * this stream), in a few chunks of direct buffers at a time: the two halves of a layer's work run
 * on two cores, where one thread did both in turn (a pull of an image that is mostly one layer used
 * one core).
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
  private static final long POLL_MS = 50;

  /** How the tar stream ended: with the reader's error, or (null) at its end. */
  private record End(IOException error) {}

  private final BlockingQueue<Object> full = new ArrayBlockingQueue<>(DEPTH + 1);
  private final BlockingQueue<ByteBuffer> empty = new ArrayBlockingQueue<>(DEPTH + 1);
  private byte[] heap; // the reader's, for a feed that is not direct (zstd, the JDK's gzip)
  private volatile boolean writerDone;
  private boolean endSent; // the reader's: it put the End in the pipe
  private int allocated; // the reader's: chunks made so far
  private ByteBuffer current;
  private End end;

  /** The stream read: the writer hashes its bytes (the diff id), as it takes them. */
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
      if (allocated < DEPTH + 1) {
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
      while (!writerDone) {
        if (full.offer(o, POLL_MS, TimeUnit.MILLISECONDS)) return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while unpacking");
    } finally {
      LayerPhases.exit();
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
        o = full.take();
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
        feed.hash(current.duplicate());
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
