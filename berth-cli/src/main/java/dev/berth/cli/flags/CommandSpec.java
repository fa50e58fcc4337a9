package dev.berth.cli.flags;

import java.util.List;

/**
 * One command of an {@link App}: its names, its help texts, its flags and how many positional
 * arguments it takes.
 *
 * <p>Start with {@link #of(String, String)} and add what the command has:
 *
 * {@snippet :
 * CommandSpec kill = CommandSpec.of("kill", "send a signal to the container's init process")
 *         .withUsage("<container-id> [signal]")
 *         .withFlags(FlagSpec.bool("all", "a", "send the signal to every process of the container"))
 *         .withArgs(1, 2);
 * }
 *
 * @param name what the user types
 * @param aliases other names for the command ({@code h} for {@code help})
 * @param description one line, shown in the command list and after the name in the command's help
 * @param usage what follows the flags on the USAGE line, such as {@code <container-id>}; may
 *     continue with lines of explanation, as runc's do; empty shows {@code [arguments...]}
 * @param longDescription the DESCRIPTION section of the command's help, or empty for none
 * @param flags the command's flags, in the order help lists them
 * @param minArgs the fewest positional arguments accepted
 * @param maxArgs the most positional arguments accepted, or {@link #UNBOUNDED}
 * @param flagsAfterArgs whether known flags are still taken after the first positional argument
 *     (urfave/cli v1 reorders them to the front, and runc relies on it for every command but {@code
 *     exec} and {@code ps}); see {@link #stopFlagsAtFirstArg()}
 * @param hidden parsed as usual but left out of the command list and completion
 */
public record CommandSpec(
    String name,
    List<String> aliases,
    String description,
    String usage,
    String longDescription,
    List<FlagSpec> flags,
    int minArgs,
    int maxArgs,
    boolean flagsAfterArgs,
    boolean hidden) {

  /** {@link #maxArgs()} of a command without an upper limit. */
  public static final int UNBOUNDED = -1;

  public CommandSpec {
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
    checkName(name);
    for (int i = 0; i < aliases.size(); i++) {
      checkName(aliases.get(i));
    }
    description = description == null ? "" : description;
    usage = usage == null ? "" : usage;
    longDescription = longDescription == null ? "" : longDescription;
    flags = flags == null ? List.of() : List.copyOf(flags);
    if (minArgs < 0 || (maxArgs != UNBOUNDED && maxArgs < minArgs)) {
      throw new IllegalArgumentException(
          "command " + name + ": bad argument count range " + minArgs + ".." + maxArgs);
    }
    // Duplicate flag names are checked by App.validate() and by the parser for the command it runs,
    // not here:
    // every with-call passes through this constructor, on the start path of every verb.
  }

  /** A command with no flags and any number of arguments. */
  public static CommandSpec of(String name, String description) {
    return new CommandSpec(
        name, List.of(), description, "", "", List.of(), 0, UNBOUNDED, true, false);
  }

  public CommandSpec withAliases(String... names) {
    return new CommandSpec(
        name,
        List.of(names),
        description,
        usage,
        longDescription,
        flags,
        minArgs,
        maxArgs,
        flagsAfterArgs,
        hidden);
  }

  /**
   * The text after the flags on the USAGE line ({@code <container-id>}), optionally followed by
   * explanation.
   */
  public CommandSpec withUsage(String text) {
    return new CommandSpec(
        name,
        aliases,
        description,
        text,
        longDescription,
        flags,
        minArgs,
        maxArgs,
        flagsAfterArgs,
        hidden);
  }

  public CommandSpec withLongDescription(String text) {
    return new CommandSpec(
        name, aliases, description, usage, text, flags, minArgs, maxArgs, flagsAfterArgs, hidden);
  }

  public CommandSpec withFlags(FlagSpec... rows) {
    return new CommandSpec(
        name,
        aliases,
        description,
        usage,
        longDescription,
        List.of(rows),
        minArgs,
        maxArgs,
        flagsAfterArgs,
        hidden);
  }

  /**
   * Accepts between {@code min} and {@code max} positional arguments; {@code max} may be {@link
   * #UNBOUNDED}.
   */
  public CommandSpec withArgs(int min, int max) {
    return new CommandSpec(
        name,
        aliases,
        description,
        usage,
        longDescription,
        flags,
        min,
        max,
        flagsAfterArgs,
        hidden);
  }

  /** Accepts exactly {@code count} positional arguments. */
  public CommandSpec withExactArgs(int count) {
    return withArgs(count, count);
  }

  /** Accepts {@code min} or more positional arguments. */
  public CommandSpec withMinArgs(int min) {
    return withArgs(min, UNBOUNDED);
  }

  /**
   * Stops reading this command's flags at its first positional argument, so everything after it is
   * passed on untouched: {@code exec <id> sh -c 'ls -l'} must keep {@code -c} for the process even
   * though {@code -c} is one of exec's own flags. runc does this for {@code exec} and {@code ps}.
   */
  public CommandSpec stopFlagsAtFirstArg() {
    return new CommandSpec(
        name, aliases, description, usage, longDescription, flags, minArgs, maxArgs, false, hidden);
  }

  public CommandSpec asHidden() {
    return new CommandSpec(
        name,
        aliases,
        description,
        usage,
        longDescription,
        flags,
        minArgs,
        maxArgs,
        flagsAfterArgs,
        true);
  }

  private static void checkName(String word) {
    if (!FlagSpec.isWord(word)) {
      throw new IllegalArgumentException(
          "command: name must be letters, digits, '-', '_' or '.' not starting "
              + "with a dash, got \""
              + word
              + "\"");
    }
  }

  /** Whether {@code word} is this command's name or one of its aliases. */
  public boolean isCalled(String word) {
    if (name.equals(word)) {
      return true;
    }
    for (int i = 0; i < aliases.size(); i++) {
      if (aliases.get(i).equals(word)) {
        return true;
      }
    }
    return false;
  }
}
