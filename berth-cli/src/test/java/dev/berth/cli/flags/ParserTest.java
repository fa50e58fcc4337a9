package dev.berth.cli.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The command-line rules containerd, podman and conmon rely on, as runc 1.1 applies them. */
class ParserTest {

  private static final Parser PARSER = new Parser(SampleApp.APP);

  static ParsedCommand run(String... args) {
    try {
      return assertInstanceOf(ParsedCommand.class, PARSER.parse(args));
    } catch (UsageException e) {
      throw new AssertionError("unexpected usage error: " + e.getMessage(), e);
    }
  }

  static UsageException usageError(String... args) {
    return assertThrows(UsageException.class, () -> PARSER.parse(args));
  }

  static String text(String... args) {
    try {
      return assertInstanceOf(TextOutput.class, PARSER.parse(args)).text();
    } catch (UsageException e) {
      throw new AssertionError("unexpected usage error: " + e.getMessage(), e);
    }
  }

  @Nested
  class FlagForms {

    @ParameterizedTest
    @CsvSource(
        delimiter = '|',
        value = {"--bundle|/b", "-bundle|/b", "-b|/b", "--b|/b"})
    void valueInNextWord(String flag, String value) {
      ParsedCommand c = run("create", flag, value, "id");
      assertEquals("/b", c.flags().getString("bundle"));
      assertEquals(List.of("id"), c.args());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--bundle=/b", "-bundle=/b", "-b=/b", "--b=/b"})
    void valueAfterEquals(String arg) {
      assertEquals("/b", run("create", arg, "id").flags().getString("bundle"));
    }

    @Test
    void valueAfterEqualsMayContainEquals() {
      assertEquals(List.of("A=1=2"), run("exec", "--env=A=1=2", "id").flags().getList("env"));
    }

    @Test
    void valueInNextWordIsTakenEvenIfItLooksLikeAFlag() {
      assertEquals("-x", run("create", "--bundle", "-x", "id").flags().getString("bundle"));
      assertEquals("--", run("create", "--pid-file", "--", "id").flags().getString("pid-file"));
    }

    @Test
    void emptyValueIsAValue() {
      ParsedCommand c = run("create", "--pid-file=", "id");
      assertEquals("", c.flags().getString("pid-file"));
      assertTrue(c.flags().isSet("pid-file"));
    }

    @Test
    void lastOccurrenceWins() {
      assertEquals("/b", run("--root", "/a", "--root", "/b", "list").globals().getString("root"));
    }

    @Test
    void listFlagsAccumulateInOrder() {
      ParsedCommand c = run("exec", "-e", "A=1", "-e", "B=2", "-e=C=3", "id", "sh");
      assertEquals(List.of("A=1", "B=2", "C=3"), c.flags().getList("env"));
      assertEquals(List.of(), c.flags().getList("cap"));
    }

    @Test
    void valuesAreFoundUnderEveryName() {
      Flags f = run("create", "-b", "/b", "id").flags();
      assertEquals("/b", f.getString("b"));
      assertTrue(f.isSet("bundle"));
      assertTrue(f.isSet("b"));
    }

    @Test
    void unsetFlagsReadAsTheirDefaults() {
      ParsedCommand c = run("create", "id");
      assertEquals(".", c.flags().getString("bundle"));
      assertEquals("", c.flags().getString("pid-file"));
      assertEquals(0, c.flags().getInt("preserve-fds"));
      assertFalse(c.flags().getBool("no-pivot"));
      assertFalse(c.flags().isSet("bundle"));
      assertEquals("/run/berth-runc", c.globals().getString("root"));
      assertEquals(Duration.ofSeconds(5), run("events", "id").flags().getDuration("interval"));
    }

    @Test
    void dashAndEmptyWordArePositional() {
      assertEquals(List.of("-"), run("create", "-").args());
      assertEquals(List.of(""), run("create", "").args());
    }

    @Test
    void doubleDashEndsFlags() {
      assertEquals(List.of("id"), run("create", "--", "id").args());
      ParsedCommand c = run("exec", "-t", "--", "-id", "sh");
      assertTrue(c.flags().getBool("tty"));
      assertEquals(List.of("-id", "sh"), c.args());
    }

    @Test
    void doubleDashAfterGlobalFlagsIsDropped() {
      ParsedCommand c = run("--root", "/r", "--", "list");
      assertEquals("list", c.command().name());
      assertEquals("/r", c.globals().getString("root"));
    }
  }

  @Nested
  class Booleans {

    @Test
    void presenceMeansTrue() {
      assertTrue(run("exec", "--detach", "id", "sh").flags().getBool("detach"));
      assertTrue(run("exec", "-d", "id", "sh").flags().getBool("d"));
    }

    @ParameterizedTest
    @CsvSource({
      "false,false",
      "0,false",
      "f,false",
      "F,false",
      "FALSE,false",
      "False,false",
      "true,true",
      "1,true",
      "t,true",
      "T,true",
      "TRUE,true",
      "True,true"
    })
    void explicitValueAfterEquals(String value, boolean expected) {
      assertEquals(
          expected, run("exec", "--detach=" + value, "id", "sh").flags().getBool("detach"));
    }

    @Test
    void laterOccurrenceTurnsItBackOff() {
      assertFalse(run("--debug", "--debug=false", "list").globals().getBool("debug"));
    }

    @Test
    void doNotTakeTheNextWord() {
      ParsedCommand c = run("create", "--no-pivot", "id");
      assertTrue(c.flags().getBool("no-pivot"));
      assertEquals(List.of("id"), c.args());
    }

    @ParameterizedTest
    @ValueSource(strings = {"maybe", "", "yes", "2"})
    void badValueIsAnError(String value) {
      UsageException e = usageError("create", "--no-pivot=" + value, "id");
      assertEquals(
          "invalid boolean value \"" + value + "\" for -no-pivot: parse error", e.getMessage());
      assertEquals(1, e.exitCode());
    }

    @Test
    void shortBooleansCannotBeCombined() {
      assertEquals(
          "flag provided but not defined: -td", usageError("exec", "-td", "id", "sh").getMessage());
    }
  }

  @Nested
  class Numbers {

    @ParameterizedTest
    @CsvSource({
      "0,0",
      "7,7",
      "-1,-1",
      "+3,3",
      "0x10,16",
      "0X1f,31",
      "010,8",
      "0o17,15",
      "0b101,5",
      "1_000,1000",
      "0x_ff,255",
      "2147483647,2147483647",
      "-2147483648,-2147483648"
    })
    void intsUseGoSyntax(String text, int expected) {
      assertEquals(
          expected, run("create", "--preserve-fds", text, "id").flags().getInt("preserve-fds"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "", "08", "0x", "1_", "_1", "1__0", "1.5", "--1", "１"})
    void badIntIsAParseError(String text) {
      assertEquals(
          "invalid value \"" + text + "\" for flag -preserve-fds: parse error",
          usageError("create", "--preserve-fds", text, "id").getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"2147483648", "-2147483649", "99999999999999999999999"})
    void intOutOfRange(String text) {
      assertEquals(
          "invalid value \"" + text + "\" for flag -preserve-fds: value out of range",
          usageError("create", "--preserve-fds=" + text, "id").getMessage());
    }

    @Test
    void uintsCoverSixtyFourBitsAndNoSign() {
      assertEquals(
          -1L,
          run("update", "--memory-bytes", "18446744073709551615", "id")
              .flags()
              .getUint("memory-bytes"));
      assertEquals(
          4096L, run("update", "--memory-bytes", "0x1000", "id").flags().getUint("memory-bytes"));
      assertEquals(
          "invalid value \"-1\" for flag -memory-bytes: parse error",
          usageError("update", "--memory-bytes", "-1", "id").getMessage());
      assertEquals(
          "invalid value \"18446744073709551616\" for flag -memory-bytes: value out of range",
          usageError("update", "--memory-bytes", "18446744073709551616", "id").getMessage());
    }

    @ParameterizedTest
    @CsvSource({
      "5s,5000",
      "1m30s,90000",
      "1.5h,5400000",
      "250ms,250",
      "0,0",
      "1h0m0.5s,3600500",
      ".5s,500",
      "-2s,-2000",
      "1500us,1",
      "1500µs,1"
    })
    void durationsUseGoSyntax(String text, long millis) {
      assertEquals(
          millis,
          run("events", "--interval", text, "id").flags().getDuration("interval").toMillis());
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "5x", "s", "", "1.s.", "-", "9999999999h"})
    void badDurationIsAParseError(String text) {
      assertEquals(
          "invalid value \"" + text + "\" for flag -interval: parse error",
          usageError("events", "--interval", text, "id").getMessage());
    }
  }

  @Nested
  class FlagsAfterArguments {

    @Test
    void knownFlagsAfterTheIdStillCount() {
      ParsedCommand c = run("create", "id", "--bundle", "/b", "--no-pivot");
      assertEquals("/b", c.flags().getString("bundle"));
      assertTrue(c.flags().getBool("no-pivot"));
      assertEquals(List.of("id"), c.args());
    }

    @Test
    void helpAfterTheIdStillShowsHelp() {
      assertEquals(Help.command(SampleApp.APP, SampleApp.CREATE), text("create", "id", "--help"));
    }

    @Test
    void unknownFlagsAfterTheIdArePositional() {
      assertEquals(List.of("ctr", "--nosuch"), run("kill", "ctr", "--nosuch").args());
    }

    @Test
    void unknownFlagBeforeTheIdIsAnError() {
      assertEquals(
          "flag provided but not defined: -nosuch",
          usageError("kill", "--nosuch", "ctr").getMessage());
    }

    @Test
    void wordAfterAValueFlagIsItsValueEvenIfItLooksLikeAFlag() {
      assertEquals(
          "--weird", run("create", "id", "--bundle", "--weird").flags().getString("bundle"));
    }

    @Test
    void wordAfterABooleanFlagStaysAnArgument() {
      // urfave/cli would move KILL in front of ctr here and signal a container called KILL.
      ParsedCommand c = run("kill", "ctr", "--all", "KILL");
      assertTrue(c.flags().getBool("all"));
      assertEquals(List.of("ctr", "KILL"), c.args());
    }

    @Test
    void doubleDashKeepsWhatFollowsPositional() {
      assertEquals(List.of("x"), run("state", "x", "--").args());
      ParsedCommand c = run("kill", "ctr", "-a", "--", "KILL");
      assertEquals(List.of("ctr", "KILL"), c.args());
      assertTrue(c.flags().getBool("all"));
      UsageException e = usageError("delete", "x", "--", "-f");
      assertEquals("berth-runc: \"delete\" requires exactly 1 argument(s)", e.getMessage());
    }

    @Test
    void execKeepsEverythingAfterTheIdForTheProcess() {
      ParsedCommand c = run("exec", "-t", "id", "sh", "-c", "ls -l", "-e", "X=1", "--help");
      assertTrue(c.flags().getBool("tty"));
      assertEquals(List.of(), c.flags().getList("cap"));
      assertEquals(List.of(), c.flags().getList("env"));
      assertEquals(List.of("id", "sh", "-c", "ls -l", "-e", "X=1", "--help"), c.args());
    }

    @Test
    void execDoesNotReadFlagsAfterTheId() {
      ParsedCommand c = run("exec", "id", "--tty", "--preserve-fds", "abc");
      assertFalse(c.flags().getBool("tty"));
      assertEquals(List.of("id", "--tty", "--preserve-fds", "abc"), c.args());
    }
  }

  @Nested
  class GlobalAndCommandFlags {

    @Test
    void globalFlagsComeBeforeTheCommand() {
      ParsedCommand c =
          run("--root", "/r", "--debug", "--log-format=json", "create", "-b", "/b", "id");
      assertSame(SampleApp.CREATE, c.command());
      assertEquals("/r", c.globals().getString("root"));
      assertTrue(c.globals().getBool("debug"));
      assertEquals("json", c.globals().getString("log-format"));
      assertEquals("/b", c.flags().getString("bundle"));
    }

    @Test
    void commandFlagBeforeTheCommandIsUnknown() {
      UsageException e = usageError("--bundle", "/b", "create", "id");
      assertEquals("flag provided but not defined: -bundle", e.getMessage());
      assertNull(e.command());
      assertNull(e.globals());
    }

    @Test
    void globalFlagAfterTheCommandIsUnknown() {
      UsageException e = usageError("list", "--root", "/r");
      assertEquals("flag provided but not defined: -root", e.getMessage());
      assertSame(SampleApp.LIST, e.command());
      assertNotNull(e.globals());
    }

    @Test
    void commandsAreFoundByAlias() {
      assertSame(SampleApp.LIST, run("ls", "-q").command());
    }

    @Test
    void hiddenFlagsAndCommandsStillParse() {
      assertSame(SampleApp.TRAIN, run("--criu", "/c", "x-train").command());
      assertEquals("/p", run("exec", "--apparmor", "/p", "id", "sh").flags().getString("apparmor"));
    }
  }

  @Nested
  class Mistakes {

    @Test
    void unknownCommandFlagAnswersWithCommandHelpAndExit1() {
      UsageException e = usageError("--log-format", "json", "create", "--nosuch", "id");
      assertEquals("flag provided but not defined: -nosuch", e.getMessage());
      assertEquals(1, e.exitCode());
      assertEquals(
          "Incorrect Usage: flag provided but not defined: -nosuch\n\n"
              + Help.command(SampleApp.APP, SampleApp.CREATE),
          e.stdout());
      // runc reports it with the logging the global flags asked for
      assertEquals("json", e.globals().getString("log-format"));
    }

    @Test
    void unknownGlobalFlagAnswersWithAppHelp() {
      UsageException e = usageError("--nosuch", "--help");
      assertEquals("flag provided but not defined: -nosuch", e.getMessage());
      assertEquals(
          "Incorrect Usage. flag provided but not defined: -nosuch\n\n" + Help.app(SampleApp.APP),
          e.stdout());
      assertEquals(1, e.exitCode());
    }

    @Test
    void missingValue() {
      assertEquals(
          "flag needs an argument: -bundle", usageError("create", "--bundle").getMessage());
      assertEquals("flag needs an argument: -b", usageError("create", "-b").getMessage());
      UsageException global = usageError("--root");
      assertEquals("flag needs an argument: -root", global.getMessage());
      assertTrue(
          global.stdout().startsWith("Incorrect Usage. flag needs an argument: -root\n\nNAME:\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"---b", "-=x", "--=x"})
    void badSyntax(String arg) {
      assertEquals("bad flag syntax: " + arg, usageError("create", arg, "y", "id").getMessage());
    }

    @Test
    void sameFlagUnderTwoNames() {
      assertEquals(
          "Cannot use two forms of the same flag: b bundle",
          usageError("create", "-b", "x", "--bundle", "y", "id").getMessage());
      assertEquals(
          "Cannot use two forms of the same flag: e env",
          usageError("exec", "-e", "A=1", "--env", "B=2", "id").getMessage());
      assertEquals(
          "Cannot use two forms of the same flag: h help",
          usageError("create", "-h", "--help").getMessage());
    }

    @Test
    void sameFlagUnderOneNameTwiceIsFine() {
      assertEquals("y", run("create", "-b", "x", "-b", "y", "id").flags().getString("bundle"));
    }

    @Test
    void unknownCommandExits3WithNothingOnStdout() {
      UsageException e = usageError("--root", "/r", "foo");
      assertEquals("No help topic for 'foo'", e.getMessage());
      assertEquals(3, e.exitCode());
      assertEquals("", e.stdout());
      assertEquals("/r", e.globals().getString("root"));
    }

    @Test
    void exactArgumentCount() {
      UsageException e = usageError("create");
      assertEquals("berth-runc: \"create\" requires exactly 1 argument(s)", e.getMessage());
      assertEquals(
          "Incorrect Usage.\n\n" + Help.command(SampleApp.APP, SampleApp.CREATE), e.stdout());
      assertEquals(1, e.exitCode());
      assertEquals(
          "berth-runc: \"list\" requires exactly 0 argument(s)",
          usageError("list", "x").getMessage());
    }

    @Test
    void minimumAndMaximumArgumentCount() {
      assertEquals(
          "berth-runc: \"kill\" requires a minimum of 1 argument(s)",
          usageError("kill").getMessage());
      assertEquals(
          "berth-runc: \"kill\" requires a maximum of 2 argument(s)",
          usageError("kill", "a", "b", "c").getMessage());
      assertEquals(List.of("a", "KILL"), run("kill", "a", "KILL").args());
      assertEquals(
          "berth-runc: \"exec\" requires a minimum of 1 argument(s)",
          usageError("exec").getMessage());
    }

    @Test
    void verbsCanRaiseTheirOwnUsageErrors() {
      ParsedCommand c = run("exec", "id");
      UsageException e = UsageException.incorrectUsage(c, "exec: give a command or --process");
      assertEquals(
          "Incorrect Usage.\n\n" + Help.command(SampleApp.APP, SampleApp.EXEC), e.stdout());
      assertEquals(1, e.exitCode());
      assertSame(c.globals(), e.globals());
    }

    @Test
    void flagErrorsComeBeforeHelp() {
      assertEquals(
          "flag provided but not defined: -nosuch",
          usageError("create", "--help", "--nosuch").getMessage());
    }
  }

  @Nested
  class HelpAndVersion {

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h", "-help", "--help=true", "help", "h"})
    void appHelp(String arg) {
      assertEquals(Help.app(SampleApp.APP), text(arg));
    }

    @Test
    void bareCommandLineShowsAppHelp() {
      assertEquals(Help.app(SampleApp.APP), text());
      assertEquals(Help.app(SampleApp.APP), text("--root", "/r"));
    }

    @Test
    void globalHelpWinsOverCommandAndVersion() {
      assertEquals(Help.app(SampleApp.APP), text("-h", "create"));
      assertEquals(Help.app(SampleApp.APP), text("-v", "-h"));
    }

    @Test
    void helpFalseRunsTheCommand() {
      assertSame(SampleApp.LIST, run("--help=false", "list").command());
      assertSame(SampleApp.CREATE, run("create", "--help=false", "id").command());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h"})
    void commandHelpNeedsNoArguments(String arg) {
      assertEquals(Help.command(SampleApp.APP, SampleApp.CREATE), text("create", arg));
    }

    @Test
    void helpCommand() {
      assertEquals(Help.command(SampleApp.APP, SampleApp.KILL), text("help", "kill"));
      assertEquals(Help.command(SampleApp.APP, SampleApp.KILL), text("h", "kill", "extra"));
      assertEquals(Help.command(SampleApp.APP, SampleApp.LIST), text("help", "ls"));
      UsageException e = usageError("help", "nosuch");
      assertEquals("No help topic for 'nosuch'", e.getMessage());
      assertEquals(3, e.exitCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--version", "-v", "-version"})
    void version(String arg) {
      assertEquals("berth-runc version 0.1.0\nspec: 1.2.1\n", text(arg));
      assertEquals("berth-runc version 0.1.0\nspec: 1.2.1\n", text(arg, "create"));
    }

    @Test
    void appWithoutVersionHasNoVersionFlag() {
      App app = App.of("tool", "a tool").withCommands(CommandSpec.of("go", "go"));
      UsageException e = assertThrows(UsageException.class, () -> new Parser(app).parse("-v"));
      assertEquals("flag provided but not defined: -v", e.getMessage());
    }
  }

  @Nested
  class TableMistakes {

    @Test
    void gettersRefuseUnknownNamesAndOtherKinds() {
      Flags f = run("create", "id").flags();
      assertThrows(IllegalArgumentException.class, () -> f.getString("nosuch"));
      assertThrows(IllegalArgumentException.class, () -> f.getBool("bundle"));
      assertThrows(IllegalArgumentException.class, () -> f.getInt("bundle"));
    }

    @Test
    void duplicateFlagNameInTheRunCommandIsAProgrammingError() {
      CommandSpec bad =
          CommandSpec.of("bad", "x")
              .withFlags(
                  FlagSpec.bool("force", "f", "x"), FlagSpec.string("format", "f", "y", null));
      App app = App.of("tool", "a tool").withCommands(bad);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new Parser(app).parse("bad"));
      assertEquals("command bad: flag name \"f\" is defined twice", e.getMessage());
      assertThrows(IllegalArgumentException.class, app::validate);
    }

    @Test
    void builtInNamesAreTaken() {
      App app =
          App.of("tool", "t")
              .withVersion("1")
              .withCommands(
                  CommandSpec.of("go", "x").withFlags(FlagSpec.bool("help", null, "mine")));
      assertThrows(IllegalArgumentException.class, app::validate);
      App global =
          App.of("tool", "t").withVersion("1").withGlobalFlags(FlagSpec.bool("verbose", "v", "x"));
      assertThrows(IllegalArgumentException.class, global::validate);
      App command = App.of("tool", "t").withCommands(CommandSpec.of("help", "mine"));
      assertThrows(IllegalArgumentException.class, command::validate);
    }

    @Test
    void sampleTableIsValid() {
      assertSame(SampleApp.APP, SampleApp.APP.validate());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-bundle", "a=b", "a b", "a,b", "a*", "é"})
    void badFlagNames(String name) {
      assertThrows(IllegalArgumentException.class, () -> FlagSpec.bool(name, null, "x"));
    }

    @Test
    void badSpecsFailWhenBuilt() {
      assertThrows(
          IllegalArgumentException.class, () -> FlagSpec.duration("interval", null, "x", "5"));
      assertThrows(
          IllegalArgumentException.class,
          () -> FlagSpec.bool("tty", "t", "x").withPlaceholder("v"));
      assertThrows(
          IllegalArgumentException.class,
          () -> new FlagSpec(List.of("n"), FlagSpec.Kind.INT, "0", null, null, "x", false));
      assertThrows(IllegalArgumentException.class, () -> CommandSpec.of("-x", "x"));
      assertThrows(IllegalArgumentException.class, () -> CommandSpec.of("x", "x").withArgs(2, 1));
    }
  }

  @Test
  void parsingManyTimesGivesTheSameAnswer() {
    // A sanity loop, not a benchmark: the parser keeps no state between calls.
    String[] args = {
      "--root",
      "/r",
      "create",
      "--bundle",
      "/b",
      "--pid-file",
      "/p",
      "--console-socket",
      "/s",
      "--preserve-fds",
      "2",
      "id"
    };
    ParsedCommand last = null;
    long start = System.nanoTime();
    for (int i = 0; i < 1000; i++) {
      last = run(args);
    }
    long micros = (System.nanoTime() - start) / 1000;
    System.out.println("1000 parses of a create command line: " + micros + " us");
    assertEquals("/b", last.flags().getString("bundle"));
    assertEquals(2, last.flags().getInt("preserve-fds"));
    assertEquals(List.of("id"), last.args());
  }
}
