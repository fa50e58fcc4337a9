package dev.berth.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** berth.toml and berth.json: the documented subset read, everything else refused by line. */
class BerthConfigTest {
  @TempDir Path tmp;

  static BerthConfig toml(String text) throws BerthException {
    return BerthConfig.toml(text.getBytes(StandardCharsets.UTF_8), "berth.toml");
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String tomlError(String text) {
    BerthException e = assertThrows(BerthException.class, () -> toml(text));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    return e.getMessage();
  }

  @Test
  void tablesDottedKeysStringsAndArraysMakeHandlers() throws Exception {
    BerthConfig c =
        toml(
            """
            # runtime handlers
            [runtimes.runc]
            runtime = "/usr/sbin/runc"   # a path
            root = '/run/berth/runc'
            options = [
              "--debug",  # over lines
              'x\\y',
            ]

            [runtimes]
            crun.runtime = "crun"
            "sand-boxed".runtime = "berth"
            """);
    assertEquals(
        List.of(
            new RuntimeHandlerConfig(
                "runc", "/usr/sbin/runc", Path.of("/run/berth/runc"), List.of("--debug", "x\\y")),
            new RuntimeHandlerConfig("crun", "crun", null, List.of()),
            new RuntimeHandlerConfig("sand-boxed", "berth", null, List.of())),
        c.runtimes());
    assertEquals(
        "a\"b\tc\u00e9",
        toml("[runtimes.x]\nruntime = \"a\\\"b\\tc\\u00e9\"\n").runtimes().get(0).runtime());
    assertEquals(List.of(), toml("").runtimes());
  }

  @Test
  void unknownKeysAndWrongTypesNameTheKeyAndTheLine() {
    assertEquals(
        "berth.toml:4: unknown key \"runtimes.runc.rot\"",
        tomlError("[runtimes.runc]\nruntime = \"runc\"\n\nrot = \"/x\"\n"));
    assertEquals("berth.toml:1: unknown key \"runtime\"", tomlError("runtime = \"runc\"\n"));
    assertEquals(
        "berth.toml:3: runtimes.runc.root: a string, not an integer",
        tomlError("[runtimes.runc]\nruntime = \"runc\"\nroot = 5\n"));
    assertEquals(
        "berth.toml:2: runtimes.runc.options: an array of strings, not a string",
        tomlError("[runtimes.runc]\noptions = \"--debug\"\nruntime = \"runc\"\n"));
    assertEquals(
        "berth.toml:1: runtimes.runc.runtime: required (a binary, or \"berth\")",
        tomlError("[runtimes.runc]\nroot = \"/x\"\n"));
    assertEquals(
        "berth.toml:1: runtimes.runc.root: run is not an absolute path",
        tomlError("[runtimes.runc]\nroot = \"run\"\nruntime = \"runc\"\n"));
    assertEquals(
        "berth.toml:1: runtimes.b.options: the in-process runtime takes none",
        tomlError("[runtimes.b]\nruntime = \"berth\"\noptions = [\"-x\"]\n"));
  }

  @Test
  void whatTheSubsetDoesNotHaveIsRefusedByLine() {
    assertEquals(
        "berth.toml:3: key \"runtimes.a.runtime\" given twice",
        tomlError("[runtimes.a]\nruntime = \"x\"\nruntime = \"y\"\n"));
    assertEquals(
        "berth.toml:3: table [runtimes.a] defined twice",
        tomlError("[runtimes.a]\nruntime = \"x\"\n[runtimes.a]\n"));
    // TOML 1.0: a table made by dotted keys is not defined again by a header, nor the reverse
    assertEquals(
        "berth.toml:2: table [runtimes.a] already defined by dotted keys",
        tomlError("runtimes.a.runtime = \"x\"\n[runtimes.a]\n"));
    assertEquals(
        "berth.toml:4: table \"runtimes.a\" already defined by a header",
        tomlError("[runtimes.a]\nruntime = \"x\"\n[runtimes]\na.root = \"/r\"\n"));
    assertEquals(
        "berth.toml:1: arrays of tables ([[...]]) are not supported", tomlError("[[runtimes]]\n"));
    assertEquals(
        "berth.toml:2: value 1.5: only strings, booleans, integers and arrays of strings are"
            + " supported",
        tomlError("[runtimes.a]\nx = 1.5\n"));
    assertEquals(
        "berth.toml:1: inline tables are not supported: use a [table]",
        tomlError("runtimes = {}\n"));
    assertEquals(
        "berth.toml:2: arrays hold strings only, found '1'", tomlError("[runtimes.a]\nx = [1]\n"));
    assertEquals("berth.toml:1: unterminated string", tomlError("a = \"open\n"));
    assertEquals(
        "berth.toml:1: expected the end of the line, found 'b'", tomlError("a = true b\n"));
    assertEquals(
        "berth.toml:2: \"runtimes\" is a boolean (line 1), not a table",
        tomlError("runtimes = true\n[runtimes.a]\n"));
  }

  @Test
  void jsonIsTheSameTreeWithErrorsByPath() throws Exception {
    BerthConfig c =
        BerthConfig.json(
            bytes(
                "{\"runtimes\": {\"runc\": {\"runtime\": \"runc\", \"root\": \"/r\", \"options\":"
                    + " [\"--debug\"]}, \"b\": {\"runtime\": \"berth\"}}}"),
            "berth.json");
    assertEquals(
        List.of(
            new RuntimeHandlerConfig("runc", "runc", Path.of("/r"), List.of("--debug")),
            new RuntimeHandlerConfig("b", "berth", null, List.of())),
        c.runtimes());
    BerthException unknown =
        assertThrows(
            BerthException.class,
            () ->
                BerthConfig.json(
                    "{\"runtimes\": {\"runc\": {\"runtime\": \"runc\", \"rot\": 1}}}"
                        .getBytes(StandardCharsets.UTF_8),
                    "berth.json"));
    assertEquals("berth.json: runtimes.runc.rot: unknown key \"rot\"", unknown.getMessage());
    BerthException type =
        assertThrows(
            BerthException.class,
            () ->
                BerthConfig.json(
                    "{\"runtimes\": {\"runc\": {\"runtime\": 5}}}".getBytes(StandardCharsets.UTF_8),
                    "berth.json"));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, type.category());
    assertEquals(
        true,
        type.getMessage().startsWith("berth.json: runtimes.runc.runtime: "),
        type.getMessage());
  }

  @Test
  void theFileIsReadByItsNameAndTheDefaultIsOneOfTwo() throws Exception {
    Path toml = tmp.resolve("berth.toml");
    Path json = tmp.resolve("berth.json");
    assertNull(BerthConfig.defaultFile(toml, json));
    Files.writeString(json, "{\"runtimes\": {\"j\": {\"runtime\": \"runc\"}}}");
    assertEquals(json, BerthConfig.defaultFile(toml, json));
    assertEquals("j", BerthConfig.read(json).runtimes().get(0).name());
    Files.writeString(toml, "[runtimes.t]\nruntime = \"runc\"\n");
    assertEquals("t", BerthConfig.read(toml).runtimes().get(0).name());
    BerthException both =
        assertThrows(BerthException.class, () -> BerthConfig.defaultFile(toml, json));
    assertEquals(
        "configuration: both " + toml + " and " + json + " exist: keep one", both.getMessage());
    BerthException missing =
        assertThrows(BerthException.class, () -> BerthConfig.read(tmp.resolve("none.toml")));
    assertEquals(ErrorCategory.NOT_FOUND, missing.category());
    assertEquals(
        "configuration file " + tmp.resolve("none.toml") + ": not found", missing.getMessage());
  }
}
