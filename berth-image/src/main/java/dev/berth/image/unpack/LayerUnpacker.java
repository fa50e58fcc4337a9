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
import static dev.berth.sys.LinuxConstants.SEEK_CUR;
import static dev.berth.sys.LinuxConstants.S_IFBLK;
import static dev.berth.sys.LinuxConstants.S_IFCHR;
import static dev.berth.sys.LinuxConstants.S_IFIFO;

import com.github.luben.zstd.ZstdInputStream;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Unpacks one image layer (a tar, maybe compressed) into a directory, streaming: decompress, hash (the diffID), read
 * entries, write files. Layers are hostile input. Every path is resolved inside the target with openat2
 * (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) on its parent directory and its last component is created with *at
 * calls relative to that directory fd, never following a final symlink; names that climb out of the root are refused.
 *
 * <p>One instance may unpack several layers, one at a time (it holds a reusable buffer).
 */
public final class LayerUnpacker {
  private static final int CHUNK = 1 << 20;
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";
  private static final String OVERLAY_XATTRS = "trusted.overlay.";
  private static final String OPAQUE_XATTR = "trusted.overlay.opaque";
  private static final String SCHILY = "SCHILY.xattr.";
  private static final long RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

  private final byte[] heap = new byte[CHUNK];
  /** The process umask (applied by the kernel to a created file's mode), read once from /proc/self/status. */
  private static final int UMASK = readUmask();

  private static int readUmask() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("Umask:")) return Integer.parseInt(line.substring(6).trim(), 8);
      }
    } catch (IOException | RuntimeException e) {
      // fall through: assume the worst, every file gets its chmod
    }
    return 0777;
  }

  private final ByteBuffer direct = ByteBuffer.allocateDirect(CHUNK);
  private final boolean mayCreateDevices;

  public LayerUnpacker() {
    this.mayCreateDevices = DeviceRights.mayCreateDevices();
  }

  /**
   * Unpacks {@code blob} (compressed as {@code c}) into the directory {@code target}. On an error the target holds
   * what was written so far: it is the caller's to discard.
   */
  public UnpackResult unpack(InputStream blob, Compression c, Path target, Mode mode) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    // The caller owns blob and drains it after us (bytes after the compressed stream still count for its digest):
    // closing the decompressor must not close it.
    InputStream owned = new java.io.FilterInputStream(blob) {
      @Override
      public void close() {}
    };
    InputStream plain = switch (c) {
      case NONE -> new BufferedInputStream(owned, 256 * 1024);
      case GZIP -> new GZIPInputStream(new BufferedInputStream(owned, 256 * 1024), 256 * 1024);
      case ZSTD -> new BufferedInputStream(new ZstdInputStream(owned), 256 * 1024);
    };
    TarFeed feed = new TarFeed(plain, sha);
    TarArchiveInputStream tar = new TarArchiveInputStream(feed);
    Fd root;
    try {
      root = Linux.open(target.toString(), O_PATH | O_DIRECTORY | O_NOFOLLOW, 0);
    } catch (ErrnoException e) {
      throw new UnpackException(null, "open unpack target: " + e.getMessage(), e);
    }
    try (root) {
      Session s = new Session(root, mode, tar, feed);
      String last = null;
      while (true) {
        TarArchiveEntry e;
        feed.startCapture();
        try {
          e = tar.getNextEntry();
        } catch (IOException x) {
          String where = last == null ? "reading the first tar header" : "reading the tar header after entry "
              + UnpackException.quote(last);
          throw new UnpackException(null, where + ": " + x.getMessage(), x);
        } finally {
          feed.stopCapture();
        }
        if (e == null) break;
        last = e.getName();
        s.apply(e);
      }
      s.finish();
      feed.drain();
      s.closeCache();
      return new UnpackResult(Digest.sha256(sha.digest()), feed.position(), s.entries, s.fileBytes, s.whiteouts,
          s.skippedDevices);
    } finally {
      if (c != Compression.NONE) plain.close(); // frees inflater / zstd native state; the caller owns blob
    }
  }

  /** The state of one unpack. */
  private final class Session {
    final Fd root;
    final Mode mode;
    final TarArchiveInputStream tar;
    final TarFeed feed;
    // Paths this layer created: whiteouts and opaque markers only hide what lower layers had (image-spec).
    final Set<String> written = new HashSet<>();
    // OVERLAY: paths whited out by this layer; a directory this layer then creates there must be opaque.
    final Set<String> whited = new HashSet<>();
    final List<DirTimes> dirTimes = new ArrayList<>();
    String cachedPath;
    Fd cachedFd;
    // Set when a directory was removed: the cached fd may name a removed directory. It is closed only when the next
    // lookup replaces it, since the caller that removed may still be using it.
    boolean cacheStale;
    long entries;
    long fileBytes;
    long whiteouts;
    long skippedDevices;

    Session(Fd root, Mode mode, TarArchiveInputStream tar, TarFeed feed) {
      this.root = root;
      this.mode = mode;
      this.tar = tar;
      this.feed = feed;
    }

    void apply(TarArchiveEntry e) throws IOException {
      String name = e.getName();
      byte type = e.getLinkFlag();
      if (type == 'g') return; // a global PAX header commons-compress hands through: nothing to create
      String path = EntryPath.clean(name, "path");
      entries++;
      try {
        String base = path.isEmpty() ? "" : EntryPath.base(path);
        if (base.startsWith(WHITEOUT)) {
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
          case '0', 0, '7', 'S' -> {
            if (type != 'S' && name.endsWith("/")) directory(e, path); // pre-POSIX tar marks dirs with a slash
            else regularFile(e, path);
          }
          case '5' -> directory(e, path);
          case '2' -> symlink(e, path);
          case '1' -> hardlink(e, path);
          case '3', '4' -> device(e, path, type == '3' ? S_IFCHR : S_IFBLK);
          case '6' -> fifo(e, path);
          default -> throw new UnpackException(name, "unsupported tar entry type " + describeType(type));
        }
        written.add(path);
      } catch (UnpackException x) {
        throw x;
      } catch (EOFException x) {
        throw new UnpackException(name, "layer is truncated: " + x.getMessage(), x);
      } catch (IOException x) {
        String m = x.getMessage() == null ? x.toString() : x.getMessage();
        if (m.toLowerCase().contains("truncated")) {
          throw new UnpackException(name, "layer is truncated: " + m, x);
        }
        throw new UnpackException(name, m, x);
      }
    }

    // ---- entry kinds -------------------------------------------------------------------------------------------

    void regularFile(TarArchiveEntry e, String path) throws IOException {
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      // Created with its final permission bits when the umask keeps them and there are no setuid/setgid/sticky
      // bits (which chown would clear): then no chmod. Most files of a layer are new: try O_EXCL first and clear
      // the slot only when something is there. Both save a syscall per file of many-small-files layers.
      int want = e.getMode() & 07777;
      boolean exact = (want & 07000) == 0 && (want & UMASK) == 0;
      try (Fd f = createExclusive(dir, base, exact ? want : 0600)) {
        long size = e.isSparse() ? e.getRealSize() : e.getSize();
        copyData(f, size, e.isSparse());
        Linux.fchown(f, (int) e.getLongUserId(), (int) e.getLongGroupId());
        if (!exact) Linux.fchmod(f, want); // after chown, which clears setuid/setgid
        Map<String, byte[]> xattrs = xattrs(e);
        for (Map.Entry<String, byte[]> x : xattrs.entrySet()) Linux.fsetxattr(f, x.getKey(), x.getValue(), 0);
      }
      times(dir, base, e);
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

    void directory(TarArchiveEntry e, String path) throws IOException {
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      try {
        Linux.mkdirat(dir, base, 0700);
      } catch (ErrnoException x) {
        if (x.errno() != EEXIST) throw x;
        if (!Linux.fstatat(dir, base, AT_SYMLINK_NOFOLLOW).isDirectory()) {
          removeTree(dir, base);
          Linux.mkdirat(dir, base, 0700);
        }
      }
      try (Fd d = Linux.openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
        applyDirMetadata(d, e);
        if (mode == Mode.OVERLAY && whited.contains(path)) Linux.fsetxattr(d, OPAQUE_XATTR, new byte[] {'y'}, 0);
      }
      dirTimes.add(new DirTimes(path, e));
    }

    void rootDir(TarArchiveEntry e) throws IOException {
      try (Fd d = Linux.openat(root, ".", O_RDONLY | O_DIRECTORY, 0)) {
        applyDirMetadata(d, e);
      }
      dirTimes.add(new DirTimes("", e));
    }

    void applyDirMetadata(Fd d, TarArchiveEntry e) throws IOException {
      Linux.fchown(d, (int) e.getLongUserId(), (int) e.getLongGroupId());
      Linux.fchmod(d, e.getMode() & 07777);
      for (Map.Entry<String, byte[]> x : xattrs(e).entrySet()) Linux.fsetxattr(d, x.getKey(), x.getValue(), 0);
    }

    void symlink(TarArchiveEntry e, String path) throws IOException {
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      clearSlot(dir, base, false);
      Linux.symlinkat(e.getLinkName(), dir, base); // the target verbatim; nothing ever follows it here
      Linux.fchownat(dir, base, (int) e.getLongUserId(), (int) e.getLongGroupId(), AT_SYMLINK_NOFOLLOW);
      setXattrsByPath(dir, base, e);
      times(dir, base, e);
    }

    void hardlink(TarArchiveEntry e, String path) throws IOException {
      String target;
      try {
        target = EntryPath.clean(e.getLinkName(), "path");
      } catch (UnpackException x) {
        throw new UnpackException(e.getName(), "hardlink target " + UnpackException.quote(e.getLinkName())
            + " escapes the layer root");
      }
      if (target.isEmpty()) throw new UnpackException(e.getName(), "hardlink to the layer root");
      if (target.equals(path)) throw new UnpackException(e.getName(), "hardlink to itself");
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      clearSlot(dir, base, false);
      try (Fd tdir = Linux.openat2(root, dotIfEmpty(EntryPath.parent(target)), O_PATH | O_DIRECTORY, 0, RESOLVE)) {
        // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, as tar means, and never what it points at.
        Linux.linkat(tdir, EntryPath.base(target), dir, base, 0);
      } catch (ErrnoException x) {
        throw new UnpackException(e.getName(), "hardlink to " + UnpackException.quote(e.getLinkName()) + ": "
            + x.getMessage(), x);
      }
    }

    void device(TarArchiveEntry e, String path, int type) throws IOException {
      if (!mayCreateDevices) {
        skippedDevices++;
        return;
      }
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      clearSlot(dir, base, false);
      Linux.mknodat(dir, base, type | 0600, Stat.makedev(e.getDevMajor(), e.getDevMinor()));
      ownModeXattrsTimes(dir, base, e);
    }

    void fifo(TarArchiveEntry e, String path) throws IOException {
      Fd dir = parent(e, path);
      String base = EntryPath.base(path);
      clearSlot(dir, base, false);
      Linux.mknodat(dir, base, S_IFIFO | 0600, 0);
      ownModeXattrsTimes(dir, base, e);
    }

    void ownModeXattrsTimes(Fd dir, String base, TarArchiveEntry e) throws IOException {
      Linux.fchownat(dir, base, (int) e.getLongUserId(), (int) e.getLongGroupId(), AT_SYMLINK_NOFOLLOW);
      Linux.fchmodat(dir, base, e.getMode() & 07777); // base was just created by mknodat: not a symlink
      setXattrsByPath(dir, base, e);
      times(dir, base, e);
    }

    // ---- whiteouts ---------------------------------------------------------------------------------------------

    void whiteout(String name, String path, String base) throws IOException {
      String dirPath = EntryPath.parent(path);
      whiteouts++;
      if (base.equals(OPAQUE)) {
        if (mode == Mode.OVERLAY) {
          Fd d = dirFd(name, dirPath);
          Linux.lsetxattr("/proc/self/fd/" + d.fd() + "/.", OPAQUE_XATTR, new byte[] {'y'}, 0);
        } else {
          removeLower(name, dirPath);
        }
        return;
      }
      String victim = base.substring(WHITEOUT.length());
      if (victim.isEmpty() || victim.equals(".") || victim.equals("..")) {
        throw new UnpackException(name, "whiteout of " + (dirPath.isEmpty() ? "the layer root" : "a directory itself"
            + " (" + UnpackException.quote(victim) + ")"));
      }
      String victimPath = dirPath.isEmpty() ? victim : dirPath + "/" + victim;
      Fd dir = dirFd(name, dirPath);
      if (written.contains(victimPath)) {
        // This layer's own entry stays (a whiteout hides lower layers only); a directory of ours there must not
        // show the lower one's contents.
        if (mode == Mode.OVERLAY && Linux.fstatat(dir, victim, AT_SYMLINK_NOFOLLOW).isDirectory()) {
          Linux.lsetxattr("/proc/self/fd/" + dir.fd() + "/" + victim, OPAQUE_XATTR, new byte[] {'y'}, 0);
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

    /** APPLY: empties {@code dirPath} of everything lower layers put there, keeping what this layer wrote. */
    void removeLower(String name, String dirPath) throws IOException {
      Fd parent = dirFd(name, dirPath);
      try (Fd d = Linux.openat(parent, ".", O_RDONLY | O_DIRECTORY, 0)) {
        removeLowerIn(d, dirPath);
      }
      cacheStale = true;
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

    // ---- paths -------------------------------------------------------------------------------------------------

    /** The parent directory of {@code path}, resolved in the root, created (0755, root-owned) when missing. */
    Fd parent(TarArchiveEntry e, String path) throws IOException {
      return dirFd(e.getName(), EntryPath.parent(path));
    }

    Fd dirFd(String name, String dirPath) throws IOException {
      if (!cacheStale && dirPath.equals(cachedPath) && cachedFd != null) return cachedFd;
      Fd fd;
      try {
        fd = Linux.openat2(root, dotIfEmpty(dirPath), O_PATH | O_DIRECTORY, 0, RESOLVE);
      } catch (ErrnoException x) {
        if (x.errno() != ENOENT) throw new UnpackException(name, "open parent directory: " + x.getMessage(), x);
        fd = makeDirs(name, dirPath);
      }
      dropCache();
      cachedPath = dirPath;
      cachedFd = fd;
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
     * Creates the missing directories of {@code dirPath} as the kernel would resolve it in the root: a dangling
     * symlink on the way is followed (its target resolved in the root, ".." stopping at the root) and the directory
     * it names is created, so a layer writing "through" a link lands where RESOLVE_IN_ROOT says, never outside.
     */
    private void mkdirs(String dirPath, int depth) throws IOException {
      if (depth > 40) throw new ErrnoException(dev.berth.sys.LinuxConstants.ELOOP, "mkdirat", dirPath);
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
     * Makes room for a new entry named {@code base}: a file or link there is unlinked, a directory removed with its
     * contents.
     */
    void clearSlot(Fd dir, String base, boolean keepDir) throws IOException {
      try {
        Linux.unlinkat(dir, base, 0);
      } catch (ErrnoException x) {
        if (x.errno() == ENOENT) return;
        if (x.errno() == dev.berth.sys.LinuxConstants.EISDIR) {
          if (!keepDir) removeTree(dir, base);
          return;
        }
        throw x;
      }
    }

    /** Removes {@code base} in {@code dir}, recursively, never following a symlink; nothing there is fine. */
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
      } else {
        Linux.unlinkat(dir, base, 0);
      }
    }

    void dropCache() {
      if (cachedFd != null) cachedFd.close();
      cachedFd = null;
      cachedPath = null;
      cacheStale = false;
    }

    void closeCache() {
      dropCache();
    }

    // ---- data and metadata -------------------------------------------------------------------------------------

    void copyData(Fd f, long size, boolean sparse) throws IOException {
      long left = size;
      boolean holeAtEnd = false;
      while (left > 0) {
        int n = tar.read(heap, 0, (int) Math.min(heap.length, left));
        if (n < 0) throw new EOFException("file content ends " + left + " bytes early");
        left -= n;
        fileBytes += n;
        if (sparse) {
          holeAtEnd = writeSkippingZeros(f, n);
        } else {
          writeAll(f, 0, n);
        }
      }
      if (sparse && holeAtEnd) Linux.ftruncate(f, size);
    }

    /** Writes heap[0, n) leaving 4 KiB blocks of zeros as holes; true when it ended on a hole. */
    private boolean writeSkippingZeros(Fd f, int n) throws IOException {
      int i = 0;
      boolean hole = false;
      while (i < n) {
        int end = Math.min(n, i + 4096);
        if (allZero(i, end)) {
          Linux.lseek(f, end - i, SEEK_CUR);
          hole = true;
        } else {
          writeAll(f, i, end - i);
          hole = false;
        }
        i = end;
      }
      return hole;
    }

    private boolean allZero(int from, int to) {
      for (int i = from; i < to; i++) if (heap[i] != 0) return false;
      return true;
    }

    private void writeAll(Fd f, int off, int n) throws IOException {
      direct.clear();
      direct.put(heap, off, n).flip();
      while (direct.hasRemaining()) Linux.write(f, direct);
    }

    void times(Fd dir, String base, TarArchiveEntry e) throws IOException {
      Instant m = mtime(e);
      Instant a = atime(e, m);
      Linux.utimensat(dir, base, a.getEpochSecond(), a.getNano(), m.getEpochSecond(), m.getNano(),
          AT_SYMLINK_NOFOLLOW);
    }

    void setXattrsByPath(Fd dir, String base, TarArchiveEntry e) throws IOException {
      Map<String, byte[]> xattrs = xattrs(e);
      if (xattrs.isEmpty()) return;
      // The magic link of the parent fd is a middle component (followed); base, the last, is not followed.
      String p = "/proc/self/fd/" + dir.fd() + "/" + base;
      for (Map.Entry<String, byte[]> x : xattrs.entrySet()) Linux.lsetxattr(p, x.getKey(), x.getValue(), 0);
    }

    /** The entry's xattrs, minus overlayfs' own (a layer must not forge whiteouts or redirects that way). */
    Map<String, byte[]> xattrs(TarArchiveEntry e) {
      Map<String, String> pax = e.getExtraPaxHeaders();
      if (pax.isEmpty()) return Map.of();
      Map<String, byte[]> out = new HashMap<>();
      Map<String, byte[]> raw = null;
      for (Map.Entry<String, String> h : pax.entrySet()) {
        String k = h.getKey();
        String name;
        if (k.startsWith(SCHILY)) {
          name = k.substring(SCHILY.length());
        } else if (k.startsWith("LIBARCHIVE.xattr.")) {
          name = java.net.URLDecoder.decode(k.substring("LIBARCHIVE.xattr.".length()), StandardCharsets.UTF_8);
        } else {
          continue;
        }
        if (name.startsWith(OVERLAY_XATTRS)) continue;
        if (raw == null) raw = feed.rawXattrs();
        byte[] v = raw.get(name);
        if (v == null) v = h.getValue().getBytes(StandardCharsets.UTF_8);
        out.putIfAbsent(name, v);
      }
      return out;
    }

    /** Directory times last: creating their contents changed them. */
    void finish() throws IOException {
      dropCache();
      for (int i = dirTimes.size() - 1; i >= 0; i--) {
        DirTimes d = dirTimes.get(i);
        try (Fd p = Linux.openat2(root, dotIfEmpty(EntryPath.parent(d.path)), O_PATH | O_DIRECTORY, 0, RESOLVE)) {
          String base = d.path.isEmpty() ? "." : EntryPath.base(d.path);
          Linux.utimensat(p, base, d.atime.getEpochSecond(), d.atime.getNano(), d.mtime.getEpochSecond(),
              d.mtime.getNano(), AT_SYMLINK_NOFOLLOW);
        } catch (ErrnoException x) {
          // A later entry of the same layer may have replaced or removed the directory: nothing to set then.
          if (x.errno() != ENOENT && x.errno() != dev.berth.sys.LinuxConstants.ENOTDIR) {
            throw new UnpackException(d.name, "set directory times: " + x.getMessage(), x);
          }
        }
      }
    }
  }

  private record DirTimes(String path, String name, Instant atime, Instant mtime) {
    DirTimes(String path, TarArchiveEntry e) {
      this(path, e.getName(), LayerUnpacker.atime(e, LayerUnpacker.mtime(e)), LayerUnpacker.mtime(e));
    }
  }

  private static Instant mtime(TarArchiveEntry e) {
    FileTime t = e.getLastModifiedTime();
    return t == null ? Instant.EPOCH : t.toInstant();
  }

  private static Instant atime(TarArchiveEntry e, Instant mtime) {
    FileTime t = e.getLastAccessTime();
    return t == null ? mtime : t.toInstant();
  }

  private static String dotIfEmpty(String p) {
    return p.isEmpty() ? "." : p;
  }

  private static String describeType(byte t) {
    return t >= 0x20 && t < 0x7f ? "'" + (char) t + "'" : String.format("0x%02x", t & 0xff);
  }
}
