package dev.berth.cli.flags;

import java.util.List;

/**
 * A command line that names a command to run, with everything the command needs from it.
 *
 * @param app the app it was parsed against
 * @param command the command to run
 * @param globals the global flags (those before the command name)
 * @param flags the command's flags
 * @param args the positional arguments, already checked against the command's minimum and maximum
 */
public record ParsedCommand(
    App app, CommandSpec command, Flags globals, Flags flags, List<String> args)
    implements Invocation {

  public ParsedCommand {
    args = List.copyOf(args);
  }

  // The generated toString would print the whole app table.
  @Override
  public String toString() {
    return "ParsedCommand[command="
        + command.name()
        + ", globals="
        + globals
        + ", flags="
        + flags
        + ", args="
        + args
        + "]";
  }

  /** The {@code index}-th positional argument, or null when there are fewer. */
  public String arg(int index) {
    return index < args.size() ? args.get(index) : null;
  }
}
