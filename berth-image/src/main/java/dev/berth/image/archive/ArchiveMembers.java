package dev.berth.image.archive;

import dev.berth.image.ImageException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * One streaming pass over the headers of an image archive on disk, before anything indexes them:
 * commons-compress's {@code TarFile} (random access, which docker-archive needs since its
 * manifest.json may come last) keeps every header in memory, so a tar bomb of millions of empty
 * entries, a few hundred MB on disk, would take the daemon's heap. An archive with more than {@link
 * #MAX} members is refused; real ones have a few per layer.
 */
public final class ArchiveMembers {
  /** Members (entries of any kind) an image archive may have. */
  public static final int MAX = 1 << 16;

  private ArchiveMembers() {}

  /** What one pass over an archive's headers found. */
  public record Scan(int members, boolean ociLayout) {}

  /**
   * Counts {@code archive}'s members and sees whether it is an OCI layout (it has an {@code
   * oci-layout} member); refuses it, naming {@code source}, when it has more than {@link #MAX}
   * members or is not a tar.
   */
  public static Scan scan(Path archive, String source) throws IOException, ImageException {
    boolean oci = false;
    int n = 0;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
        TarArchiveInputStream tar = new TarArchiveInputStream(in, 1 << 16)) {
      for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
        if (++n > MAX) {
          throw ImageException.invalid(
              source + ": the archive has more than " + MAX + " members, the limit");
        }
        String name = e.getName();
        while (name.startsWith("./")) name = name.substring(2);
        if (name.equals("oci-layout")) oci = true;
      }
    }
    return new Scan(n, oci);
  }

  /**
   * Whether {@code e} is a regular file with its own data: commons-compress's {@code isFile()} also
   * says so of symlinks and hard links, whose data is empty.
   */
  static boolean isRegular(TarArchiveEntry e) {
    return e.isFile() && !e.isSymbolicLink() && !e.isLink();
  }
}
