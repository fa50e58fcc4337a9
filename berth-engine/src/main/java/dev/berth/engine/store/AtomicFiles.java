package dev.berth.engine.store;

import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_SYNC;
import static dev.berth.sys.LinuxConstants.O_TRUNC;
import static dev.berth.sys.LinuxConstants.O_WRONLY;

import dev.berth.image.dirs.Directories;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Files replaced whole and atomically: the data goes to {@code <file>.tmp} in the same directory,
 * written with O_SYNC (durable when write returns: berth-sys has no fsync of its own), renamed over
 * {@code <file>}, and the directory fsynced so the rename survives a power cut. A reader sees the
 * old file or the new one, never a torn one; a crash leaves at most a {@code .tmp}, which the next
 * write truncates.
 *
 * <p>The temporary name is fixed, so only one writer per file may run at a time: callers hold the
 * store's lock.
 */
public final class AtomicFiles {
  /** The suffix of a file being written; readers never open such a file. */
  public static final String TEMP_SUFFIX = ".tmp";

  private AtomicFiles() {}

  /** Replaces {@code file} with {@code data} (mode 0600), durably. */
  public static void replace(Path file, byte[] data) throws IOException {
    replaceUnsynced(file, data);
    Directories.fsync(file.getParent());
  }

  /**
   * {@link #replace} without the directory's fsync: readers and a {@code kill -9} see the old file
   * or the new one, and so does a power cut (the data is durable before the rename makes it
   * visible, so the file is never found empty or torn), but a power cut may bring the old file
   * back. For changes that a reboot makes moot anyway (a container's running state): one journal
   * commit fewer, which on a busy disk is most of the write's time.
   */
  public static void replaceUnsynced(Path file, byte[] data) throws IOException {
    writeTemp(file, data);
    Linux.rename(file + TEMP_SUFFIX, file.toString(), 0);
  }

  /**
   * Writes {@code data} durably (O_SYNC) to {@code file}'s temporary name ({@link #TEMP_SUFFIX}),
   * for a caller that renames it over {@code file} when the rest of its change is durable too.
   */
  static void writeTemp(Path file, byte[] data) throws IOException {
    try (Fd out =
        Linux.open(file + TEMP_SUFFIX, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_SYNC, 0600)) {
      Linux.writeAll(out, data);
    }
  }
}
