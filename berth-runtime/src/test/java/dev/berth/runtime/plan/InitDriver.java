package dev.berth.runtime.plan;

import dev.berth.testkit.Exec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs berth-init on a plan through src/test/c/drive-init.c, which plays the runtime's side of the
 * protocol, and collects what happened: the container's output and the driver's transcript of
 * messages and exits.
 */
final class InitDriver {
  /**
   * What a run did. {@code transcript}: PID n, HOOKS, PTY, READY, ERROR op errno detail, EOF,
   * INIT-EXIT n, EXIT n.
   */
  record Result(String plan, String stdout, String stderr, List<String> transcript) {
    /** The ERROR the driver got, or null. */
    SyncMessages.InitError error() {
      for (String line : transcript) {
        if (line.startsWith("ERROR ")) {
          String[] f = line.split(" ", 4);
          return new SyncMessages.InitError(
              Integer.parseInt(f[1]), Integer.parseInt(f[2]), f.length > 3 ? f[3] : "");
        }
      }
      return null;
    }

    /**
     * The container process's exit code, or the init's when there was no clone; -1 if neither was
     * seen.
     */
    int exitCode() {
      for (String line : transcript)
        if (line.startsWith("EXIT ")) return Integer.parseInt(line.substring(5));
      for (String line : transcript)
        if (line.startsWith("INIT-EXIT ")) return Integer.parseInt(line.substring(10));
      return -1;
    }

    @Override
    public String toString() {
      return "transcript: "
          + transcript
          + "\nstdout: "
          + stdout
          + "\nstderr: "
          + stderr
          + "\nplan:\n"
          + plan;
    }
  }

  private static Path driver;

  private final Path work;
  private final List<String> options = new ArrayList<>();

  InitDriver(Path work) {
    this.work = work;
  }

  /** Opens {@code file} at fd 3 as a preserved fd; the sync socket moves to fd 4. */
  InitDriver preserve(Path file) {
    options.add("-p");
    options.add(file.toString());
    return this;
  }

  /** Writes a byte to the exec fifo when READY arrives, as start would. */
  InitDriver startVia(Path fifo) {
    options.add("-f");
    options.add(fifo.toString());
    return this;
  }

  /** Writes this line to the child's uid_map and gid_map before GO. */
  InitDriver idMap(String map) {
    options.add("-m");
    options.add(map);
    return this;
  }

  Result run(Plan plan, List<byte[]> blobs) {
    try {
      Path planFile = Files.write(work.resolve("plan.bin"), plan.encode());
      Result r = run(planFile, blobs);
      return new Result(PlanText.render(plan), r.stdout(), r.stderr(), r.transcript());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs a PLAN payload as given (tests of malformed plans). */
  Result run(Path planFile, List<byte[]> blobs) {
    try {
      Path go = Files.write(work.resolve("go.bin"), SyncMessages.encodeGo(blobs));
      Path transcript = work.resolve("transcript.txt");
      List<String> cmd = new ArrayList<>();
      cmd.add(driver().toString());
      cmd.addAll(options);
      cmd.addAll(
          List.of(
              berthInit().toString(), planFile.toString(), go.toString(), transcript.toString()));
      Exec.Result r = Exec.run(cmd, work, Map.of(), null, 60);
      if (r.exitCode() != 0) throw new AssertionError("drive-init failed: " + r);
      return new Result(
          "(" + planFile + ")", r.stdout(), r.stderr(), Files.readAllLines(transcript));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The binary Maven built into target/classes (generate-resources), as the runtime would embed it.
   */
  static Path berthInit() {
    URL url = InitDriver.class.getResource("/dev/berth/runtime/berth-init");
    if (url == null)
      throw new AssertionError("berth-init is not on the test class path: build with mvn");
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    }
  }

  static synchronized Path driver() throws IOException {
    if (driver == null) {
      Path out = Files.createDirectories(Path.of("target", "test-native")).resolve("drive-init");
      Exec.run(
              "gcc",
              "-O2",
              "-Wall",
              "-Wextra",
              "-Werror",
              "-o",
              out.toString(),
              "src/test/c/drive-init.c")
          .ok();
      driver = out.toAbsolutePath();
    }
    return driver;
  }
}
