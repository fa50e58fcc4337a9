package dev.berth.image.snapshot;

import static dev.berth.sys.LinuxConstants.EEXIST;
import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_EXCL;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.O_WRONLY;

import dev.berth.image.dirs.Directories;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The marks of committed snapshots not yet synced, one empty file each in {@code unsynced/}: {@code
 * BOOT.CHAIN.ALG-BLOB.COMPRESSION}, where BOOT is the kernel's boot id when the mark was made.
 * Everything is in the name, because a name is metadata, which the file system journals in order: a
 * chain link that survived a power cut implies the mark made before it did too, while a file's
 * contents would not (delayed allocation). The directory is synced after each mark, so that this
 * holds on file systems that do not order their metadata as ext4 and xfs do.
 */
final class UnsyncedMarks {
  private static volatile String bootId;

  private final Path dir;

  UnsyncedMarks(Path dir) throws IOException {
    this.dir = dir;
    PrivateDirs.ensure(dir);
  }

  /** This boot's id (/proc/sys/kernel/random/boot_id), without its dashes. */
  static String bootId() throws IOException {
    String id = bootId;
    if (id == null) {
      String raw =
          Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII);
      id = raw.strip().replace("-", "");
      if (!id.matches("[0-9a-f]{32}")) throw new IOException("unexpected boot id \"" + raw + "\"");
      bootId = id;
    }
    return id;
  }

  /** Marks {@code chainId}, made from {@code blob}, as not synced; durable on return. */
  void mark(Digest chainId, Digest blob, Compression c) throws IOException {
    String name = name(bootId(), chainId, blob, c);
    try (Fd d = Linux.open(dir.toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
      try {
        Linux.openat(d, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600).close();
      } catch (ErrnoException e) {
        if (e.errno() != EEXIST) throw e; // the same layer committed again in this boot
      }
    }
    Directories.fsync(dir);
  }

  static String name(String boot, Digest chainId, Digest blob, Compression c) {
    return boot
        + "."
        + chainId.encoded()
        + "."
        + blob.algorithm()
        + "-"
        + blob.encoded()
        + "."
        + c.name().toLowerCase(Locale.ROOT);
  }

  /** Every mark; names that are not marks are removed (nothing else is written here). */
  List<Unsynced> list() throws IOException {
    String boot = bootId();
    List<Unsynced> out = new ArrayList<>();
    for (String name : names()) {
      Unsynced u = parse(name, boot);
      if (u == null) delete(name);
      else out.add(u);
    }
    return out;
  }

  /** Whether there is any mark: one directory read. */
  boolean any() throws IOException {
    return !names().isEmpty();
  }

  /** The age of the newest mark (a large number when there is none). */
  long youngestAgeMillis() throws IOException {
    long newest = 0;
    for (String name : names()) {
      try {
        newest = Math.max(newest, Files.getLastModifiedTime(dir.resolve(name)).toMillis());
      } catch (java.nio.file.NoSuchFileException gone) {
        // synced and forgotten meanwhile
      }
    }
    return newest == 0 ? Long.MAX_VALUE / 2 : System.currentTimeMillis() - newest;
  }

  private List<String> names() throws IOException {
    try (Fd d = Linux.open(dir.toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
      return Linux.readdir(d);
    }
  }

  private static Unsynced parse(String name, String thisBoot) {
    String[] p = name.split("\\.");
    if (p.length != 4 || !p[0].matches("[0-9a-f]{32}")) return null;
    int dash = p[2].indexOf('-');
    if (dash < 0) return null;
    try {
      Digest chain = new Digest("sha256", p[1]);
      Digest blob = new Digest(p[2].substring(0, dash), p[2].substring(dash + 1));
      Compression c = Compression.valueOf(p[3].toUpperCase(Locale.ROOT));
      return new Unsynced(chain, blob, c, p[0], p[0].equals(thisBoot));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Forgets a mark; one already gone is fine. Not synced: a mark that comes back only costs work.
   */
  void forget(Unsynced u) throws IOException {
    delete(name(u.boot(), u.chainId(), u.blob(), u.compression()));
  }

  /** Forgets every mark of {@code chainId}, whatever its boot (the snapshot is gone or rebuilt). */
  void forgetAll(Digest chainId) throws IOException {
    String part = "." + chainId.encoded() + ".";
    for (String name : names()) if (name.contains(part)) delete(name);
  }

  private void delete(String name) throws IOException {
    try {
      Linux.unlink(dir.resolve(name).toString());
    } catch (ErrnoException e) {
      if (e.errno() != ENOENT) throw e;
    }
  }
}
