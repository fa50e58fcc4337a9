package dev.berth.engine.fs;

import dev.berth.sys.Fd;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The changes an overlay mount's upper directory holds, as an OCI layer tar (docker's overlay2
 * diff).
 */
public final class OverlayDiff {
  private OverlayDiff() {}

  /**
   * Writes the upper directory {@code upper} (a directory fd) as a layer: its entries by their
   * paths from "/", whiteouts (0:0 character devices) as {@code .wh.NAME}, opaque directories with
   * {@code .wh..wh..opq}.
   */
  public static void write(Fd upper, OutputStream out) throws IOException {
    write(upper, out, java.util.Set.of());
  }

  /**
   * As {@link #write(Fd, OutputStream)}, without the entries named in {@code mountPoints} ({@code
   * etc/hosts}) that are empty files: the engine made them to bind its own files on, and docker
   * keeps those in a layer no commit takes.
   */
  public static void write(Fd upper, OutputStream out, java.util.Set<String> mountPoints)
      throws IOException {
    try (TarWriter tar = new TarWriter(out)) {
      new TreeTar(tar, true, mountPoints).contents(upper, "");
    }
  }
}
