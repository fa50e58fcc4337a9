package dev.berth.sys;

/**
 * Syscall numbers for x86_64 and aarch64 (asm-generic). Only the *at and other calls both machines
 * have are used, so one code path serves both (aarch64 has no open, mkdir, stat, poll...).
 */
final class Nr {
  private Nr() {}

  private static final boolean A = Arch.AARCH64;

  static final int READ = A ? 63 : 0;
  static final int WRITE = A ? 64 : 1;
  static final int CLOSE = A ? 57 : 3;
  static final int LSEEK = A ? 62 : 8;
  static final int PREAD64 = A ? 67 : 17;
  static final int PWRITE64 = A ? 68 : 18;
  static final int IOCTL = A ? 29 : 16;
  static final int GETPID = A ? 172 : 39;
  static final int SOCKET = A ? 198 : 41;
  static final int CONNECT = A ? 203 : 42;
  static final int SENDMSG = A ? 211 : 46;
  static final int RECVMSG = A ? 212 : 47;
  static final int SHUTDOWN = A ? 210 : 48;
  static final int BIND = A ? 200 : 49;
  static final int LISTEN = A ? 201 : 50;
  static final int SOCKETPAIR = A ? 199 : 53;
  static final int SETSOCKOPT = A ? 208 : 54;
  static final int GETSOCKOPT = A ? 209 : 55;
  static final int WAIT4 = A ? 260 : 61;
  static final int KILL = A ? 129 : 62;
  static final int FCNTL = A ? 25 : 72;
  static final int FLOCK = A ? 32 : 73;
  static final int FTRUNCATE = A ? 46 : 77;
  static final int CHDIR = A ? 49 : 80;
  static final int FCHDIR = A ? 50 : 81;
  static final int FCHMOD = A ? 52 : 91;
  static final int FCHOWN = A ? 55 : 93;
  static final int GETUID = A ? 174 : 102;
  static final int GETGID = A ? 176 : 104;
  static final int GETEUID = A ? 175 : 107;
  static final int GETEGID = A ? 177 : 108;
  static final int GETPPID = A ? 173 : 110;
  static final int SETSID = A ? 157 : 112;
  static final int STATFS = A ? 43 : 137;
  static final int FSTATFS = A ? 44 : 138;
  static final int PIVOT_ROOT = A ? 41 : 155;
  static final int PRCTL = A ? 167 : 157;
  static final int CHROOT = A ? 51 : 161;
  static final int MOUNT = A ? 40 : 165;
  static final int UMOUNT2 = A ? 39 : 166;
  static final int SETHOSTNAME = A ? 161 : 170;
  static final int GETTID = A ? 178 : 186;
  static final int OPENAT = A ? 56 : 257;
  static final int MKDIRAT = A ? 34 : 258;
  static final int MKNODAT = A ? 33 : 259;
  static final int FCHOWNAT = A ? 54 : 260;
  static final int UNLINKAT = A ? 35 : 263;
  static final int LINKAT = A ? 37 : 265;
  static final int SYMLINKAT = A ? 36 : 266;
  static final int READLINKAT = A ? 78 : 267;
  static final int FCHMODAT = A ? 53 : 268;
  static final int FACCESSAT = A ? 48 : 269;
  static final int PPOLL = A ? 73 : 271;
  static final int UNSHARE = A ? 97 : 272;
  static final int ACCEPT4 = A ? 242 : 288;
  static final int DUP3 = A ? 24 : 292;
  static final int PIPE2 = A ? 59 : 293;
  static final int SETNS = A ? 268 : 308;
  static final int SYNCFS = A ? 267 : 306;
  static final int SYNC_FILE_RANGE = A ? 84 : 277;
  static final int INOTIFY_INIT1 = A ? 26 : 294;
  static final int INOTIFY_ADD_WATCH = A ? 27 : 254;
  static final int RENAMEAT2 = A ? 276 : 316;
  static final int MEMFD_CREATE = A ? 279 : 319;
  static final int STATX = A ? 291 : 332;
  static final int BPF = A ? 280 : 321;
  static final int GETDENTS64 = A ? 61 : 217;
  static final int UTIMENSAT = A ? 88 : 280;
  static final int LSETXATTR = A ? 6 : 189;
  static final int FSETXATTR = A ? 7 : 190;
  static final int LGETXATTR = A ? 9 : 192;
  static final int LLISTXATTR = A ? 12 : 195;
  static final int LREMOVEXATTR = A ? 15 : 198;
  // Numbers from 403 on are shared by every architecture.
  static final int PIDFD_SEND_SIGNAL = 424;
  static final int OPEN_TREE = 428;
  static final int MOVE_MOUNT = 429;
  static final int PIDFD_OPEN = 434;
  static final int CLOSE_RANGE = 436;
  static final int OPENAT2 = 437;
  static final int MOUNT_SETATTR = 442;
}
