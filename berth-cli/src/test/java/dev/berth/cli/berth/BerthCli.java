package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.testkit.Exec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.opentest4j.TestAbortedException;

/**
 * Runs {@code berth} command lines on one store: in this JVM through {@link BerthMain#run} (fast,
 * most tests), or as the real process through {@code bin/berth} (exit codes, stream separation, the
 * AOT cache).
 */
final class BerthCli {
  /** What a command printed and returned. */
  record Result(List<String> args, int exitCode, String stdout, String stderr) {
    Result ok() {
      assertEquals(0, exitCode, this::toString);
      return this;
    }

    /**
     * Asserts podman's answer to a failure: exit 125, nothing on stdout, one "Error: " line first
     * on stderr.
     */
    Result fails() {
      return fails(BerthExit.ERROR);
    }

    /**
     * As {@link #fails()}, with one of the exit statuses podman documents for a verb (rmi: 1 for
     * "not found").
     */
    Result fails(int status) {
      assertEquals(status, exitCode, this::toString);
      assertEquals("", stdout, this::toString);
      assertEquals(true, stderr.startsWith("Error: "), this::toString);
      return this;
    }

    /** The first stderr line without "Error: ". */
    String error() {
      String first = stderr.lines().findFirst().orElse("");
      return first.startsWith("Error: ") ? first.substring(7) : first;
    }

    List<String> lines() {
      return stdout.lines().toList();
    }

    @Override
    public String toString() {
      return "berth "
          + String.join(" ", args)
          + " -> "
          + exitCode
          + "\nstdout:\n"
          + stdout
          + "stderr:\n"
          + stderr;
    }
  }

  private final Path root;

  BerthCli(Path root) {
    this.root = root;
  }

  Path root() {
    return root;
  }

  /** {@code berth --root ROOT args...} in this JVM with empty stdin. */
  Result run(String... args) {
    return runWithInput(new byte[0], args);
  }

  /** {@code berth --root ROOT args...} in this JVM with {@code stdin}. */
  Result runWithInput(byte[] stdin, String... args) {
    List<String> all = new ArrayList<>(List.of("--root", root.toString()));
    all.addAll(List.of(args));
    return inProcess(new ByteArrayInputStream(stdin), all.toArray(new String[0]));
  }

  /** {@code berth args...} in this JVM, exactly these arguments (no --root). */
  static Result inProcess(InputStream stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = BerthMain.run(args, stdin, o, e);
    }
    return new Result(
        List.of(args),
        code,
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  /**
   * The built {@code bin/berth} launcher (scripts/build.sh); the test is skipped with the reason
   * when it is not built.
   */
  static Path launcher() {
    Path top = Path.of("").toAbsolutePath();
    while (top != null && !Files.exists(top.resolve("bin/berth"))) top = top.getParent();
    if (top == null || !Files.isDirectory(top.resolve("build/runtime"))) {
      throw new TestAbortedException("berth is not built: run scripts/build.sh");
    }
    return top.resolve("bin/berth");
  }

  /**
   * {@code bin/berth args...} as a process, through sh so a test can redirect ({@code shell} is
   * appended as is).
   */
  static Exec.Result process(Map<String, String> env, String shell) {
    return Exec.run(List.of("sh", "-c", launcher() + " " + shell), null, env, null, 60);
  }
}
