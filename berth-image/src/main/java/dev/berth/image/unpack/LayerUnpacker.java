package dev.berth.image.unpack;

import static dev.berth.sys.LinuxConstants.AT_REMOVEDIR;
import static dev.berth.sys.LinuxConstants.AT_SYMLINK_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.EEXIST;
import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_EXCL;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_PATH;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.O_WRONLY;
import static dev.berth.sys.LinuxConstants.RESOLVE_IN_ROOT;
import static dev.berth.sys.LinuxConstants.RESOLVE_NO_MAGICLINKS;
import static dev.berth.sys.LinuxConstants.SEEK_SET;
import static dev.berth.sys.LinuxConstants.S_IFBLK;
import static dev.berth.sys.LinuxConstants.S_IFCHR;
import static dev.berth.sys.LinuxConstants.S_IFIFO;

import com.github.luben.zstd.ZstdInputStream;
import dev.berth.image.LayerPhases;
import dev.berth.image.Tasks;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.GzipInflater;
import dev.berth.sys.Linux;
import dev.berth.sys.Sha256;
import dev.berth.sys.Stat;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.FutureTask;
import java.util.zip.GZIPInputStream;

/**
 * Unpacks one image layer (a tar, maybe compressed) into a directory, streaming: decompress, hash
 * (the diffID), read entries, write files. Layers are hostile input. Every path is resolved inside
 * the target with openat2 (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) on its parent directory and its
 * last component is created with *at calls relative to that directory fd, never following a final
 * symlink; names that climb out of the root are refused.
 *
 * <p>The work a layer can cause is bounded by its size, except for what sparse files declare: their
 * holes cost nothing to create (they are never written, only seeked over and truncated to), but a
 * few bytes can declare terabytes of them, which a copy of the tree or a reader of the file pays
 * for. {@link Limits} bounds them.
 *
 * <p>A compressed layer is read, inflated and hashed on the caller's thread while another writes
 * its files ({@link TarPipe}), unless made with one thread; an uncompressed tar (docker cp's) is
 * unpacked on the caller's thread alone. One instance may unpack several layers, one at a time (it
 * holds a reusable buffer).
 */
public final class LayerUnpacker {
  /**
   * Bounds on the work a layer can cause beyond what its bytes pay for.
   *
   * @param sparseRegions data regions (entries of the sparse map) of one sparse file
   * @param sparseHoles bytes of holes (apparent size minus the data stored) of all sparse files of
   *     one layer
   * @param entries tar entries of one layer: each costs an inode or a lookup, and a header
   *     compresses to a few bytes
   * @param expansion how many times its compressed size a layer's tar may be, once past {@code
   *     expansionFloor}: deflate expands at most about 1032 times and zstd over 30000 times, so a
   *     few MiB of zeros in a regular file would otherwise write terabytes; real layers, even of
   *     text, stay far below 100
   * @param expansionFloor bytes of tar a compressed layer may always expand to, whatever its ratio
   */
  public record Limits(
      int sparseRegions, long sparseHoles, long entries, int expansion, long expansionFloor) {
    /**
     * 64 Ki regions per file (1 MiB of map), 1 TiB of holes, 4 Mi entries, 256 times past 1 GiB,
     * per layer.
     */
    public static final Limits DEFAULT = new Limits(1 << 16, 1L << 40, 1L << 22, 256, 1L << 30);
  }

  /** The highest uid or gid a layer may give: (uid_t) -1 means "leave unchanged" to chown(2). */
  private static final long MAX_ID = 0xFFFF_FFFEL;

  private static final int CHUNK = 1 << 20;
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";
  private static final String OVERLAY_XATTRS = "trusted.overlay.";
  private static final String OPAQUE_XATTR = "trusted.overlay.opaque";
  private static final long RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

  // Made on the first entry read through the heap (a plain tar's, or a non-ISA-L inflater's): an
  // ISA-L layer writes from the inflater's or the pipe's direct buffers and never needs them, and
  // 2 MiB touched per layer were ~1 ms of page faults on a busybox pull.
  private byte[] heap;

  /**
   * The process umask (applied by the kernel to a created file's mode), read once from
   * /proc/self/status.
   */
  private static final int UMASK = readUmask();

  private static int readUmask() {
    try {
      for (String line :
          java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("Umask:")) return Integer.parseInt(line.substring(6).trim(), 8);
      }
    } catch (IOException | RuntimeException e) {
      // fall through: assume the worst, every file gets its chmod
    }
    return 0777;
  }

  private ByteBuffer direct;
  private final boolean mayCreateDevices;

  /** Whether the files this process creates are 0:0 (euid and egid 0: fsuid and fsgid follow). */
  private final boolean createsAsRoot = Linux.geteuid() == 0 && Linux.getegid() == 0;

  private final Limits limits;

  /**
   * {uid, gid} every entry gets instead of the tar's (docker cp without -a), or null to keep the
   * tar's.
   */
  private final int[] owner;

  public LayerUnpacker() {
    this(Limits.DEFAULT);
  }

  public LayerUnpacker(Limits limits) {
    this(limits, null);
  }

  /** Whether a compressed layer's files are written by a thread of their own ({@link TarPipe}). */
  private final boolean twoThreads;

  private LayerUnpacker(Limits limits, int[] owner, boolean twoThreads) {
    this.mayCreateDevices = DeviceRights.mayCreateDevices();
    this.limits = limits;
    this.owner = owner;
    this.twoThreads = twoThreads;
  }

  private LayerUnpacker(Limits limits, int[] owner) {
    this(limits, owner, true);
  }

  /**
   * An unpacker that does a compressed layer's work on the caller's thread alone when not {@code
   * twoThreads}: for a layer unpacked beside enough others to keep every core busy, where a second
   * thread would only add hand-offs (on two cores, 5-10% more CPU time for an image of several
   * layers of like sizes).
   */
  public LayerUnpacker(boolean twoThreads) {
    this(Limits.DEFAULT, null, twoThreads);
  }

  /**
   * An unpacker that gives every entry (and every directory it makes) this owner, whatever the tar
   * says.
   */
  public LayerUnpacker withOwner(int uid, int gid) {
    return new LayerUnpacker(limits, new int[] {uid, gid}, twoThreads);
  }

  /**
   * Unpacks {@code blob} (compressed as {@code c}) into the directory {@code target}. Every error
   * is an {@link UnpackException} naming the entry when there is one (the caller adds the layer).
   * On an error the target holds what was written so far: it is the caller's to discard.
   */
  public UnpackResult unpack(InputStream blob, Compression c, Path target, Mode mode)
      throws IOException {
    Fd root;
    try {
      root = Linux.open(target.toString(), O_PATH | O_DIRECTORY | O_NOFOLLOW, 0);
    } catch (ErrnoException e) {
      throw new UnpackException(null, "open unpack target: " + e.getMessage(), e);
    }
    try (root) {
      return unpack(blob, c, root, mode);
    }
  }

  /**
   * {@link #unpack(InputStream, Compression, Path, Mode)} into the directory {@code root} (an fd
   * the caller resolved, e.g. inside a container's root filesystem, and keeps: it is not closed
   * here).
   */
  public UnpackResult unpack(InputStream blob, Compression c, Fd root, Mode mode)
      throws IOException {
    MessageDigest sha = Sha256.newDigest();
    // The caller owns blob and drains it after us (bytes after the compressed stream still count
    // for its digest):
    // closing the decompressor must not close it.
    long[] compressed = {0};
    InputStream owned =
        new java.io.FilterInputStream(blob) {
          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) compressed[0] += n;
            return n;
          }

          @Override
          public void close() {}
        };
    Decoded plain = new Decoded(owned, c);
    TarFeed feed =
        new TarFeed(
            plain,
            sha,
            c == Compression.NONE ? null : () -> compressed[0],
            limits.expansion(),
            limits.expansionFloor());
    try {
      Session s;
      if (c == Compression.NONE || !twoThreads) {
        // Nothing to inflate (the reading is the caller's stream, which a second thread would not
        // speed up), or the caller asks for one thread.
        s = new Session(root, mode, new TarReader(feed, limits.sparseRegions()));
        write(s, feed::drain);
      } else {
        s = pipelined(feed, root, mode);
      }
      return new UnpackResult(
          Digest.sha256(sha.digest()),
          feed.position(),
          s.entries,
          s.fileBytes,
          s.whiteouts,
          s.skippedDevices,
          List.copyOf(s.madeDirs));
    } finally {
      plain.close(); // frees inflater / zstd native state; the caller owns blob
    }
  }

  /** What reads the rest of the tar stream once its last entry is written. */
  private interface Drain {
    void run() throws IOException;
  }

  /**
   * Writes every entry of the session's tar, sets the directories' times, then reads what follows
   * the archive ({@code drain}: it is hashed too).
   */
  private void write(Session s, Drain drain) throws IOException {
    TarReader tar = s.tar;
    try {
      String last = null;
      while (true) {
        TarHeader e;
        try {
          e = tar.next();
        } catch (UnpackException x) {
          throw x;
        } catch (IOException | RuntimeException x) {
          String where =
              last == null
                  ? "reading the first tar header"
                  : "reading the tar header after entry " + UnpackException.quote(last);
          throw new UnpackException(null, where + ": " + describe(x), x);
        }
        if (e == null) break;
        last = e.name();
        s.apply(e);
      }
      s.finish();
      try {
        drain.run();
      } catch (IOException x) {
        throw new UnpackException(null, "after the last entry: " + describe(x), x);
      }
    } finally {
      // Also on an error: the cached directory fd would otherwise keep the target's mount busy
      // until a GC.
      s.closeCache();
    }
  }

  /**
   * Unpacks a compressed layer on two threads ({@link TarPipe}): this one reads, inflates and
   * hashes {@code feed}, a new one writes the files. Returns the writer's session once both are
   * done; every error is the writer's, which meets the reader's where it cut the tar. Neither
   * thread touches the layer after this returns or throws.
   */
  private Session pipelined(TarFeed feed, Fd root, Mode mode) throws IOException {
    TarPipe pipe = new TarPipe(feed);
    Session s = new Session(root, mode, new TarReader(pipe, limits.sparseRegions()));
    LayerPhases.Tally tally = LayerPhases.current();
    FutureTask<Void> writer =
        new FutureTask<>(
            () -> {
              LayerPhases.bind(tally);
              try {
                write(s, pipe::drain);
                return null;
              } finally {
                pipe.writerDone();
                LayerPhases.unbind();
              }
            });
    Thread.ofPlatform().name("unpack-files").daemon().start(writer);
    boolean pumped = false;
    Error fatal = null;
    try {
      pipe.pump();
      pumped = true;
    } catch (IOException | RuntimeException e) {
      // The writer meets it in the pipe (or, interrupted, the end abandon() sends) and says where.
    } catch (Error e) {
      fatal = e; // thrown once the writer has ended
    } finally {
      if (!pumped) pipe.abandon();
    }
    if (fatal != null) {
      try {
        Tasks.await(writer);
      } catch (IOException | RuntimeException | Error writerToo) {
        fatal.addSuppressed(writerToo);
      }
      throw fatal;
    }
    Tasks.await(
        writer); // the writer's error is the one to report: it met the reader's where it cut
    return s;
  }

  private static String describe(Exception x) {
    String m = x.getMessage() == null ? x.toString() : x.getMessage();
    return x instanceof EOFException ? "layer is truncated: " + m : m;
  }

  /**
   * The decompressed layer. The decompressor is made on the first read, so that a blob that is not
   * what its media type says fails there, like any other corrupt stream; its errors say which
   * compression they are about.
   */
  private static final class Decoded extends FilterInputStream implements DirectSource {
    private final Compression c;
    private final InputStream raw;

    Decoded(InputStream raw, Compression c) {
      super(null);
      this.raw = raw;
      this.c = c;
    }

    private InputStream open() throws IOException {
      if (in == null) {
        in =
            switch (c) {
              case NONE -> new BufferedInputStream(raw, 256 * 1024);
              case GZIP ->
                  GzipInflater.available()
                      ? new IsalGzipInputStream(raw)
                      : new GZIPInputStream(new BufferedInputStream(raw, 256 * 1024), 256 * 1024);
              case ZSTD -> new BufferedInputStream(new ZstdInputStream(raw), 256 * 1024);
            };
      }
      return in;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return open().read(b, off, len);
      } catch (EOFException e) {
        throw new EOFException(
            c == Compression.NONE ? e.getMessage() : c.name().toLowerCase() + " stream ends early");
      } catch (IOException e) {
        if (c == Compression.NONE) throw e;
        throw new IOException(
            "corrupt " + c.name().toLowerCase() + " stream: " + e.getMessage(), e);
      }
    }

    @Override
    public boolean direct() {
      return c == Compression.GZIP && GzipInflater.available();
    }

    @Override
    public ByteBuffer readDirect(int max) throws IOException {
      try {
        return ((IsalGzipInputStream) open()).readDirect(max);
      } catch (EOFException e) {
        throw new EOFException("gzip stream ends early");
      } catch (IOException e) {
        throw new IOException("corrupt gzip stream: " + e.getMessage(), e);
      }
    }

    @Override
    public int readInto(ByteBuffer dst) throws IOException {
      try {
        return ((IsalGzipInputStream) open()).readInto(dst);
      } catch (EOFException e) {
        throw new EOFException("gzip stream ends early");
      } catch (IOException e) {
        throw new IOException("corrupt gzip stream: " + e.getMessage(), e);
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public void close() throws IOException {
      if (in != null && c != Compression.NONE) in.close();
    }
  }

  /** The state of one unpack. */
  private final class Session {
    final Fd root;
    final Mode mode;
    final TarReader tar;
    // Paths this layer created: whiteouts and opaque markers only hide what lower layers had
    // (image-spec).
    final Set<String> written = new HashSet<>();
    // OVERLAY: paths whited out by this layer; a directory this layer then creates there must be
    // opaque.
    final Set<String> whited = new HashSet<>();
    final List<DirTimes> dirTimes = new ArrayList<>();
    // Directories this layer made with mkdirat's mode alone, 0:0 and without a setgid bit: what is
    // made in them is 0:0 without a stat to know it. Emptied when a directory is removed (a path
    // here may then lead elsewhere).
    final Set<String> plainDirs = new HashSet<>();
    // Directories made for entries whose parents this layer does not list, parents first (see
    // UnpackResult); the
    // root ("") until the layer lists it.
    final Set<String> madeDirs = new java.util.LinkedHashSet<>(List.of(""));
    String cachedPath;
    Fd cachedFd;
    // Whether files created in cachedFd are 0:0 (1: it is setgid, of group 0; 2: it is not
    // setgid, so new directories get no setgid bit either), are not (-1), or not yet known (0).
    int cachedRootOwned;
    // Set when a directory was removed: the cached fd may name a removed directory. It is closed
    // only when the next
    // lookup replaces it, since the caller that removed may still be using it.
    boolean cacheStale;
    long entries;
    long fileBytes;
    long whiteouts;
    long skippedDevices;
    long sparseHoles;

    Session(Fd root, Mode mode, TarReader tar) {
      this.root = root;
      this.mode = mode;
      this.tar = tar;
    }

    void apply(TarHeader e) throws IOException {
      String name = e.name();
      byte type = e.type();
      String path = EntryPath.clean(name, "path");
      if (++entries > limits.entries()) {
        throw new UnpackException(
            name, "the layer has more than " + limits.entries() + " entries, the limit");
      }
      try {
        String base = path.isEmpty() ? "" : EntryPath.base(path);
        if (base.startsWith(WHITEOUT) && mode != Mode.PLAIN) {
          whiteout(name, path, base);
          return;
        }
        if (path.isEmpty()) {
          if (!e.isDirectory()) {
            throw new UnpackException(name, "entry replaces the layer root with a non-directory");
          }
          rootDir(e);
          return;
        }
        switch (type) {
          case '0' -> {
            if (e.isDirectory()) directory(e, path); // pre-POSIX tar marks dirs with a slash
            else regularFile(e, path);
          }
          case '5' -> directory(e, path);
          case '2' -> symlink(e, path);
          case '1' -> hardlink(e, path);
          case '3', '4' -> device(e, path, type == '3' ? S_IFCHR : S_IFBLK);
          case '6' -> fifo(e, path);
          default ->
              throw new UnpackException(name, "unsupported tar entry type " + describeType(type));
        }
        written.add(path);
      } catch (UnpackException x) {
        throw x;
      } catch (IOException | RuntimeException x) {
        throw new UnpackException(name, describe(x), x);
      }
    }

    // ---- entry kinds
    // -------------------------------------------------------------------------------------------

    void regularFile(TarHeader e, String path) throws IOException {
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      // Created with its final permission bits when the umask keeps them and there are no
      // setuid/setgid/sticky
      // bits (which chown would clear): then no chmod. Most files of a layer are new: try O_EXCL
      // first and clear
      // the slot only when something is there. Both save a syscall per file of many-small-files
      // layers.
      int want = e.mode();
      boolean exact = (want & 07000) == 0 && (want & UMASK) == 0;
      int uid = uid(e);
      int gid = gid(e);
      if (e.sparse() != null) countHoles(e);
      try (Fd f = createExclusive(dir, base, exact ? want : 0600)) {
        copyData(f, e);
        if (uid != 0 || gid != 0 || !createsRootOwned(dir)) Linux.fchown(f, uid, gid);
        if (!exact) Linux.fchmod(f, want); // after chown, which clears setuid/setgid
        Map<String, byte[]> xattrs = xattrs(e);
        for (Map.Entry<String, byte[]> x : xattrs.entrySet())
          Linux.fsetxattr(f, x.getKey(), x.getValue(), 0);
        // Through the fd (futimens), not the name: no second path walk; nothing writes after it.
        Instant m = e.mtime();
        Instant a = atime(e);
        Linux.utimensat(
            f, null, a.getEpochSecond(), a.getNano(), m.getEpochSecond(), m.getNano(), 0);
      }
    }

    /**
     * Whether a file created now in {@code dir} is already 0:0, so that its chown can go (one
     * syscall per file of most layers): this process creates as 0:0, and {@code dir} (the cached
     * directory; any other is not known) does not hand another group down with its setgid bit.
     */
    private boolean createsRootOwned(Fd dir) throws IOException {
      if (!createsAsRoot || dir != cachedFd) return false;
      if (cachedRootOwned == 0) {
        Stat st = Linux.fstatat(dir, "", dev.berth.sys.LinuxConstants.AT_EMPTY_PATH);
        boolean setgid = (st.permissions() & 02000) != 0;
        cachedRootOwned = !setgid ? 2 : st.gid() == 0 ? 1 : -1;
      }
      return cachedRootOwned > 0;
    }

    /**
     * Whether a directory made now in {@code dir} is 0:0 with exactly the mode mkdirat(2) gives it:
     * as {@link #createsRootOwned}, and {@code dir} has no setgid bit (a new directory would
     * inherit it).
     */
    private boolean makesPlainRootDirs(Fd dir) throws IOException {
      return createsRootOwned(dir) && cachedRootOwned == 2;
    }

    private Fd createExclusive(Fd dir, String base, int mode) throws IOException {
      try {
        return Linux.openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
      } catch (ErrnoException x) {
        if (x.errno() != EEXIST) throw x;
        clearSlot(dir, base, false);
        return Linux.openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
      }
    }

    void directory(TarHeader e, String path) throws IOException {
      Fd dir = parent(e, path);
      madeDirs.remove(path); // the layer says what it is
      String base = EntryPath.base(path);
      // Most directories of a layer are new, 0:0, of a mode the umask keeps, without xattrs: made
      // with their final mode, they need no open, chown and chmod (four syscalls fewer each).
      int want = e.mode();
      if ((want & 07000) == 0
          && (want & UMASK) == 0
          && uid(e) == 0
          && gid(e) == 0
          && xattrs(e).isEmpty()
          && !(mode == Mode.OVERLAY && whited.contains(path))
          && makesPlainRootDirs(dir)) {
        try {
          Linux.mkdirat(dir, base, want);
          dirTimes.add(new DirTimes(path, e));
          plainDirs.add(path);
          return;
        } catch (ErrnoException x) {
          if (x.errno() != EEXIST) throw x;
          // something is there: as below
        }
      }
      plainDirs.remove(path);
      try {
        Linux.mkdirat(dir, base, 0700);
      } catch (ErrnoException x) {
        if (x.errno() != EEXIST) throw x;
        if (!Linux.fstatat(dir, base, AT_SYMLINK_NOFOLLOW).isDirectory()) {
          if (mode == Mode.PLAIN)
            throw new IOException("cannot overwrite a non-directory with a directory");
          removeTree(dir, base);
          Linux.mkdirat(dir, base, 0700);
        }
      }
      try (Fd d = Linux.openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
        applyDirMetadata(d, e);
        if (mode == Mode.OVERLAY && whited.contains(path))
          Linux.fsetxattr(d, OPAQUE_XATTR, new byte[] {'y'}, 0);
      }
      dirTimes.add(new DirTimes(path, e));
    }

    void rootDir(TarHeader e) throws IOException {
      madeDirs.remove(""); // the layer says what its root is
      try (Fd d = Linux.openat(root, ".", O_RDONLY | O_DIRECTORY, 0)) {
        applyDirMetadata(d, e);
      }
      dirTimes.add(new DirTimes("", e));
    }

    void applyDirMetadata(Fd d, TarHeader e) throws IOException {
      cachedRootOwned = 0; // the cached directory may be this one, its mode and group changing
      Linux.fchown(d, uid(e), gid(e));
      Linux.fchmod(d, e.mode());
      for (Map.Entry<String, byte[]> x : xattrs(e).entrySet())
        Linux.fsetxattr(d, x.getKey(), x.getValue(), 0);
    }

    void symlink(TarHeader e, String path) throws IOException {
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      int uid = uid(e);
      int gid = gid(e);
      // As for files: most links of a layer are new and 0:0, so no unlink before and no chown
      // after (two syscalls per link).
      try {
        Linux.symlinkat(e.linkName(), dir, base); // the target verbatim; nothing follows it here
      } catch (ErrnoException x) {
        if (x.errno() != EEXIST) throw x;
        clearSlot(dir, base, false);
        Linux.symlinkat(e.linkName(), dir, base);
      }
      if (uid != 0 || gid != 0 || !createsRootOwned(dir))
        Linux.fchownat(dir, base, uid, gid, AT_SYMLINK_NOFOLLOW);
      setXattrsByPath(dir, base, e);
      times(dir, base, e);
    }

    void hardlink(TarHeader e, String path) throws IOException {
      String target;
      try {
        target = EntryPath.clean(e.linkName(), "path");
      } catch (UnpackException x) {
        throw new UnpackException(
            e.name(),
            "hardlink target " + UnpackException.quote(e.linkName()) + " escapes the layer root");
      }
      if (target.isEmpty()) throw new UnpackException(e.name(), "hardlink to the layer root");
      if (target.equals(path)) throw new UnpackException(e.name(), "hardlink to itself");
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      clearSlot(dir, base, false);
      try (Fd tdir =
          Linux.openat2(
              root, dotIfEmpty(EntryPath.parent(target)), O_PATH | O_DIRECTORY, 0, RESOLVE)) {
        // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, as tar means, and never what
        // it points at.
        Linux.linkat(tdir, EntryPath.base(target), dir, base, 0);
      } catch (ErrnoException x) {
        throw new UnpackException(
            e.name(),
            "hardlink to " + UnpackException.quote(e.linkName()) + ": " + x.getMessage(),
            x);
      }
    }

    void device(TarHeader e, String path, int type) throws IOException {
      if (!mayCreateDevices) {
        skippedDevices++;
        return;
      }
      if (e.devMajor() < 0
          || e.devMajor() > 0xFFFF_FFFFL
          || e.devMinor() < 0
          || e.devMinor() > 0xFFFF_FFFFL) {
        throw new UnpackException(
            e.name(), "device number " + e.devMajor() + ":" + e.devMinor() + " is out of range");
      }
      uid(e);
      gid(e);
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      clearSlot(dir, base, false);
      Linux.mknodat(dir, base, type | 0600, Stat.makedev(e.devMajor(), e.devMinor()));
      ownModeXattrsTimes(dir, base, e);
    }

    void fifo(TarHeader e, String path) throws IOException {
      uid(e);
      gid(e);
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      clearSlot(dir, base, false);
      Linux.mknodat(dir, base, S_IFIFO | 0600, 0);
      ownModeXattrsTimes(dir, base, e);
    }

    void ownModeXattrsTimes(Fd dir, String base, TarHeader e) throws IOException {
      Linux.fchownat(dir, base, uid(e), gid(e), AT_SYMLINK_NOFOLLOW);
      Linux.fchmodat(dir, base, e.mode()); // base was just created by mknodat: not a symlink
      setXattrsByPath(dir, base, e);
      times(dir, base, e);
    }

    // ---- whiteouts
    // ---------------------------------------------------------------------------------------------

    void whiteout(String name, String path, String base) throws IOException {
      String dirPath = EntryPath.parent(path);
      whiteouts++;
      if (base.equals(OPAQUE)) {
        Fd d = whiteoutDir(name, dirPath);
        if (d == null) return;
        if (mode == Mode.OVERLAY) {
          Linux.lsetxattr("/proc/self/fd/" + d.fd() + "/.", OPAQUE_XATTR, new byte[] {'y'}, 0);
        } else {
          removeLower(d, dirPath);
        }
        return;
      }
      String victim = base.substring(WHITEOUT.length());
      if (victim.isEmpty() || victim.equals(".") || victim.equals("..")) {
        throw new UnpackException(
            name,
            "whiteout of "
                + (dirPath.isEmpty()
                    ? "the layer root"
                    : "a directory itself" + " (" + UnpackException.quote(victim) + ")"));
      }
      String victimPath = dirPath.isEmpty() ? victim : dirPath + "/" + victim;
      Fd dir = whiteoutDir(name, dirPath);
      if (dir == null) return;
      if (written.contains(victimPath)) {
        // This layer's own entry stays (a whiteout hides lower layers only); a directory of ours
        // there must not
        // show the lower one's contents.
        if (mode == Mode.OVERLAY && Linux.fstatat(dir, victim, AT_SYMLINK_NOFOLLOW).isDirectory()) {
          Linux.lsetxattr(
              "/proc/self/fd/" + dir.fd() + "/" + victim, OPAQUE_XATTR, new byte[] {'y'}, 0);
        }
        return;
      }
      if (mode == Mode.OVERLAY) {
        clearSlot(dir, victim, false);
        Linux.mknodat(dir, victim, S_IFCHR, 0);
        whited.add(victimPath);
      } else {
        removeTree(dir, victim);
      }
    }

    /**
     * The directory a whiteout or opaque marker applies to. OVERLAY: made when missing, since it
     * records what to hide of the layers below. APPLY: null when missing (a link there may name a
     * path nothing is at): there is nothing to delete, and a whiteout must not make a directory to
     * delete it from.
     */
    Fd whiteoutDir(String name, String dirPath) throws IOException {
      if (mode == Mode.OVERLAY) return dirFd(name, dirPath);
      try {
        return dirFd(name, dirPath, false);
      } catch (UnpackException x) {
        if (x.getCause() instanceof ErrnoException errno && errno.errno() == ENOENT) return null;
        throw x;
      }
    }

    /**
     * APPLY: empties {@code parent} ({@code dirPath}) of what lower layers put there, keeping what
     * this layer wrote.
     */
    void removeLower(Fd parent, String dirPath) throws IOException {
      try (Fd d = Linux.openat(parent, ".", O_RDONLY | O_DIRECTORY, 0)) {
        removeLowerIn(d, dirPath);
      }
      cacheStale = true;
      plainDirs.clear();
    }

    private void removeLowerIn(Fd d, String dirPath) throws IOException {
      for (String child : Linux.readdir(d)) {
        String p = dirPath.isEmpty() ? child : dirPath + "/" + child;
        if (!written.contains(p)) {
          removeTree(d, child);
        } else if (Linux.fstatat(d, child, AT_SYMLINK_NOFOLLOW).isDirectory()) {
          try (Fd c = Linux.openat(d, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
            removeLowerIn(c, p);
          }
        }
      }
    }

    // ---- paths
    // -------------------------------------------------------------------------------------------------

    /**
     * The parent directory of {@code path}, resolved in the root, created (0755, root-owned) when
     * missing.
     */
    Fd parent(TarHeader e, String path) throws IOException {
      return dirFd(e.name(), EntryPath.parent(path));
    }

    Fd dirFd(String name, String dirPath) throws IOException {
      return dirFd(name, dirPath, true);
    }

    /**
     * The directory {@code dirPath} resolved in the root (cached: entries come in directory order),
     * maybe made.
     */
    Fd dirFd(String name, String dirPath, boolean make) throws IOException {
      if (!cacheStale && dirPath.equals(cachedPath) && cachedFd != null) return cachedFd;
      Fd fd;
      try {
        fd = Linux.openat2(root, dotIfEmpty(dirPath), O_PATH | O_DIRECTORY, 0, RESOLVE);
      } catch (ErrnoException x) {
        if (x.errno() != ENOENT || !make) {
          throw new UnpackException(name, "open parent directory: " + x.getMessage(), x);
        }
        fd = makeDirs(name, dirPath);
      }
      dropCache();
      cachedPath = dirPath;
      cachedFd = fd;
      if (plainDirs.contains(dirPath)) cachedRootOwned = 2; // see createsRootOwned
      return fd;
    }

    private Fd makeDirs(String name, String dirPath) throws IOException {
      try {
        mkdirs(dirPath, 0);
        return Linux.openat2(root, dirPath, O_PATH | O_DIRECTORY, 0, RESOLVE);
      } catch (ErrnoException x) {
        throw new UnpackException(name, "create parent directories: " + x.getMessage(), x);
      }
    }

    /**
     * Creates the missing directories of {@code dirPath} as the kernel would resolve it in the
     * root: a dangling symlink on the way is followed (its target resolved in the root, ".."
     * stopping at the root) and the directory it names is created, so a layer writing "through" a
     * link lands where RESOLVE_IN_ROOT says, never outside.
     */
    private void mkdirs(String dirPath, int depth) throws IOException {
      if (depth > 40)
        throw new ErrnoException(dev.berth.sys.LinuxConstants.ELOOP, "mkdirat", dirPath);
      String[] comps = dirPath.split("/");
      String prefix = "";
      for (String c : comps) {
        String parentPath = prefix;
        prefix = prefix.isEmpty() ? c : prefix + "/" + c;
        try (Fd ignored = Linux.openat2(root, prefix, O_PATH | O_DIRECTORY, 0, RESOLVE)) {
          continue;
        } catch (ErrnoException x) {
          if (x.errno() != ENOENT) throw x;
        }
        try (Fd p = Linux.openat2(root, dotIfEmpty(parentPath), O_PATH | O_DIRECTORY, 0, RESOLVE)) {
          try {
            Linux.mkdirat(p, c, 0755);
            madeDirs.add(prefix);
          } catch (ErrnoException x) {
            if (x.errno() != EEXIST) throw x;
            // A dangling symlink: create what it points at, resolved in the root.
            String link = Linux.readlink("/proc/self/fd/" + p.fd() + "/" + c);
            mkdirs(inRoot(link.startsWith("/") ? link : parentPath + "/" + link), depth + 1);
          }
        }
      }
    }

    /** A path resolved lexically as if the root were "/": ".." at the top stays there. */
    private static String inRoot(String p) {
      java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
      for (String c : p.split("/")) {
        if (c.isEmpty() || c.equals(".")) continue;
        if (c.equals("..")) parts.pollLast();
        else parts.addLast(c);
      }
      return String.join("/", parts);
    }

    /**
     * Makes room for a new entry named {@code base}: a file or link there is unlinked, a directory
     * removed with its contents.
     */
    void clearSlot(Fd dir, String base, boolean keepDir) throws IOException {
      try {
        Linux.unlinkat(dir, base, 0);
      } catch (ErrnoException x) {
        if (x.errno() == ENOENT) return;
        if (x.errno() == dev.berth.sys.LinuxConstants.EISDIR) {
          if (mode == Mode.PLAIN)
            throw new IOException("cannot overwrite a directory with a non-directory");
          if (!keepDir) removeTree(dir, base);
          return;
        }
        throw x;
      }
    }

    /**
     * Removes {@code base} in {@code dir}, recursively, never following a symlink; nothing there is
     * fine.
     */
    void removeTree(Fd dir, String base) throws IOException {
      Stat st;
      try {
        st = Linux.fstatat(dir, base, AT_SYMLINK_NOFOLLOW);
      } catch (ErrnoException x) {
        if (x.errno() == ENOENT) return;
        throw x;
      }
      if (st.isDirectory()) {
        try (Fd d = Linux.openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
          for (String child : Linux.readdir(d)) removeTree(d, child);
        }
        Linux.unlinkat(dir, base, AT_REMOVEDIR);
        cacheStale = true; // the cached parent may have been inside
        plainDirs.clear();
      } else {
        Linux.unlinkat(dir, base, 0);
      }
    }

    void dropCache() {
      if (cachedFd != null) cachedFd.close();
      cachedFd = null;
      cachedRootOwned = 0;
      cachedPath = null;
      cacheStale = false;
    }

    void closeCache() {
      dropCache();
    }

    // ---- data and metadata
    // -------------------------------------------------------------------------------------

    /**
     * Writes the entry's data. A sparse file's regions are written where its map says and the holes
     * between and after them are only seeked over and truncated to: never written, so they cost no
     * time and no disk.
     */
    void copyData(Fd f, TarHeader e) throws IOException {
      TarHeader.Sparse sparse = e.sparse();
      if (sparse == null) {
        copy(f, e.size());
        return;
      }
      for (int i = 0; i < sparse.count(); i++) {
        if (sparse.length(i) == 0) continue;
        Linux.lseek(f, sparse.offset(i), SEEK_SET);
        copy(f, sparse.length(i));
      }
      Linux.ftruncate(f, sparse.realSize());
    }

    private void copy(Fd f, long size) throws IOException {
      long left = size;
      if (tar.direct()) {
        // Straight from the inflater's buffer to write(2): no copy to the heap and back.
        while (left > 0) {
          ByteBuffer b = tar.readDirect((int) Math.min(CHUNK, left));
          if (b == null) throw new EOFException("file content ends " + left + " bytes early");
          int n = b.remaining();
          left -= n;
          fileBytes += n;
          while (b.hasRemaining()) Linux.write(f, b);
        }
        return;
      }
      while (left > 0) {
        if (heap == null) heap = new byte[CHUNK];
        int n = tar.read(heap, 0, (int) Math.min(heap.length, left));
        if (n < 0) throw new EOFException("file content ends " + left + " bytes early");
        left -= n;
        fileBytes += n;
        writeAll(f, 0, n);
      }
    }

    /**
     * Refuses a sparse file whose holes would take the layer's over {@link Limits#sparseHoles()}.
     */
    private void countHoles(TarHeader e) throws UnpackException {
      long holes = e.sparse().realSize() - e.size();
      sparseHoles = holes > Long.MAX_VALUE - sparseHoles ? Long.MAX_VALUE : sparseHoles + holes;
      if (sparseHoles > limits.sparseHoles()) {
        throw new UnpackException(
            e.name(),
            "sparse file of "
                + e.sparse().realSize()
                + " bytes with "
                + e.size()
                + " bytes of data takes the holes this layer declares to "
                + sparseHoles
                + " bytes, over the limit of "
                + limits.sparseHoles());
      }
    }

    private void writeAll(Fd f, int off, int n) throws IOException {
      if (direct == null) direct = ByteBuffer.allocateDirect(CHUNK);
      direct.clear();
      direct.put(heap, off, n).flip();
      while (direct.hasRemaining()) Linux.write(f, direct);
    }

    void times(Fd dir, String base, TarHeader e) throws IOException {
      Instant m = e.mtime();
      Instant a = atime(e);
      Linux.utimensat(
          dir,
          base,
          a.getEpochSecond(),
          a.getNano(),
          m.getEpochSecond(),
          m.getNano(),
          AT_SYMLINK_NOFOLLOW);
    }

    void setXattrsByPath(Fd dir, String base, TarHeader e) throws IOException {
      Map<String, byte[]> xattrs = xattrs(e);
      if (xattrs.isEmpty()) return;
      // The magic link of the parent fd is a middle component (followed); base, the last, is not
      // followed.
      String p = "/proc/self/fd/" + dir.fd() + "/" + base;
      for (Map.Entry<String, byte[]> x : xattrs.entrySet())
        Linux.lsetxattr(p, x.getKey(), x.getValue(), 0);
    }

    /**
     * The entry's xattrs, minus overlayfs' own (a layer must not forge whiteouts or redirects that
     * way).
     */
    Map<String, byte[]> xattrs(TarHeader e) {
      if (e.xattrs().isEmpty()) return Map.of();
      Map<String, byte[]> out = new HashMap<>(e.xattrs());
      out.keySet().removeIf(k -> k.startsWith(OVERLAY_XATTRS));
      return out;
    }

    /** Directory times last: creating their contents changed them. */
    void finish() throws IOException {
      dropCache();
      // Siblings come one after the other (a tar lists a directory's subdirectories in turn): their
      // parent is opened once for them all. Nothing changes in the tree meanwhile.
      String parentPath = null;
      Fd parent = null;
      try {
        for (int i = dirTimes.size() - 1; i >= 0; i--) {
          DirTimes d = dirTimes.get(i);
          String p = dotIfEmpty(EntryPath.parent(d.path));
          try {
            if (!p.equals(parentPath)) {
              if (parent != null) parent.close();
              parent = null;
              parentPath = null;
              parent = Linux.openat2(root, p, O_PATH | O_DIRECTORY, 0, RESOLVE);
              parentPath = p;
            }
            Linux.utimensat(
                parent,
                d.path.isEmpty() ? "." : EntryPath.base(d.path),
                d.atime.getEpochSecond(),
                d.atime.getNano(),
                d.mtime.getEpochSecond(),
                d.mtime.getNano(),
                AT_SYMLINK_NOFOLLOW);
          } catch (ErrnoException x) {
            // A later entry of the same layer may have replaced or removed the directory: nothing
            // to set then.
            if (x.errno() != ENOENT && x.errno() != dev.berth.sys.LinuxConstants.ENOTDIR) {
              throw new UnpackException(d.name, "set directory times: " + x.getMessage(), x);
            }
          }
        }
      } finally {
        if (parent != null) parent.close();
      }
    }
  }

  private record DirTimes(String path, String name, Instant atime, Instant mtime) {
    DirTimes(String path, TarHeader e) {
      this(path, e.name(), LayerUnpacker.atime(e), e.mtime());
    }
  }

  /** The access time, or the modification time when the layer gives none. */
  private static Instant atime(TarHeader e) {
    return e.atime() == null ? e.mtime() : e.atime();
  }

  /** The owner an entry gets: the override, else the tar's (checked). */
  private int uid(TarHeader e) throws UnpackException {
    int v = id(e, "uid", e.uid());
    return owner == null ? v : owner[0];
  }

  private int gid(TarHeader e) throws UnpackException {
    int v = id(e, "gid", e.gid());
    return owner == null ? v : owner[1];
  }

  private static String dotIfEmpty(String p) {
    return p.isEmpty() ? "." : p;
  }

  /**
   * A uid or gid as chown(2) takes it, refused outside 0..2^32-2 rather than wrapped (2^32 would
   * become root).
   */
  private static int id(TarHeader e, String what, long v) throws UnpackException {
    if (v < 0 || v > MAX_ID) {
      throw new UnpackException(
          e.name(), what + " " + v + " is out of range (0 to " + MAX_ID + ")");
    }
    return (int) v;
  }

  private static String describeType(byte t) {
    return t >= 0x20 && t < 0x7f ? "'" + (char) t + "'" : String.format("0x%02x", t & 0xff);
  }
}
