package dev.berth.spec.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth-runc spec} must print what {@code runc spec} prints, byte for byte (golden files
 * from runc 1.1.5).
 */
class SpecWriterGoldenTest {

  @Test
  void defaultSpecIsByteIdenticalToRuncSpec() {
    assertBytes(
        TestFiles.bytes("runc/spec.json"), SpecWriter.write(DefaultSpecs.runc(), JsonWriter.TABS));
  }

  @Test
  void rootlessSpecAsRootIsByteIdenticalToRuncSpecRootless() {
    assertBytes(
        TestFiles.bytes("runc/spec-rootless-0-0.json"),
        SpecWriter.write(DefaultSpecs.rootless(0, 0), JsonWriter.TABS));
  }

  @Test
  void rootlessSpecMapsTheCallersIds() {
    // captured with: setpriv --reuid=1234 --regid=5678 --clear-groups runc spec --rootless
    assertBytes(
        TestFiles.bytes("runc/spec-rootless-1234-5678.json"),
        SpecWriter.write(DefaultSpecs.rootless(1234, 5678), JsonWriter.TABS));
  }

  @Test
  void rootlessWithoutArgumentsUsesTheEffectiveIds() throws IOException {
    String status = Files.readString(Path.of("/proc/self/status"));
    long uid =
        Long.parseLong(
            status
                .lines()
                .filter(l -> l.startsWith("Uid:"))
                .findFirst()
                .orElseThrow()
                .split("\\s+")[2]);
    Linux linux = DefaultSpecs.rootless().linux();
    assertEquals(uid, linux.uidMappings().getFirst().hostID());
  }

  @Test
  void goldenFilesRoundTripThroughReaderAndWriter() throws SpecException {
    for (String name :
        new String[] {
          "runc/spec.json", "runc/spec-rootless-0-0.json", "runc/spec-rootless-1234-5678.json"
        }) {
      byte[] golden = TestFiles.bytes(name);
      assertBytes(golden, SpecWriter.write(SpecReader.parse(golden, name), JsonWriter.TABS));
    }
  }

  @Test
  void defaultSpecsAreValid() {
    assertEquals(java.util.List.of(), SpecValidator.validate(DefaultSpecs.runc(), true));
    assertEquals(
        java.util.List.of(), SpecValidator.validate(DefaultSpecs.rootless(1000, 1000), true));
  }

  /** Checks the golden file itself against the installed runc, so a stale golden file is caught. */
  @Test
  @Tag("interop")
  void installedRuncAgreesWithGoldenFile(@TempDir Path dir) throws Exception {
    Path runc = Path.of("/usr/sbin/runc");
    Assumptions.assumeTrue(Files.isExecutable(runc), "runc is not installed at /usr/sbin/runc");
    java.lang.Process p =
        new ProcessBuilder(runc.toString(), "spec")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    Assumptions.assumeTrue(p.waitFor(20, TimeUnit.SECONDS), "runc spec did not finish");
    String version =
        new String(
            new ProcessBuilder(runc.toString(), "--version")
                .start()
                .getInputStream()
                .readAllBytes(),
            StandardCharsets.UTF_8);
    Assumptions.assumeTrue(
        version.contains("spec: 1.0.2-dev"), "golden files are from runc 1.1.5 (spec 1.0.2-dev)");
    assertBytes(
        Files.readAllBytes(dir.resolve("config.json")),
        SpecWriter.write(DefaultSpecs.runc(), JsonWriter.TABS));
  }

  private static void assertBytes(byte[] expected, byte[] actual) {
    // Compare as text first: a failure then shows the first differing line.
    assertEquals(
        new String(expected, StandardCharsets.UTF_8), new String(actual, StandardCharsets.UTF_8));
    assertArrayEquals(expected, actual);
  }
}
