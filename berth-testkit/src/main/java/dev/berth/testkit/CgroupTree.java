package dev.berth.testkit;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Predicate;

/**
 * The cgroup directories a test asserts are gone (or there). A walk of the cgroup file systems
 * races every cgroup that is removed meanwhile — another container's exit command, the kernel's own
 * — and {@link Files#walk} fails the whole walk on the first directory that vanished under it; this
 * walk passes over those.
 */
public final class CgroupTree {
  private CgroupTree() {}

  /** The cgroup mount every test searches: the v1 controllers and the v2 mount below it. */
  public static final Path ROOT = Path.of("/sys/fs/cgroup");

  /**
   * The directories under {@code root} (at most {@code depth} below) whose name {@code name}
   * accepts.
   */
  public static List<Path> named(Path root, int depth, Predicate<String> name) throws IOException {
    List<Path> found = new ArrayList<>();
    if (!Files.isDirectory(root)) return found;
    Files.walkFileTree(
        root,
        EnumSet.noneOf(java.nio.file.FileVisitOption.class),
        depth,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            if (dir.getFileName() != null && name.test(dir.getFileName().toString()))
              found.add(dir);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            // at the depth limit a directory comes as a file
            if (attrs.isDirectory()
                && file.getFileName() != null
                && name.test(file.getFileName().toString())) found.add(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE; // removed
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null && !(e instanceof NoSuchFileException)) throw e;
            return FileVisitResult.CONTINUE;
          }
        });
    return found;
  }

  /** {@link #named} under {@link #ROOT}. */
  public static List<Path> named(int depth, Predicate<String> name) throws IOException {
    return named(ROOT, depth, name);
  }
}
