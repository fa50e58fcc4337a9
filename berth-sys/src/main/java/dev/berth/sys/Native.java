package dev.berth.sys;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

/**
 * The JNI entry points of libberthsys.so (src/main/c/berth-sys.c) and how the library is found.
 *
 * <p>Launchers set {@code berth.native.dir} to a directory holding libberthsys.so: one System.load, nothing else on
 * the start path. Without it (tests, embedding), the copy inside the jar is extracted once to
 * {@code ${java.io.tmpdir}/berth-native-<sha256 prefix>/} and loaded from there.
 */
final class Native {
  private Native() {}

  static final String LIBRARY = "libberthsys.so";
  static final String DIR_PROPERTY = "berth.native.dir";

  static {
    String dir = System.getProperty(DIR_PROPERTY);
    if (dir != null && !dir.isEmpty()) {
      File f = new File(dir, LIBRARY);
      try {
        System.load(f.getAbsolutePath());
      } catch (UnsatisfiedLinkError e) {
        throw link("load " + f + " (from -D" + DIR_PROPERTY + ")", e);
      }
    } else {
      Path p;
      try {
        p = extract();
      } catch (IOException e) {
        throw link("extract " + LIBRARY + " from the class path: " + e.getMessage(), e);
      }
      try {
        System.load(p.toString());
      } catch (UnsatisfiedLinkError e) {
        throw link("load " + p, e);
      }
    }
  }

  /** {@code syscall(nr, a1..a6)}: the result, or -errno read on the calling thread right after the call. */
  static native long syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

  /** The address of a direct buffer's first byte (position 0). */
  static native long address(ByteBuffer direct);

  /**
   * posix_spawn of the C string at {@code path} with NULL-terminated pointer arrays {@code argv} and {@code envp};
   * {@code fdMap} points at {@code nfds} pairs of ints (childFd, parentFd). Returns the pid or -errno.
   */
  static native int spawn(long path, long argv, long envp, long fdMap, int nfds, boolean setsid);

  private static UnsatisfiedLinkError link(String what, Throwable cause) {
    UnsatisfiedLinkError e = new UnsatisfiedLinkError(what + (cause instanceof UnsatisfiedLinkError
        ? ": " + cause.getMessage() : ""));
    e.initCause(cause);
    return e;
  }

  /**
   * Copies the library out of the jar to a directory named by its digest, so versions never mix; writes it to a
   * temporary file and renames it so a concurrent JVM never loads half a file. The directory must be ours and not
   * writable by others: /tmp is shared, and a library planted there would run as root.
   */
  private static Path extract() throws IOException {
    byte[] lib;
    try (InputStream in = Native.class.getResourceAsStream("/dev/berth/sys/" + LIBRARY)) {
      if (in == null) {
        throw new IOException("/dev/berth/sys/" + LIBRARY + " is not in the class path; set -D" + DIR_PROPERTY);
      }
      lib = in.readAllBytes();
    }
    String digest;
    try {
      digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lib), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IOException("compute sha-256: " + e.getMessage(), e);
    }
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "berth-native-" + digest);
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (java.nio.file.FileAlreadyExistsException e) {
      // made by an earlier run; checked below
    }
    PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Set<PosixFilePermission> perms = a.permissions();
    int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    int me = effectiveUid();
    if (!a.isDirectory() || owner != me || perms.contains(PosixFilePermission.GROUP_WRITE)
        || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException(dir + " must be a directory owned by uid " + me + " and writable only by it");
    }
    Path file = dir.resolve(LIBRARY);
    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Arrays.equals(Files.readAllBytes(file), lib)) {
      return file;
    }
    Path tmp = Files.createTempFile(dir, LIBRARY, ".tmp");
    try {
      Files.write(tmp, lib);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return file;
  }

  /** The effective uid without a syscall (the library is not loaded yet): the second field of "Uid:". */
  private static int effectiveUid() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
    }
    throw new IOException("read the effective uid: no Uid line in /proc/self/status");
  }
}
