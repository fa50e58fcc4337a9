package dev.berth.image.pull;

import dev.berth.image.LayerPhases;
import dev.berth.image.LayerPhases.Phase;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A layer blob as one stream from its first byte, however it arrives: the bytes a former attempt
 * already left in the ingest (read back from disk), then the registry's body from that offset,
 * reopened with a Range request when the connection breaks. Bytes that come from the network are
 * appended to the ingest as they pass, so an unpacker reading this stream and the content store see
 * exactly the same bytes, and a layer is never held whole in memory.
 */
final class ResumingBlobStream extends InputStream {
  /** Opens the blob's body from an offset. */
  interface Source {
    InputStream open(long offset) throws IOException;
  }

  /** Hears how far the blob has come. */
  interface Counter {
    void at(long position);
  }

  private static final int RETRIES = 5;

  private final String what;
  private final long size;
  private final Source source;
  private final OutputStream ingest;
  private final Counter counter;
  private InputStream partial;
  private final long partialSize;
  private InputStream network;
  private long position;
  private int retriesLeft = RETRIES;
  private IOException failure;
  private boolean broken;

  ResumingBlobStream(
      String what,
      long size,
      InputStream partial,
      long partialSize,
      Source source,
      OutputStream ingest,
      Counter counter) {
    this.what = what;
    this.size = size;
    this.partial = partial;
    this.partialSize = partialSize;
    this.source = source;
    this.ingest = ingest;
    this.counter = counter;
  }

  long position() {
    return position;
  }

  /**
   * The error the download gave up with, or null: a reader that wraps read errors can report this
   * one.
   */
  IOException failure() {
    return failure;
  }

  /**
   * Whether reading broke on this side (the download gave up, was interrupted, or the ingest could
   * not be written): then the bytes so far are kept to resume. Otherwise the stream gave what it
   * had, and an error is its reader's.
   */
  boolean broke() {
    return broken;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    if (partial != null) {
      int n = partial.read(b, off, (int) Math.min(len, partialSize - position));
      if (n > 0 && position + n <= partialSize) {
        position += n;
        counter.at(position);
        return n;
      }
      partial.close();
      partial = null;
      if (position != partialSize) {
        throw new IOException(
            what
                + ": partial download shorter than recorded ("
                + position
                + " of "
                + partialSize
                + ")");
      }
    }
    if (position >= size) {
      return -1;
    }
    while (true) {
      try {
        int n;
        LayerPhases.enter(Phase.DOWNLOAD);
        try {
          if (network == null) {
            network = source.open(position);
          }
          n = network.read(b, off, (int) Math.min(len, size - position));
        } finally {
          LayerPhases.exit();
        }
        if (n < 0) {
          throw new IOException(what + ": connection closed at byte " + position + " of " + size);
        }
        LayerPhases.enter(Phase.WRITE);
        try {
          ingest.write(b, off, n);
        } catch (IOException e) {
          throw new IngestWriteException(e);
        } finally {
          LayerPhases.exit();
        }
        position += n;
        counter.at(position);
        return n;
      } catch (IngestWriteException e) {
        broken = true;
        throw e.getCause();
      } catch (IOException e) {
        closeNetwork();
        if (retriesLeft-- == 0) {
          broken = true;
          failure =
              new IOException(
                  what
                      + ": download failed at byte "
                      + position
                      + " of "
                      + size
                      + " after "
                      + RETRIES
                      + " retries: "
                      + e.getMessage(),
                  e);
          throw failure;
        }
        backoff();
      }
    }
  }

  private void backoff() throws IOException {
    try {
      Thread.sleep(200L * (RETRIES - retriesLeft));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      broken = true;
      throw new java.io.InterruptedIOException(what + ": interrupted");
    }
  }

  private void closeNetwork() {
    if (network != null) {
      try {
        network.close();
      } catch (IOException ignored) {
        // a broken connection; the next attempt opens a new one
      }
      network = null;
    }
  }

  @Override
  public void close() throws IOException {
    closeNetwork();
    if (partial != null) partial.close();
  }

  /** Marks a failure of the local write, which no retry of the download can fix. */
  static final class IngestWriteException extends IOException {
    private static final long serialVersionUID = 1L;

    IngestWriteException(IOException cause) {
      super(cause);
    }

    @Override
    public synchronized IOException getCause() {
      return (IOException) super.getCause();
    }
  }
}
