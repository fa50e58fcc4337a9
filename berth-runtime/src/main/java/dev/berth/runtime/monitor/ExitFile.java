package dev.berth.runtime.monitor;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * The exit file a monitor writes (atomically: it is whole or absent) when its container init
 * exited. Absent means the container is still running, or its monitor died before it could tell
 * (then the exit status is lost, as with conmon).
 */
public final class ExitFile {
  private ExitFile() {}

  /**
   * How the container ended.
   *
   * @param exitCode the exit status, or 128+signal when a signal ended it (as docker reports)
   * @param signal the signal that ended it, 0 when it exited
   * @param oomKilled the OOM killer killed a process of the container's memory cgroup
   * @param startedAt when the monitor was handed the container (after its create)
   * @param finishedAt when the monitor reaped the container init
   */
  public record ExitStatus(
      int pid,
      int exitCode,
      int signal,
      boolean oomKilled,
      Instant startedAt,
      Instant finishedAt) {}

  /** The exit status in {@code file}, or empty when there is none (yet). */
  public static Optional<ExitStatus> read(Path file) throws BerthException {
    byte[] json;
    try {
      json = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "read exit file " + file + ": " + e.getMessage(), e);
    }
    try {
      return Optional.of(parse(json, file.toString()));
    } catch (SpecException | IllegalArgumentException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "exit file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The exit status in {@code json} (the exit file's content, or an attach client's exit frame).
   */
  public static ExitStatus parse(byte[] json, String source) throws SpecException {
    int pid = 0;
    int exitCode = -1;
    int signal = 0;
    boolean oom = false;
    Instant started = null;
    Instant finished = null;
    try (JsonReader r = JsonReader.of(json, source)) {
      if (!r.beginObject()) throw r.error("expected an object, got null");
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "pid" -> pid = r.int32();
          case "exitCode" -> exitCode = r.int32();
          case "signal" -> signal = r.int32();
          case "oomKilled" -> oom = r.bool();
          case "startedAt" -> started = Rfc3339.parse(r.string());
          case "finishedAt" -> finished = Rfc3339.parse(r.string());
          default -> r.skip();
        }
      }
      r.end();
    }
    if (exitCode < 0) throw new SpecException(source, "exitCode", "missing");
    return new ExitStatus(pid, exitCode, signal, oom, started, finished);
  }
}
