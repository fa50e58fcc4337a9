package dev.berth.sys;

import java.io.IOException;
import java.io.InputStream;
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

/** The copy of libberthsys.so taken out of the jar when no {@code berth.native.dir} is set. */
final class LibraryFile {
  private LibraryFile() {}

  /**
   * The path of the extracted library; an UnsatisfiedLinkError saying why when it cannot be had.
   */
  static String extract() {
    try {
      return write().toString();
    } catch (IOException e) {
      throw Native.link("extract " + Native.LIBRARY + " from the class path: " + e.getMessage(), e);
    }
  }

  /**
   * Copies the library out of the jar to a directory named by its digest, so versions never mix;
   * writes it to a temporary file and renames it so a concurrent JVM never loads half a file. The
   * directory must be ours and not writable by others: /tmp is shared, and a library planted there
   * would run as root.
   */
  private static Path write() throws IOException {
    byte[] lib;
    try (InputStream in =
        LibraryFile.class.getResourceAsStream("/dev/berth/sys/" + Native.LIBRARY)) {
      if (in == null) {
        throw new IOException(
            "/dev/berth/sys/"
                + Native.LIBRARY
                + " is not in the class path; set -D"
                + Native.DIR_PROPERTY);
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
      Files.createDirectory(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (java.nio.file.FileAlreadyExistsException e) {
      // made by an earlier run; checked below
    }
    PosixFileAttributes a =
        Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Set<PosixFilePermission> perms = a.permissions();
    int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    int me = effectiveUid();
    if (!a.isDirectory()
        || owner != me
        || perms.contains(PosixFilePermission.GROUP_WRITE)
        || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException(
          dir + " must be a directory owned by uid " + me + " and writable only by it");
    }
    Path file = dir.resolve(Native.LIBRARY);
    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
        && Arrays.equals(Files.readAllBytes(file), lib)) {
      return file;
    }
    Path tmp = Files.createTempFile(dir, Native.LIBRARY, ".tmp");
    try {
      Files.write(tmp, lib);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return file;
  }

  /**
   * The effective uid without a syscall (the library is not loaded yet): the second field of
   * "Uid:".
   */
  private static int effectiveUid() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:"))
        return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
    }
    throw new IOException("read the effective uid: no Uid line in /proc/self/status");
  }
}
