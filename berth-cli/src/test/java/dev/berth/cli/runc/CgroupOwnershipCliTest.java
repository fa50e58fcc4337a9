package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Container X in state root A, then the same id in root B: without linux.cgroupsPath both name the
 * cgroup {@code <own cgroup>/X}. Run by runc and by berth-runc: with either, A's container keeps
 * running through B's {@code delete -f}. runc 1.1.5 lets B's create into A's cgroup with a warning
 * ("container's cgroup is not empty", to be an error in 1.2); berth-runc refuses it and leaves
 * nothing in B's root.
 */
@RequiresCommand("runc")
class CgroupOwnershipCliTest {
  @TempDir Path tmp;
  String runtime;
  Path bundle;
  final String id = "cgown" + ProcessHandle.current().pid();

  @AfterEach
  void tearDown() {
    if (runtime == null) return;
    BerthRunc.runWithRoot(runtime, tmp, tmp.resolve("B"), "delete", "-f", id);
    BerthRunc.runWithRoot(runtime, tmp, tmp.resolve("A"), "delete", "-f", id);
  }

  /**
   * {@code runtime --root root create|run -d id} with no stdio of ours (a detached container would
   * keep the pipes).
   */
  private Exec.Result detached(Path root, String... verb) {
    Path err = tmp.resolve("err");
    Exec.Result r =
        Exec.run(
            List.of(
                "sh",
                "-c",
                runtime
                    + " --root "
                    + root
                    + " "
                    + String.join(" ", verb)
                    + " "
                    + id
                    + " </dev/null >/dev/null 2>"
                    + err),
            bundle,
            Map.of(),
            null,
            60);
    try {
      return new Exec.Result(r.command(), r.exitCode(), "", Files.readString(err));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private String state(String root) {
    return BerthRunc.runWithRoot(runtime, tmp, tmp.resolve(root), "state", id).ok().stdout();
  }

  @ParameterizedTest
  @ValueSource(strings = {"runc", "berth-runc"})
  void theSameIdInASecondRootNeverTakesTheFirstOnesCgroup(String which) throws Exception {
    runtime = which.equals("runc") ? "runc" : BerthRunc.launcher().toString();
    bundle = Bundle.busybox(tmp.resolve("bundle")).args("sleep", "60").write();
    assertEquals(0, detached(tmp.resolve("A"), "run", "-d").exitCode());
    String before = state("A");
    assertTrue(before.contains("\"status\": \"running\""), before);
    int pid = Integer.parseInt(before.replaceAll("(?s).*\"pid\": (\\d+).*", "$1"));

    Exec.Result b = detached(tmp.resolve("B"), "create");
    if (which.equals("berth-runc")) {
      assertEquals(1, b.exitCode(), b.stderr());
      assertTrue(
          b.stderr()
              .contains("container's cgroup is not empty: 1 process(es) found in /sys/fs/cgroup/"),
          b.stderr());
      assertTrue(b.stderr().contains("/" + id), b.stderr());
      try (var left = Files.list(tmp.resolve("B"))) {
        assertEquals(List.of(), left.toList(), "the refused create left state behind");
      }
    }
    assertEquals(
        0, BerthRunc.runWithRoot(runtime, tmp, tmp.resolve("B"), "delete", "-f", id).exitCode());

    String after = state("A");
    assertTrue(after.contains("\"status\": \"running\""), after);
    assertTrue(after.contains("\"pid\": " + pid + ","), after);
    assertTrue(Files.readString(Path.of("/proc/" + pid + "/cmdline")).startsWith("sleep"));
    assertEquals(
        0, BerthRunc.runWithRoot(runtime, tmp, tmp.resolve("A"), "delete", "-f", id).exitCode());
    assertFalse(
        Files.exists(Path.of("/proc/" + pid))
            && Files.readString(Path.of("/proc/" + pid + "/cmdline")).startsWith("sleep"));
  }
}
