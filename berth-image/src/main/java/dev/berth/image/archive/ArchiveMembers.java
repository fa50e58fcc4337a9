package dev.berth.image.archive;

import dev.berth.image.ImageException;
import dev.berth.image.unpack.TarHeader;
import dev.berth.image.unpack.TarReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * One streaming pass over the headers of an image archive on disk, before anything indexes or reads
 * it with commons-compress, whose readers hold what they parse in memory without bound: {@code
 * TarFile} (random access, which docker-archive needs since its manifest.json may come last) keeps
 * every header, so a tar bomb of millions of empty entries, a few hundred MB on disk, would take
 * the daemon's heap; and both of its readers hold a PAX or GNU long-name header whole, whatever
 * size it declares (a few MB of gzip make GBs of one header). The pass reads with the layers' own
 * {@link TarReader}, which holds such a header only up to 1 MiB as Go's archive/tar; an archive
 * with more than {@link #MAX} members, more than {@link #MAX_META_BYTES} of those headers in all,
 * or a sparse member (no image archive has one; commons-compress keeps sparse maps in memory too)
 * is refused.
 */
public final class ArchiveMembers {
  /** Members (entries of any kind) an image archive may have. */
  public static final int MAX = 1 << 16;

  /** PAX and GNU long-name header bytes an image archive may have in all. */
  public static final long MAX_META_BYTES = 16L << 20;

  private ArchiveMembers() {}

  /** What one pass over an archive's headers found. */
  public record Scan(int members, boolean ociLayout) {}

  /**
   * Counts {@code archive}'s members and sees whether it is an OCI layout (it has an {@code
   * oci-layout} member); refuses it, naming {@code source}, when it is not a tar or breaks one of
   * the bounds above.
   */
  public static Scan scan(Path archive, String source) throws IOException, ImageException {
    boolean oci = false;
    int n = 0;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
      TarReader tar = new TarReader(in, 16);
      for (TarHeader e; (e = next(tar, source)) != null; ) {
        if (++n > MAX) {
          throw ImageException.invalid(
              source + ": the archive has more than " + MAX + " members, the limit");
        }
        if (tar.metaBytes() > MAX_META_BYTES) {
          throw ImageException.invalid(
              source
                  + ": the archive's PAX and long-name headers take more than "
                  + MAX_META_BYTES
                  + " bytes, the limit");
        }
        if (e.sparse() != null) {
          throw ImageException.invalid(
              source + ": member " + e.name() + " is a sparse file, which no image archive has");
        }
        String name = e.name();
        while (name.startsWith("./")) name = name.substring(2);
        if (name.equals("oci-layout")) oci = true;
      }
    }
    return new Scan(n, oci);
  }

  private static TarHeader next(TarReader tar, String source) throws ImageException {
    try {
      return tar.next();
    } catch (IOException bad) {
      throw ImageException.invalid(source + ": not a valid tar archive: " + bad.getMessage());
    }
  }

  /**
   * Whether {@code e} is a regular file with its own data: commons-compress's {@code isFile()} also
   * says so of symlinks and hard links, whose data is empty.
   */
  static boolean isRegular(TarArchiveEntry e) {
    return e.isFile() && !e.isSymbolicLink() && !e.isLink();
  }
}
