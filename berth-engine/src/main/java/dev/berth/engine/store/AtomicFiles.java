package dev.berth.engine.store;

import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_SYNC;
import static dev.berth.sys.LinuxConstants.O_TRUNC;
import static dev.berth.sys.LinuxConstants.O_WRONLY;

import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
    String temp = file + TEMP_SUFFIX;
    try (Fd out = Linux.open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_SYNC, 0600)) {
      Linux.writeAll(out, data);
    }
    Linux.rename(temp, file.toString(), 0);
    fsyncDirectory(file.getParent());
  }

  /**
   * fsync(2) of a directory, so the entries made or removed in it survive a crash of the machine.
   */
  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
