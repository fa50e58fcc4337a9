package dev.berth.sys;

/**
 * mount(2) failed. The message names everything the kernel was given, flags by name, because a
 * mount error is otherwise impossible to read: {@code "mount proc on /rootfs/proc (type proc, flags
 * MS_NOSUID|MS_NODEV, data \"hidepid=2\"): operation not permitted (EPERM)"}.
 */
public final class MountException extends ErrnoException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String target;
  private final String fstype;
  private final long flags;
  private final String data;

  public MountException(
      int errno, String source, String target, String fstype, long flags, String data) {
    super(errno, "mount", describe(source, target, fstype, flags, data));
    this.source = source;
    this.target = target;
    this.fstype = fstype;
    this.flags = flags;
    this.data = data;
  }

  public String source() {
    return source;
  }

  public String target() {
    return target;
  }

  public String fstype() {
    return fstype;
  }

  public long flags() {
    return flags;
  }

  public String data() {
    return data;
  }

  private static String describe(
      String source, String target, String fstype, long flags, String data) {
    StringBuilder b = new StringBuilder(96);
    b.append(source == null || source.isEmpty() ? "none" : source).append(" on ").append(target);
    String sep = " (";
    if (fstype != null && !fstype.isEmpty()) {
      b.append(sep).append("type ").append(fstype);
      sep = ", ";
    }
    if (flags != 0) {
      b.append(sep).append("flags ").append(flagNames(flags));
      sep = ", ";
    }
    if (data != null && !data.isEmpty()) {
      b.append(sep).append("data ").append(Scratch.quote(data));
      sep = ", ";
    }
    if (!sep.equals(" (")) b.append(')');
    return b.toString();
  }

  private static final String[] NAMES = {
    "MS_RDONLY",
    "MS_NOSUID",
    "MS_NODEV",
    "MS_NOEXEC",
    "MS_SYNCHRONOUS",
    "MS_REMOUNT",
    "MS_MANDLOCK",
    "MS_DIRSYNC",
    "MS_NOSYMFOLLOW",
    null,
    "MS_NOATIME",
    "MS_NODIRATIME",
    "MS_BIND",
    "MS_MOVE",
    "MS_REC",
    "MS_SILENT",
    "MS_POSIXACL",
    "MS_UNBINDABLE",
    "MS_PRIVATE",
    "MS_SLAVE",
    "MS_SHARED",
    "MS_RELATIME",
    "MS_KERNMOUNT",
    "MS_I_VERSION",
    "MS_STRICTATIME",
    "MS_LAZYTIME",
  };

  /**
   * mount(2) flags as names joined by '|' ("MS_BIND|MS_REC"); bits without a name as hex; "0" for
   * none.
   */
  public static String flagNames(long flags) {
    if (flags == 0) return "0";
    StringBuilder b = new StringBuilder();
    long unknown = 0;
    for (int bit = 0; bit < 64; bit++) {
      long m = 1L << bit;
      if ((flags & m) == 0) continue;
      String n = bit < NAMES.length ? NAMES[bit] : null;
      if (n == null) {
        unknown |= m;
      } else {
        if (b.length() > 0) b.append('|');
        b.append(n);
      }
    }
    if (unknown != 0) {
      if (b.length() > 0) b.append('|');
      b.append("0x").append(Long.toHexString(unknown));
    }
    return b.toString();
  }
}
