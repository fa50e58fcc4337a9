package dev.berth.cli.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bash completion script, driven through a real bash the way readline calls it. */
class CompletionTest {

  private static final Path BASH = Path.of("/bin/bash");

  @TempDir static Path dir;
  static Path script;

  @BeforeAll
  static void writeScript() throws IOException {
    script = Files.writeString(dir.resolve("berth-runc.bash"), Completion.bash(SampleApp.APP));
    Files.createDirectory(dir.resolve("bundles"));
    Files.writeString(dir.resolve("bundle-notes"), "");
  }

  /** COMPREPLY for the command line {@code words}, whose last word is the one being completed. */
  private static List<String> complete(String... words) throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(BASH), "needs /bin/bash to run the completion script");
    StringBuilder line = new StringBuilder();
    for (String w : words) {
      line.append(" '").append(w.replace("'", "'\\''")).append('\'');
    }
    String program =
        "source '"
            + script
            + "'\n"
            + "COMP_WORDS=("
            + line
            + ")\n"
            + "COMP_CWORD="
            + (words.length - 1)
            + "\n"
            + "_berth_runc_complete\n"
            + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    Process p =
        new ProcessBuilder(BASH.toString(), "--noprofile", "--norc", "-c", program)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    List<String> reply = new ArrayList<>(Arrays.asList(out.split("\n")));
    reply.removeIf(String::isEmpty);
    return reply;
  }

  @Test
  void scriptIsValidBash() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(BASH), "needs /bin/bash to check the script");
    Process p =
        new ProcessBuilder(BASH.toString(), "-n", script.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertTrue(
        Completion.bash(SampleApp.APP)
            .endsWith("complete -o default -F _berth_runc_complete berth-runc\n"));
  }

  @Test
  void commandNamesFirst() throws Exception {
    assertEquals(List.of("create"), complete("berth-runc", "cr"));
    assertEquals(List.of("delete"), complete("berth-runc", "--root", "/r", "--debug", "de"));
    assertEquals(List.of("help"), complete("berth-runc", "he"));
  }

  @Test
  void hiddenOnesAreNotOffered() throws Exception {
    assertEquals(List.of(), complete("berth-runc", "x-"));
    assertEquals(List.of(), complete("berth-runc", "--cr"));
    assertEquals(List.of(), complete("berth-runc", "exec", "--app"));
  }

  @Test
  void globalFlagsBeforeTheCommand() throws Exception {
    assertEquals(List.of("--log", "--log-format"), complete("berth-runc", "--lo"));
    List<String> all = complete("berth-runc", "-");
    assertTrue(
        all.containsAll(List.of("--root", "--debug", "--help", "-h", "--version", "-v")),
        all.toString());
  }

  @Test
  void commandFlagsAfterTheCommand() throws Exception {
    assertEquals(List.of("--bundle"), complete("berth-runc", "--root", "/r", "create", "--bu"));
    assertEquals(List.of("--preserve-fds"), complete("berth-runc", "create", "id", "--pre"));
    assertEquals(List.of("--quiet", "-q"), filter(complete("berth-runc", "ls", "-"), "q"));
  }

  @Test
  void valuesOfFlagsCompleteFileNames() throws Exception {
    assertEquals(
        List.of("bundle-notes", "bundles"), sorted(complete("berth-runc", "create", "-b", "bun")));
    assertEquals(
        List.of("bundle-notes", "bundles"), sorted(complete("berth-runc", "--log", "bun")));
    // the value of a global flag is not mistaken for the command
    assertEquals(List.of("--all"), complete("berth-runc", "--root", "create", "kill", "--a"));
  }

  @Test
  void helpCompletesCommandNames() throws Exception {
    assertEquals(List.of("kill"), complete("berth-runc", "help", "ki"));
  }

  private static List<String> filter(List<String> words, String part) {
    return words.stream().filter(w -> w.contains(part)).toList();
  }

  private static List<String> sorted(List<String> words) {
    return words.stream().sorted().toList();
  }
}
