package dev.berth.image.dirs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Durability of directory entries, for the stores' commit points. */
public final class Directories {
  private Directories() {}

  /**
   * fsync(2) of a directory, so that the entries made, renamed or removed in it survive a crash of
   * the machine.
   */
  public static void fsync(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
