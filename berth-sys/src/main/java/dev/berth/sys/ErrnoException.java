package dev.berth.sys;

import java.io.IOException;

/**
 * A syscall failed: the errno, the call ({@code "mount"}), and what it was applied to ({@code
 * "/run/x/state.json"}). The message reads {@code "<call> <detail>: <description> (<ENAME>)"}, e.g.
 * {@code "open /etc/nope: no such file or directory (ENOENT)"}; higher layers wrap it with one
 * clause of their own.
 */
public class ErrnoException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int errno;
  private final String call;
  private final String detail;

  /** {@code detail} may be null when the call has no natural subject (e.g. {@code socketpair}). */
  public ErrnoException(int errno, String call, String detail) {
    super((String) null);
    this.errno = errno;
    this.call = call;
    this.detail = detail;
  }

  public int errno() {
    return errno;
  }

  /** The symbolic name, {@code "EPERM"}; {@code "E<n>"} for a number the table does not know. */
  public String errnoName() {
    return name(errno);
  }

  /** The syscall (or libc call) that failed, named as in its man page. */
  public String call() {
    return call;
  }

  /** What the call was applied to (a path, "proc on /rootfs/proc", a pid), or null. */
  public String detail() {
    return detail;
  }

  /** Built on demand: most ErrnoExceptions are caught and tested for their errno, never printed. */
  @Override
  public String getMessage() {
    StringBuilder b = new StringBuilder(64).append(call);
    if (detail != null && !detail.isEmpty()) b.append(' ').append(detail);
    return b.append(": ").append(describe(errno)).toString();
  }

  /**
   * {@code "no such file or directory (ENOENT)"}: the text used in every message about errno {@code
   * e}.
   */
  public static String describe(int errno) {
    return text(errno) + " (" + name(errno) + ")";
  }

  /** The symbolic name of an errno, {@code "E<n>"} when unknown. */
  public static String name(int errno) {
    return errno > 0 && errno < TABLE.length / 2 && TABLE[2 * errno] != null
        ? TABLE[2 * errno]
        : "E" + errno;
  }

  /** A short lowercase description of an errno, {@code "error <n>"} when unknown. */
  public static String text(int errno) {
    return errno > 0 && errno < TABLE.length / 2 && TABLE[2 * errno + 1] != null
        ? TABLE[2 * errno + 1]
        : "error " + errno;
  }

  /**
   * The errno for a symbolic name ("ENOENT", also the aliases EWOULDBLOCK, EDEADLOCK, ENOTSUP), or
   * -1.
   */
  public static int number(String name) {
    switch (name) {
      case "EWOULDBLOCK":
        return LinuxConstants.EAGAIN;
      case "EDEADLOCK":
        return LinuxConstants.EDEADLK;
      case "ENOTSUP":
        return LinuxConstants.EOPNOTSUPP;
      default:
        for (int e = 1; e < TABLE.length / 2; e++) if (name.equals(TABLE[2 * e])) return e;
        return -1;
    }
  }

  /**
   * Name and description of errno 1..133 (Linux, the same on x86_64 and aarch64), at index 2*errno.
   */
  private static final String[] TABLE = {
    null,
    null,
    "EPERM",
    "operation not permitted",
    "ENOENT",
    "no such file or directory",
    "ESRCH",
    "no such process",
    "EINTR",
    "interrupted by a signal",
    "EIO",
    "input/output error",
    "ENXIO",
    "no such device or address",
    "E2BIG",
    "argument list too long",
    "ENOEXEC",
    "not an executable format",
    "EBADF",
    "bad file descriptor",
    "ECHILD",
    "no child process to wait for",
    "EAGAIN",
    "resource temporarily unavailable, try again",
    "ENOMEM",
    "out of memory",
    "EACCES",
    "permission denied",
    "EFAULT",
    "bad address",
    "ENOTBLK",
    "not a block device",
    "EBUSY",
    "device or resource busy",
    "EEXIST",
    "already exists",
    "EXDEV",
    "crosses a filesystem boundary",
    "ENODEV",
    "no such device",
    "ENOTDIR",
    "not a directory",
    "EISDIR",
    "is a directory",
    "EINVAL",
    "invalid argument",
    "ENFILE",
    "too many open files in the system",
    "EMFILE",
    "too many open files in this process",
    "ENOTTY",
    "not a terminal (inappropriate ioctl)",
    "ETXTBSY",
    "executable file is busy",
    "EFBIG",
    "file too large",
    "ENOSPC",
    "no space left on device",
    "ESPIPE",
    "cannot seek on a pipe or socket",
    "EROFS",
    "read-only filesystem",
    "EMLINK",
    "too many links",
    "EPIPE",
    "broken pipe",
    "EDOM",
    "argument out of the function's domain",
    "ERANGE",
    "result out of range",
    "EDEADLK",
    "would deadlock",
    "ENAMETOOLONG",
    "name too long",
    "ENOLCK",
    "no locks available",
    "ENOSYS",
    "syscall not implemented by this kernel",
    "ENOTEMPTY",
    "directory not empty",
    "ELOOP",
    "too many levels of symbolic links",
    null,
    null,
    "ENOMSG",
    "no message of the wanted type",
    "EIDRM",
    "identifier removed",
    "ECHRNG",
    "channel number out of range",
    "EL2NSYNC",
    "level 2 not synchronized",
    "EL3HLT",
    "level 3 halted",
    "EL3RST",
    "level 3 reset",
    "ELNRNG",
    "link number out of range",
    "EUNATCH",
    "protocol driver not attached",
    "ENOCSI",
    "no CSI structure available",
    "EL2HLT",
    "level 2 halted",
    "EBADE",
    "invalid exchange",
    "EBADR",
    "invalid request descriptor",
    "EXFULL",
    "exchange full",
    "ENOANO",
    "no anode",
    "EBADRQC",
    "invalid request code",
    "EBADSLT",
    "invalid slot",
    null,
    null,
    "EBFONT",
    "bad font file format",
    "ENOSTR",
    "not a stream device",
    "ENODATA",
    "no data available",
    "ETIME",
    "timer expired",
    "ENOSR",
    "out of stream resources",
    "ENONET",
    "machine is not on the network",
    "ENOPKG",
    "package not installed",
    "EREMOTE",
    "object is remote",
    "ENOLINK",
    "link has been severed",
    "EADV",
    "advertise error",
    "ESRMNT",
    "srmount error",
    "ECOMM",
    "communication error on send",
    "EPROTO",
    "protocol error",
    "EMULTIHOP",
    "multihop attempted",
    "EDOTDOT",
    "RFS specific error",
    "EBADMSG",
    "bad message",
    "EOVERFLOW",
    "value too large for its data type",
    "ENOTUNIQ",
    "name not unique on the network",
    "EBADFD",
    "file descriptor in a bad state",
    "EREMCHG",
    "remote address changed",
    "ELIBACC",
    "cannot access a needed shared library",
    "ELIBBAD",
    "corrupted shared library",
    "ELIBSCN",
    ".lib section in a.out corrupted",
    "ELIBMAX",
    "too many shared libraries",
    "ELIBEXEC",
    "cannot exec a shared library directly",
    "EILSEQ",
    "invalid byte sequence",
    "ERESTART",
    "interrupted call should be restarted",
    "ESTRPIPE",
    "streams pipe error",
    "EUSERS",
    "too many users",
    "ENOTSOCK",
    "not a socket",
    "EDESTADDRREQ",
    "destination address required",
    "EMSGSIZE",
    "message too long",
    "EPROTOTYPE",
    "wrong protocol type for socket",
    "ENOPROTOOPT",
    "protocol option not available",
    "EPROTONOSUPPORT",
    "protocol not supported",
    "ESOCKTNOSUPPORT",
    "socket type not supported",
    "EOPNOTSUPP",
    "operation not supported",
    "EPFNOSUPPORT",
    "protocol family not supported",
    "EAFNOSUPPORT",
    "address family not supported by protocol",
    "EADDRINUSE",
    "address already in use",
    "EADDRNOTAVAIL",
    "cannot assign requested address",
    "ENETDOWN",
    "network is down",
    "ENETUNREACH",
    "network is unreachable",
    "ENETRESET",
    "connection dropped by network reset",
    "ECONNABORTED",
    "connection aborted",
    "ECONNRESET",
    "connection reset by peer",
    "ENOBUFS",
    "no buffer space available",
    "EISCONN",
    "socket already connected",
    "ENOTCONN",
    "socket not connected",
    "ESHUTDOWN",
    "cannot send after socket shutdown",
    "ETOOMANYREFS",
    "too many references",
    "ETIMEDOUT",
    "timed out",
    "ECONNREFUSED",
    "connection refused",
    "EHOSTDOWN",
    "host is down",
    "EHOSTUNREACH",
    "no route to host",
    "EALREADY",
    "operation already in progress",
    "EINPROGRESS",
    "operation now in progress",
    "ESTALE",
    "stale file handle",
    "EUCLEAN",
    "structure needs cleaning",
    "ENOTNAM",
    "not a XENIX named type file",
    "ENAVAIL",
    "no XENIX semaphores available",
    "EISNAM",
    "is a named type file",
    "EREMOTEIO",
    "remote i/o error",
    "EDQUOT",
    "disk quota exceeded",
    "ENOMEDIUM",
    "no medium found",
    "EMEDIUMTYPE",
    "wrong medium type",
    "ECANCELED",
    "operation canceled",
    "ENOKEY",
    "required key not available",
    "EKEYEXPIRED",
    "key has expired",
    "EKEYREVOKED",
    "key has been revoked",
    "EKEYREJECTED",
    "key was rejected by service",
    "EOWNERDEAD",
    "owner died",
    "ENOTRECOVERABLE",
    "state not recoverable",
    "ERFKILL",
    "blocked by rf-kill",
    "EHWPOISON",
    "memory page has a hardware error",
  };
}
