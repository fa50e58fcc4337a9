package dev.berth.runtime.cgroups;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes cgroup control files. Every error names the file, the value and the errno
 * ("write memory.limit_in_bytes=1 in /sys/fs/cgroup/memory/x: EINVAL"), because the kernel's EINVAL
 * is all a user gets to tell which of thirty writes went wrong.
 *
 * <p>Through berth-sys' open/read/write/mkdir/rmdir rather than java.nio: a create makes and writes
 * some forty files, and NIO's channel and provider machinery, first run interpreted on every cold
 * start, cost milliseconds there; the errno also comes back as a number instead of strerror text.
 *
 * <p>Not final: unit tests record writes through a subclass instead of needing root.
 */
class CgroupFiles {
  static final CgroupFiles REAL = new CgroupFiles();

  /** How long destroy waits for the kernel to let go of the cgroups of tasks that just exited. */
  static final long REMOVE_PATIENCE_NANOS = 1_000_000_000L;

  /**
   * Writes {@code value} to {@code dir/file} in one write(2), without O_CREAT: a missing control
   * file means a missing controller, and that must fail rather than leave a regular file behind.
   */
  void write(Path dir, String file, String value) throws IOException {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    try (Fd fd = Linux.open(dir + "/" + file, LinuxConstants.O_WRONLY, 0)) {
      // cgroupfs takes each write(2) as one command: never split a value across writes.
      Linux.write(fd, ByteBuffer.wrap(bytes));
    } catch (IOException e) {
      throw failed("write " + file + "=" + oneLine(value) + " in " + dir, e);
    }
  }

  /** The content of {@code dir/file}, trimmed. */
  String read(Path dir, String file) throws IOException {
    try {
      return readText(dir + "/" + file);
    } catch (IOException e) {
      throw failed("read " + file + " in " + dir, e);
    }
  }

  /** The content of {@code dir/file}, trimmed, or null if it does not exist. */
  String readIfExists(Path dir, String file) throws IOException {
    try {
      return readText(dir + "/" + file);
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ENOENT) return null;
      throw failed("read " + file + " in " + dir, e);
    }
  }

  private static String readText(String path) throws ErrnoException {
    try (Fd fd = Linux.open(path, LinuxConstants.O_RDONLY, 0)) {
      return new String(Linux.readAll(fd), StandardCharsets.UTF_8).trim();
    }
  }

  /**
   * "key value" lines (memory.stat, cpu.stat, memory.events) in file order; absent file, no
   * entries.
   */
  Map<String, Long> keyValues(Path dir, String file) throws IOException {
    String text = readIfExists(dir, file);
    Map<String, Long> values = new LinkedHashMap<>();
    if (text == null) return values;
    for (String line : text.split("\n")) {
      int space = line.indexOf(' ');
      if (space <= 0) continue;
      values.put(
          line.substring(0, space), ResourceValues.parseCount(line.substring(space + 1).trim()));
    }
    return values;
  }

  boolean exists(Path dir, String file) {
    try {
      Linux.lstat(dir + "/" + file);
      return true;
    } catch (ErrnoException e) {
      return false; // as Files.exists: unknown is "no"
    }
  }

  /** Makes {@code dir} and its missing parents; true if {@code dir} itself was made now. */
  boolean mkdirs(Path dir) throws IOException {
    try {
      return mkdirsOrExists(dir);
    } catch (ErrnoException e) {
      throw failed("create cgroup " + dir, e);
    }
  }

  /** mkdir, making missing parents on ENOENT; false if {@code dir} already was a directory. */
  private static boolean mkdirsOrExists(Path dir) throws ErrnoException {
    try {
      Linux.mkdir(dir.toString(), 0755);
      return true;
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.EEXIST) {
        if (Linux.lstat(dir.toString()).isDirectory()) return false;
        throw e;
      }
      Path parent = dir.getParent();
      if (e.errno() != LinuxConstants.ENOENT || parent == null) throw e;
    }
    mkdirsOrExists(dir.getParent());
    Linux.mkdir(dir.toString(), 0755);
    return true;
  }

  /**
   * The pids in {@code dir/cgroup.procs} and in those of every cgroup below it; none if {@code dir}
   * is gone.
   */
  List<Integer> pidsRecursive(Path dir) throws IOException {
    List<Integer> pids = new ArrayList<>();
    collectPids(dir, pids);
    return pids;
  }

  private void collectPids(Path dir, List<Integer> into) throws IOException {
    String procs = readIfExists(dir, "cgroup.procs");
    if (procs == null) return;
    for (String line : procs.split("\n")) {
      if (!line.isEmpty()) into.add(Integer.parseInt(line.trim()));
    }
    if (!hasSubdirs(dir)) return;
    for (Path sub : subdirs(dir)) collectPids(sub, into);
  }

  /**
   * Removes {@code dir} and any cgroup the container made below it, deepest first. A cgroup is busy
   * until the kernel has finished reaping its last task, which lags the exit the caller waited for:
   * retry EBUSY until {@code deadline} (System.nanoTime()). Missing is success.
   */
  void removeTree(Path dir, long deadline) throws IOException {
    // rmdir first, and look for child cgroups only when it fails: listing a cgroup stats every
    // control file in it,
    // and a container rarely makes cgroups of its own.
    long delay = 5;
    while (true) {
      try {
        Linux.rmdir(dir.toString());
        return;
      } catch (ErrnoException e) {
        int errno = e.errno();
        if (errno == LinuxConstants.ENOENT) return;
        // cgroupfs says EBUSY for both child cgroups and tasks; other file systems (tests) say
        // ENOTEMPTY.
        if (errno != LinuxConstants.EBUSY && errno != LinuxConstants.ENOTEMPTY)
          throw failed("remove cgroup " + dir, e);
        if (System.nanoTime() - deadline > 0) throw failed("remove cgroup " + dir, e);
        List<Path> subs = hasSubdirs(dir) ? subdirs(dir) : List.of();
        if (!subs.isEmpty()) {
          for (Path sub : subs) removeTree(sub, deadline);
          continue;
        }
      }
      sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  }

  /**
   * Whether {@code dir} may hold directories: a directory's link count is 2 plus its subdirectories
   * on cgroupfs (kernfs) as on ext4 and tmpfs, so 2 means none and saves listing it; file systems
   * that keep no such count (btrfs says 1) get listed.
   */
  private static boolean hasSubdirs(Path dir) {
    try {
      return Linux.lstat(dir.toString()).nlink() != 2;
    } catch (ErrnoException e) {
      return true;
    }
  }

  /** {@link #removeTree(Path, long)} with a second to wait for busy cgroups. */
  void removeTree(Path dir) throws IOException {
    removeTree(dir, System.nanoTime() + REMOVE_PATIENCE_NANOS);
  }

  List<Path> subdirs(Path dir) throws IOException {
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) dirs.add(p);
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw failed("list cgroup " + dir, e);
    }
    return dirs;
  }

  static void sleep(long millis) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting for a cgroup");
    }
  }

  /** "{@code action}: EINVAL", keeping the errno name for callers that branch on it. */
  static CgroupException failed(String action, IOException e) {
    String errno = errno(e);
    return new CgroupException(action + ": " + errno, errno, e);
  }

  private static String oneLine(String value) {
    String v = value.strip();
    return v.indexOf('\n') < 0 ? v : v.replace('\n', ' ');
  }

  /**
   * The errno name of a failed file operation. java.nio only keeps strerror(3)'s text, so map the
   * texts cgroupfs actually returns back to names; anything else keeps its text.
   */
  static String errno(IOException e) {
    if (e instanceof CgroupException c && c.errno() != null) return c.errno();
    if (e instanceof ErrnoException x) return x.errnoName();
    if (e instanceof NoSuchFileException) return "ENOENT";
    if (e instanceof AccessDeniedException) return "EACCES";
    if (e instanceof FileAlreadyExistsException) return "EEXIST";
    if (e instanceof DirectoryNotEmptyException) return "ENOTEMPTY";
    String text = e instanceof FileSystemException f ? f.getReason() : e.getMessage();
    if (text == null) return e.getClass().getSimpleName();
    return switch (text) {
      case "Invalid argument" -> "EINVAL";
      case "Device or resource busy" -> "EBUSY";
      case "No such file or directory" -> "ENOENT";
      case "Permission denied" -> "EACCES";
      case "Operation not permitted" -> "EPERM";
      case "No space left on device" -> "ENOSPC";
      case "Resource temporarily unavailable" -> "EAGAIN";
      case "No such device" -> "ENODEV";
      case "No such process" -> "ESRCH";
      case "Numerical result out of range" -> "ERANGE";
      case "Read-only file system" -> "EROFS";
      case "Directory not empty" -> "ENOTEMPTY";
      case "File exists" -> "EEXIST";
      case "Operation not supported" -> "EOPNOTSUPP";
      case "Not a directory" -> "ENOTDIR";
      case "Input/output error" -> "EIO";
      case "Cannot allocate memory" -> "ENOMEM";
      default -> text;
    };
  }
}
