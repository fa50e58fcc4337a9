package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.TarEntry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/berth} as the real process scripts run: exit codes, what goes to stdout and what to
 * stderr, stdin, and the AOT cache that scripts/build.sh trains (forced on here: a stale or
 * unusable cache fails the JVM's start).
 */
@RequiresRoot
class BerthLauncherTest {
  /** -XX:AOTMode=on: the JVM refuses to start rather than silently run without the cache. */
  private static final Map<String, String> AOT_ON = Map.of("BERTH_JAVA_OPTS", "-XX:AOTMode=on");

  @TempDir Path tmp;

  private Exec.Result berth(String shell) {
    return BerthCli.process(AOT_ON, "--root " + tmp.resolve("store") + " " + shell);
  }

  @Test
  void importFromStdinThenListWithTheTrainedCache() throws IOException {
    Path tarball = tmp.resolve("rootfs.tar");
    try (OutputStream out = Files.newOutputStream(tarball)) {
      new LayerTar().add(TarEntry.file("hello", "hi\n")).writeTo(out);
    }
    Exec.Result imported = berth("import - test/app:1 < " + tarball);
    assertEquals(0, imported.exitCode(), imported.toString());
    assertTrue(imported.stdout().matches("sha256:[0-9a-f]{64}\n"), imported.toString());
    assertEquals("", imported.stderr());
    Exec.Result images = berth("images -q --no-trunc");
    assertEquals(imported.stdout(), images.stdout(), images.toString());
    assertEquals("", images.stderr());
  }

  @Test
  void failuresExitAsPodmanWithOneLineOnStderrAndNothingOnStdout() {
    Exec.Result missing = berth("rmi test/nosuch");
    assertEquals(1, missing.exitCode(), "podman rmi's 'did not exist': " + missing);
    assertEquals("", missing.stdout());
    assertEquals("Error: image \"test/nosuch\" not found\n", missing.stderr());
    Exec.Result inspect = berth("image inspect test/nosuch");
    assertEquals(125, inspect.exitCode(), inspect.toString());
    assertEquals("", inspect.stdout());
    assertEquals(1, inspect.stderr().lines().count(), inspect.toString());
    Exec.Result flag = berth("images --bogus");
    assertEquals(125, flag.exitCode(), flag.toString());
    assertEquals("", flag.stdout(), "usage errors keep stdout clean for pipes");
    assertTrue(flag.stderr().startsWith("Error: "), flag.toString());
    Exec.Result refused = berth("pull 127.0.0.1:1/test/app:1");
    assertEquals(125, refused.exitCode(), refused.toString());
    assertEquals(1, refused.stderr().lines().count(), refused.toString());
  }

  @Test
  void helpAndVersionExitZero() {
    Exec.Result help = BerthCli.process(AOT_ON, "--help");
    assertEquals(0, help.exitCode(), help.toString());
    assertTrue(help.stdout().contains("images") && help.stdout().contains("pull"), help.stdout());
    Exec.Result version = BerthCli.process(AOT_ON, "--version");
    assertEquals("berth version " + BerthApp.VERSION + "\n", version.stdout(), version.toString());
  }
}
