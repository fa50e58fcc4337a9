package dev.berth.cli.berth;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The AOT cache's training run for {@code berth} (scripts/train-aot.sh): real verbs on a throwaway store, so the
 * classes of listing, inspecting, tagging, saving, loading and removing are in the cache. Pulls are network-bound and
 * not trained here.
 */
final class Train {
  private Train() {}

  static void run() throws IOException {
    Path work = Files.createTempDirectory("berth-train");
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    try {
      Path tarball = work.resolve("rootfs.tar.gz");
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(
          new java.util.zip.GZIPOutputStream(Files.newOutputStream(tarball), 1 << 16))) {
        TarArchiveEntry dir = new TarArchiveEntry("bin/");
        dir.setMode(0755);
        tar.putArchiveEntry(dir);
        tar.closeArchiveEntry();
        byte[] hello = "#!/bin/sh\necho hello\n".getBytes();
        TarArchiveEntry f = new TarArchiveEntry("bin/hello");
        f.setMode(0755);
        f.setSize(hello.length);
        tar.putArchiveEntry(f);
        tar.write(hello);
        tar.closeArchiveEntry();
        // A few MB of half-random data, so inflating, hashing and writing files run long enough to be profiled.
        java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < 40; i++) {
          byte[] data = new byte[128 * 1024];
          random.nextBytes(data);
          java.util.Arrays.fill(data, 0, data.length / 2, (byte) 'x');
          TarArchiveEntry e = new TarArchiveEntry("data/f" + i);
          e.setSize(data.length);
          tar.putArchiveEntry(e);
          tar.write(data);
          tar.closeArchiveEntry();
        }
      }
      String root = work.resolve("store").toString();
      String archive = work.resolve("saved.tar").toString();
      try (TrainingRegistry registry = new TrainingRegistry()) {
        String remote = registry.address() + "/train/app:1";
        String[][] network = {
            {"--root", root, "import", tarball.toString(), remote},
            {"--root", root, "push", remote},
            {"--root", root, "rmi", remote},
            {"--root", root, "pull", remote},
            {"--root", root, "push", remote, registry.address() + "/train/copy:1"},
            {"--root", root, "rmi", remote},
        };
        for (int i = 0; i < 3; i++) {
          for (String[] args : network) BerthMain.run(args, quiet, quiet);
        }
      }
      String[][] commands = {
          {"--root", root, "import", tarball.toString(), "train/app:1"},
          {"--root", root, "images"},
          {"--root", root, "images", "--format", "json"},
          {"--root", root, "inspect", "train/app:1"},
          {"--root", root, "tag", "train/app:1", "train/app:2"},
          {"--root", root, "save", "-o", archive, "train/app:1"},
          {"--root", root, "rmi", "train/app:1", "train/app:2"},
          {"--root", root, "load", "-i", archive},
          {"--root", root, "images", "-q"},
          {"--root", root, "image", "ls"},
          {"--help"},
          {"--root", root, "inspect", "no/such:image"},
      };
      for (String[] args : commands) {
        for (int i = 0; i < 3; i++) BerthMain.run(args, quiet, quiet);
      }
    } finally {
      try (Stream<Path> all = Files.walk(work)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }
}
