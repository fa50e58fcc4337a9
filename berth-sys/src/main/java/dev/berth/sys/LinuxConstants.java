package dev.berth.sys;

/**
 * Linux constants for the calls in {@link Linux}, from the kernel's uapi headers. Almost all are
 * the same on x86_64 and aarch64; the few that differ (O_DIRECTORY, O_NOFOLLOW, O_DIRECT,
 * O_TMPFILE) are chosen by {@code os.arch} and so are not compile-time constants.
 */
public final class LinuxConstants {
  private LinuxConstants() {}

  // bpf(2): commands, the program and attach types of cgroup device control, attach and query flags
  public static final int BPF_PROG_LOAD = 5;
  public static final int BPF_PROG_ATTACH = 8;
  public static final int BPF_PROG_DETACH = 9;
  public static final int BPF_PROG_GET_FD_BY_ID = 13;
  public static final int BPF_PROG_QUERY = 16;
  public static final int BPF_PROG_TYPE_CGROUP_DEVICE = 15;
  public static final int BPF_CGROUP_DEVICE = 6;
  public static final int BPF_F_ALLOW_OVERRIDE = 1;
  public static final int BPF_F_ALLOW_MULTI = 2;
  public static final int BPF_F_REPLACE = 4;
  public static final int BPF_F_QUERY_EFFECTIVE = 1;
  // struct bpf_cgroup_dev_ctx.access_type: the device type in the low 16 bits, the access in the
  // high 16
  public static final int BPF_DEVCG_DEV_BLOCK = 1;
  public static final int BPF_DEVCG_DEV_CHAR = 2;
  public static final int BPF_DEVCG_ACC_MKNOD = 1;
  public static final int BPF_DEVCG_ACC_READ = 2;
  public static final int BPF_DEVCG_ACC_WRITE = 4;

  // open(2)
  public static final int O_RDONLY = 0;
  public static final int O_WRONLY = 1;
  public static final int O_RDWR = 2;
  public static final int O_ACCMODE = 3;
  public static final int O_CREAT = 0100;
  public static final int O_EXCL = 0200;
  public static final int O_NOCTTY = 0400;
  public static final int O_TRUNC = 01000;
  public static final int O_APPEND = 02000;
  public static final int O_NONBLOCK = 04000;
  public static final int O_DSYNC = 010000;
  public static final int O_SYNC = 04010000;
  public static final int O_CLOEXEC = 02000000;
  public static final int O_PATH = 010000000;
  public static final int O_NOATIME = 01000000;
  public static final int O_DIRECTORY = Arch.AARCH64 ? 040000 : 0200000;
  public static final int O_NOFOLLOW = Arch.AARCH64 ? 0100000 : 0400000;
  public static final int O_DIRECT = Arch.AARCH64 ? 0200000 : 040000;
  public static final int O_TMPFILE = 020000000 | O_DIRECTORY;

  // *at(2)
  public static final int AT_FDCWD = -100;
  public static final int AT_SYMLINK_NOFOLLOW = 0x100;
  public static final int AT_REMOVEDIR = 0x200;
  public static final int AT_SYMLINK_FOLLOW = 0x400;
  public static final int AT_NO_AUTOMOUNT = 0x800;
  public static final int AT_EMPTY_PATH = 0x1000;
  public static final int AT_EACCESS = 0x200;
  public static final int AT_RECURSIVE = 0x8000;
  public static final int OPEN_TREE_CLONE = 1;
  public static final int MOVE_MOUNT_F_EMPTY_PATH = 0x00000004;
  public static final long MOUNT_ATTR_IDMAP = 0x00100000L;

  // openat2(2) resolve flags
  public static final long RESOLVE_NO_XDEV = 0x01;
  public static final long RESOLVE_NO_MAGICLINKS = 0x02;
  public static final long RESOLVE_NO_SYMLINKS = 0x04;
  public static final long RESOLVE_BENEATH = 0x08;
  public static final long RESOLVE_IN_ROOT = 0x10;
  public static final long RESOLVE_CACHED = 0x20;

  // utimensat(2): special tv_nsec values
  public static final long UTIME_NOW = (1L << 30) - 1;
  public static final long UTIME_OMIT = (1L << 30) - 2;

  // setxattr(2) flags
  public static final int XATTR_CREATE = 1;
  public static final int XATTR_REPLACE = 2;

  // inotify(7): what a watch reports
  public static final int IN_MODIFY = 0x2;
  public static final int IN_MOVED_TO = 0x80;
  public static final int IN_CREATE = 0x100;

  // sync_file_range(2)
  public static final int SYNC_FILE_RANGE_WRITE = 2;

  // renameat2(2)
  public static final int RENAME_NOREPLACE = 1;
  public static final int RENAME_EXCHANGE = 2;

  // stat(2) file types and mode bits
  public static final int S_IFMT = 0170000;
  public static final int S_IFSOCK = 0140000;
  public static final int S_IFLNK = 0120000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFBLK = 060000;
  public static final int S_IFDIR = 040000;
  public static final int S_IFCHR = 020000;
  public static final int S_IFIFO = 010000;
  public static final int S_ISUID = 04000;
  public static final int S_ISGID = 02000;
  public static final int S_ISVTX = 01000;

  // fcntl(2)
  public static final int F_DUPFD = 0;
  public static final int F_GETFD = 1;
  public static final int F_SETFD = 2;
  public static final int F_GETFL = 3;
  public static final int F_SETFL = 4;
  public static final int F_DUPFD_CLOEXEC = 1030;
  public static final int F_ADD_SEALS = 1033;
  public static final int F_GET_SEALS = 1034;
  public static final int FD_CLOEXEC = 1;

  // memfd_create(2) and seals
  public static final int MFD_CLOEXEC = 1;
  public static final int MFD_ALLOW_SEALING = 2;
  public static final int MFD_NOEXEC_SEAL = 8;
  public static final int MFD_EXEC = 0x10;
  public static final int F_SEAL_SEAL = 1;
  public static final int F_SEAL_SHRINK = 2;
  public static final int F_SEAL_GROW = 4;
  public static final int F_SEAL_WRITE = 8;
  public static final int F_SEAL_FUTURE_WRITE = 0x10;
  public static final int F_SEAL_EXEC = 0x20;

  // flock(2)
  public static final int LOCK_SH = 1;
  public static final int LOCK_EX = 2;
  public static final int LOCK_NB = 4;
  public static final int LOCK_UN = 8;

  // access(2)
  public static final int F_OK = 0;
  public static final int X_OK = 1;
  public static final int W_OK = 2;
  public static final int R_OK = 4;

  // lseek(2)
  public static final int SEEK_SET = 0;
  public static final int SEEK_CUR = 1;
  public static final int SEEK_END = 2;

  // close_range(2)
  public static final int CLOSE_RANGE_UNSHARE = 2;
  public static final int CLOSE_RANGE_CLOEXEC = 4;

  // clone(2), unshare(2), setns(2)
  public static final long CLONE_NEWTIME = 0x80;
  public static final long CLONE_NEWNS = 0x20000;
  public static final long CLONE_NEWCGROUP = 0x2000000;
  public static final long CLONE_NEWUTS = 0x4000000;
  public static final long CLONE_NEWIPC = 0x8000000;
  public static final long CLONE_NEWUSER = 0x10000000;
  public static final long CLONE_NEWPID = 0x20000000;
  public static final long CLONE_NEWNET = 0x40000000;
  public static final long CLONE_PIDFD = 0x1000;
  public static final long CLONE_INTO_CGROUP = 0x200000000L;

  // mount(2)
  public static final long MS_RDONLY = 1;
  public static final long MS_NOSUID = 2;
  public static final long MS_NODEV = 4;
  public static final long MS_NOEXEC = 8;
  public static final long MS_SYNCHRONOUS = 16;
  public static final long MS_REMOUNT = 32;
  public static final long MS_MANDLOCK = 64;
  public static final long MS_DIRSYNC = 128;
  public static final long MS_NOSYMFOLLOW = 256;
  public static final long MS_NOATIME = 1024;
  public static final long MS_NODIRATIME = 2048;
  public static final long MS_BIND = 4096;
  public static final long MS_MOVE = 8192;
  public static final long MS_REC = 16384;
  public static final long MS_SILENT = 32768;
  public static final long MS_POSIXACL = 1 << 16;
  public static final long MS_UNBINDABLE = 1 << 17;
  public static final long MS_PRIVATE = 1 << 18;
  public static final long MS_SLAVE = 1 << 19;
  public static final long MS_SHARED = 1 << 20;
  public static final long MS_RELATIME = 1 << 21;
  public static final long MS_KERNMOUNT = 1 << 22;
  public static final long MS_I_VERSION = 1 << 23;
  public static final long MS_STRICTATIME = 1 << 24;
  public static final long MS_LAZYTIME = 1 << 25;

  // umount2(2)
  public static final int MNT_FORCE = 1;
  public static final int MNT_DETACH = 2;
  public static final int MNT_EXPIRE = 4;
  public static final int UMOUNT_NOFOLLOW = 8;

  // signals (x86_64 and aarch64 agree); see Signals for names
  public static final int SIGHUP = 1;
  public static final int SIGINT = 2;
  public static final int SIGQUIT = 3;
  public static final int SIGILL = 4;
  public static final int SIGTRAP = 5;
  public static final int SIGABRT = 6;
  public static final int SIGBUS = 7;
  public static final int SIGFPE = 8;
  public static final int SIGKILL = 9;
  public static final int SIGUSR1 = 10;
  public static final int SIGSEGV = 11;
  public static final int SIGUSR2 = 12;
  public static final int SIGPIPE = 13;
  public static final int SIGALRM = 14;
  public static final int SIGTERM = 15;
  public static final int SIGSTKFLT = 16;
  public static final int SIGCHLD = 17;
  public static final int SIGCONT = 18;
  public static final int SIGSTOP = 19;
  public static final int SIGTSTP = 20;
  public static final int SIGTTIN = 21;
  public static final int SIGTTOU = 22;
  public static final int SIGURG = 23;
  public static final int SIGXCPU = 24;
  public static final int SIGXFSZ = 25;
  public static final int SIGVTALRM = 26;
  public static final int SIGPROF = 27;
  public static final int SIGWINCH = 28;
  public static final int SIGIO = 29;
  public static final int SIGPWR = 30;
  public static final int SIGSYS = 31;

  /** As glibc and runc count: the kernel's 32 and 33 are taken by the C library's threads. */
  public static final int SIGRTMIN = 34;

  public static final int SIGRTMAX = 64;

  // wait4(2)
  public static final int WNOHANG = 1;
  public static final int WUNTRACED = 2;
  public static final int WCONTINUED = 8;
  public static final int __WALL = 0x40000000;

  // poll(2)
  public static final short POLLIN = 0x001;
  public static final short POLLPRI = 0x002;
  public static final short POLLOUT = 0x004;
  public static final short POLLERR = 0x008;
  public static final short POLLHUP = 0x010;
  public static final short POLLNVAL = 0x020;
  public static final short POLLRDHUP = 0x2000;

  // socket(2)
  public static final int AF_UNIX = 1;
  public static final int SOCK_STREAM = 1;
  public static final int SOCK_DGRAM = 2;
  public static final int SOCK_SEQPACKET = 5;
  public static final int SOCK_NONBLOCK = 04000;
  public static final int SOCK_CLOEXEC = 02000000;
  public static final int SOL_SOCKET = 1;
  public static final int SO_REUSEADDR = 2;
  public static final int SO_SNDBUF = 7;
  public static final int SO_RCVBUF = 8;
  public static final int SO_PASSCRED = 16;
  public static final int SO_PEERCRED = 17;
  public static final int SCM_RIGHTS = 1;
  public static final int SHUT_RD = 0;
  public static final int SHUT_WR = 1;
  public static final int SHUT_RDWR = 2;
  public static final int MSG_DONTWAIT = 0x40;
  public static final int MSG_CTRUNC = 0x08;
  public static final int MSG_TRUNC = 0x20;
  public static final int MSG_NOSIGNAL = 0x4000;
  public static final int MSG_CMSG_CLOEXEC = 0x40000000;

  // pidfd_open(2)
  public static final int PIDFD_NONBLOCK = O_NONBLOCK;

  // prctl(2)
  public static final int PR_SET_PDEATHSIG = 1;
  public static final int PR_GET_PDEATHSIG = 2;
  public static final int PR_GET_DUMPABLE = 3;
  public static final int PR_SET_DUMPABLE = 4;
  public static final int PR_SET_KEEPCAPS = 8;
  public static final int PR_SET_NAME = 15;
  public static final int PR_GET_NAME = 16;
  public static final int PR_CAPBSET_READ = 23;
  public static final int PR_CAPBSET_DROP = 24;
  public static final int PR_SET_CHILD_SUBREAPER = 36;
  public static final int PR_GET_CHILD_SUBREAPER = 37;
  public static final int PR_SET_NO_NEW_PRIVS = 38;
  public static final int PR_GET_NO_NEW_PRIVS = 39;
  public static final int PR_CAP_AMBIENT = 47;

  // terminals (ioctl numbers shared by x86_64 and aarch64)
  public static final int TCGETS = 0x5401;
  public static final int TCSETS = 0x5402;
  public static final int TCSETSW = 0x5403;
  public static final int TIOCSCTTY = 0x540E;
  public static final int TIOCGWINSZ = 0x5413;
  public static final int TIOCSWINSZ = 0x5414;
  public static final int TIOCGPTN = 0x80045430;
  public static final int TIOCSPTLCK = 0x40045431;
  public static final int TIOCGPGRP = 0x540F;
  public static final int TIOCGSID = 0x5429;
  public static final int TIOCGPTPEER = 0x5441;

  // seccomp user notification (linux/seccomp.h; ioctl numbers shared by x86_64 and aarch64)
  public static final int SECCOMP_IOCTL_NOTIF_RECV =
      0xC0502100; // _IOWR('!', 0, struct seccomp_notif)
  public static final int SECCOMP_IOCTL_NOTIF_SEND =
      0xC0182101; // _IOWR('!', 1, struct seccomp_notif_resp)

  /** A response flag: let the syscall run as if there were no filter (error and val must be 0). */
  public static final int SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;

  // statfs(2) f_type magic numbers
  public static final long TMPFS_MAGIC = 0x01021994L;
  public static final long CGROUP_SUPER_MAGIC = 0x27e0ebL;
  public static final long CGROUP2_SUPER_MAGIC = 0x63677270L;
  public static final long OVERLAYFS_SUPER_MAGIC = 0x794c7630L;
  public static final long PROC_SUPER_MAGIC = 0x9fa0L;

  // errno (asm-generic; the same on x86_64 and aarch64); names and texts in ErrnoException
  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int ESRCH = 3;
  public static final int EINTR = 4;
  public static final int EIO = 5;
  public static final int ENXIO = 6;
  public static final int E2BIG = 7;
  public static final int ENOEXEC = 8;
  public static final int EBADF = 9;
  public static final int ECHILD = 10;
  public static final int EAGAIN = 11;
  public static final int EWOULDBLOCK = EAGAIN;
  public static final int ENOMEM = 12;
  public static final int EACCES = 13;
  public static final int EFAULT = 14;
  public static final int ENOTBLK = 15;
  public static final int EBUSY = 16;
  public static final int EEXIST = 17;
  public static final int EXDEV = 18;
  public static final int ENODEV = 19;
  public static final int ENOTDIR = 20;
  public static final int EISDIR = 21;
  public static final int EINVAL = 22;
  public static final int ENFILE = 23;
  public static final int EMFILE = 24;
  public static final int ENOTTY = 25;
  public static final int ETXTBSY = 26;
  public static final int EFBIG = 27;
  public static final int ENOSPC = 28;
  public static final int ESPIPE = 29;
  public static final int EROFS = 30;
  public static final int EMLINK = 31;
  public static final int EPIPE = 32;
  public static final int ERANGE = 34;
  public static final int EDEADLK = 35;
  public static final int ENAMETOOLONG = 36;
  public static final int ENOLCK = 37;
  public static final int ENOSYS = 38;
  public static final int ENOTEMPTY = 39;
  public static final int ELOOP = 40;
  public static final int ENODATA = 61;
  public static final int EOVERFLOW = 75;
  public static final int ENOTSOCK = 88;
  public static final int EMSGSIZE = 90;
  public static final int ENOPROTOOPT = 92;
  public static final int EOPNOTSUPP = 95;
  public static final int ENOTSUP = EOPNOTSUPP;
  public static final int EAFNOSUPPORT = 97;
  public static final int EADDRINUSE = 98;
  public static final int ECONNABORTED = 103;
  public static final int ECONNRESET = 104;
  public static final int ENOBUFS = 105;
  public static final int EISCONN = 106;
  public static final int ENOTCONN = 107;
  public static final int ETIMEDOUT = 110;
  public static final int ECONNREFUSED = 111;
  public static final int EALREADY = 114;
  public static final int EINPROGRESS = 115;
  public static final int ESTALE = 116;
  public static final int EDQUOT = 122;
  public static final int ECANCELED = 125;
}
