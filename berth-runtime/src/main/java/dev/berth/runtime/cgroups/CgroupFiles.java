package dev.berth.runtime.cgroups;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes cgroup control files. Plain files, so plain java.nio: no syscall needs berth-sys here. Every error
 * names the file, the value and the errno ("write memory.limit_in_bytes=1 in /sys/fs/cgroup/memory/x: EINVAL"),
 * because the kernel's EINVAL is all a user gets to tell which of thirty writes went wrong.
 *
 * <p>Not final: unit tests record writes through a subclass instead of needing root.
 */
class CgroupFiles {
  static final CgroupFiles REAL = new CgroupFiles();

  /** How long destroy waits for the kernel to let go of the cgroups of tasks that just exited. */
  static final long REMOVE_PATIENCE_NANOS = 1_000_000_000L;

  /**
   * Writes {@code value} to {@code dir/file} in one write(2), without O_CREAT: a missing control file means a
   * missing controller, and that must fail rather than leave a regular file behind.
   */
  void write(Path dir, String file, String value) throws IOException {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch = FileChannel.open(dir.resolve(file), StandardOpenOption.WRITE)) {
      // cgroupfs takes each write(2) as one command: never split a value across writes.
      ch.write(ByteBuffer.wrap(bytes));
    } catch (IOException e) {
      throw failed("write " + file + "=" + oneLine(value) + " in " + dir, e);
    }
  }

  /** The content of {@code dir/file}, trimmed. */
  String read(Path dir, String file) throws IOException {
    try {
      return Files.readString(dir.resolve(file)).trim();
    } catch (IOException e) {
      throw failed("read " + file + " in " + dir, e);
    }
  }

  /** The content of {@code dir/file}, trimmed, or null if it does not exist. */
  String readIfExists(Path dir, String file) throws IOException {
    try {
      return Files.readString(dir.resolve(file)).trim();
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw failed("read " + file + " in " + dir, e);
    }
  }

  /** "key value" lines (memory.stat, cpu.stat, memory.events) in file order; absent file, no entries. */
  Map<String, Long> keyValues(Path dir, String file) throws IOException {
    String text = readIfExists(dir, file);
    Map<String, Long> values = new LinkedHashMap<>();
    if (text == null) return values;
    for (String line : text.split("\n")) {
      int space = line.indexOf(' ');
      if (space <= 0) continue;
      values.put(line.substring(0, space), ResourceValues.parseCount(line.substring(space + 1).trim()));
    }
    return values;
  }
  boolean exists(Path dir, String file) {
    return Files.exists(dir.resolve(file), LinkOption.NOFOLLOW_LINKS);
  }

  /** Makes {@code dir} and its missing parents; true if {@code dir} itself was made now. */
  boolean mkdirs(Path dir) throws IOException {
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return false;
    try {
      Files.createDirectories(dir);
      return true;
    } catch (IOException e) {
      throw failed("create cgroup " + dir, e);
    }
  }

  /** The pids in {@code dir/cgroup.procs} and in those of every cgroup below it; none if {@code dir} is gone. */
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
    for (Path sub : subdirs(dir)) collectPids(sub, into);
  }

  /**
   * Removes {@code dir} and any cgroup the container made below it, deepest first. A cgroup is busy until the
   * kernel has finished reaping its last task, which lags the exit the caller waited for: retry EBUSY until
   * {@code deadline} (System.nanoTime()). Missing is success.
   */
  void removeTree(Path dir, long deadline) throws IOException {
    for (Path sub : subdirs(dir)) removeTree(sub, deadline);
    long delay = 5;
    while (true) {
      try {
        Files.delete(dir);
        return;
      } catch (NoSuchFileException e) {
        return;
      } catch (IOException e) {
        if (!errno(e).equals("EBUSY") || System.nanoTime() - deadline > 0) throw failed("remove cgroup " + dir, e);
      }
      sleep(delay);
      delay = Math.min(delay * 2, 100);
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
   * The errno name of a failed file operation. java.nio only keeps strerror(3)'s text, so map the texts cgroupfs
   * actually returns back to names; anything else keeps its text.
   */
  static String errno(IOException e) {
    if (e instanceof CgroupException c && c.errno() != null) return c.errno();
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
