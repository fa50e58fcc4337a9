package dev.berth.cli.flags;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns argv into an {@link Invocation} the way runc 1.1 (urfave/cli v1 over Go's {@code flag}
 * package) does.
 *
 * <p>In order: the global flags up to the first non-flag word; {@code --help} then {@code
 * --version} among them answer with text; no command word answers with the app's help; the command
 * word, by name or alias; the command's flags (see {@link CommandSpec#flagsAfterArgs()}); its
 * {@code --help}; its argument count. The first mistake ends the parse with a {@link
 * UsageException}. See the package documentation for the flag syntax.
 *
 * <p>Stateless and thread-safe. Nothing here allocates more than the values it returns on a good
 * command line, and nothing on that path uses lambdas, reflection or string concatenation, which
 * all cost start time.
 */
public final class Parser {

  private final App app;

  public Parser(App app) {
    this.app = app;
  }

  /**
   * Parses the arguments after the program name.
   *
   * @throws UsageException for an unknown command or flag, a missing or bad value, or a wrong
   *     argument count
   */
  public Invocation parse(String... args) throws UsageException {
    List<FlagSpec> globalTable = app.allGlobalFlags();
    App.checkUnique("global flags of ", app.name(), globalTable);
    Flags globals = new Flags(globalTable);
    int next = parseFlags(globalTable, globals, args, 0, null, null);
    String twoForms = globals.twoFormsError();
    if (twoForms != null) {
      throw flagError(twoForms, null, null);
    }
    if (globals.getBool("help")) {
      return new TextOutput(Help.app(app));
    }
    if (!app.version().isEmpty() && globals.getBool("version")) {
      return new TextOutput(Help.version(app));
    }
    if (app.commands().isEmpty()) {
      // An app without commands (a daemon): its flags are the whole command line.
      if (next != args.length) {
        throw new UsageException(
            "unexpected argument \"" + args[next] + "\"",
            app,
            null,
            globals,
            null,
            UsageException.EXIT_USAGE);
      }
      return new ParsedCommand(
          app, CommandSpec.of(app.name(), app.description()), globals, globals, List.of());
    }
    if (next == args.length) {
      return new TextOutput(Help.app(app));
    }
    CommandSpec command = app.command(args[next]);
    if (command == null) {
      throw unknownTopic(args[next], globals);
    }
    return parseCommand(command, globals, args, next + 1);
  }

  private Invocation parseCommand(CommandSpec command, Flags globals, String[] argv, int from)
      throws UsageException {
    List<FlagSpec> table = App.allFlags(command);
    App.checkUnique("command ", command.name(), table);
    String[] args = command.flagsAfterArgs() ? flagsFirst(table, argv, from) : argv;
    int start = command.flagsAfterArgs() ? 0 : from;
    Flags flags = new Flags(table);
    int next = parseFlags(table, flags, args, start, command, globals);
    String twoForms = flags.twoFormsError();
    if (twoForms != null) {
      throw flagError(twoForms, command, globals);
    }
    if (flags.getBool("help")) {
      return new TextOutput(Help.command(app, command));
    }
    List<String> positional = Arrays.asList(Arrays.copyOfRange(args, next, args.length));
    if (command == App.HELP_COMMAND) {
      return helpTopic(positional, globals);
    }
    checkArgCount(command, globals, positional.size());
    return new ParsedCommand(app, command, globals, flags, positional);
  }

  /**
   * {@code help} lists the commands; {@code help NAME} shows one; extra words are ignored, as runc
   * does.
   */
  private TextOutput helpTopic(List<String> words, Flags globals) throws UsageException {
    if (words.isEmpty()) {
      return new TextOutput(Help.app(app));
    }
    CommandSpec topic = app.command(words.getFirst());
    if (topic == null) {
      throw unknownTopic(words.getFirst(), globals);
    }
    return new TextOutput(Help.command(app, topic));
  }

  // runc checks counts itself (checkArgs in its utils.go) and words the error with the program
  // name.
  private void checkArgCount(CommandSpec command, Flags globals, int count) throws UsageException {
    int min = command.minArgs();
    int max = command.maxArgs();
    String rule;
    int limit;
    if (min == max && count != min) {
      rule = "exactly";
      limit = min;
    } else if (count < min) {
      rule = "a minimum of";
      limit = min;
    } else if (max != CommandSpec.UNBOUNDED && count > max) {
      rule = "a maximum of";
      limit = max;
    } else {
      return;
    }
    String message =
        app.name()
            + ": "
            + Help.quote(command.name())
            + " requires "
            + rule
            + " "
            + limit
            + " argument(s)";
    throw new UsageException(
        message, app, command, globals, "Incorrect Usage.", UsageException.EXIT_USAGE);
  }

  /**
   * Go's {@code flag.FlagSet.Parse}: reads flags from {@code args[from]} on, stops at the first
   * word that is not a flag (returned as the index of the first positional argument) or after
   * {@code --}.
   */
  private int parseFlags(
      List<FlagSpec> table, Flags into, String[] args, int from, CommandSpec command, Flags globals)
      throws UsageException {
    int i = from;
    while (i < args.length) {
      String arg = args[i];
      if (arg.length() < 2 || arg.charAt(0) != '-') {
        break; // "", "-" and words are positional
      }
      int dashes = arg.charAt(1) == '-' ? 2 : 1;
      if (dashes == 2 && arg.length() == 2) {
        i++; // "--" ends the flags and is dropped
        break;
      }
      String name = arg.substring(dashes);
      if (name.isEmpty() || name.charAt(0) == '-' || name.charAt(0) == '=') {
        throw flagError("bad flag syntax: " + arg, command, globals);
      }
      i++;
      if (dashes == 1 && app.shortClusters()) {
        i = parseCluster(table, into, args, i, name, command, globals);
        continue;
      }
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      int index = into.find(name);
      if (index < 0) {
        throw flagError("flag provided but not defined: -" + name, command, globals);
      }
      FlagSpec flag = table.get(index);
      int nameIndex = flag.names().indexOf(name);
      if (!flag.takesValue()) {
        into.set(
            index,
            nameIndex,
            value == null ? Boolean.TRUE : boolValue(value, name, command, globals));
        continue;
      }
      if (value == null) {
        if (i == args.length) {
          throw flagError("flag needs an argument: -" + name, command, globals);
        }
        value = args[i++]; // taken as is, even "-x" or "--", as Go does
      }
      into.set(index, nameIndex, typedValue(flag, value, name, command, globals));
    }
    return i;
  }

  /**
   * pflag's shorthand: each letter of {@code -abc} is a one-letter flag; the first that takes a
   * value takes the rest of the word ({@code -p8080:80}, {@code -e=K=V} without the '=') or else
   * the next word. Returns the index of the next word.
   */
  private int parseCluster(
      List<FlagSpec> table,
      Flags into,
      String[] args,
      int i,
      String letters,
      CommandSpec command,
      Flags globals)
      throws UsageException {
    for (int k = 0; k < letters.length(); k++) {
      String name = letters.substring(k, k + 1);
      int index = into.find(name);
      if (index < 0
          || table.get(index).names().indexOf(name) < 0
          || !isShort(table.get(index), name)) {
        throw flagError("unknown shorthand flag: '" + name + "' in -" + letters, command, globals);
      }
      FlagSpec flag = table.get(index);
      int nameIndex = flag.names().indexOf(name);
      if (!flag.takesValue()) {
        into.set(index, nameIndex, Boolean.TRUE);
        continue;
      }
      String value;
      if (k + 1 < letters.length()) {
        value = letters.substring(k + 1);
        if (value.charAt(0) == '=') value = value.substring(1);
      } else if (i < args.length) {
        value = args[i++];
      } else {
        throw flagError("flag needs an argument: '" + name + "' in -" + letters, command, globals);
      }
      into.set(index, nameIndex, typedValue(flag, value, name, command, globals));
      return i;
    }
    return i;
  }

  private static boolean isShort(FlagSpec flag, String name) {
    return name.length() == 1 && flag.hasName(name);
  }

  private Object boolValue(String text, String name, CommandSpec command, Flags globals)
      throws UsageException {
    try {
      return ValueSyntax.parseBool(text);
    } catch (IllegalArgumentException e) {
      throw flagError(
          "invalid boolean value " + Help.quote(text) + " for -" + name + ": " + e.getMessage(),
          command,
          globals);
    }
  }

  private Object typedValue(
      FlagSpec flag, String text, String name, CommandSpec command, Flags globals)
      throws UsageException {
    FlagSpec.Kind kind = flag.kind();
    try {
      if (kind == FlagSpec.Kind.INT) {
        return ValueSyntax.parseInt(text);
      } else if (kind == FlagSpec.Kind.UINT) {
        return ValueSyntax.parseUint(text);
      } else if (kind == FlagSpec.Kind.DURATION) {
        return ValueSyntax.parseDurationNanos(text);
      }
      return text; // STRING and STRING_LIST
    } catch (IllegalArgumentException e) {
      throw flagError(
          "invalid value " + Help.quote(text) + " for flag -" + name + ": " + e.getMessage(),
          command,
          globals);
    }
  }

  /**
   * urfave/cli v1's argument reordering: the command's known flags (with the word after a value
   * flag) move to the front, everything else keeps its order behind them, and a {@code --} moves to
   * the front of the rest so the words after it stay positional. Unknown flags stay in place and
   * become positional arguments if they come after one.
   *
   * <p>One deliberate difference: urfave/cli also moves the word after a known boolean flag, so
   * {@code kill ctr --all KILL} turns into {@code kill --all KILL ctr} and signals a container
   * named KILL. A boolean takes no separate value, so here that word stays where it is.
   */
  private static String[] flagsFirst(List<FlagSpec> table, String[] args, int from) {
    List<String> front = new ArrayList<>(args.length - from);
    List<String> rest = new ArrayList<>(args.length - from);
    boolean expectValue = false;
    for (int i = from; i < args.length; i++) {
      String arg = args[i];
      int known = knownFlag(table, arg);
      if (expectValue && known < 0) {
        front.add(arg);
        expectValue = false;
      } else if (arg.equals("--")) {
        rest.addFirst("--");
        for (int j = i + 1; j < args.length; j++) {
          rest.add(args[j]);
        }
        break;
      } else if (known >= 0) {
        front.add(arg);
        expectValue = table.get(known).takesValue() && arg.indexOf('=') < 0;
      } else {
        rest.add(arg);
      }
    }
    front.addAll(rest);
    return front.toArray(new String[0]);
  }

  /**
   * The index of the table flag that {@code arg} names (with 1 to 3 dashes, with or without
   * "=value"), or -1.
   */
  private static int knownFlag(List<FlagSpec> table, String arg) {
    if (arg.length() < 2 || arg.charAt(0) != '-') {
      return -1;
    }
    // urfave strips "--", then one more "-", so "---x" counts as a known -x; Go then rejects its
    // syntax.
    int start = arg.startsWith("--") ? 2 : 1;
    if (arg.startsWith("-", start)) {
      start++;
    }
    int end = arg.indexOf('=', start);
    String name = arg.substring(start, end < 0 ? arg.length() : end);
    for (int i = 0; i < table.size(); i++) {
      if (table.get(i).hasName(name)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * A flag mistake, headed "Incorrect Usage. " for the app's flags and "Incorrect Usage: " for a
   * command's.
   */
  private UsageException flagError(String message, CommandSpec command, Flags globals) {
    String heading = (command == null ? "Incorrect Usage. " : "Incorrect Usage: ") + message;
    return new UsageException(message, app, command, globals, heading, UsageException.EXIT_USAGE);
  }

  private UsageException unknownTopic(String word, Flags globals) {
    return new UsageException(
        "No help topic for '" + word + "'",
        app,
        null,
        globals,
        null,
        UsageException.EXIT_UNKNOWN_COMMAND);
  }
}
