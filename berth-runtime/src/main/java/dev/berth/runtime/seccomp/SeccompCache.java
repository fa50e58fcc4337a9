package dev.berth.runtime.seccomp;

import dev.berth.runtime.ContainerException;
import dev.berth.spec.runtime.Seccomp;
import dev.berth.spec.runtime.SeccompArg;
import dev.berth.spec.runtime.SeccompSyscall;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Stat;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Programs {@link SeccompCompiler} made, kept in a directory so a profile is compiled once instead
 * of at every container start (docker's default profile: 7-13 ms of CPU on a cold JVM; a hit costs
 * one stat, one open and a CRC of a few KB).
 *
 * <p>A program is found by its key: everything the compiler's output depends on, written out in
 * full (the compiler's own code, by the path, size, mtime and inode of the file it was loaded from,
 * so a rebuilt or upgraded berth never takes an older compiler's output; the host's ABI; every
 * field of the spec's {@code linux.seccomp}). The file is named after the key's length and CRC and
 * holds the key itself, which must match byte for byte, and a CRC of its whole content: another
 * profile's program or a torn write (files are not synced: a crash may leave one half written) are
 * never loaded.
 *
 * <p>A program from this directory runs in every container that names its profile, so it is read
 * only from where no one but this process's user could have written it: the directory and the file
 * must be owned by the effective uid and writable by no one else, the file a regular file opened
 * without following links; otherwise the cache is bypassed (compiled every time, nothing written).
 * Whoever owns the directory (root, as the engine's store) can already change every container's
 * spec. Any problem with the cache falls back to compiling: it never fails a container.
 */
public final class SeccompCache {
  /** No cache: every call compiles. */
  public static final SeccompCache NONE = new SeccompCache(null);

  private static final byte[] MAGIC = "berth-seccomp-1\n".getBytes(StandardCharsets.US_ASCII);

  /** Larger files are not read (a program is at most 32 KiB, a profile's key a few KB). */
  private static final int MAX_FILE = 1 << 20;

  private static String compilerIdentity;

  private final Path dir;

  private SeccompCache(Path dir) {
    this.dir = dir;
  }

  /**
   * A cache in {@code dir}, made (mode 0700) at the first program stored; its parent must exist.
   */
  public static SeccompCache in(Path dir) {
    return new SeccompCache(dir.toAbsolutePath());
  }

  /** Where the programs are kept, or null for {@link #NONE}. */
  public Path dir() {
    return dir;
  }

  /**
   * {@link SeccompCompiler#compile(Seccomp)}: the program kept for this profile, else compiled (and
   * kept). Errors are the compiler's; a profile it refuses is never kept.
   */
  public SeccompProgram compile(Seccomp seccomp) throws ContainerException {
    if (dir == null || SeccompCompiler.off(seccomp) || Arch.nativeArch() == null) {
      return SeccompCompiler.compile(seccomp);
    }
    byte[] key = key(seccomp, Arch.nativeArch());
    String name = name(key);
    boolean usable = trustedDir();
    if (usable) {
      SeccompProgram kept = read(dir.resolve(name), key);
      if (kept != null) return kept;
    }
    SeccompProgram p = SeccompCompiler.compile(seccomp);
    if (usable || makeDir()) write(name, key, p);
    return p;
  }

  // ---- the key ----

  /** Every input of the compiler's output for {@code s} on a host of ABI {@code arch}. */
  static byte[] key(Seccomp s, Arch arch) {
    Out o = new Out();
    o.str(compilerIdentity());
    o.str(arch.name());
    o.str(s.defaultAction());
    o.num(s.defaultErrnoRet() == null ? Long.MIN_VALUE : s.defaultErrnoRet());
    o.strs(s.architectures());
    o.strs(s.flags());
    o.str(s.listenerPath());
    o.str(s.listenerMetadata());
    o.num(s.syscalls().size());
    for (SeccompSyscall sc : s.syscalls()) {
      o.strs(sc.names());
      o.str(sc.action());
      o.num(sc.errnoRet() == null ? Long.MIN_VALUE : sc.errnoRet());
      o.num(sc.args().size());
      for (SeccompArg a : sc.args()) {
        o.num(a.index());
        o.num(a.value());
        o.num(a.valueTwo());
        o.str(a.op());
      }
    }
    return o.toByteArray();
  }

  /**
   * The file this compiler was loaded from (a jar, or a class file in a build's classes directory)
   * with its size, mtime and inode: another build of berth has another identity.
   */
  static synchronized String compilerIdentity() {
    if (compilerIdentity == null) {
      String id;
      try {
        var source = SeccompCompiler.class.getProtectionDomain().getCodeSource();
        Path p = Path.of(source.getLocation().toURI());
        Path classFile = p.resolve("dev/berth/runtime/seccomp/SeccompCompiler.class");
        Stat st;
        try {
          st = Linux.stat(classFile.toString());
          p = classFile;
        } catch (ErrnoException e) {
          st = Linux.stat(p.toString()); // a jar: no such path inside it
        }
        id = p + " " + st.size() + " " + st.mtimeSec() + "." + st.mtimeNsec() + " " + st.ino();
      } catch (Exception | LinkageError e) {
        // Unknown: a unique identity, so nothing is taken from (or usefully kept for) another run.
        id = "unknown " + ProcessHandle.current().pid() + " " + System.nanoTime();
      }
      compilerIdentity = id;
    }
    return compilerIdentity;
  }

  /** Length-prefixed fields: no two different inputs write the same bytes. */
  private static final class Out extends ByteArrayOutputStream {
    Out() {
      super(8192);
    }

    void num(long v) {
      for (int i = 7; i >= 0; i--) write((int) (v >>> (8 * i)));
    }

    void str(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      num(b.length);
      write(b, 0, b.length);
    }

    void strs(List<String> list) {
      num(list.size());
      for (String s : list) str(s);
    }
  }

  // ---- the files ----

  /** Whether the directory is ours alone (see the class comment); false when missing. */
  private boolean trustedDir() {
    try {
      return trusted(Linux.stat(dir.toString()), LinuxConstants.S_IFDIR);
    } catch (ErrnoException e) {
      return false;
    }
  }

  private static boolean trusted(Stat st, int type) {
    return st.type() == type && st.uid() == Linux.geteuid() && (st.mode() & 0022) == 0;
  }

  private boolean makeDir() {
    try {
      Linux.mkdir(dir.toString(), 0700);
    } catch (ErrnoException e) {
      return false; // no parent, or another process made it: next time
    }
    return trustedDir();
  }

  /**
   * The program in {@code file} if it is a trusted, whole file of key {@code key}; null otherwise.
   *
   * <p>Layout: MAGIC, key length (4 bytes), key, flags (4), program length (4), program, and the
   * CRC-32 of everything before it (4).
   */
  private static SeccompProgram read(Path file, byte[] key) {
    byte[] b;
    try (Fd fd =
        Linux.open(
            file.toString(),
            LinuxConstants.O_RDONLY | LinuxConstants.O_NOFOLLOW | LinuxConstants.O_CLOEXEC,
            0)) {
      Stat st = Linux.fstat(fd);
      if (!trusted(st, LinuxConstants.S_IFREG) || st.size() > MAX_FILE) return null;
      b = Linux.readAll(fd);
    } catch (ErrnoException e) {
      return null; // not there (or a link: ELOOP)
    }
    if (b.length > MAX_FILE || b.length < MAGIC.length + 12 + 4) return null;
    int end = b.length - 4;
    ByteBuffer in = ByteBuffer.wrap(b, 0, end);
    if (crc(b, end) != ByteBuffer.wrap(b, end, 4).getInt()) return null;
    if (!Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) return null;
    in.position(MAGIC.length);
    int keyLength = in.getInt();
    if (keyLength != key.length || in.remaining() < keyLength + 8) return null;
    int at = in.position();
    if (!Arrays.equals(b, at, at + keyLength, key, 0, keyLength)) return null;
    in.position(at + keyLength);
    int flags = in.getInt();
    int length = in.getInt();
    if (length != in.remaining() || length == 0 || length % 8 != 0 || length / 8 > 4096) {
      return null;
    }
    byte[] bpf = new byte[length];
    in.get(bpf);
    return new SeccompProgram(flags, bpf);
  }

  /** The file that keeps {@code p} for {@code key} (the layout {@link #read} takes). */
  static byte[] file(byte[] key, SeccompProgram p) {
    byte[] bpf = p.bpf();
    ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + key.length + 8 + bpf.length + 4);
    out.put(MAGIC).putInt(key.length).put(key).putInt(p.flags()).putInt(bpf.length).put(bpf);
    out.putInt(crc(out.array(), out.position()));
    return out.array();
  }

  /**
   * The name of the file that keeps the program of {@code key}: its length and CRC-32. Two keys of
   * one name (by chance or made so) only take turns in one file: the key inside decides.
   */
  static String name(byte[] key) {
    return Integer.toHexString(key.length) + "-" + Integer.toHexString(crc(key, key.length));
  }

  /**
   * The CRC-32 of {@code b}'s first {@code length} bytes: finds a torn file. zlib's, in native
   * code: SHA-256 in plain Java (interpreted on a cold start) and CRC32C (its tables are built in
   * Java at class init) each took 1-2 ms here. What a hostile writer could do is kept out by
   * ownership, not by a checksum.
   */
  static int crc(byte[] b, int length) {
    CRC32 c = new CRC32();
    c.update(b, 0, length);
    return (int) c.getValue();
  }

  /**
   * Stores {@code p} as {@code name}: written under a temporary name (mode 0600) and renamed over,
   * so a reader sees a whole file or none. A failure leaves no file and is ignored.
   */
  private void write(String name, byte[] key, SeccompProgram p) {
    byte[] b = file(key, p);
    String tmp = dir.resolve(name + ".tmp-" + ProcessHandle.current().pid()).toString();
    try {
      try (Fd fd =
          Linux.open(
              tmp,
              LinuxConstants.O_WRONLY
                  | LinuxConstants.O_CREAT
                  | LinuxConstants.O_EXCL
                  | LinuxConstants.O_NOFOLLOW
                  | LinuxConstants.O_CLOEXEC,
              0600)) {
        Linux.writeAll(fd, b);
      }
      Linux.rename(tmp, dir.resolve(name).toString(), 0);
    } catch (ErrnoException e) {
      try {
        Linux.unlink(tmp); // ours, half written; or one a dead process of this pid left
      } catch (ErrnoException ignored) {
        // not made, or gone
      }
    }
  }
}
