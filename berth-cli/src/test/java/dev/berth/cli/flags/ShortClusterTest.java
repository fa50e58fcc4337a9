package dev.berth.cli.flags;

import static dev.berth.cli.flags.FlagSpec.bool;
import static dev.berth.cli.flags.FlagSpec.string;
import static dev.berth.cli.flags.FlagSpec.stringList;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docker's (pflag's) one-letter flag clusters, in apps that ask for them; runc's apps keep Go's
 * rules.
 */
class ShortClusterTest {
  private static final App APP =
      App.of("d", "docker-like")
          .withCommands(
              CommandSpec.of("run", "run")
                  .withMinArgs(1)
                  .stopFlagsAtFirstArg()
                  .withFlags(
                      bool("interactive", "i", "keep stdin open"),
                      bool("tty", "t", "terminal"),
                      bool("detach", "d", "detach"),
                      stringList("publish", "p", "ports"),
                      stringList("env", "e", "env"),
                      string("name", null, "name", "")))
          .withShortClusters();

  private static ParsedCommand run(String... args) throws UsageException {
    return assertInstanceOf(ParsedCommand.class, new Parser(APP).parse(args));
  }

  @Test
  void clustersOfBooleans() throws UsageException {
    ParsedCommand c = run("run", "-it", "img", "sh");
    assertTrue(c.flags().getBool("interactive"));
    assertTrue(c.flags().getBool("tty"));
    assertEquals(List.of("img", "sh"), c.args());
    assertTrue(run("run", "-dit", "img").flags().getBool("detach"));
  }

  @Test
  void aValueFlagTakesTheRestOfTheWordOrTheNext() throws UsageException {
    ParsedCommand c = run("run", "-dp8080:80", "-e", "A=1", "-eB=2", "-e=C=3", "img");
    assertTrue(c.flags().getBool("detach"));
    assertEquals(List.of("8080:80"), c.flags().getList("publish"));
    assertEquals(List.of("A=1", "B=2", "C=3"), c.flags().getList("env"));
  }

  @Test
  void longFlagsNeedTwoDashes() {
    UsageException e = assertThrows(UsageException.class, () -> run("run", "-name", "x", "img"));
    assertTrue(e.getMessage().contains("unknown shorthand flag: 'n' in -name"), e.getMessage());
  }

  @Test
  void flagsAfterTheImageBelongToTheCommand() throws UsageException {
    ParsedCommand c = run("run", "--name", "web", "img", "ls", "-la");
    assertEquals("web", c.flags().getString("name"));
    assertEquals(List.of("img", "ls", "-la"), c.args());
  }

  @Test
  void missingValue() {
    UsageException e = assertThrows(UsageException.class, () -> run("run", "-ie"));
    assertTrue(e.getMessage().contains("flag needs an argument: 'e' in -ie"), e.getMessage());
  }
}
