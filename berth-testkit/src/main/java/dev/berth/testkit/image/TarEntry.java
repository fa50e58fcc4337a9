package dev.berth.testkit.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * One entry of a layer tar, as a test describes it: the name is written exactly as given (no
 * normalisation), so the same model serves well-formed layers ({@link LayerTar}) and hostile
 * streams ({@link TarEntries}). {@code mode} holds the permission bits with setuid, setgid and
 * sticky (07777); xattrs become PAX {@code SCHILY.xattr.*} records.
 */
public record TarEntry(
    String name,
    Type type,
    int mode,
    int uid,
    int gid,
    Content content,
    String linkName,
    int devMajor,
    int devMinor,
    Map<String, byte[]> xattrs) {

  /** The kinds of tar entries a layer may hold. */
  public enum Type {
    FILE('0'),
    HARDLINK('1'),
    SYMLINK('2'),
    CHAR_DEVICE('3'),
    BLOCK_DEVICE('4'),
    DIR('5'),
    FIFO('6');

    /** The ustar typeflag. */
    public final char flag;

    Type(char flag) {
      this.flag = flag;
    }
  }

  /**
   * The bytes of a regular file, produced when the tar is written (a 40 MB generated file never
   * sits in memory).
   */
  public interface Content {
    long size();

    void writeTo(OutputStream out) throws IOException;

    static Content of(byte[] bytes) {
      byte[] copy = bytes.clone();
      return new Content() {
        public long size() {
          return copy.length;
        }

        public void writeTo(OutputStream out) throws IOException {
          out.write(copy);
        }
      };
    }

    /** The current content of a host file, read when the tar is written. */
    static Content of(Path file) {
      return new Content() {
        public long size() {
          try {
            return Files.size(file);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException("size of " + file, e);
          }
        }

        public void writeTo(OutputStream out) throws IOException {
          try (InputStream in = Files.newInputStream(file)) {
            in.transferTo(out);
          }
        }
      };
    }

    /**
     * {@code size} bytes from a seeded {@link Random} (its algorithm is fixed by the JDK spec, so
     * the bytes are the same on every JDK). {@code compressible} is the share, 0..1, of each 64 KiB
     * chunk (or smaller file) that is a repeated pattern rather than random: 0 compresses not at
     * all, 0.5 to about half.
     */
    static Content random(long size, long seed, double compressible) {
      return new Content() {
        public long size() {
          return size;
        }

        public void writeTo(OutputStream out) throws IOException {
          Random r = new Random(seed);
          byte[] chunk = new byte[65536];
          double share = Math.max(0, Math.min(1, compressible));
          for (long left = size; left > 0; ) {
            int n = (int) Math.min(left, chunk.length);
            r.nextBytes(chunk);
            for (int i = 0; i < (int) (n * share); i++) chunk[i] = (byte) ('a' + i % 26);
            out.write(chunk, 0, n);
            left -= n;
          }
        }
      };
    }
  }

  public TarEntry {
    if (name == null || name.isEmpty()) throw new IllegalArgumentException("tar entry: empty name");
    linkName = linkName == null ? "" : linkName;
    if (type == Type.FILE && content == null) content = Content.of(new byte[0]);
    if (type != Type.FILE && content != null) {
      throw new IllegalArgumentException(
          "tar entry \"" + name + "\": only regular files have content");
    }
    TreeMap<String, byte[]> x = new TreeMap<>();
    if (xattrs != null) xattrs.forEach((k, v) -> x.put(k, v.clone()));
    xattrs = java.util.Collections.unmodifiableMap(x);
  }

  public static TarEntry file(String name, Content content) {
    return new TarEntry(name, Type.FILE, 0644, 0, 0, content, "", 0, 0, Map.of());
  }

  public static TarEntry file(String name, byte[] content) {
    return file(name, Content.of(content));
  }

  public static TarEntry file(String name, String text) {
    return file(name, text.getBytes(StandardCharsets.UTF_8));
  }

  /** A directory; a trailing "/" is added when the entry is written, as tar(1) does. */
  public static TarEntry dir(String name) {
    return new TarEntry(name, Type.DIR, 0755, 0, 0, null, "", 0, 0, Map.of());
  }

  public static TarEntry symlink(String name, String target) {
    return new TarEntry(name, Type.SYMLINK, 0777, 0, 0, null, target, 0, 0, Map.of());
  }

  /**
   * A hard link to {@code target}, an earlier entry's name (tar link names are relative to the
   * layer root).
   */
  public static TarEntry hardlink(String name, String target) {
    return new TarEntry(name, Type.HARDLINK, 0644, 0, 0, null, target, 0, 0, Map.of());
  }

  public static TarEntry fifo(String name) {
    return new TarEntry(name, Type.FIFO, 0644, 0, 0, null, "", 0, 0, Map.of());
  }

  public static TarEntry charDevice(String name, int major, int minor) {
    return new TarEntry(name, Type.CHAR_DEVICE, 0666, 0, 0, null, "", major, minor, Map.of());
  }

  public static TarEntry blockDevice(String name, int major, int minor) {
    return new TarEntry(name, Type.BLOCK_DEVICE, 0660, 0, 0, null, "", major, minor, Map.of());
  }

  /**
   * The AUFS-style whiteout that deletes {@code path} of the layers below: an empty file {@code
   * dir/.wh.base}.
   */
  public static TarEntry whiteout(String path) {
    int slash = path.lastIndexOf('/');
    String name =
        slash < 0
            ? ".wh." + path
            : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
    return file(name, new byte[0]);
  }

  /**
   * The opaque marker {@code dir/.wh..wh..opq}: hides everything the layers below have in {@code
   * dir}.
   */
  public static TarEntry opaque(String dir) {
    return file(dir.endsWith("/") ? dir + ".wh..wh..opq" : dir + "/.wh..wh..opq", new byte[0]);
  }

  public TarEntry withMode(int newMode) {
    return new TarEntry(
        name, type, newMode, uid, gid, content, linkName, devMajor, devMinor, xattrs);
  }

  public TarEntry withOwner(int newUid, int newGid) {
    return new TarEntry(
        name, type, mode, newUid, newGid, content, linkName, devMajor, devMinor, xattrs);
  }

  public TarEntry withXattr(String xattr, byte[] value) {
    Map<String, byte[]> x = new TreeMap<>(xattrs);
    x.put(xattr, value);
    return new TarEntry(name, type, mode, uid, gid, content, linkName, devMajor, devMinor, x);
  }

  public TarEntry withXattr(String xattr, String value) {
    return withXattr(xattr, value.getBytes(StandardCharsets.UTF_8));
  }

  /** The size of the entry's data in the tar (0 for all but regular files). */
  public long size() {
    return content == null ? 0 : content.size();
  }

  /**
   * The S_IF* bits of this type, which Go and commons-compress both put into the header's mode
   * field.
   */
  int typeBits() {
    return switch (type) {
      case FILE, HARDLINK -> 0100000;
      case DIR -> 040000;
      case SYMLINK -> 0120000;
      case CHAR_DEVICE -> 020000;
      case BLOCK_DEVICE -> 060000;
      case FIFO -> 010000;
    };
  }
}
