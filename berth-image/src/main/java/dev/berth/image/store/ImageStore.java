package dev.berth.image.store;

import static dev.berth.sys.LinuxConstants.LOCK_EX;
import static dev.berth.sys.LinuxConstants.LOCK_SH;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_RDWR;

import dev.berth.image.dirs.Directories;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Image names and what they point at, in {@code <root>/images.json}, shared by threads and
 * processes.
 *
 * <p>Every change rewrites the whole file: a temporary file beside it, fsynced, renamed over it,
 * the directory fsynced; so a reader never sees a half-written file and a crash leaves the old or
 * the new one. Changes take {@code images.lock} exclusively (flock(2), which excludes threads as
 * well as processes), reads take it shared, so a read-modify-write ({@link #update}) is atomic. The
 * file is small (one entry per tag), so reading it whole on each call costs less than keeping a
 * cache coherent between processes; parsing it is what grows with the images (a create resolves its
 * image twice), so it is parsed again only when its bytes differ from the last ones parsed.
 */
public final class ImageStore {
  static final String FILE = "images.json";
  static final String LOCK = "images.lock";
  private static final String TEMP_PREFIX = FILE + ".tmp-";

  private final Path root;
  private final Path file;
  private final Path lock;

  /** The file's bytes parsed last, and their records (unmodifiable: shared by every reader). */
  private volatile Parsed lastParsed;

  private record Parsed(byte[] json, SortedMap<String, ImageRecord> images) {}

  private ImageStore(Path root) {
    this.root = root;
    this.file = root.resolve(FILE);
    this.lock = root.resolve(LOCK);
  }

  /**
   * Opens the store in {@code root}, creating the directory (private: {@link PrivateDirs}) when
   * missing; the file appears on the first change.
   */
  public static ImageStore open(Path root) throws IOException {
    PrivateDirs.ensure(root);
    return new ImageStore(root.toRealPath());
  }

  /** The {@code images.json} file. */
  public Path file() {
    return file;
  }

  /**
   * A change made under the exclusive lock; it gets the records by name, mutable, and returns a
   * result.
   */
  @FunctionalInterface
  public interface Change<T> {
    T apply(Map<String, ImageRecord> images) throws IOException;
  }

  /**
   * Reads the records, applies {@code change} to them, and writes them back if they changed, all
   * under one exclusive lock: for tag (read one, put another) and rmi (find by prefix, remove)
   * without a race. If {@code change} throws, nothing is written. The map must stay keyed by each
   * record's name.
   */
  public <T> T update(Change<T> change) throws IOException {
    try (Fd held = lock(LOCK_EX)) {
      SortedMap<String, ImageRecord> before = readFile();
      TreeMap<String, ImageRecord> images = new TreeMap<>(before);
      T result = change.apply(images);
      for (Map.Entry<String, ImageRecord> e : images.entrySet()) {
        if (e.getValue() == null || !e.getKey().equals(e.getValue().name())) {
          throw new IllegalArgumentException(
              "update "
                  + file
                  + ": entry \""
                  + e.getKey()
                  + "\" is not keyed by its record's name");
        }
      }
      if (!images.equals(before)) {
        writeFile(images);
      }
      return result;
    }
  }

  /** Adds or replaces the record of {@code record.name()}; returns the one it replaced. */
  public Optional<ImageRecord> put(ImageRecord record) throws IOException {
    return update(images -> Optional.ofNullable(images.put(record.name(), record)));
  }

  /** Removes the record of {@code name}; false when there was none. */
  public boolean remove(String name) throws IOException {
    return update(images -> images.remove(name) != null);
  }

  public Optional<ImageRecord> get(String name) throws IOException {
    return Optional.ofNullable(read().get(name));
  }

  /** Every record, sorted by name. */
  public List<ImageRecord> list() throws IOException {
    return new ArrayList<>(read().values());
  }

  /**
   * The records whose config digest starts with {@code hexPrefix} ({@code 3f2a}, or {@code
   * sha256:3f2a}), sorted by name: docker's image IDs are config digests. Several names may share
   * one config; whether a prefix is ambiguous (several distinct configs) is the caller's to decide.
   */
  public List<ImageRecord> byConfigPrefix(String hexPrefix) throws IOException {
    String prefix =
        hexPrefix.startsWith("sha256:") ? hexPrefix.substring("sha256:".length()) : hexPrefix;
    boolean hex = !prefix.isEmpty();
    for (int i = 0; i < prefix.length() && hex; i++) {
      char c = prefix.charAt(i);
      hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    if (!hex) {
      throw new IllegalArgumentException(
          "image id prefix \"" + hexPrefix + "\": want lowercase hex digits");
    }
    List<ImageRecord> found = new ArrayList<>();
    for (ImageRecord r : read().values()) {
      if (r.config() != null
          && r.config().algorithm().equals("sha256")
          && r.config().encoded().startsWith(prefix)) {
        found.add(r);
      }
    }
    return found;
  }

  // ---- file ----

  private SortedMap<String, ImageRecord> read() throws IOException {
    try (Fd held = lock(LOCK_SH)) {
      return readFile();
    }
  }

  /** The records by name, unmodifiable (a writer changes a copy). */
  private SortedMap<String, ImageRecord> readFile() throws IOException {
    byte[] json;
    try {
      json = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Collections.emptySortedMap();
    }
    Parsed last = lastParsed;
    if (last != null && Arrays.equals(last.json(), json)) return last.images();
    SortedMap<String, ImageRecord> images;
    try {
      images = Collections.unmodifiableSortedMap(ImagesJson.read(json, file.toString()));
    } catch (SpecException e) {
      throw new IOException(e.getMessage(), e);
    }
    lastParsed = new Parsed(json, images);
    return images;
  }

  private void writeFile(TreeMap<String, ImageRecord> images) throws IOException {
    removeLeftoverTemps();
    byte[] json = ImagesJson.write(images.values());
    Path temp =
        root.resolve(
            TEMP_PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
    try {
      try (FileChannel out =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(json);
        while (buf.hasRemaining()) {
          out.write(buf);
        }
        out.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw new IOException("write " + file + ": " + e.getMessage(), e);
    }
    Directories.fsync(root);
  }

  /**
   * Temporary files of a writer that crashed before its rename; only called under the exclusive
   * lock.
   */
  private void removeLeftoverTemps() throws IOException {
    try (DirectoryStream<Path> temps = Files.newDirectoryStream(root, TEMP_PREFIX + "*")) {
      for (Path t : temps) {
        Files.deleteIfExists(t);
      }
    }
  }

  /**
   * flock(2) on images.lock; per open file description, so threads of one JVM exclude each other
   * too.
   */
  private Fd lock(int op) throws IOException {
    Fd fd = Linux.open(lock.toString(), O_RDWR | O_CREAT, 0644);
    try {
      Linux.flock(fd, op);
      return fd;
    } catch (IOException e) {
      fd.close();
      throw new IOException("lock " + lock + ": " + e.getMessage(), e);
    }
  }
}
