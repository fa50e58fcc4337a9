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
      Path tarball = work.resolve("rootfs.tar");
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(tarball))) {
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
      }
      String root = work.resolve("store").toString();
      String archive = work.resolve("saved.tar").toString();
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
