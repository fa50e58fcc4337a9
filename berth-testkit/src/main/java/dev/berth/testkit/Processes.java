package dev.berth.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The processes a test left running: monitors and their exit commands work on after a CLI returns.
 */
public final class Processes {
  private Processes() {}

  /**
   * The pids (other than this JVM's) whose command line mentions {@code dir}, with their command
   * lines.
   */
  public static List<String> mentioning(Path dir) {
    String needle = dir.toAbsolutePath().toString();
    String self = Long.toString(ProcessHandle.current().pid());
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : procs) {
        if (p.getFileName().toString().equals(self)) continue;
        try {
          String cmd =
              new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                  .replace('\0', ' ');
          String stat = Files.readString(p.resolve("stat"));
          boolean zombie = stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
          if (!zombie && cmd.contains(needle)) out.add(p.getFileName() + " " + cmd.strip());
        } catch (IOException gone) {
          // exited meanwhile
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  /**
   * Waits up to {@code limit} until no process mentions {@code dir} (a test's temporary store: a
   * container's monitor and the cleanup it runs at the end), and returns those still running then
   * (empty: all done).
   */
  public static List<String> awaitNoneMentioning(Path dir, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    List<String> left = mentioning(dir);
    while (!left.isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      left = mentioning(dir);
    }
    return left;
  }

  /**
   * How many times this JVM's thread named {@code comm} (the kernel's name: 15 characters at most)
   * has gone to sleep so far (voluntary context switches): how often an idle thread wakes up.
   */
  public static long sleepsOfThread(String comm) {
    // A thread names itself once it runs: give a thread just started a moment.
    for (long deadline = System.nanoTime() + 5_000_000_000L; ; ) {
      try {
        return sleepsOfThreadNow(comm);
      } catch (IllegalStateException e) {
        if (System.nanoTime() > deadline) throw e;
        try {
          Thread.sleep(10);
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static long sleepsOfThreadNow(String comm) {
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path t : tasks) {
        try {
          if (!Files.readString(t.resolve("comm")).strip().equals(comm)) continue;
          for (String line : Files.readAllLines(t.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:"))
              return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
          }
        } catch (IOException gone) {
          // ended meanwhile
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new IllegalStateException("no thread named " + comm);
  }
}
