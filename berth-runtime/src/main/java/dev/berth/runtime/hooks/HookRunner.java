package dev.berth.runtime.hooks;

import dev.berth.spec.runtime.Hook;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the hooks that execute in the runtime's namespaces (prestart, createRuntime, poststart,
 * poststop): each gets the container state on stdin, exactly its own environment, and is killed at
 * its timeout. The container-namespace hooks (createContainer, startContainer) run inside
 * berth-init instead.
 */
public final class HookRunner {
  private HookRunner() {}

  /**
   * Runs {@code hooks} in order; the first failure stops the rest and is thrown in runc's words,
   * which callers grep for ("error running hook #N: "), naming the hook kind and path.
   */
  public static void run(String kind, List<Hook> hooks, byte[] state) throws IOException {
    for (int i = 0; i < hooks.size(); i++) {
      try {
        runOne(kind, hooks.get(i), state);
      } catch (IOException e) {
        throw new IOException(failure(kind, i, e.getMessage()), e);
      }
    }
  }

  /**
   * Runs every hook in {@code hooks}, in order, whatever the earlier ones did: for poststart and
   * poststop the runtime-spec asks that a failing hook only be warned about while the remaining
   * hooks and the lifecycle go on. Returns one message per failed hook, in {@link #run}'s words.
   */
  public static List<String> runEach(String kind, List<Hook> hooks, byte[] state) {
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < hooks.size(); i++) {
      try {
        runOne(kind, hooks.get(i), state);
      } catch (IOException e) {
        failures.add(failure(kind, i, e.getMessage()));
      }
    }
    return failures;
  }

  /**
   * A failed hook in both of runc's wordings, which callers grep for: 1.1's "error running hook #N:
   * " and later releases' "error running KIND hook #N: ", then what went wrong ({@code what}, its
   * leading "KIND hook " dropped as the prefix already says it).
   */
  public static String failure(String kind, int index, String what) {
    String named = kind + " hook ";
    if (what.startsWith(named)) what = what.substring(named.length());
    return "error running hook #"
        + index
        + ": error running "
        + kind
        + " hook #"
        + index
        + ": "
        + what;
  }

  private static void runOne(String kind, Hook h, byte[] state) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(h.path());
    // args[0] is argv[0]; ProcessBuilder cannot set argv[0] apart from the path, so the path stands
    // in for it.
    if (h.args().size() > 1) cmd.addAll(h.args().subList(1, h.args().size()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    for (String e : h.env()) {
      int eq = e.indexOf('=');
      if (eq > 0) pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
    }
    pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IOException("run " + kind + " hook " + h.path() + ": " + e.getMessage(), e);
    }
    try (OutputStream in = p.getOutputStream()) {
      in.write(state);
    } catch (IOException ignored) {
      // A hook that does not read its stdin is fine.
    }
    try {
      boolean done =
          h.timeout() == null ? waitForever(p) : p.waitFor(h.timeout(), TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly().waitFor();
        throw new IOException(
            kind + " hook " + h.path() + ": timed out after " + h.timeout() + "s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(kind + " hook " + h.path() + ": interrupted");
    }
    if (p.exitValue() != 0) {
      throw new IOException(kind + " hook " + h.path() + ": exited with status " + p.exitValue());
    }
  }

  private static boolean waitForever(Process p) throws InterruptedException {
    p.waitFor();
    return true;
  }
}
