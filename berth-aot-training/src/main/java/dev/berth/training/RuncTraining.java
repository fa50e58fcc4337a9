package dev.berth.training;

import dev.berth.cli.runc.RuncMain;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The AOT training run (scripts/train-aot.sh): drives the real verbs in one JVM on a busybox bundle
 * in a temporary root, so the cache holds the classes and profiles of every verb's start path.
 * Without root or busybox only the verbs that need neither run. It returns normally: the JVM writes
 * the cache at an ordinary exit.
 */
public final class RuncTraining {
  private RuncTraining() {}

  public static void main(String[] args) {
    PrintStream realOut = System.out;
    try {
      Path work = Files.createTempDirectory("berth-train");
      try {
        Path bundle = Files.createDirectories(work.resolve("bundle"));
        String root = work.resolve("root").toString();
        verb("spec", "--bundle", bundle.toString());
        verb("--root", root, "list");
        verb("--root", root, "list", "--format", "json");
        verb("--root", root, "state", "missing");
        verb("--root", root, "create", "--help");
        verb("--root", root, "kill", "missing", "KILL");
        verb("features");
        verb("--root", root, "pause", "missing");
        verb("--root", root, "update", "--memory", "64m", "missing");
        Path busybox = Path.of("/bin/busybox");
        boolean root0 = "root".equals(System.getProperty("user.name"));
        if (root0 && Files.isExecutable(busybox)) {
          Path bin = Files.createDirectories(bundle.resolve("rootfs/bin"));
          Files.copy(busybox, bin.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
          for (String a : new String[] {"sh", "true", "sleep"})
            Files.createSymbolicLink(bin.resolve(a), Path.of("busybox"));
          String config =
              Files.readString(bundle.resolve("config.json"))
                  .replace("\"terminal\": true", "\"terminal\": false")
                  .replace("\"sh\"\n", "\"sleep\", \"10\"\n");
          Files.writeString(bundle.resolve("config.json"), config);
          for (int i = 0; i < 3; i++) {
            String id = "train" + i;
            verb("--root", root, "create", "--bundle", bundle.toString(), id);
            verb("--root", root, "state", id);
            verb("--root", root, "list");
            verb("--root", root, "start", id);
            verb("--root", root, "ps", "--format", "json", id);
            verb("--root", root, "pause", id);
            verb("--root", root, "events", "--stats", id);
            verb("--root", root, "resume", id);
            verb(
                "--root",
                root,
                "update",
                "--memory",
                "64m",
                "--cpu-share",
                "512",
                "--pids-limit",
                "100",
                id);
            verb("--root", root, "kill", id, "KILL");
            verb("--root", root, "delete", "--force", id);
          }
          Files.writeString(
              bundle.resolve("config.json"), config.replace("\"sleep\", \"10\"", "\"true\""));
          for (int i = 0; i < 3; i++)
            verb("--root", root, "run", "--bundle", bundle.toString(), "trainrun" + i);
        }
      } finally {
        System.setOut(realOut);
        try (Stream<Path> s = Files.walk(work)) {
          s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void verb(String... args) {
    System.setOut(new PrintStream(PrintStream.nullOutputStream()));
    int code = RuncMain.run(args);
    System.err.println("train: " + String.join(" ", args) + " -> " + code);
  }
}
