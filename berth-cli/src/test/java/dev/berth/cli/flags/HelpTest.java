package dev.berth.cli.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Help in runc's layout, which people and scripts read. */
class HelpTest {

  private static final CommandSpec RUN =
      CommandSpec.of("run", "create and start a container")
          .withUsage("<container-id>")
          .withLongDescription(
              "Run creates the container and starts its process.\nIt waits for the process.")
          .withFlags(
              FlagSpec.string("bundle", "b", "bundle directory", null).withPlaceholder("dir"),
              FlagSpec.bool("detach", "d", "do not wait"),
              FlagSpec.integer("preserve-fds", null, "extra fds", 0),
              FlagSpec.string("secret", null, "never shown", null).asHidden());
  private static final CommandSpec PING = CommandSpec.of("ping", "check that it answers");
  private static final App TINY =
      App.of("tool", "a small tool")
          .withLongDescription("Tool does little.\n")
          .withVersion("1.0\ncommit: abc")
          .withGlobalFlags(
              FlagSpec.string("root", null, "state directory", "/run/tool"),
              FlagSpec.bool("debug", null, "log more"))
          .withCommands(RUN, PING);

  @Test
  void appHelpHasRuncsLayout() {
    assertEquals(
        """
        NAME:
           tool - a small tool

        Tool does little.

        USAGE:
           tool [global options] command [command options] [arguments...]

        COMMANDS:
           run      create and start a container
           ping     check that it answers
           help, h  show the commands, or the help of one command

        GLOBAL OPTIONS:
           --root value   state directory (default: "/run/tool")
           --debug        log more
           --help, -h     show help
           --version, -v  print the version
        """,
        Help.app(TINY));
  }

  @Test
  void commandHelpHasRuncsLayout() {
    // runc leaves an indented empty line after the options; kept so output diffs cleanly against
    // runc's
    assertEquals(
        """
        NAME:
           tool run - create and start a container

        USAGE:
           tool run [command options] <container-id>

        DESCRIPTION:
           Run creates the container and starts its process.
        It waits for the process.

        OPTIONS:
           --bundle dir, -b dir  bundle directory
           --detach, -d          do not wait
           --preserve-fds value  extra fds (default: 0)
          \s
        """,
        Help.command(TINY, RUN));
  }

  @Test
  void commandWithoutFlagsOrUsageOmitsThoseParts() {
    assertEquals(
        """
        NAME:
           tool ping - check that it answers

        USAGE:
           tool ping [arguments...]
        """,
        Help.command(TINY, PING));
  }

  @Test
  void sampleAppListsVisibleCommandsAndFlagsWithDefaults() {
    String help = Help.app(SampleApp.APP);
    List<String> sections =
        help.lines().filter(l -> l.endsWith(":") && !l.startsWith(" ")).toList();
    assertEquals(List.of("NAME:", "USAGE:", "COMMANDS:", "GLOBAL OPTIONS:"), sections);
    assertTrue(help.contains("\n   list, ls  "), help);
    assertTrue(
        help.contains(
            "--root value        directory that keeps container state (default: "
                + "\"/run/berth-runc\")\n"),
        help);
    assertTrue(help.contains("--log path  "), help);
    assertTrue(help.contains("--debug             log debug messages\n"), help);
    assertFalse(help.contains("x-train"), "hidden command listed");
    assertFalse(help.contains("--criu"), "hidden flag listed");
    assertTrue(help.endsWith("--version, -v       print the version\n"), help);
  }

  @Test
  void commandHelpListsDefaultsByKind() {
    String events = Help.command(SampleApp.APP, SampleApp.EVENTS);
    assertTrue(
        events.contains("--interval value  time between two statistics (default: 5s)\n"), events);
    assertTrue(events.contains("--stats           print statistics once and exit\n"), events);
    String exec = Help.command(SampleApp.APP, SampleApp.EXEC);
    assertTrue(exec.contains("--env value, -e value      add an environment variable\n"), exec);
    assertFalse(exec.contains("apparmor"), "hidden flag listed");
    assertFalse(exec.contains("--help"), "built-in help flag listed in command options");
    String list = Help.command(SampleApp.APP, SampleApp.LIST);
    assertTrue(
        list.contains("USAGE:\n   berth-runc list [command options] [arguments...]\n"), list);
    assertTrue(list.contains("(default: \"table\")"), list);
    String create = Help.command(SampleApp.APP, SampleApp.CREATE);
    assertTrue(
        create.contains("USAGE:\n   berth-runc create [command options] <container-id>\n\nThe "),
        create);
  }

  @Test
  void defaultsAndValuesAreQuotedLikeGo() {
    assertEquals("\"a\\\"b\\\\c\\n\\x01\"", Help.quote("a\"b\\c\n\u0001"));
    String help =
        Help.command(
            TINY,
            CommandSpec.of("x", "x").withFlags(FlagSpec.string("sep", null, "separator", "\t")));
    assertTrue(help.contains("separator (default: \"\\t\")"), help);
  }

  @Test
  void alignmentIsPerBlockOfTabbedLines() {
    assertEquals("a     1\nlong  2\n\nb  3\n", Help.align("a\t1\nlong\t2\n\nb\t3\n"));
  }
}
