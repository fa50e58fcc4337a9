package dev.berth.sys;

import static dev.berth.sys.LinuxConstants.AF_UNIX;
import static dev.berth.sys.LinuxConstants.AT_EMPTY_PATH;
import static dev.berth.sys.LinuxConstants.AT_FDCWD;
import static dev.berth.sys.LinuxConstants.AT_REMOVEDIR;
import static dev.berth.sys.LinuxConstants.AT_SYMLINK_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.EINTR;
import static dev.berth.sys.LinuxConstants.EINVAL;
import static dev.berth.sys.LinuxConstants.EMSGSIZE;
import static dev.berth.sys.LinuxConstants.ENAMETOOLONG;
import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.ENOTDIR;
import static dev.berth.sys.LinuxConstants.ENOTTY;
import static dev.berth.sys.LinuxConstants.F_ADD_SEALS;
import static dev.berth.sys.LinuxConstants.F_GET_SEALS;
import static dev.berth.sys.LinuxConstants.MFD_CLOEXEC;
import static dev.berth.sys.LinuxConstants.MSG_CMSG_CLOEXEC;
import static dev.berth.sys.LinuxConstants.MSG_CTRUNC;
import static dev.berth.sys.LinuxConstants.MSG_NOSIGNAL;
import static dev.berth.sys.LinuxConstants.O_CLOEXEC;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_PATH;
import static dev.berth.sys.LinuxConstants.SCM_RIGHTS;
import static dev.berth.sys.LinuxConstants.SOCK_CLOEXEC;
import static dev.berth.sys.LinuxConstants.SOL_SOCKET;
import static dev.berth.sys.LinuxConstants.S_IFIFO;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Linux syscalls, one typed method each, named as in the man pages. Every failure is an {@link
 * ErrnoException} naming the call and its subject (the path, the pid). Every fd returned is
 * close-on-exec: O_CLOEXEC, SOCK_CLOEXEC, MFD_CLOEXEC and MSG_CMSG_CLOEXEC are added whether or not
 * the caller passed them, so no fd can leak into a child (CVE-2024-21626); a child gets exactly the
 * fds in the map given to {@link #spawn}.
 *
 * <p>Calls that can block (read, write, wait4, accept, recvmsg, sendmsg, flock, open of a fifo,
 * poll) are restarted on EINTR. They block the calling thread in native code; a virtual thread
 * stays pinned to its carrier meanwhile.
 */
public final class Linux {
  private Linux() {}

  // ---- the trampoline
  // --------------------------------------------------------------------------------------------

  private static long sys(int nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    return Native.syscall6(nr, a1, a2, a3, a4, a5, a6);
  }

  private static long sys(int nr, long a1, long a2, long a3) {
    return Native.syscall6(nr, a1, a2, a3, 0, 0, 0);
  }

  /** The result, or an ErrnoException for {@code call} on {@code detail}. */
  private static long check(long r, String call, String detail) throws ErrnoException {
    if (r < 0) throw new ErrnoException((int) -r, call, detail);
    return r;
  }

  /** As above; the fd is named only when the call failed. */
  private static long check(long r, String call, Fd fd) throws ErrnoException {
    if (r < 0) throw new ErrnoException((int) -r, call, fd.toString());
    return r;
  }

  private static long checkPid(long r, String call, int pid) throws ErrnoException {
    if (r < 0) throw new ErrnoException((int) -r, call, "pid " + pid);
    return r;
  }

  /** Retries a call that can be interrupted by a signal before it did anything. */
  private static long retry(int nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    long r;
    do {
      r = Native.syscall6(nr, a1, a2, a3, a4, a5, a6);
    } while (r == -EINTR);
    return r;
  }

  private static int dirfd(Fd dir) {
    return dir == null ? AT_FDCWD : dir.fd();
  }

  // ---- files
  // -----------------------------------------------------------------------------------------------------

  /** open(2); O_CLOEXEC is always added. */
  public static Fd open(String path, int flags, int mode) throws ErrnoException {
    return openat(null, path, flags, mode);
  }

  /**
   * Opens anew, with {@code flags}, the file an O_PATH fd holds (through its /proc/self/fd magic
   * link): the same inode, whatever its name has become since the fd was taken.
   */
  public static Fd reopen(Fd path, int flags) throws ErrnoException {
    return open("/proc/self/fd/" + path.fd(), flags, 0);
  }

  /** openat(2) relative to {@code dir} (null: the working directory); O_CLOEXEC is always added. */
  public static Fd openat(Fd dir, String path, int flags, int mode) throws ErrnoException {
    int d = dirfd(dir);
    long p = Scratch.get().cstring(path, "open");
    long r = retry(Nr.OPENAT, d, p, flags | O_CLOEXEC, mode, 0, 0);
    return new Fd((int) check(r, "open", path));
  }

  /**
   * How many times openat2 is tried again after EAGAIN (a concurrent rename or mount) before the
   * error is thrown.
   */
  static final int OPENAT2_RETRIES = 128;

  /**
   * openat2(2) with {@code resolve} flags (RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS...), relative to
   * {@code dir} (null: the working directory); O_CLOEXEC is always added. ENOSYS before Linux 5.6:
   * see {@link Kernel#hasOpenat2()}.
   */
  public static Fd openat2(Fd dir, String path, long flags, long mode, long resolve)
      throws ErrnoException {
    int d = dirfd(dir);
    Scratch s = Scratch.get();
    Scratch.Mem how =
        s.alloc(24).putLong(0, flags | O_CLOEXEC).putLong(8, mode).putLong(16, resolve);
    long p = s.cstring(path, "openat2");
    long r = retry(Nr.OPENAT2, d, p, how.addr, 24, 0, 0);
    // With RESOLVE_IN_ROOT or RESOLVE_BENEATH the kernel answers EAGAIN when a rename or a mount
    // happened anywhere on
    // the system during the walk, and asks the caller to try again (openat2(2)); on a busy host
    // (containers starting,
    // layers unpacking) that is routine, so retry a bounded number of times, as runc and libpathrs
    // do.
    for (int i = 0; r == -LinuxConstants.EAGAIN && i < OPENAT2_RETRIES; i++)
      r = retry(Nr.OPENAT2, d, p, how.addr, 24, 0, 0);
    return new Fd((int) check(r, "openat2", path));
  }

  /**
   * read(2) into {@code buf} from its position up to its limit; advances the position. Returns the
   * bytes read, 0 at end of file (or when {@code buf} has no room left).
   */
  public static int read(Fd fd, ByteBuffer buf) throws ErrnoException {
    int n = buf.remaining();
    if (n == 0) return 0;
    int pos = buf.position();
    int f = fd.fd();
    long r;
    if (buf.isDirect()) {
      r = retry(Nr.READ, f, Native.address(buf) + pos, n, 0, 0, 0);
      Reference.reachabilityFence(buf);
      check(r, "read", fd);
    } else {
      ByteBuffer b = Scratch.get().bounce(n);
      n = Math.min(n, b.capacity());
      r = check(retry(Nr.READ, f, Native.address(b), n, 0, 0, 0), "read", fd);
      buf.put(pos, b, 0, (int) r);
    }
    buf.position(pos + (int) r);
    return (int) r;
  }

  /**
   * write(2) from {@code buf}'s position up to its limit; advances the position. Returns the bytes
   * written.
   */
  public static int write(Fd fd, ByteBuffer buf) throws ErrnoException {
    int n = buf.remaining();
    if (n == 0) return 0;
    int pos = buf.position();
    int f = fd.fd();
    long r;
    if (buf.isDirect()) {
      r = retry(Nr.WRITE, f, Native.address(buf) + pos, n, 0, 0, 0);
      Reference.reachabilityFence(buf);
      check(r, "write", fd);
    } else {
      ByteBuffer b = Scratch.get().bounce(n);
      n = Math.min(n, b.capacity());
      b.put(0, buf, pos, n);
      r = check(retry(Nr.WRITE, f, Native.address(b), n, 0, 0, 0), "write", fd);
    }
    buf.position(pos + (int) r);
    return (int) r;
  }

  /** Reads until end of file. */
  public static byte[] readAll(Fd fd) throws ErrnoException {
    int f = fd.fd();
    ByteBuffer b = Scratch.get().bounce(16 * 1024);
    long a = Native.address(b);
    byte[] out = new byte[0];
    int len = 0;
    while (true) {
      long r = check(retry(Nr.READ, f, a, b.capacity(), 0, 0, 0), "read", fd);
      if (r == 0) return len == out.length ? out : Arrays.copyOf(out, len);
      if (len + r > out.length) out = Arrays.copyOf(out, Math.max(len + (int) r, 2 * out.length));
      b.get(0, out, len, (int) r);
      len += (int) r;
    }
  }

  /** Writes all of {@code data}, looping over short writes. */
  public static void writeAll(Fd fd, byte[] data) throws ErrnoException {
    int f = fd.fd();
    ByteBuffer b = Scratch.get().bounce(data.length);
    long a = Native.address(b);
    int off = 0;
    while (off < data.length) {
      int n = Math.min(b.capacity(), data.length - off);
      b.put(0, data, off, n);
      int done = 0;
      while (done < n) {
        done += (int) check(retry(Nr.WRITE, f, a + done, n - done, 0, 0, 0), "write", fd);
      }
      off += n;
    }
  }

  /**
   * pread(2) into {@code buf} (direct) from its position up to its limit, at {@code offset} of the
   * file; advances the buffer's position, not the file's. Returns the bytes read, 0 at end of file.
   */
  public static int pread(Fd fd, ByteBuffer buf, long offset) throws ErrnoException {
    int pos = buf.position();
    long r =
        retry(
            Nr.PREAD64, fd.fd(), Native.address(direct(buf)) + pos, buf.remaining(), offset, 0, 0);
    Reference.reachabilityFence(buf);
    check(r, "pread", fd);
    buf.position(pos + (int) r);
    return (int) r;
  }

  /**
   * pwrite(2) from {@code buf} (direct), its position up to its limit, at {@code offset} of the
   * file; advances the buffer's position, not the file's. Returns the bytes written.
   */
  public static int pwrite(Fd fd, ByteBuffer buf, long offset) throws ErrnoException {
    int pos = buf.position();
    long r =
        retry(
            Nr.PWRITE64, fd.fd(), Native.address(direct(buf)) + pos, buf.remaining(), offset, 0, 0);
    Reference.reachabilityFence(buf);
    check(r, "pwrite", fd);
    buf.position(pos + (int) r);
    return (int) r;
  }

  private static ByteBuffer direct(ByteBuffer buf) {
    if (!buf.isDirect()) throw new IllegalArgumentException("a direct buffer is needed");
    return buf;
  }

  /** lseek(2); returns the new offset. */
  public static long lseek(Fd fd, long offset, int whence) throws ErrnoException {
    return check(sys(Nr.LSEEK, fd.fd(), offset, whence), "lseek", fd);
  }

  /** mkfifo(3), as mknodat(2) with S_IFIFO. */
  public static void mkfifo(String path, int mode) throws ErrnoException {
    long p = Scratch.get().cstring(path, "mkfifo");
    check(sys(Nr.MKNODAT, AT_FDCWD, p, S_IFIFO | (mode & 07777)), "mkfifo", path);
  }

  /** unlink(2) of a file (not a directory). */
  public static void unlink(String path) throws ErrnoException {
    long p = Scratch.get().cstring(path, "unlink");
    check(sys(Nr.UNLINKAT, AT_FDCWD, p, 0), "unlink", path);
  }

  /** rmdir(2) of an empty directory. */
  public static void rmdir(String path) throws ErrnoException {
    long p = Scratch.get().cstring(path, "rmdir");
    check(sys(Nr.UNLINKAT, AT_FDCWD, p, AT_REMOVEDIR), "rmdir", path);
  }

  /** mkdir(2); the umask applies. */
  public static void mkdir(String path, int mode) throws ErrnoException {
    long p = Scratch.get().cstring(path, "mkdir");
    check(sys(Nr.MKDIRAT, AT_FDCWD, p, mode), "mkdir", path);
  }

  /** rename(2), or renameat2(2) with RENAME_NOREPLACE / RENAME_EXCHANGE in {@code flags}. */
  public static void rename(String from, String to, int flags) throws ErrnoException {
    Scratch s = Scratch.get();
    long a = s.cstring(from, "rename");
    long b = s.cstring(to, "rename");
    check(sys(Nr.RENAMEAT2, AT_FDCWD, a, AT_FDCWD, b, flags, 0), "rename", from + " to " + to);
  }

  /** flock(2): LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB not to wait (EWOULDBLOCK when held). */
  public static void flock(Fd fd, int op) throws ErrnoException {
    check(retry(Nr.FLOCK, fd.fd(), op, 0, 0, 0, 0), "flock", fd);
  }

  /** fchmod(2). */
  public static void fchmod(Fd fd, int mode) throws ErrnoException {
    check(sys(Nr.FCHMOD, fd.fd(), mode, 0), "fchmod", fd);
  }

  /** chmod(2), following symlinks. */
  public static void chmod(String path, int mode) throws ErrnoException {
    long p = Scratch.get().cstring(path, "chmod");
    check(sys(Nr.FCHMODAT, AT_FDCWD, p, mode), "chmod", path);
  }

  /** fchown(2); -1 leaves the uid or gid as it is. */
  public static void fchown(Fd fd, int uid, int gid) throws ErrnoException {
    check(sys(Nr.FCHOWN, fd.fd(), uid, gid), "fchown", fd);
  }

  /** chown(2), following symlinks; -1 leaves the uid or gid as it is. */
  public static void chown(String path, int uid, int gid) throws ErrnoException {
    long p = Scratch.get().cstring(path, "chown");
    check(sys(Nr.FCHOWNAT, AT_FDCWD, p, uid, gid, 0, 0), "chown", path);
  }

  /** lchown(2): the symlink itself, not its target. */
  public static void lchown(String path, int uid, int gid) throws ErrnoException {
    long p = Scratch.get().cstring(path, "lchown");
    check(sys(Nr.FCHOWNAT, AT_FDCWD, p, uid, gid, AT_SYMLINK_NOFOLLOW, 0), "lchown", path);
  }

  /** ftruncate(2). */
  public static void ftruncate(Fd fd, long length) throws ErrnoException {
    check(sys(Nr.FTRUNCATE, fd.fd(), length, 0), "ftruncate", fd);
  }

  /** fcntl(2) with an integer argument; returns what the command returns. */
  public static long fcntl(Fd fd, int cmd, long arg) throws ErrnoException {
    return check(sys(Nr.FCNTL, fd.fd(), cmd, arg), "fcntl", fd);
  }

  /**
   * dup3(2): makes {@code newFd} a copy of {@code oldFd} (closing what {@code newFd} was), with
   * O_CLOEXEC in {@code flags} or not. Raw numbers: this is for placing fds at fixed numbers, e.g.
   * 0-2.
   */
  public static void dup3(int oldFd, int newFd, int flags) throws ErrnoException {
    check(sys(Nr.DUP3, oldFd, newFd, flags), "dup3", "fd " + oldFd + " to " + newFd);
  }

  /** A close-on-exec duplicate of {@code fd} (fcntl F_DUPFD_CLOEXEC). */
  public static Fd dup(Fd fd) throws ErrnoException {
    return new Fd(
        (int) check(sys(Nr.FCNTL, fd.fd(), LinuxConstants.F_DUPFD_CLOEXEC, 0), "dup", fd));
  }

  /** pipe2(2): {read end, write end}, close-on-exec. */
  public static Fd[] pipe2(int flags) throws ErrnoException {
    Scratch.Mem fds = Scratch.get().alloc(8);
    check(sys(Nr.PIPE2, fds.addr, flags | O_CLOEXEC, 0), "pipe2", (String) null);
    return new Fd[] {new Fd(fds.getInt(0)), new Fd(fds.getInt(4))};
  }

  /**
   * Whether {@code path} exists, following symlinks (a dangling link does not exist). False for
   * ENOENT and ENOTDIR; other errors (EACCES on a parent) are thrown, since then the answer is
   * unknown.
   */
  public static boolean exists(String path) throws ErrnoException {
    long p = Scratch.get().cstring(path, "access");
    long r = sys(Nr.FACCESSAT, AT_FDCWD, p, LinuxConstants.F_OK);
    if (r == -ENOENT || r == -ENOTDIR) return false;
    check(r, "access", path);
    return true;
  }

  /** stat(2), following symlinks. */
  public static Stat stat(String path) throws ErrnoException {
    return statx(AT_FDCWD, path, 0, "stat", path);
  }

  /**
   * Whether {@code path} (its last component not followed) is the root of a mount, by statx's
   * STATX_ATTR_MOUNT_ROOT: 1 yes, 0 no, -1 when the kernel does not say (before 5.8).
   */
  public static int isMountRoot(String path) throws ErrnoException {
    Scratch s = Scratch.get();
    Scratch.Mem st = s.alloc(256);
    long p = s.cstring(path, "statx");
    check(
        Native.syscall6(Nr.STATX, AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, 0, st.addr, 0), "statx", path);
    final long mountRoot = 0x2000; // STATX_ATTR_MOUNT_ROOT
    if ((st.getLong(56) & mountRoot) == 0) return -1; // stx_attributes_mask
    return (st.getLong(8) & mountRoot) != 0 ? 1 : 0; // stx_attributes
  }

  /** lstat(2): a symlink itself. */
  public static Stat lstat(String path) throws ErrnoException {
    return statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, "lstat", path);
  }

  /**
   * syncfs(2): writes back every dirty page and inode of the file system {@code fd} is on, before a
   * commit point that must not outlive its data in a power cut. {@code fd} must be open for I/O
   * (not O_PATH: EBADF).
   */
  public static void syncfs(Fd fd) throws ErrnoException {
    check(sys(Nr.SYNCFS, fd.fd(), 0, 0), "syncfs", fd);
  }

  /**
   * sync_file_range(2): with SYNC_FILE_RANGE_WRITE, starts the writeback of the dirty pages of
   * {@code nbytes} from {@code offset} (0: to the end) and returns without waiting for it. Makes
   * nothing durable (no metadata, no device flush): a later fsync still must, and then finds less
   * to wait for.
   */
  public static void syncFileRange(Fd fd, long offset, long nbytes, int flags)
      throws ErrnoException {
    check(sys(Nr.SYNC_FILE_RANGE, fd.fd(), offset, nbytes, flags, 0, 0), "sync_file_range", fd);
  }

  /**
   * inotify_init1(2): an inotify instance; {@code flags} may hold O_NONBLOCK (O_CLOEXEC is always
   * added). Its events are read with {@link #read}; poll it to wait for them.
   */
  public static Fd inotifyInit1(int flags) throws ErrnoException {
    return new Fd((int) check(sys(Nr.INOTIFY_INIT1, flags | O_CLOEXEC, 0, 0), "inotify_init1", ""));
  }

  /** inotify_add_watch(2): watches {@code path} for the events in {@code mask}; the watch id. */
  public static int inotifyAddWatch(Fd inotify, String path, int mask) throws ErrnoException {
    long p = Scratch.get().cstring(path, "inotify_add_watch");
    return (int) check(sys(Nr.INOTIFY_ADD_WATCH, inotify.fd(), p, mask), "inotify_add_watch", path);
  }

  /** fstat(2). */
  public static Stat fstat(Fd fd) throws ErrnoException {
    return statx(fd.fd(), "", AT_EMPTY_PATH, "fstat", fd.toString());
  }

  /**
   * fstatat(2) relative to {@code dir}; {@code flags} may hold AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH.
   */
  public static Stat fstatat(Fd dir, String path, int flags) throws ErrnoException {
    return statx(dirfd(dir), path, flags, "fstatat", path);
  }

  // statx(2) rather than stat: one struct layout on every architecture.
  private static Stat statx(int dir, String path, int flags, String call, String detail)
      throws ErrnoException {
    Scratch s = Scratch.get();
    Scratch.Mem st = s.alloc(256);
    long p = s.cstring(path, call);
    final int basicStats = 0x7ff; // STATX_BASIC_STATS
    check(Native.syscall6(Nr.STATX, dir, p, flags, basicStats, st.addr, 0), call, detail);
    return new Stat(
        st.getShort(28) & 0xffff,
        st.getInt(20),
        st.getInt(24),
        st.getInt(128),
        st.getInt(132),
        st.getLong(40),
        st.getLong(32),
        Stat.makedev(st.getInt(136) & 0xffffffffL, st.getInt(140) & 0xffffffffL),
        st.getInt(16),
        st.getLong(112),
        st.getInt(120),
        st.getLong(48));
  }

  /** symlink(2): creates {@code linkPath} pointing at {@code target}. */
  public static void symlink(String target, String linkPath) throws ErrnoException {
    Scratch s = Scratch.get();
    long t = s.cstring(target, "symlink");
    long l = s.cstring(linkPath, "symlink");
    check(sys(Nr.SYMLINKAT, t, AT_FDCWD, l), "symlink", linkPath + " -> " + target);
  }

  /** readlink(2): the target of a symlink, as stored. */
  public static String readlink(String path) throws ErrnoException {
    for (int size = 4096; ; size *= 4) {
      Scratch s = Scratch.get();
      Scratch.Mem b = s.alloc(size);
      long p = s.cstring(path, "readlink");
      long n = check(sys(Nr.READLINKAT, AT_FDCWD, p, b.addr, size, 0, 0), "readlink", path);
      if (n < size || size >= 1 << 20) {
        byte[] out = new byte[(int) n];
        b.buf.get(b.off, out);
        return new String(out, StandardCharsets.UTF_8);
      }
    }
  }

  // ---- *at calls relative to a directory fd (null: the working directory)
  // ------------------------------------------
  // They let a caller resolve a parent directory once (openat2 RESOLVE_IN_ROOT) and then act on one
  // final component,
  // which no path string joined on the host can do safely.

  /** mkdirat(2); the umask applies. */
  public static void mkdirat(Fd dir, String path, int mode) throws ErrnoException {
    long p = Scratch.get().cstring(path, "mkdirat");
    check(sys(Nr.MKDIRAT, dirfd(dir), p, mode), "mkdirat", path);
  }

  /**
   * mknodat(2): {@code mode} holds the type (S_IFCHR, S_IFBLK, S_IFIFO, S_IFREG, S_IFSOCK) and the
   * permissions; {@code dev} is a {@link Stat#makedev} number (0 for a fifo).
   */
  public static void mknodat(Fd dir, String path, int mode, long dev) throws ErrnoException {
    long p = Scratch.get().cstring(path, "mknodat");
    check(sys(Nr.MKNODAT, dirfd(dir), p, mode, dev, 0, 0), "mknodat", path);
  }

  /**
   * symlinkat(2): creates {@code path} (relative to {@code dir}) holding {@code target} verbatim.
   */
  public static void symlinkat(String target, Fd dir, String path) throws ErrnoException {
    Scratch s = Scratch.get();
    long t = s.cstring(target, "symlinkat");
    long l = s.cstring(path, "symlinkat");
    check(sys(Nr.SYMLINKAT, t, dirfd(dir), l), "symlinkat", path + " -> " + target);
  }

  /**
   * linkat(2): a new name {@code newPath} for {@code oldPath}. Without AT_SYMLINK_FOLLOW in {@code
   * flags} a symlink is linked itself, not its target.
   */
  public static void linkat(Fd oldDir, String oldPath, Fd newDir, String newPath, int flags)
      throws ErrnoException {
    Scratch s = Scratch.get();
    long a = s.cstring(oldPath, "linkat");
    long b = s.cstring(newPath, "linkat");
    check(
        sys(Nr.LINKAT, dirfd(oldDir), a, dirfd(newDir), b, flags, 0),
        "linkat",
        newPath + " to " + oldPath);
  }

  /** unlinkat(2): a file, or an empty directory with AT_REMOVEDIR. */
  public static void unlinkat(Fd dir, String path, int flags) throws ErrnoException {
    long p = Scratch.get().cstring(path, "unlinkat");
    check(sys(Nr.UNLINKAT, dirfd(dir), p, flags), "unlinkat", path);
  }

  /**
   * fchownat(2); AT_SYMLINK_NOFOLLOW changes a symlink itself; -1 leaves the uid or gid as it is.
   */
  public static void fchownat(Fd dir, String path, int uid, int gid, int flags)
      throws ErrnoException {
    long p = Scratch.get().cstring(path, "fchownat");
    check(sys(Nr.FCHOWNAT, dirfd(dir), p, uid, gid, flags, 0), "fchownat", path);
  }

  /**
   * fchmodat(2). It follows a final symlink (the kernel has no flag for that before fchmodat2): not
   * for links.
   */
  public static void fchmodat(Fd dir, String path, int mode) throws ErrnoException {
    long p = Scratch.get().cstring(path, "fchmodat");
    check(sys(Nr.FCHMODAT, dirfd(dir), p, mode), "fchmodat", path);
  }

  /**
   * utimensat(2): access and modification times in seconds and nanoseconds (UTIME_NOW, UTIME_OMIT
   * as nanoseconds); AT_SYMLINK_NOFOLLOW in {@code flags} sets a symlink's own times.
   */
  public static void utimensat(
      Fd dir, String path, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec, int flags)
      throws ErrnoException {
    Scratch s = Scratch.get();
    Scratch.Mem ts =
        s.alloc(32)
            .putLong(0, atimeSec)
            .putLong(8, atimeNsec)
            .putLong(16, mtimeSec)
            .putLong(24, mtimeNsec);
    long p = s.cstring(path, "utimensat");
    check(sys(Nr.UTIMENSAT, dirfd(dir), p, ts.addr, flags, 0, 0), "utimensat", path);
  }

  /**
   * getdents64(2) until the end: the names in a directory opened with O_DIRECTORY (not O_PATH),
   * without "." and "..". The fd's offset is left at the end.
   */
  public static java.util.List<String> readdir(Fd dir) throws ErrnoException {
    java.util.List<String> names = new java.util.ArrayList<>();
    ByteBuffer b = Scratch.get().bounce(32 * 1024).order(ByteOrder.nativeOrder());
    long a = Native.address(b);
    int f = dir.fd();
    byte[] name = new byte[256];
    while (true) {
      long n = check(sys(Nr.GETDENTS64, f, a, b.capacity()), "getdents64", dir);
      if (n == 0) return names;
      int off = 0;
      while (off < n) {
        int reclen = b.getShort(off + 16) & 0xffff;
        int len = 0;
        while (off + 19 + len < off + reclen && b.get(off + 19 + len) != 0) len++;
        b.get(off + 19, name, 0, len);
        if (!(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.')) {
          names.add(new String(name, 0, len, StandardCharsets.UTF_8));
        }
        off += reclen;
      }
    }
  }

  // ---- extended attributes
  // ---------------------------------------------------------------------------------------

  /** fsetxattr(2); {@code flags} 0, XATTR_CREATE or XATTR_REPLACE. */
  public static void fsetxattr(Fd fd, String name, byte[] value, int flags) throws ErrnoException {
    Scratch s = Scratch.get();
    long n = s.cstring(name, "fsetxattr");
    Scratch.Mem v = s.alloc(Math.max(1, value.length));
    v.buf.put(v.off, value);
    check(sys(Nr.FSETXATTR, fd.fd(), n, v.addr, value.length, flags, 0), "fsetxattr " + name, fd);
  }

  /** lsetxattr(2): on a symlink itself, not its target. */
  public static void lsetxattr(String path, String name, byte[] value, int flags)
      throws ErrnoException {
    Scratch s = Scratch.get();
    long p = s.cstring(path, "lsetxattr");
    long n = s.cstring(name, "lsetxattr");
    Scratch.Mem v = s.alloc(Math.max(1, value.length));
    v.buf.put(v.off, value);
    check(sys(Nr.LSETXATTR, p, n, v.addr, value.length, flags, 0), "lsetxattr " + name, path);
  }

  /** lgetxattr(2): the value, or null when the attribute is not set (ENODATA). */
  public static byte[] lgetxattr(String path, String name) throws ErrnoException {
    for (int size = 4096; ; size *= 4) {
      Scratch s = Scratch.get();
      long p = s.cstring(path, "lgetxattr");
      long n = s.cstring(name, "lgetxattr");
      Scratch.Mem v = s.alloc(size);
      long r = sys(Nr.LGETXATTR, p, n, v.addr, size, 0, 0);
      if (r == -LinuxConstants.ENODATA) return null;
      if (r == -LinuxConstants.ERANGE && size < (1 << 20)) continue;
      check(r, "lgetxattr " + name, path);
      byte[] out = new byte[(int) r];
      v.buf.get(v.off, out);
      return out;
    }
  }

  /** llistxattr(2): the names of the extended attributes of {@code path} (a symlink itself). */
  public static java.util.List<String> llistxattr(String path) throws ErrnoException {
    for (int size = 4096; ; size *= 4) {
      Scratch s = Scratch.get();
      long p = s.cstring(path, "llistxattr");
      Scratch.Mem v = s.alloc(size);
      long r = sys(Nr.LLISTXATTR, p, v.addr, size);
      if (r == -LinuxConstants.ERANGE && size < (1 << 20)) continue;
      check(r, "llistxattr", path);
      java.util.List<String> names = new java.util.ArrayList<>();
      byte[] all = new byte[(int) r];
      v.buf.get(v.off, all);
      int start = 0;
      for (int i = 0; i < all.length; i++) {
        if (all[i] == 0) {
          if (i > start) names.add(new String(all, start, i - start, StandardCharsets.UTF_8));
          start = i + 1;
        }
      }
      return names;
    }
  }

  /** lremovexattr(2). */
  public static void lremovexattr(String path, String name) throws ErrnoException {
    Scratch s = Scratch.get();
    long p = s.cstring(path, "lremovexattr");
    long n = s.cstring(name, "lremovexattr");
    check(sys(Nr.LREMOVEXATTR, p, n, 0), "lremovexattr " + name, path);
  }

  /** statfs(2): the filesystem's type magic (f_type), e.g. CGROUP2_SUPER_MAGIC. */
  public static long statfsType(String path) throws ErrnoException {
    Scratch s = Scratch.get();
    Scratch.Mem st = s.alloc(120);
    long p = s.cstring(path, "statfs");
    check(sys(Nr.STATFS, p, st.addr, 0), "statfs", path);
    return st.getLong(0);
  }

  // ---- processes
  // -------------------------------------------------------------------------------------------------

  public static int getpid() {
    return (int) Native.syscall6(Nr.GETPID, 0, 0, 0, 0, 0, 0);
  }

  public static int getppid() {
    return (int) Native.syscall6(Nr.GETPPID, 0, 0, 0, 0, 0, 0);
  }

  public static int gettid() {
    return (int) Native.syscall6(Nr.GETTID, 0, 0, 0, 0, 0, 0);
  }

  public static int getuid() {
    return (int) Native.syscall6(Nr.GETUID, 0, 0, 0, 0, 0, 0);
  }

  public static int geteuid() {
    return (int) Native.syscall6(Nr.GETEUID, 0, 0, 0, 0, 0, 0);
  }

  public static int getgid() {
    return (int) Native.syscall6(Nr.GETGID, 0, 0, 0, 0, 0, 0);
  }

  public static int getegid() {
    return (int) Native.syscall6(Nr.GETEGID, 0, 0, 0, 0, 0, 0);
  }

  /**
   * kill(2). Prefer {@link #pidfdSendSignal} for a process you did not just wait for: pids are
   * reused.
   */
  public static void kill(int pid, int sig) throws ErrnoException {
    long r = sys(Nr.KILL, pid, sig, 0);
    if (r < 0)
      throw new ErrnoException((int) -r, "kill", "pid " + pid + " with " + Signals.name(sig));
  }

  /** pidfd_open(2): an fd that always names this process, even after its pid is reused. */
  public static Fd pidfdOpen(int pid, int flags) throws ErrnoException {
    return new Fd((int) checkPid(sys(Nr.PIDFD_OPEN, pid, flags, 0), "pidfd_open", pid));
  }

  /** pidfd_send_signal(2). ESRCH once the process has exited. */
  public static void pidfdSendSignal(Fd pidfd, int sig) throws ErrnoException {
    long r = sys(Nr.PIDFD_SEND_SIGNAL, pidfd.fd(), sig, 0, 0, 0, 0);
    if (r < 0)
      throw new ErrnoException(
          (int) -r, "pidfd_send_signal", pidfd + " (a pidfd) with " + Signals.name(sig));
  }

  /**
   * wait4(2) for {@code pid} (-1: any child); {@code options} WNOHANG, __WALL... With WNOHANG and
   * no change, the status has pid 0. ECHILD when there is no such child.
   */
  public static WaitStatus wait4(int pid, int options) throws ErrnoException {
    Scratch.Mem status = Scratch.get().alloc(4);
    long r = checkPid(retry(Nr.WAIT4, pid, status.addr, options, 0, 0, 0), "wait4", pid);
    return new WaitStatus((int) r, r == 0 ? 0 : status.getInt(0));
  }

  /**
   * Starts {@code path} with posix_spawn(3) and returns its pid. {@code fdMap} holds pairs
   * (childFd, parentFd): the child's fd table is exactly these fds; every other fd, stdio included,
   * is closed in the child. Pass {@code {0,0, 1,1, 2,2}} to share this process' stdio. The child
   * starts with no signal blocked and every signal at its default action; {@code setsid} makes it a
   * session leader. {@code envp} null means an empty environment.
   */
  public static int spawn(String path, String[] argv, String[] envp, int[] fdMap, boolean setsid)
      throws ErrnoException {
    if (fdMap == null) fdMap = new int[0];
    if (fdMap.length % 2 != 0)
      throw new IllegalArgumentException("fdMap: must hold (child, parent) pairs");
    if (envp == null) envp = new String[0];
    byte[][] strings = new byte[1 + argv.length + envp.length][];
    int size = 8 * (argv.length + 1 + envp.length + 1) + 4 * fdMap.length;
    for (int i = 0; i < strings.length; i++) {
      String s = i == 0 ? path : i <= argv.length ? argv[i - 1] : envp[i - 1 - argv.length];
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      for (byte x : b) {
        if (x == 0)
          throw new ErrnoException(
              EINVAL, "posix_spawn", Scratch.quote(s) + " (contains a NUL byte)");
      }
      strings[i] = b;
      size += b.length + 1;
    }
    // One buffer for the call: pointer arrays, then the fd map, then the strings they point at.
    ByteBuffer m = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    long base = Native.address(m);
    int argvAt = 0;
    int envpAt = 8 * (argv.length + 1);
    int mapAt = envpAt + 8 * (envp.length + 1);
    for (int i = 0; i < fdMap.length; i++) m.putInt(mapAt + 4 * i, fdMap[i]);
    int at = mapAt + 4 * fdMap.length;
    long pathAddr = 0;
    for (int i = 0; i < strings.length; i++) {
      long addr = base + at;
      if (i == 0) {
        pathAddr = addr;
      } else if (i <= argv.length) {
        m.putLong(argvAt + 8 * (i - 1), addr);
      } else {
        m.putLong(envpAt + 8 * (i - 1 - argv.length), addr);
      }
      m.put(at, strings[i]);
      m.put(at + strings[i].length, (byte) 0);
      at += strings[i].length + 1;
    }
    m.putLong(argvAt + 8 * argv.length, 0);
    m.putLong(envpAt + 8 * envp.length, 0);
    int r =
        Native.spawn(
            pathAddr, base + argvAt, base + envpAt, base + mapAt, fdMap.length / 2, setsid);
    Reference.reachabilityFence(m);
    return (int) check(r, "posix_spawn", path);
  }

  /** prctl(2); returns what the option returns. */
  public static long prctl(int option, long a2, long a3, long a4, long a5) throws ErrnoException {
    return check(sys(Nr.PRCTL, option, a2, a3, a4, a5, 0), "prctl", "option " + option);
  }

  /**
   * Makes this process adopt orphaned descendants (PR_SET_CHILD_SUBREAPER), so it can reap a
   * container's init.
   */
  public static void setChildSubreaper() throws ErrnoException {
    check(
        sys(Nr.PRCTL, LinuxConstants.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0, 0),
        "prctl",
        "PR_SET_CHILD_SUBREAPER");
  }

  /**
   * poll(2) (as ppoll): waits until one of {@code fds} is ready for its {@code events} or {@code
   * timeoutMs} passes (-1: no limit). Fills {@code revents}; returns the number of fds with events,
   * 0 on timeout. A null fd is skipped.
   */
  public static int poll(Fd[] fds, short[] events, short[] revents, int timeoutMs)
      throws ErrnoException {
    int n = fds.length;
    if (events.length < n || revents.length < n)
      throw new IllegalArgumentException("events, revents: one per fd");
    Scratch s = Scratch.get();
    Scratch.Mem pfd = s.alloc(8 * n);
    for (int i = 0; i < n; i++)
      pfd.putInt(8 * i, fds[i] == null ? -1 : fds[i].fd()).putShort(8 * i + 4, events[i]);
    long ts = 0;
    if (timeoutMs >= 0) {
      Scratch.Mem t =
          s.alloc(16).putLong(0, timeoutMs / 1000).putLong(8, (timeoutMs % 1000) * 1_000_000L);
      ts = t.addr;
    }
    long r = check(retry(Nr.PPOLL, pfd.addr, n, ts, 0, 8, 0), "poll", n + " fds");
    for (int i = 0; i < n; i++) revents[i] = pfd.getShort(8 * i + 6);
    return (int) r;
  }

  /**
   * close_range(2) from {@code first} to {@code last} (negative: to the end), e.g. with
   * CLOSE_RANGE_CLOEXEC.
   */
  public static void closeRange(int first, int last, int flags) throws ErrnoException {
    check(
        sys(Nr.CLOSE_RANGE, first, last < 0 ? 0xffffffffL : last, flags),
        "close_range",
        first + ".." + last);
  }

  /** setns(2): joins the namespace {@code fd} refers to (nstype 0: any kind). */
  public static void setns(Fd fd, long nstype) throws ErrnoException {
    check(sys(Nr.SETNS, fd.fd(), nstype, 0), "setns", fd);
  }

  /** unshare(2) with CLONE_NEW* flags. */
  public static void unshare(long flags) throws ErrnoException {
    check(sys(Nr.UNSHARE, flags, 0, 0), "unshare", "flags 0x" + Long.toHexString(flags));
  }

  // ---- bpf
  // -------------------------------------------------------------------------------------------------------

  private static final int BPF_ATTR_SIZE = 128;
  private static final int BPF_LOG_SIZE = 256 * 1024;
  private static final int BPF_OBJ_NAME_LEN = 16;

  /**
   * bpf(BPF_PROG_LOAD): loads a program of {@code progType} (BPF_PROG_TYPE_*) whose instructions
   * are {@code insns}, one {@code struct bpf_insn} per long as {@link #bpfInsn} encodes it, and
   * returns its fd. {@code name} (up to 15 letters, digits, '_' or '.') is what bpftool and
   * /proc/<pid>/fdinfo show. When the verifier refuses the program, the call is made again with a
   * log buffer and the exception's detail carries the verifier's log, the only account of what it
   * disliked.
   */
  public static Fd bpfProgLoad(
      int progType, int expectedAttachType, long[] insns, String license, String name)
      throws ErrnoException {
    if (name.length() >= BPF_OBJ_NAME_LEN)
      throw new IllegalArgumentException("name: at most 15 characters");
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || c == '_'
          || c == '.')) {
        throw new IllegalArgumentException(
            "name: only letters, digits, '_' and '.' (got \"" + name + "\")");
      }
    }
    long r = progLoad(progType, expectedAttachType, insns, license, name, null);
    if (r >= 0) return new Fd((int) r);
    int errno = (int) -r;
    // Without a log first, as libbpf does: the verifier works faster without one, and most loads
    // succeed.
    ByteBuffer log = ByteBuffer.allocateDirect(BPF_LOG_SIZE);
    long again = progLoad(progType, expectedAttachType, insns, license, name, log);
    if (again >= 0) return new Fd((int) again);
    int n = 0;
    while (n < BPF_LOG_SIZE && log.get(n) != 0) n++;
    byte[] text = new byte[n];
    log.get(0, text);
    String verifier = new String(text, StandardCharsets.UTF_8).strip();
    throw new ErrnoException(
        errno,
        "bpf",
        "BPF_PROG_LOAD "
            + name
            + " ("
            + insns.length
            + " instructions"
            + (verifier.isEmpty() ? ")" : "; verifier log:\n" + verifier + "\n)"));
  }

  private static long progLoad(
      int progType,
      int expectedAttachType,
      long[] insns,
      String license,
      String name,
      ByteBuffer log)
      throws ErrnoException {
    Scratch s = Scratch.get();
    Scratch.Mem code = s.alloc(8 * Math.max(insns.length, 1));
    for (int i = 0; i < insns.length; i++) code.putLong(8 * i, insns[i]);
    long lic = s.cstring(license, "bpf");
    Scratch.Mem attr = s.alloc(BPF_ATTR_SIZE);
    attr.putInt(0, progType).putInt(4, insns.length).putLong(8, code.addr).putLong(16, lic);
    if (log != null) attr.putInt(24, 1).putInt(28, log.capacity()).putLong(32, Native.address(log));
    for (int i = 0; i < name.length(); i++) attr.put(48 + i, (byte) name.charAt(i));
    attr.putInt(68, expectedAttachType);
    long r = sys(Nr.BPF, LinuxConstants.BPF_PROG_LOAD, attr.addr, BPF_ATTR_SIZE, 0, 0, 0);
    Reference.reachabilityFence(log);
    return r;
  }

  /**
   * One {@code struct bpf_insn} as a long whose little-endian bytes are the struct: opcode, dst_reg
   * in the low and src_reg in the high nibble, the 16-bit offset, the 32-bit immediate. Both
   * machines berth-sys supports are little-endian.
   */
  public static long bpfInsn(int code, int dst, int src, int off, int imm) {
    return (code & 0xffL)
        | (dst & 0xfL) << 8
        | (src & 0xfL) << 12
        | (off & 0xffffL) << 16
        | (imm & 0xffffffffL) << 32;
  }

  /**
   * bpf(BPF_PROG_ATTACH): attaches {@code prog} to {@code target} (a cgroup directory's fd) at
   * {@code attachType}, with BPF_F_ALLOW_MULTI and the like in {@code flags}.
   */
  public static void bpfProgAttach(Fd target, Fd prog, int attachType, int flags)
      throws ErrnoException {
    Scratch.Mem attr = Scratch.get().alloc(BPF_ATTR_SIZE);
    attr.putInt(0, target.fd()).putInt(4, prog.fd()).putInt(8, attachType).putInt(12, flags);
    check(
        sys(Nr.BPF, LinuxConstants.BPF_PROG_ATTACH, attr.addr, BPF_ATTR_SIZE, 0, 0, 0),
        "bpf",
        "BPF_PROG_ATTACH of " + prog + " to " + target);
  }

  /**
   * bpf(BPF_PROG_DETACH): detaches {@code prog}, attached with BPF_F_ALLOW_MULTI, from {@code
   * target}.
   */
  public static void bpfProgDetach(Fd target, Fd prog, int attachType) throws ErrnoException {
    Scratch.Mem attr = Scratch.get().alloc(BPF_ATTR_SIZE);
    attr.putInt(0, target.fd()).putInt(4, prog.fd()).putInt(8, attachType);
    check(
        sys(Nr.BPF, LinuxConstants.BPF_PROG_DETACH, attr.addr, BPF_ATTR_SIZE, 0, 0, 0),
        "bpf",
        "BPF_PROG_DETACH of " + prog + " from " + target);
  }

  /**
   * bpf(BPF_PROG_QUERY): the ids of the programs attached to {@code target} at {@code attachType},
   * in the order they run; with BPF_F_QUERY_EFFECTIVE in {@code queryFlags} also those inherited
   * from ancestors.
   */
  public static int[] bpfProgQuery(Fd target, int attachType, int queryFlags)
      throws ErrnoException {
    int room = 16;
    while (true) {
      Scratch s = Scratch.get();
      Scratch.Mem ids = s.alloc(4 * room);
      Scratch.Mem attr = s.alloc(BPF_ATTR_SIZE);
      attr.putInt(0, target.fd())
          .putInt(4, attachType)
          .putInt(8, queryFlags)
          .putLong(16, ids.addr)
          .putInt(24, room);
      long r = sys(Nr.BPF, LinuxConstants.BPF_PROG_QUERY, attr.addr, BPF_ATTR_SIZE, 0, 0, 0);
      int count = attr.getInt(24);
      // ENOSPC: more programs than room; prog_cnt says how many there are.
      if (r == -LinuxConstants.ENOSPC && count > room) {
        room = count;
        continue;
      }
      check(r, "bpf", "BPF_PROG_QUERY of " + target);
      int[] out = new int[count];
      for (int i = 0; i < count; i++) out[i] = ids.getInt(4 * i);
      return out;
    }
  }

  /**
   * bpf(BPF_PROG_GET_FD_BY_ID): an fd for the loaded program {@code id} (ENOENT once it is gone).
   */
  public static Fd bpfProgGetFdById(int id) throws ErrnoException {
    Scratch.Mem attr = Scratch.get().alloc(BPF_ATTR_SIZE);
    attr.putInt(0, id);
    long r = sys(Nr.BPF, LinuxConstants.BPF_PROG_GET_FD_BY_ID, attr.addr, BPF_ATTR_SIZE, 0, 0, 0);
    return new Fd((int) check(r, "bpf", "BPF_PROG_GET_FD_BY_ID " + id));
  }

  // ---- seccomp user notification
  // ---------------------------------------------------------------------------------

  // struct seccomp_notif: u64 id, u32 pid, u32 flags, struct seccomp_data {i32 nr, u32 arch, u64
  // ip, u64 args[6]}
  private static final int NOTIF_SIZE = 80;
  // struct seccomp_notif_resp: u64 id, i64 val, i32 error, u32 flags
  private static final int NOTIF_RESP_SIZE = 24;

  /**
   * Waits for the next syscall a filter loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER hands to
   * {@code listener} (ioctl SECCOMP_IOCTL_NOTIF_RECV). ENOENT: the caller was gone (killed) before
   * it could be received.
   */
  public static SeccompNotification seccompNotifyReceive(Fd listener) throws ErrnoException {
    // The kernel refuses (EINVAL) a struct that is not zeroed; alloc zeroes it.
    Scratch.Mem n = Scratch.get().alloc(NOTIF_SIZE);
    check(
        retry(Nr.IOCTL, listener.fd(), LinuxConstants.SECCOMP_IOCTL_NOTIF_RECV, n.addr, 0, 0, 0),
        "ioctl SECCOMP_IOCTL_NOTIF_RECV",
        listener);
    long[] args = new long[6];
    for (int i = 0; i < 6; i++) args[i] = n.getLong(32 + 8 * i);
    return new SeccompNotification(n.getLong(0), n.getInt(8), n.getInt(16), n.getInt(20), args);
  }

  /**
   * Answers notification {@code id} (ioctl SECCOMP_IOCTL_NOTIF_SEND): the syscall fails with {@code
   * errno} (a positive errno number), or, with {@code errno} 0, returns {@code val}; with
   * SECCOMP_USER_NOTIF_FLAG_CONTINUE in {@code flags} (and errno and val 0) the kernel runs it as
   * if there were no filter. ENOENT: the caller is gone (killed, or its syscall interrupted) or the
   * id was answered already.
   */
  public static void seccompNotifySend(Fd listener, long id, int errno, long val, int flags)
      throws ErrnoException {
    if (errno < 0)
      throw new IllegalArgumentException("errno: a positive errno number or 0, got " + errno);
    Scratch.Mem r = Scratch.get().alloc(NOTIF_RESP_SIZE);
    r.putLong(0, id).putLong(8, val).putInt(16, -errno).putInt(20, flags);
    check(
        retry(Nr.IOCTL, listener.fd(), LinuxConstants.SECCOMP_IOCTL_NOTIF_SEND, r.addr, 0, 0, 0),
        "ioctl SECCOMP_IOCTL_NOTIF_SEND",
        "notification " + Long.toUnsignedString(id) + " on " + listener);
  }

  // ---- memfd
  // -----------------------------------------------------------------------------------------------------

  /**
   * memfd_create(2); MFD_CLOEXEC is always added. {@code name} shows in /proc/self/fd as
   * "memfd:name".
   */
  public static Fd memfdCreate(String name, int flags) throws ErrnoException {
    long p = Scratch.get().cstring(name, "memfd_create");
    return new Fd(
        (int) check(sys(Nr.MEMFD_CREATE, p, flags | MFD_CLOEXEC, 0), "memfd_create", name));
  }

  /**
   * Adds F_SEAL_* seals (fcntl F_ADD_SEALS); the memfd must have been made with MFD_ALLOW_SEALING.
   */
  public static void addSeals(Fd fd, int seals) throws ErrnoException {
    check(sys(Nr.FCNTL, fd.fd(), F_ADD_SEALS, seals), "fcntl F_ADD_SEALS", fd);
  }

  /** The F_SEAL_* seals of a memfd (fcntl F_GET_SEALS). */
  public static int getSeals(Fd fd) throws ErrnoException {
    return (int) check(sys(Nr.FCNTL, fd.fd(), F_GET_SEALS, 0), "fcntl F_GET_SEALS", fd);
  }

  // ---- sockets
  // ---------------------------------------------------------------------------------------------------

  /** socketpair(2); SOCK_CLOEXEC is always added. */
  public static Fd[] socketpair(int domain, int type, int protocol) throws ErrnoException {
    Scratch.Mem fds = Scratch.get().alloc(8);
    check(
        sys(Nr.SOCKETPAIR, domain, type | SOCK_CLOEXEC, protocol, fds.addr, 0, 0),
        "socketpair",
        (String) null);
    return new Fd[] {new Fd(fds.getInt(0)), new Fd(fds.getInt(4))};
  }

  /** socket(2); SOCK_CLOEXEC is always added. */
  public static Fd socket(int domain, int type, int protocol) throws ErrnoException {
    return new Fd(
        (int)
            check(sys(Nr.SOCKET, domain, type | SOCK_CLOEXEC, protocol), "socket", (String) null));
  }

  /** A unix socket of {@code type} (SOCK_STREAM, SOCK_SEQPACKET...) connected to {@code path}. */
  public static Fd connectUnix(String path, int type) throws ErrnoException {
    Fd sock = socket(AF_UNIX, type, 0);
    try {
      unixAddress("connect", sock, path, false);
      return sock;
    } catch (ErrnoException e) {
      sock.close();
      throw e;
    }
  }

  /**
   * A unix socket bound to {@code path} and listening. The path must not exist (EADDRINUSE):
   * removing a stale socket is the caller's decision.
   */
  public static Fd listenUnix(String path, int type, int backlog) throws ErrnoException {
    Fd sock = socket(AF_UNIX, type, 0);
    try {
      unixAddress("bind", sock, path, true);
      check(sys(Nr.LISTEN, sock.fd(), backlog, 0), "listen", path);
      return sock;
    } catch (ErrnoException e) {
      sock.close();
      throw e;
    }
  }

  /**
   * connect(2) or bind(2) to a unix socket path. sun_path holds 107 bytes; a longer path is reached
   * through /proc/self/fd/N/name, N an O_PATH fd of its directory, which the kernel resolves the
   * same way.
   */
  private static void unixAddress(String call, Fd sock, String path, boolean bind)
      throws ErrnoException {
    byte[] p = path.getBytes(StandardCharsets.UTF_8);
    Fd dir = null;
    try {
      if (p.length > 107) {
        int slash = path.lastIndexOf('/');
        if (slash <= 0 || slash == path.length() - 1)
          throw new ErrnoException(ENAMETOOLONG, call, path);
        dir = open(path.substring(0, slash), O_PATH | O_DIRECTORY, 0);
        p = ("/proc/self/fd/" + dir.fd() + path.substring(slash)).getBytes(StandardCharsets.UTF_8);
        if (p.length > 107) throw new ErrnoException(ENAMETOOLONG, call, path);
      }
      for (byte x : p) {
        if (x == 0)
          throw new ErrnoException(EINVAL, call, Scratch.quote(path) + " (contains a NUL byte)");
      }
      Scratch.Mem sa = Scratch.get().alloc(110);
      sa.putShort(0, (short) AF_UNIX);
      sa.buf.put(sa.off + 2, p);
      int len = 2 + p.length + 1;
      long r =
          bind
              ? sys(Nr.BIND, sock.fd(), sa.addr, len)
              : retry(Nr.CONNECT, sock.fd(), sa.addr, len, 0, 0, 0);
      check(r, call, path);
    } finally {
      if (dir != null) dir.close();
    }
  }

  /** accept4(2); SOCK_CLOEXEC is always added. */
  public static Fd accept(Fd sock, int flags) throws ErrnoException {
    return new Fd(
        (int)
            check(retry(Nr.ACCEPT4, sock.fd(), 0, 0, flags | SOCK_CLOEXEC, 0, 0), "accept", sock));
  }

  /**
   * sendmsg(2) of {@code data} (position to limit; at least 1 byte when sending fds on a stream
   * socket) with {@code fdsToSend} as SCM_RIGHTS (null or empty: none). Advances the position;
   * returns the bytes sent, all of them for a message of up to a few KiB on a unix socket. Never
   * raises SIGPIPE (MSG_NOSIGNAL): EPIPE instead.
   */
  public static int sendmsg(Fd sock, ByteBuffer data, int[] fdsToSend) throws ErrnoException {
    int nfds = fdsToSend == null ? 0 : fdsToSend.length;
    int pos = data.position();
    int len = data.remaining();
    Scratch s = Scratch.get();
    int cmsgSpace = nfds == 0 ? 0 : 16 + ((4 * nfds + 7) & ~7);
    Scratch.Mem msg = s.alloc(56 + 16 + cmsgSpace);
    long iov = msg.addr + 56;
    long dataAddr;
    ByteBuffer copy = null;
    if (data.isDirect()) {
      dataAddr = Native.address(data) + pos;
    } else {
      copy = s.bounce(len);
      len = Math.min(len, copy.capacity());
      copy.put(0, data, pos, len);
      dataAddr = Native.address(copy);
    }
    msg.putLong(16, iov).putLong(24, 1); // msg_iov, msg_iovlen
    msg.putLong(56, dataAddr).putLong(64, len); // iov_base, iov_len
    if (nfds > 0) {
      msg.putLong(32, msg.addr + 72).putLong(40, cmsgSpace); // msg_control, msg_controllen
      msg.putLong(72, 16 + 4L * nfds).putInt(80, SOL_SOCKET).putInt(84, SCM_RIGHTS); // cmsghdr
      for (int i = 0; i < nfds; i++) msg.putInt(88 + 4 * i, fdsToSend[i]);
    }
    long r = retry(Nr.SENDMSG, sock.fd(), msg.addr, MSG_NOSIGNAL, 0, 0, 0);
    Reference.reachabilityFence(data);
    check(r, "sendmsg", sock);
    data.position(pos + (int) r);
    return (int) r;
  }

  /**
   * recvmsg(2) into {@code data} (position to limit; advanced), accepting up to {@code maxFds} fds
   * (SCM_RIGHTS), received close-on-exec. {@link Received#bytes()} is 0 at end of stream. When the
   * sender sent more fds than {@code maxFds}, the ones that arrived are closed and EMSGSIZE is
   * thrown: a lost fd is a protocol error.
   */
  public static Received recvmsg(Fd sock, ByteBuffer data, int maxFds) throws ErrnoException {
    int pos = data.position();
    int len = data.remaining();
    Scratch s = Scratch.get();
    int cmsgSpace = maxFds <= 0 ? 0 : 16 + ((4 * maxFds + 7) & ~7);
    Scratch.Mem msg = s.alloc(56 + 16 + cmsgSpace);
    ByteBuffer bounce = null;
    long dataAddr;
    if (data.isDirect()) {
      dataAddr = Native.address(data) + pos;
    } else {
      bounce = s.bounce(len);
      len = Math.min(len, bounce.capacity());
      dataAddr = Native.address(bounce);
    }
    msg.putLong(16, msg.addr + 56).putLong(24, 1);
    msg.putLong(56, dataAddr).putLong(64, len);
    if (cmsgSpace > 0) msg.putLong(32, msg.addr + 72).putLong(40, cmsgSpace);
    long r = retry(Nr.RECVMSG, sock.fd(), msg.addr, MSG_CMSG_CLOEXEC, 0, 0, 0);
    Reference.reachabilityFence(data);
    check(r, "recvmsg", sock);
    int[] fds = new int[0];
    long controlLen = msg.getLong(40);
    for (int at = 0; at + 16 <= controlLen; ) {
      long cmsgLen = msg.getLong(72 + at);
      if (cmsgLen < 16) break;
      if (msg.getInt(72 + at + 8) == SOL_SOCKET && msg.getInt(72 + at + 12) == SCM_RIGHTS) {
        int n = (int) ((cmsgLen - 16) / 4);
        int old = fds.length;
        fds = Arrays.copyOf(fds, old + n);
        for (int i = 0; i < n; i++) fds[old + i] = msg.getInt(72 + at + 16 + 4 * i);
      }
      at += (int) ((cmsgLen + 7) & ~7);
    }
    // The control buffer is rounded up to 8 bytes, so it can take one fd more than asked: refuse
    // that too.
    if ((msg.getInt(48) & MSG_CTRUNC) != 0 || fds.length > Math.max(maxFds, 0)) {
      for (int fd : fds) new Fd(fd).close();
      throw new ErrnoException(
          EMSGSIZE, "recvmsg", sock + " (more fds than the " + maxFds + " expected)");
    }
    if (bounce != null) data.put(pos, bounce, 0, (int) r);
    data.position(pos + (int) r);
    return new Received((int) r, fds);
  }

  /** shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR. */
  public static void shutdown(Fd sock, int how) throws ErrnoException {
    check(sys(Nr.SHUTDOWN, sock.fd(), how, 0), "shutdown", sock);
  }

  /** setsockopt(2) of an int option. */
  public static void setsockoptInt(Fd sock, int level, int option, int value)
      throws ErrnoException {
    Scratch.Mem v = Scratch.get().alloc(4).putInt(0, value);
    check(sys(Nr.SETSOCKOPT, sock.fd(), level, option, v.addr, 4, 0), "setsockopt", sock);
  }

  /** getsockopt(2) of an int option. */
  public static int getsockoptInt(Fd sock, int level, int option) throws ErrnoException {
    Scratch.Mem v = Scratch.get().alloc(8).putInt(4, 4);
    check(sys(Nr.GETSOCKOPT, sock.fd(), level, option, v.addr, v.addr + 4, 0), "getsockopt", sock);
    return v.getInt(0);
  }

  /** The {pid, uid, gid} of the process at the other end of a unix socket (SO_PEERCRED). */
  public static int[] peerCredentials(Fd sock) throws ErrnoException {
    Scratch.Mem v = Scratch.get().alloc(16).putInt(12, 12);
    check(
        sys(
            Nr.GETSOCKOPT,
            sock.fd(),
            SOL_SOCKET,
            LinuxConstants.SO_PEERCRED,
            v.addr,
            v.addr + 12,
            0),
        "getsockopt SO_PEERCRED",
        sock);
    return new int[] {v.getInt(0), v.getInt(4), v.getInt(8)};
  }

  // ---- mounts
  // ----------------------------------------------------------------------------------------------------

  /**
   * mount(2). The error names source, target, type, flags by name and data (a {@link
   * MountException}).
   */
  public static void mount(String source, String target, String fstype, long flags, String data)
      throws MountException {
    Scratch s = Scratch.get();
    long r;
    try {
      long a = s.cstring(source, "mount");
      long b = s.cstring(target, "mount");
      long c = s.cstring(fstype, "mount");
      long d = s.cstring(data, "mount");
      r = sys(Nr.MOUNT, a, b, c, flags, d, 0);
    } catch (ErrnoException e) {
      r = -e.errno();
    }
    if (r < 0) throw new MountException((int) -r, source, target, fstype, flags, data);
  }

  /**
   * open_tree(2) with OPEN_TREE_CLONE: a detached copy of the mount at {@code path} ({@code
   * recursive}: with the mounts under it), as an fd for {@link #idmapMount} and {@link #moveMount}.
   * Closing the fd of a tree never attached unmounts it.
   */
  public static Fd openTreeClone(String path, boolean recursive) throws ErrnoException {
    long p = Scratch.get().cstring(path, "open_tree");
    long flags =
        LinuxConstants.OPEN_TREE_CLONE
            | LinuxConstants.O_CLOEXEC
            | (recursive ? LinuxConstants.AT_RECURSIVE : 0);
    return new Fd((int) check(sys(Nr.OPEN_TREE, AT_FDCWD, p, flags), "open_tree", path));
  }

  /**
   * mount_setattr(2) with MOUNT_ATTR_IDMAP: the detached {@code tree} shows its files' owners
   * through the maps of the user namespace {@code userns} (an fd of a user namespace file). EINVAL
   * when the filesystem cannot be idmapped.
   */
  public static void idmapMount(Fd tree, Fd userns, boolean recursive) throws ErrnoException {
    Scratch s = Scratch.get();
    long empty = s.cstring("", "mount_setattr");
    // struct mount_attr: attr_set, attr_clr, propagation, userns_fd
    Scratch.Mem attr =
        s.alloc(32)
            .putLong(0, LinuxConstants.MOUNT_ATTR_IDMAP)
            .putLong(8, 0)
            .putLong(16, 0)
            .putLong(24, userns.fd());
    long flags = LinuxConstants.AT_EMPTY_PATH | (recursive ? LinuxConstants.AT_RECURSIVE : 0);
    check(
        sys(Nr.MOUNT_SETATTR, tree.fd(), empty, flags, attr.addr, 32, 0), "mount_setattr", "idmap");
  }

  /** move_mount(2): attaches the detached {@code tree} on {@code target}. */
  public static void moveMount(Fd tree, String target) throws ErrnoException {
    Scratch s = Scratch.get();
    long empty = s.cstring("", "move_mount");
    long t = s.cstring(target, "move_mount");
    check(
        sys(
            Nr.MOVE_MOUNT,
            tree.fd(),
            empty,
            AT_FDCWD,
            t,
            LinuxConstants.MOVE_MOUNT_F_EMPTY_PATH,
            0),
        "move_mount",
        target);
  }

  /** umount2(2) with MNT_DETACH, MNT_FORCE, UMOUNT_NOFOLLOW... */
  public static void umount2(String target, int flags) throws ErrnoException {
    long p = Scratch.get().cstring(target, "umount2");
    check(sys(Nr.UMOUNT2, p, flags, 0), "umount2", target);
  }

  /** pivot_root(2). */
  public static void pivotRoot(String newRoot, String putOld) throws ErrnoException {
    Scratch s = Scratch.get();
    long a = s.cstring(newRoot, "pivot_root");
    long b = s.cstring(putOld, "pivot_root");
    check(sys(Nr.PIVOT_ROOT, a, b, 0), "pivot_root", newRoot + " with old root at " + putOld);
  }

  /** chdir(2). */
  public static void chdir(String path) throws ErrnoException {
    long p = Scratch.get().cstring(path, "chdir");
    check(sys(Nr.CHDIR, p, 0, 0), "chdir", path);
  }

  /** fchdir(2). */
  public static void fchdir(Fd dir) throws ErrnoException {
    check(sys(Nr.FCHDIR, dir.fd(), 0, 0), "fchdir", dir);
  }

  // ---- terminals
  // -------------------------------------------------------------------------------------------------

  /** {rows, columns} of a terminal (TIOCGWINSZ). */
  public static int[] getWinsize(Fd tty) throws ErrnoException {
    Scratch.Mem ws = Scratch.get().alloc(8);
    check(sys(Nr.IOCTL, tty.fd(), LinuxConstants.TIOCGWINSZ, ws.addr), "ioctl TIOCGWINSZ", tty);
    return new int[] {ws.getShort(0) & 0xffff, ws.getShort(2) & 0xffff};
  }

  /** Sets a terminal's size (TIOCSWINSZ); the foreground process group gets SIGWINCH. */
  public static void setWinsize(Fd tty, int rows, int cols) throws ErrnoException {
    Scratch.Mem ws = Scratch.get().alloc(8).putShort(0, (short) rows).putShort(2, (short) cols);
    check(sys(Nr.IOCTL, tty.fd(), LinuxConstants.TIOCSWINSZ, ws.addr), "ioctl TIOCSWINSZ", tty);
  }

  /**
   * tcgetpgrp(3): the foreground process group of a terminal, or of a pty's other side through its
   * master (TIOCGPGRP), as this process's pid namespace numbers it.
   */
  public static int tcgetpgrp(Fd tty) throws ErrnoException {
    Scratch.Mem v = Scratch.get().alloc(4);
    check(sys(Nr.IOCTL, tty.fd(), LinuxConstants.TIOCGPGRP, v.addr), "ioctl TIOCGPGRP", tty);
    return v.getInt(0);
  }

  /**
   * tcgetsid(3): the session a terminal (or a pty's other side, through its master) controls
   * (TIOCGSID); its leader's pid, as this process's pid namespace numbers it.
   */
  public static int tcgetsid(Fd tty) throws ErrnoException {
    Scratch.Mem v = Scratch.get().alloc(4);
    check(sys(Nr.IOCTL, tty.fd(), LinuxConstants.TIOCGSID, v.addr), "ioctl TIOCGSID", tty);
    return v.getInt(0);
  }

  /** isatty(3): whether the fd is a terminal (TCGETS succeeds). */
  public static boolean isatty(Fd fd) throws ErrnoException {
    Scratch.Mem t = Scratch.get().alloc(TERMIOS_SIZE);
    long r = sys(Nr.IOCTL, fd.fd(), LinuxConstants.TCGETS, t.addr);
    if (r == -ENOTTY || r == -EINVAL) return false;
    check(r, "ioctl TCGETS", fd);
    return true;
  }

  // The kernel's struct termios (not glibc's): 4 flag words, c_line, c_cc[19]; the same on x86_64
  // and aarch64.
  private static final int TERMIOS_SIZE = 36;
  private static final int IFLAG = 0;
  private static final int OFLAG = 4;
  private static final int CFLAG = 8;
  private static final int LFLAG = 12;
  private static final int CC = 17;

  /**
   * Puts a terminal in raw mode as cfmakeraw(3) does (no echo, no line editing, no signals from
   * keys, 8-bit, reads return each byte) and returns the settings it had, for {@link
   * #restoreTermios}.
   */
  public static byte[] makeRaw(Fd tty) throws ErrnoException {
    return makeRaw(tty, false);
  }

  /**
   * {@link #makeRaw(Fd)}, optionally keeping output processing (OPOST) on: runc's raw mode, under
   * which a terminal still turns the newlines it shows into CR-NL.
   */
  public static byte[] makeRaw(Fd tty, boolean keepOutputProcessing) throws ErrnoException {
    Scratch.Mem t = Scratch.get().alloc(TERMIOS_SIZE);
    check(sys(Nr.IOCTL, tty.fd(), LinuxConstants.TCGETS, t.addr), "ioctl TCGETS", tty);
    byte[] saved = new byte[TERMIOS_SIZE];
    t.buf.get(t.off, saved);
    // IGNBRK BRKINT PARMRK ISTRIP INLCR IGNCR ICRNL IXON
    t.putInt(IFLAG, t.getInt(IFLAG) & ~(01 | 02 | 010 | 040 | 0100 | 0200 | 0400 | 02000));
    if (!keepOutputProcessing) t.putInt(OFLAG, t.getInt(OFLAG) & ~01); // OPOST
    t.putInt(
        LFLAG,
        t.getInt(LFLAG) & ~(010 | 0100 | 02 | 01 | 0100000)); // ECHO ECHONL ICANON ISIG IEXTEN
    t.putInt(CFLAG, (t.getInt(CFLAG) & ~(060 | 0400)) | 060); // CSIZE PARENB off, CS8 on
    t.put(CC + 5, (byte) 0); // VTIME
    t.put(CC + 6, (byte) 1); // VMIN
    check(sys(Nr.IOCTL, tty.fd(), LinuxConstants.TCSETS, t.addr), "ioctl TCSETS", tty);
    return saved;
  }

  /**
   * Turns off ONLCR on a terminal, so the newlines written to it come out as they are, not as
   * CR-NL. On a pty master it changes the pair's line discipline, the one the slave's writers use.
   */
  public static void clearOnlcr(Fd tty) throws ErrnoException {
    Scratch.Mem t = Scratch.get().alloc(TERMIOS_SIZE);
    check(sys(Nr.IOCTL, tty.fd(), LinuxConstants.TCGETS, t.addr), "ioctl TCGETS", tty);
    t.putInt(OFLAG, t.getInt(OFLAG) & ~04); // ONLCR
    check(sys(Nr.IOCTL, tty.fd(), LinuxConstants.TCSETS, t.addr), "ioctl TCSETS", tty);
  }

  /** Whether a terminal has ONLCR on (newline shown as CR-NL). */
  public static boolean onlcr(Fd tty) throws ErrnoException {
    Scratch.Mem t = Scratch.get().alloc(TERMIOS_SIZE);
    check(sys(Nr.IOCTL, tty.fd(), LinuxConstants.TCGETS, t.addr), "ioctl TCGETS", tty);
    return (t.getInt(OFLAG) & 04) != 0;
  }

  /** Puts back terminal settings returned by {@link #makeRaw}. */
  public static void restoreTermios(Fd tty, byte[] saved) throws ErrnoException {
    if (saved.length != TERMIOS_SIZE)
      throw new IllegalArgumentException("saved: not a termios from makeRaw");
    Scratch.Mem t = Scratch.get().alloc(TERMIOS_SIZE);
    t.buf.put(t.off, saved);
    check(sys(Nr.IOCTL, tty.fd(), LinuxConstants.TCSETS, t.addr), "ioctl TCSETS", tty);
  }
}
