package dev.berth.cli.flags;

import java.util.ArrayList;
import java.util.List;

/**
 * A whole command-line program: its name, help texts, version, global flags and commands.
 *
 * <p>Like urfave/cli, every app also gets {@code --help, -h}, a {@code help, h} command and, when
 * it has a version, {@code --version, -v}; these names are therefore taken.
 *
 * {@snippet :
 * App app = App.of("berth-runc", "a runc-compatible container runtime")
 *         .withVersion("0.1.0\nspec: 1.2.1")
 *         .withGlobalFlags(FlagSpec.string("root", null, "directory that keeps container state", "/run/berth-runc"))
 *         .withCommands(create, start, state, kill, delete);
 * }
 *
 * @param name the program name, shown in help and messages
 * @param description one line, shown after the name in help
 * @param longDescription paragraphs shown below that line, as runc does; may be empty
 * @param version what {@code --version} prints after "NAME version "; empty for no version flag
 * @param globalFlags flags given before the command name
 * @param commands the commands, in the order help lists them
 * @param shortClusters single-dash words are clusters of one-letter flags, as docker's and podman's
 *     (pflag): {@code -it}, {@code -dp8080:80}, {@code -eK=V}; false reads them as Go's flag
 *     package does ({@code -name} is the flag "name"), as runc's
 */
public record App(
    String name,
    String description,
    String longDescription,
    String version,
    List<FlagSpec> globalFlags,
    List<CommandSpec> commands,
    boolean shortClusters) {

  /** {@code --help, -h}: added to the global flags and to every command. */
  static final FlagSpec HELP_FLAG = FlagSpec.bool("help", "h", "show help");

  /** {@code --version, -v}: added to the global flags when the app has a version. */
  static final FlagSpec VERSION_FLAG = FlagSpec.bool("version", "v", "print the version");

  /** {@code help [command]}: listed last among the commands. */
  static final CommandSpec HELP_COMMAND =
      CommandSpec.of("help", "show the commands, or the help of one command")
          .withAliases("h")
          .withUsage("[command]");

  public App {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("app: name must not be empty");
    }
    description = description == null ? "" : description;
    longDescription = longDescription == null ? "" : longDescription;
    version = version == null ? "" : version;
    globalFlags = globalFlags == null ? List.of() : List.copyOf(globalFlags);
    commands = commands == null ? List.of() : List.copyOf(commands);
  }

  public static App of(String name, String description) {
    return new App(name, description, "", "", List.of(), List.of(), false);
  }

  public App withLongDescription(String text) {
    return new App(name, description, text, version, globalFlags, commands, shortClusters);
  }

  public App withVersion(String text) {
    return new App(name, description, longDescription, text, globalFlags, commands, shortClusters);
  }

  public App withGlobalFlags(FlagSpec... rows) {
    return new App(
        name, description, longDescription, version, List.of(rows), commands, shortClusters);
  }

  public App withCommands(CommandSpec... rows) {
    return new App(
        name, description, longDescription, version, globalFlags, List.of(rows), shortClusters);
  }

  /**
   * The same app reading single-dash words as clusters of one-letter flags (see {@code
   * shortClusters}).
   */
  public App withShortClusters() {
    return new App(name, description, longDescription, version, globalFlags, commands, true);
  }

  /**
   * The command called {@code word} (by name or alias), the built-in help command included, or
   * null.
   */
  public CommandSpec command(String word) {
    for (int i = 0; i < commands.size(); i++) {
      CommandSpec c = commands.get(i);
      if (c.isCalled(word)) {
        return c;
      }
    }
    return HELP_COMMAND.isCalled(word) ? HELP_COMMAND : null;
  }

  /** The commands followed by the built-in {@code help}, as help lists them. */
  public List<CommandSpec> allCommands() {
    List<CommandSpec> all = new ArrayList<>(commands.size() + 1);
    all.addAll(commands);
    all.add(HELP_COMMAND);
    return all;
  }

  /**
   * The global flags followed by the built-in {@code --help} and {@code --version}, as help lists
   * them.
   */
  public List<FlagSpec> allGlobalFlags() {
    List<FlagSpec> all = new ArrayList<>(globalFlags.size() + 2);
    all.addAll(globalFlags);
    all.add(HELP_FLAG);
    if (!version.isEmpty()) {
      all.add(VERSION_FLAG);
    }
    return all;
  }

  /** A command's flags followed by the built-in {@code --help}, which help does not list. */
  static List<FlagSpec> allFlags(CommandSpec command) {
    List<FlagSpec> all = new ArrayList<>(command.flags().size() + 1);
    all.addAll(command.flags());
    boolean hTaken = false;
    for (FlagSpec f : command.flags()) hTaken |= f.hasName("h");
    // docker's run and create take -h for the host name: there, help is --help alone.
    all.add(hTaken ? HELP_LONG_ONLY : HELP_FLAG);
    return all;
  }

  /** {@code --help} without {@code -h}, for commands whose own flag is -h. */
  static final FlagSpec HELP_LONG_ONLY = FlagSpec.bool("help", null, "show help");

  /**
   * Checks the whole table: no flag name twice in one table (the built-ins included), no command
   * name or alias twice. The parser checks only the tables it uses, so call this from a unit test
   * of each real app.
   *
   * @throws IllegalArgumentException naming the first clash
   */
  public App validate() {
    checkUnique("global flags of ", name, allGlobalFlags());
    List<String> seen = new ArrayList<>();
    for (CommandSpec c : allCommands()) {
      checkUnique("command ", c.name(), allFlags(c));
      addUnique(seen, c.name(), "commands of " + name);
      for (String alias : c.aliases()) {
        addUnique(seen, alias, "commands of " + name);
      }
    }
    return this;
  }

  /**
   * Throws when two rows of {@code table} share a name: the parser could only ever fill one of
   * them.
   */
  static void checkUnique(String what, String owner, List<FlagSpec> table) {
    // Pairwise on purpose: tables are short, and this runs on every parse without allocating.
    for (int i = 0; i < table.size(); i++) {
      List<String> names = table.get(i).names();
      for (int n = 0; n < names.size(); n++) {
        String word = names.get(n);
        for (int j = i; j < table.size(); j++) {
          List<String> others = table.get(j).names();
          for (int m = j == i ? n + 1 : 0; m < others.size(); m++) {
            if (word.equals(others.get(m))) {
              throw new IllegalArgumentException(
                  what + owner + ": flag name \"" + word + "\" is defined twice");
            }
          }
        }
      }
    }
  }

  private static void addUnique(List<String> seen, String word, String where) {
    if (seen.contains(word)) {
      throw new IllegalArgumentException(
          where + ": command name \"" + word + "\" is defined twice");
    }
    seen.add(word);
  }
}
