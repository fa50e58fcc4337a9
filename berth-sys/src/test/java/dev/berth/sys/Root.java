package dev.berth.sys;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The gate for privileged tests (tag "integration"), as berth-testkit's RequiresRoot, which
 * berth-sys cannot use (the testkit depends on berth-sys): opt in with -Dtest.root=true, and be
 * root.
 */
final class Root {
  private Root() {}

  static void assume() throws IOException {
    assumeTrue(
        "true".equals(System.getProperty("test.root")),
        "privileged test: run with -Dtest.root=true");
    String euid = "?";
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) euid = line.substring(4).trim().split("\\s+")[1];
    }
    assumeTrue("0".equals(euid), "privileged test: needs root (euid " + euid + ")");
  }
}
