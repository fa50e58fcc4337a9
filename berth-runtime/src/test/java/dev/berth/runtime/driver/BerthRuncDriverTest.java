package dev.berth.runtime.driver;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The contract on berth-runc through its command line, as another engine would drive it: the
 * launcher of this worktree ({@code bin/berth-runc}), which runs what {@code scripts/build.sh}
 * assembled under {@code build/}.
 */
class BerthRuncDriverTest extends RuntimeDriverContract {
  /** The worktree's top: surefire runs in the module's directory. */
  private static final Path TOP = Path.of("").toAbsolutePath().getParent();

  @Override
  protected RuntimeDriver driver(Path stateRoot) {
    assumeTrue(
        Files.isDirectory(TOP.resolve("build/lib")),
        "build/ is missing: run scripts/build.sh first (bin/berth-runc runs from it)");
    return new OciCliDriver("berth-runc", TOP.resolve("bin/berth-runc").toString(), stateRoot);
  }

  @Override
  protected String idPrefix() {
    return "dbr";
  }
}
