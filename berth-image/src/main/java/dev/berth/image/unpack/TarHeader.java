package dev.berth.image.unpack;

import java.time.Instant;
import java.util.Map;

/**
 * One entry of a layer tar with its PAX and GNU extension headers applied, as {@link TarReader}
 * returns it. Numbers are as the layer wrote them (a uid may be out of range: the unpacker decides
 * what it accepts).
 *
 * @param name the path as written (PAX path, GNU long name, or the ustar prefix and name)
 * @param type the ustar type flag; '0' for every regular file ('\0', '7' and GNU sparse 'S'
 *     included)
 * @param size the data bytes stored in the stream (for a sparse file: its data regions only)
 * @param xattrs SCHILY.xattr and LIBARCHIVE.xattr records, values as raw bytes
 * @param sparse the sparse map of a sparse file, or null
 */
public record TarHeader(
    String name,
    byte type,
    int mode,
    long uid,
    long gid,
    long size,
    String linkName,
    long devMajor,
    long devMinor,
    Instant mtime,
    Instant atime,
    Map<String, byte[]> xattrs,
    Sparse sparse) {

  /**
   * Whether the entry is a directory: type '5', or a regular type whose name ends in '/' (pre-POSIX
   * tars).
   */
  boolean isDirectory() {
    return type == '5' || (type == '0' && sparse == null && name.endsWith("/"));
  }

  /**
   * Where a sparse file's data goes: {@code regions} holds (offset, length) pairs, sorted, not
   * overlapping, inside {@code realSize}; the stored data is the regions' bytes one after the
   * other, and everything else is a hole.
   */
  public record Sparse(long realSize, long[] regions) {
    int count() {
      return regions.length / 2;
    }

    long offset(int i) {
      return regions[2 * i];
    }

    long length(int i) {
      return regions[2 * i + 1];
    }
  }
}
