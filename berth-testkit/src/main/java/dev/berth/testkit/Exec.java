package dev.berth.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command to completion with a deadline and captures its output: black-box tests of CLIs and
 * peers.
 */
public final class Exec {
  /** What a command did. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    /** Throws with the whole story unless the command exited 0. */
    public Result ok() {
      if (exitCode != 0) throw new AssertionError(this.toString());
      return this;
    }

    @Override
    public String toString() {
      return String.join(" ", command)
          + " -> exit "
          + exitCode
          + "\nstdout: "
          + stdout
          + "\nstderr: "
          + stderr;
    }
  }

  private Exec() {}

  public static Result run(List<String> command) {
    return run(command, null, Map.of(), null, 60);
  }

  public static Result run(String... command) {
    return run(List.of(command));
  }

  /**
   * Runs {@code command} in {@code dir} with extra {@code env}, feeding {@code stdin}; kills it
   * after the deadline.
   */
  public static Result run(
      List<String> command, Path dir, Map<String, String> env, String stdin, int timeoutSeconds) {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command));
    if (dir != null) pb.directory(dir.toFile());
    pb.environment().putAll(env);
    try {
      Process p = pb.start();
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
      try (var in = p.getOutputStream()) {
        if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor();
        // A detached grandchild (a container) may still hold our pipes: do not wait for their end.
        throw new AssertionError(
            "timed out after "
                + timeoutSeconds
                + "s: "
                + String.join(" ", command)
                + "\nstdout: "
                + out.getNow("<still open>")
                + "\nstderr: "
                + err.getNow("<still open>"));
      }
      try {
        return new Result(
            List.copyOf(command),
            p.exitValue(),
            out.get(timeoutSeconds, TimeUnit.SECONDS),
            err.get(timeoutSeconds, TimeUnit.SECONDS));
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new AssertionError(
            "the output of "
                + String.join(" ", command)
                + " stayed open after it exited"
                + " (a detached process holds it: redirect its stdio)",
            e);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "<" + e + ">";
    }
  }
}
