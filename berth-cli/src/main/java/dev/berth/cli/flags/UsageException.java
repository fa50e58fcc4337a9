package dev.berth.cli.flags;

/**
 * A command line the app cannot run, with everything needed to answer it the way runc does.
 *
 * <p>runc answers a bad command line in three parts, and callers such as containerd read the last
 * two:
 *
 * <ol>
 *   <li>{@link #stdout()} on stdout: "Incorrect Usage..." and the help of the command (or of the
 *       app), or nothing for an unknown command;
 *   <li>{@link #getMessage()} as one error on stderr, in the log format the global flags chose when
 *       they could be parsed ({@link #globals()}), for example {@code flag provided but not
 *       defined: -nosuch};
 *   <li>{@link #exitCode()}: 1, or 3 for an unknown command or help topic.
 * </ol>
 *
 * Its messages keep runc's wording (including its capitals) because scripts and callers match on
 * them.
 */
public final class UsageException extends Exception {

  /** Exit code of a bad flag, value or argument count (runc's {@code fatal}). */
  public static final int EXIT_USAGE = 1;

  /** Exit code of an unknown command or help topic (urfave/cli's "No help topic"). */
  public static final int EXIT_UNKNOWN_COMMAND = 3;

  private static final long serialVersionUID = 1L;

  private final transient App app;
  private final transient CommandSpec command;
  private final transient Flags globals;
  private final String heading;
  private final int exitCode;

  UsageException(
      String message, App app, CommandSpec command, Flags globals, String heading, int exitCode) {
    // No stack trace: this is an answer to the user, not a fault, and filling one costs start time.
    super(message, null, false, false);
    this.app = app;
    this.command = command;
    this.globals = globals;
    this.heading = heading;
    this.exitCode = exitCode;
  }

  /**
   * For a verb's own checks of its arguments, such as "exec needs a command or --process": answers
   * like runc's argument-count errors, "Incorrect Usage." and the command's help on stdout, {@code
   * message} on stderr, exit 1.
   */
  public static UsageException incorrectUsage(ParsedCommand parsed, String message) {
    return new UsageException(
        message, parsed.app(), parsed.command(), parsed.globals(), "Incorrect Usage.", EXIT_USAGE);
  }

  /** What to print on stdout before the error: a heading and a help text, or empty. */
  public String stdout() {
    if (heading == null) {
      return "";
    }
    String help = command == null ? Help.app(app) : Help.command(app, command);
    return heading + "\n\n" + help;
  }

  /** The process exit code runc uses for this mistake. */
  public int exitCode() {
    return exitCode;
  }

  /**
   * The global flags, when the mistake came after them: runc then reports the error with the
   * logging they set up ({@code --log}, {@code --log-format}). Null when the global flags
   * themselves were wrong.
   */
  public Flags globals() {
    return globals;
  }

  /** The command whose help {@link #stdout()} shows, or null for the app's help or none. */
  public CommandSpec command() {
    return command;
  }
}
