package dev.berth.cli.flags;

import java.util.List;

/**
 * Renders help in runc's layout (urfave/cli v1's templates, as runc 1.2+ sets them): NAME, USAGE,
 * COMMANDS and GLOBAL OPTIONS for the app; NAME, USAGE, DESCRIPTION and OPTIONS for a command.
 * Flags are listed as {@code --bundle value, -b value}, with {@code (default: "x")} after their
 * help, and the help column is aligned two spaces after the widest flag, as Go's tabwriter does.
 * Hidden flags and commands are left out.
 */
public final class Help {

  private static final String INDENT = "   ";

  private Help() {}

  /** The app's help: what {@code --help}, {@code help} and a bare command line print. */
  public static String app(App app) {
    StringBuilder b = new StringBuilder(2048);
    b.append("NAME:\n").append(INDENT).append(app.name());
    if (!app.description().isEmpty()) {
      b.append(" - ").append(app.description());
    }
    // runc writes its long text straight under the name line, unindented, rather than in a
    // DESCRIPTION section.
    if (!app.longDescription().isEmpty()) {
      b.append("\n\n").append(trimEnd(app.longDescription()));
    }
    boolean commands = !app.commands().isEmpty();
    b.append("\n\nUSAGE:\n")
        .append(INDENT)
        .append(app.name())
        .append(
            commands ? " [global options] command [command options] [arguments...]" : " [options]");
    // No VERSION section: runc 1.2+ dropped it from -h (its help.bats checks), --version tells it.
    if (commands) b.append("\n\nCOMMANDS:");
    for (CommandSpec c : commands ? app.allCommands() : List.<CommandSpec>of()) {
      if (c.hidden()) {
        continue;
      }
      b.append('\n').append(INDENT).append(c.name());
      for (String alias : c.aliases()) {
        b.append(", ").append(alias);
      }
      b.append('\t').append(c.description());
    }
    b.append(commands ? "\n\nGLOBAL OPTIONS:" : "\n\nOPTIONS:");
    for (FlagSpec f : app.allGlobalFlags()) {
      if (!f.hidden()) {
        b.append('\n').append(INDENT);
        appendFlag(b, f);
      }
    }
    b.append('\n');
    return align(b);
  }

  /** A command's help: what {@code COMMAND --help} and {@code help COMMAND} print. */
  public static String command(App app, CommandSpec command) {
    StringBuilder b = new StringBuilder(1024);
    b.append("NAME:\n").append(INDENT).append(app.name()).append(' ').append(command.name());
    if (!command.description().isEmpty()) {
      b.append(" - ").append(command.description());
    }
    boolean anyFlag = false;
    for (FlagSpec f : command.flags()) {
      anyFlag |= !f.hidden();
    }
    b.append("\n\nUSAGE:\n").append(INDENT).append(app.name()).append(' ').append(command.name());
    if (anyFlag) {
      b.append(" [command options]");
    }
    b.append(' ').append(command.usage().isEmpty() ? "[arguments...]" : trimEnd(command.usage()));
    if (!command.longDescription().isEmpty()) {
      b.append("\n\nDESCRIPTION:\n").append(INDENT).append(trimEnd(command.longDescription()));
    }
    if (anyFlag) {
      // runc ends each option line with a newline and an indent, leaving a last line of three
      // spaces.
      b.append("\n\nOPTIONS:\n").append(INDENT);
      for (FlagSpec f : command.flags()) {
        if (!f.hidden()) {
          appendFlag(b, f);
          b.append('\n').append(INDENT);
        }
      }
    }
    b.append('\n');
    return align(b);
  }

  /** What {@code --version} prints: "NAME version VERSION". */
  public static String version(App app) {
    return new StringBuilder()
        .append(app.name())
        .append(" version ")
        .append(trimEnd(app.version()))
        .append('\n')
        .toString();
  }

  /**
   * One flag as help lists it, without indent: {@code --root value\troot directory ... (default:
   * "/run")}.
   */
  static void appendFlag(StringBuilder b, FlagSpec f) {
    List<String> names = f.names();
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      b.append(i == 0 ? "" : ", ").append(n.length() == 1 ? "-" : "--").append(n);
      if (f.takesValue() && !f.placeholder().isEmpty()) {
        b.append(' ').append(f.placeholder());
      }
    }
    b.append('\t').append(f.help());
    String shown = defaultShown(f);
    if (shown != null) {
      if (!f.help().isEmpty()) {
        b.append(' ');
      }
      b.append("(default: ").append(shown).append(')');
    }
  }

  // Like urfave/cli: strings quoted and only when non-empty, numbers and durations always, booleans
  // never.
  private static String defaultShown(FlagSpec f) {
    return switch (f.kind()) {
      case BOOL -> null;
      case STRING -> f.defaultText() == null ? null : quote(f.defaultText());
      case STRING_LIST -> {
        List<?> values = (List<?>) f.defaultValue();
        if (values.isEmpty()) {
          yield null;
        }
        StringBuilder b = new StringBuilder();
        for (Object v : values) {
          b.append(b.isEmpty() ? "" : ", ").append(quote((String) v));
        }
        yield b.toString();
      }
      case INT, UINT, DURATION -> f.defaultText();
    };
  }

  /**
   * {@code text} in double quotes with Go's escapes ({@code %q}), as runc's messages quote values.
   */
  static String quote(String text) {
    StringBuilder b = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append("\\x")
                .append(Character.forDigit(c >> 4, 16))
                .append(Character.forDigit(c & 15, 16));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /**
   * Pads the text before the first tab of each line so that, within each run of consecutive lines
   * that have a tab, the text after it starts two columns past the widest: what Go's tabwriter
   * (padding 2) does for urfave.
   */
  static String align(CharSequence text) {
    String[] lines = text.toString().split("\n", -1);
    StringBuilder out = new StringBuilder(text.length() + 256);
    int i = 0;
    while (i < lines.length) {
      if (lines[i].indexOf('\t') < 0) {
        out.append(lines[i]);
        if (++i < lines.length) {
          out.append('\n');
        }
        continue;
      }
      int end = i;
      int width = 0;
      while (end < lines.length && lines[end].indexOf('\t') >= 0) {
        String cell = lines[end].substring(0, lines[end].indexOf('\t'));
        width = Math.max(width, cell.codePointCount(0, cell.length()));
        end++;
      }
      for (; i < end; i++) {
        int tab = lines[i].indexOf('\t');
        String cell = lines[i].substring(0, tab);
        out.append(cell)
            .repeat(' ', width - cell.codePointCount(0, cell.length()) + 2)
            .append(lines[i], tab + 1, lines[i].length());
        if (i + 1 < lines.length) {
          out.append('\n');
        }
      }
    }
    return out.toString();
  }

  private static String trimEnd(String text) {
    int end = text.length();
    while (end > 0 && Character.isWhitespace(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end);
  }
}
