package dev.berth.image.content;

import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.SYNC_FILE_RANGE_WRITE;

import dev.berth.image.LayerPhases;
import dev.berth.image.LayerPhases.Phase;
import dev.berth.image.dirs.Directories;
import dev.berth.image.dirs.LockFile;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The writing of one blob into a {@link ContentStore}, held exclusively (across threads and
 * processes) from {@link ContentStore#ingest} until {@link #commit()} or {@link #close()}.
 *
 * <p>The bytes go to {@code ingest/<algorithm>-<hex>/data}, hashed as they are written. {@link
 * #close()} without a commit keeps them: the next ingest of the digest resumes at {@link #offset()}
 * (an HTTP Range request from there), and re-hashes the bytes already there once, on its first
 * write or commit (at once when they are as many as the blob's: bytes that are not the blob are
 * then dropped, not resumed). {@link #commit()} checks the size and the digest, then renames the
 * data into {@code blobs/} atomically; a wrong digest, or a write past the declared size, deletes
 * the partial data, since it can never become the blob, as does {@link #discardPartial()}.
 *
 * <p>When the blob is already in the store (another thread or process committed it, perhaps while
 * this one waited), {@link #alreadyCommitted()} is true, {@link #offset()} is the blob's size, and
 * writing is refused.
 *
 * <p>Not for concurrent use by several threads, but it may be handed from one thread to another.
 */
public final class Ingest implements WritableByteChannel {
  private final Digest digest;
  private final long expectedSize;
  private final String mediaType;
  private final Path blob;
  private final Path dir;
  private final Path data;
  private LockFile lock;
  private DigestLocks.Permit permit;
  private FileChannel out;
  private long size;
  private Fd writeback; // the data read-only, for sync_file_range; opened at the first step
  private long writebackFrom;
  private MessageDigest hasher; // null until the bytes already in data are hashed (once, on resume)
  private boolean committed;
  private boolean closed;

  /** An ingest that holds the locks and has {@code data} open for appending. */
  Ingest(
      Digest digest,
      long expectedSize,
      String mediaType,
      Path blob,
      Path dir,
      LockFile lock,
      DigestLocks.Permit permit,
      FileChannel out)
      throws IOException {
    this.digest = digest;
    this.expectedSize = expectedSize;
    this.mediaType = mediaType;
    this.blob = blob;
    this.dir = dir;
    this.data = dir.resolve(ContentStore.INGEST_DATA);
    this.lock = lock;
    this.permit = permit;
    this.out = out;
    this.size = out.size();
    this.writebackFrom = size;
    if (size == 0) {
      hasher = newHasher(digest);
    }
  }

  /** The blob is already there: nothing to write, nothing held. */
  Ingest(Digest digest, String mediaType, Path blob, long blobSize) {
    this.digest = digest;
    this.expectedSize = blobSize;
    this.mediaType = mediaType;
    this.blob = blob;
    this.dir = null;
    this.data = null;
    this.size = blobSize;
    this.committed = true;
  }

  public Digest digest() {
    return digest;
  }

  /** The declared size, or -1 when unknown. */
  public long expectedSize() {
    return expectedSize;
  }

  /** True when the blob was in the store before this ingest wrote anything: skip the download. */
  public boolean alreadyCommitted() {
    return committed && dir == null;
  }

  /** The bytes written so far, resumed ones included: where a download resumes. */
  public synchronized long offset() {
    return size;
  }

  /** Reads the bytes written so far from the start (or the whole blob once committed). */
  public synchronized InputStream partial() throws IOException {
    if (committed) {
      return Files.newInputStream(blob);
    }
    ensureOpen();
    return Files.newInputStream(data);
  }

  @Override
  public synchronized int write(ByteBuffer src) throws IOException {
    ensureWritable();
    int n = src.remaining();
    if (expectedSize >= 0 && size + n > expectedSize) {
      discard();
      throw new IOException(
          "blob " + digest + ": more than the declared " + expectedSize + " bytes");
    }
    hashExisting();
    ByteBuffer hashed = src.duplicate();
    try {
      while (src.hasRemaining()) {
        out.write(src);
      }
    } catch (IOException e) {
      // Some bytes may have reached the file: the hash no longer follows it, rebuild it from the
      // file if resumed.
      hasher = null;
      size = out.size();
      throw new IOException("blob " + digest + ": write to " + data + ": " + e.getMessage(), e);
    }
    LayerPhases.enter(Phase.HASH);
    hasher.update(hashed);
    LayerPhases.exit();
    size += n;
    if (size - writebackFrom >= WRITEBACK_STEP) startWriteback();
    return n;
  }

  /**
   * Bytes written between two starts of their writeback. The commit must fsync the data; begun as
   * it arrives, the disk's work overlaps the download and the unpacking instead of following them
   * (on a busy disk a pull's fsyncs took 0.6-0.7 s of its 1.8 s, all at its end).
   */
  private static final long WRITEBACK_STEP = 8L << 20;

  private void startWriteback() {
    try {
      if (writeback == null) writeback = Linux.open(data.toString(), O_RDONLY, 0);
      Linux.syncFileRange(writeback, writebackFrom, size - writebackFrom, SYNC_FILE_RANGE_WRITE);
    } catch (ErrnoException e) {
      // Only a head start: the commit's fsync makes the data durable either way.
    }
    writebackFrom = size;
  }

  private void closeWriteback() {
    if (writeback != null) writeback.close();
    writeback = null;
  }

  public void write(byte[] b, int off, int len) throws IOException {
    write(ByteBuffer.wrap(b, off, len));
  }

  /** An OutputStream onto this ingest; closing it does not close the ingest. */
  public OutputStream outputStream() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        Ingest.this.write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        Ingest.this.write(b, off, len);
      }
    };
  }

  /**
   * Throws away what was written, to start again at offset 0 (a server that ignored the Range
   * request).
   */
  public synchronized void restart() throws IOException {
    ensureWritable();
    out.truncate(0);
    size = 0;
    writebackFrom = 0;
    hasher = newHasher(digest);
  }

  /**
   * Checks the size and digest and moves the data into the store. Returns the blob's descriptor. On
   * a digest mismatch ({@link DigestMismatchException}) the partial data is deleted; when fewer
   * bytes than declared were written it is kept (the download may resume). A second call returns
   * the same descriptor.
   */
  public synchronized Descriptor commit() throws IOException {
    if (committed) {
      return new Descriptor(mediaType, digest, size);
    }
    ensureOpen();
    if (expectedSize >= 0 && size < expectedSize) {
      throw new IOException(
          "blob "
              + digest
              + ": short: "
              + size
              + " of the declared "
              + expectedSize
              + " bytes (the partial data is kept to resume)");
    }
    hashExisting();
    Digest got = new Digest(digest.algorithm(), HexFormat.of().formatHex(hasher.digest()));
    hasher = null;
    if (!got.equals(digest)) {
      discard();
      throw new DigestMismatchException(digest, got);
    }
    LayerPhases.enter(Phase.FSYNC);
    try {
      out.force(true);
    } finally {
      LayerPhases.exit();
    }
    closeWriteback();
    out.close();
    Files.move(data, blob, StandardCopyOption.ATOMIC_MOVE);
    // Read-only, so a reader given path() cannot change the blob under its name by mistake.
    Files.setPosixFilePermissions(blob, PosixFilePermissions.fromString("r--r--r--"));
    Directories.fsync(blob.getParent());
    committed = true;
    // The waiters on this lock file find it unlinked, lock afresh and see the blob.
    removeIngestDirectory();
    release();
    return new Descriptor(mediaType, digest, size);
  }

  /**
   * Deletes what was written and releases the ingest: for bytes that can never become the blob
   * (content a reader refused), which a later ingest must not resume. Nothing to do once committed
   * or closed.
   */
  public synchronized void discardPartial() throws IOException {
    if (closed || committed) return;
    discard();
  }

  /**
   * On resume, when the data already holds as many bytes as the blob: checks them now, and starts
   * again from zero if they are not the blob (a run killed between its last write and its commit,
   * or one that left refused bytes), so the caller neither skips the download nor resumes into
   * bytes that can never commit.
   */
  void verifyIfComplete() throws IOException {
    if (expectedSize < 0 || size != expectedSize || size == 0) return;
    hashExisting();
    try {
      MessageDigest copy = (MessageDigest) hasher.clone();
      if (HexFormat.of().formatHex(copy.digest()).equals(digest.encoded())) return;
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
    restart();
  }

  /** Releases the ingest; without a commit the partial data stays for a later resume. */
  @Override
  public synchronized void close() throws IOException {
    if (closed || committed) {
      closed = true;
      return;
    }
    closed = true;
    try {
      closeWriteback();
      out.close();
    } finally {
      release();
    }
  }

  @Override
  public synchronized boolean isOpen() {
    return !closed && !committed;
  }

  // ---- internals ----

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("ingest of " + digest + ": closed");
    }
  }

  private void ensureWritable() {
    ensureOpen();
    if (committed) {
      throw new IllegalStateException("ingest of " + digest + ": already committed");
    }
  }

  /** On resume, hashes the bytes already in the data file, once. */
  private void hashExisting() throws IOException {
    if (hasher != null) {
      return;
    }
    MessageDigest h = newHasher(digest);
    ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    long read = 0;
    try (FileChannel in = FileChannel.open(data, StandardOpenOption.READ)) {
      while (read < size) {
        buf.clear();
        if (size - read < buf.capacity()) {
          buf.limit((int) (size - read));
        }
        int n = in.read(buf, read);
        if (n < 0) {
          throw new IOException(
              "blob " + digest + ": " + data + " is shorter than " + size + " bytes");
        }
        buf.flip();
        h.update(buf);
        read += n;
      }
    }
    hasher = h;
  }

  /** The data is garbage: delete it and the ingest directory, and release everything. */
  private void discard() throws IOException {
    closed = true;
    try {
      closeWriteback();
      out.close();
      Files.deleteIfExists(data);
      removeIngestDirectory();
    } finally {
      release();
    }
  }

  private void removeIngestDirectory() throws IOException {
    lock.unlink();
    try {
      Files.deleteIfExists(dir);
    } catch (java.nio.file.DirectoryNotEmptyException e) {
      // Another ingest of this digest already made a new lock file in it: the directory is theirs
      // now.
    }
  }

  private void release() {
    if (lock != null) {
      lock.close();
      lock = null;
    }
    if (permit != null) {
      permit.release();
      permit = null;
    }
  }

  /** The digest's hasher: sha256 by libcrypto when it is there (berth-sys Sha256). */
  static MessageDigest newHasher(Digest digest) {
    if (digest.algorithm().equals("sha256")) return dev.berth.sys.Sha256.newDigest();
    try {
      return MessageDigest.getInstance(digest.jcaName());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
