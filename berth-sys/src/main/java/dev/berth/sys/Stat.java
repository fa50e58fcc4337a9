package dev.berth.sys;

/**
 * What stat(2) says (plus the modification time and the 512-byte blocks allocated, which show holes
 * in sparse files) about a file (read with statx, whose layout is the same on every architecture).
 * {@code dev} is the device of the filesystem holding the file, encoded as glibc's makedev; {@code
 * rdevMajor}/{@code rdevMinor} name the device a device node stands for.
 */
public record Stat(
    int mode,
    int uid,
    int gid,
    int rdevMajor,
    int rdevMinor,
    long size,
    long ino,
    long dev,
    int nlink,
    long mtimeSec,
    int mtimeNsec,
    long blocks) {
  /** Without times and blocks (they read 0), for callers that build a Stat by hand. */
  public Stat(
      int mode,
      int uid,
      int gid,
      int rdevMajor,
      int rdevMinor,
      long size,
      long ino,
      long dev,
      int nlink) {
    this(mode, uid, gid, rdevMajor, rdevMinor, size, ino, dev, nlink, 0, 0, 0);
  }

  /** The S_IF* file type bits of {@link #mode}. */
  public int type() {
    return mode & LinuxConstants.S_IFMT;
  }

  /** The permission bits, with setuid, setgid and sticky (07777). */
  public int permissions() {
    return mode & 07777;
  }

  /** Whether {@code other} is of the same file: device, inode and type. */
  public boolean sameFile(Stat other) {
    return dev == other.dev && ino == other.ino && type() == other.type();
  }

  public boolean isDirectory() {
    return type() == LinuxConstants.S_IFDIR;
  }

  public boolean isRegularFile() {
    return type() == LinuxConstants.S_IFREG;
  }

  public boolean isSymlink() {
    return type() == LinuxConstants.S_IFLNK;
  }

  public boolean isCharDevice() {
    return type() == LinuxConstants.S_IFCHR;
  }

  public boolean isBlockDevice() {
    return type() == LinuxConstants.S_IFBLK;
  }

  public boolean isFifo() {
    return type() == LinuxConstants.S_IFIFO;
  }

  public boolean isSocket() {
    return type() == LinuxConstants.S_IFSOCK;
  }

  /** glibc's makedev(3): the dev_t number of a major/minor pair. */
  public static long makedev(long major, long minor) {
    return (minor & 0xff)
        | ((major & 0xfff) << 8)
        | ((minor & ~0xffL) << 12)
        | ((major & ~0xfffL) << 32);
  }
}
