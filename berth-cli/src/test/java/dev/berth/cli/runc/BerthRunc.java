package dev.berth.cli.runc;

import dev.berth.testkit.Exec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.opentest4j.TestAbortedException;

/**
 * The built {@code bin/berth-runc} launcher (scripts/build.sh), driven as a black box like runc.
 */
final class BerthRunc {
  private BerthRunc() {}

  static Path launcher() {
    Path top = Path.of("").toAbsolutePath();
    while (top != null && !Files.exists(top.resolve("bin/berth-runc"))) top = top.getParent();
    if (top == null || !Files.isDirectory(top.resolve("build/runtime"))) {
      throw new TestAbortedException("berth-runc is not built: run scripts/build.sh");
    }
    return top.resolve("bin/berth-runc");
  }

  /** Runs {@code runtime} (a path to berth-runc or "runc") with {@code args}, in {@code dir}. */
  static Exec.Result run(String runtime, Path dir, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(runtime);
    cmd.addAll(List.of(args));
    return Exec.run(cmd, dir, Map.of(), null, 60);
  }

  /** As {@link #run}, with {@code --root root} first: the state directory of one test. */
  static Exec.Result runWithRoot(String runtime, Path dir, Path root, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(runtime);
    cmd.add("--root");
    cmd.add(root.toString());
    cmd.addAll(List.of(args));
    return Exec.run(cmd, dir, Map.of(), null, 60);
  }
}
