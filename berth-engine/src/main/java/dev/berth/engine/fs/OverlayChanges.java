package dev.berth.engine.fs;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * docker diff of an overlay snapshot: what its upper directory holds against the image's layers
 * (its lower directories, top first). A whiteout (a 0:0 character device) is a deletion, an entry
 * the layers have is a change, anything else an addition. Nothing here follows a symlink: the trees
 * are a container's, and a path through a lower layer's symlink is not that layer's.
 */
public final class OverlayChanges {
  private OverlayChanges() {}

  /** docker's kinds, in its numbering (the API's {@code Kind}). */
  public enum Kind {
    MODIFIED("C"),
    ADDED("A"),
    DELETED("D");

    private final String letter;

    Kind(String letter) {
      this.letter = letter;
    }

    /** The letter {@code docker diff} prints. */
    public String letter() {
      return letter;
    }
  }

  /** One changed path, absolute in the container ({@code /etc/hosts}). */
  public record Change(String path, Kind kind) {}

  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;

  /**
   * The changes of {@code upper} over {@code lowers} (top first), sorted by path, leaving out the
   * {@code hidden} paths when they were added (the engine's mount points, {@code /etc/hosts}: in
   * docker they live in a layer of their own, so neither diff nor commit shows them) and a
   * directory copied up only to hold them.
   */
  public static List<Change> of(Path upper, List<Path> lowers, java.util.Set<String> hidden)
      throws IOException {
    List<Change> all = of(upper, lowers);
    java.util.Set<String> dropped = new java.util.HashSet<>();
    for (Change c : all)
      if (c.kind() == Kind.ADDED && hidden.contains(c.path())) dropped.add(c.path());
    if (dropped.isEmpty()) return all;
    List<Change> out = new ArrayList<>();
    for (Change c : all) {
      if (dropped.contains(c.path())) continue;
      if (c.kind() == Kind.MODIFIED && onlyHolds(upper, c.path(), dropped)) continue;
      out.add(c);
    }
    return out;
  }

  /** Whether directory {@code path} of {@code upper} holds exactly some of {@code dropped}. */
  private static boolean onlyHolds(Path upper, String path, java.util.Set<String> dropped)
      throws IOException {
    Path dir = upper.resolve(path.substring(1));
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return false;
    try (var children = Files.list(dir)) {
      List<Path> list = children.toList();
      if (list.isEmpty()) return false;
      for (Path child : list) if (!dropped.contains(path + "/" + child.getFileName())) return false;
      return true;
    }
  }

  /** The changes of {@code upper} over {@code lowers} (top first), sorted by path. */
  public static List<Change> of(Path upper, List<Path> lowers) throws IOException {
    List<Change> out = new ArrayList<>();
    if (!Files.isDirectory(upper, LinkOption.NOFOLLOW_LINKS)) return out;
    Files.walkFileTree(
        upper,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a)
              throws IOException {
            if (!dir.equals(upper)) visit(dir);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes a) throws IOException {
            visit(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            return FileVisitResult.CONTINUE; // gone meanwhile: the container is running
          }

          private void visit(Path p) throws IOException {
            String rel = upper.relativize(p).toString();
            String path = "/" + rel;
            if (isWhiteout(p)) out.add(new Change(path, Kind.DELETED));
            else out.add(new Change(path, inLowers(lowers, rel) ? Kind.MODIFIED : Kind.ADDED));
          }
        });
    out.sort(Comparator.comparing(Change::path));
    return out;
  }

  private static boolean isWhiteout(Path p) {
    try {
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      if ((mode & S_IFMT) != S_IFCHR) return false;
      return ((Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS)) == 0L;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * Whether the image's layers show {@code rel}: the topmost layer that has it decides (a whiteout
   * there hides the layers below), and a parent that a layer has as anything but a directory (a
   * whiteout, a file, a symlink) hides it in every layer below. (Opaque directories, marked by a
   * trusted.* xattr Java cannot read, are not looked at: a path they hide shows as changed.)
   */
  private static boolean inLowers(List<Path> lowers, String rel) {
    String[] parts = rel.split("/");
    layers:
    for (Path lower : lowers) {
      Path at = lower;
      for (int i = 0; i < parts.length - 1; i++) {
        at = at.resolve(parts[i]);
        if (Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) continue;
        if (Files.exists(at, LinkOption.NOFOLLOW_LINKS)) return false;
        continue layers;
      }
      Path leaf = at.resolve(parts[parts.length - 1]);
      if (Files.exists(leaf, LinkOption.NOFOLLOW_LINKS)) return !isWhiteout(leaf);
    }
    return false;
  }
}
