package dev.berth.cli.flags;

import java.util.List;

/**
 * Renders shell completion from the same table the parser reads, so completion cannot drift from
 * what parses.
 */
public final class Completion {

  private Completion() {}

  /**
   * A bash completion script for {@code app}: before the command word it offers global flags (when
   * the word starts with a dash) or command names; after it, that command's flags; after a flag
   * that takes a value, file names. Anything else falls back to bash's default (file names).
   * Install with {@code PROGRAM completion bash > /etc/bash_completion.d/PROGRAM} or {@code source
   * <(...)}.
   */
  public static String bash(App app) {
    String function = "_" + app.name().replaceAll("[^A-Za-z0-9_]", "_") + "_complete";
    StringBuilder b = new StringBuilder(4096);
    b.append("# bash completion for ")
        .append(app.name())
        .append(", generated from its flag table\n");
    b.append(function).append("() {\n");
    b.append(
        "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" cmd=\"\" i\n");
    // Find the command word: the first word that is not a global flag or a global flag's value.
    b.append("    for ((i = 1; i < COMP_CWORD; i++)); do\n");
    b.append("        case \"${COMP_WORDS[i]}\" in\n");
    String globalValued = valueFlagPattern(app.allGlobalFlags());
    if (globalValued != null) {
      b.append("            ").append(globalValued).append(") ((i++)) ;;\n");
    }
    b.append("            -*) ;;\n");
    b.append("            *) cmd=\"${COMP_WORDS[i]}\"; break ;;\n");
    b.append("        esac\n");
    b.append("    done\n");
    b.append("    case \"$cmd\" in\n");
    b.append("        \"\")\n");
    appendValueCase(b, globalValued);
    b.append("            if [[ \"$cur\" == -* ]]; then\n");
    b.append("                COMPREPLY=($(compgen -W \"")
        .append(flagWords(app.allGlobalFlags()))
        .append("\" -- \"$cur\"))\n");
    b.append("            else\n");
    b.append("                COMPREPLY=($(compgen -W \"")
        .append(commandWords(app))
        .append("\" -- \"$cur\"))\n");
    b.append("            fi ;;\n");
    for (CommandSpec c : app.allCommands()) {
      if (c.hidden()) {
        continue;
      }
      b.append("        ").append(c.name());
      for (String alias : c.aliases()) {
        b.append('|').append(alias);
      }
      b.append(")\n");
      if (c == App.HELP_COMMAND) {
        b.append("            COMPREPLY=($(compgen -W \"")
            .append(commandWords(app))
            .append("\" -- \"$cur\")) ;;\n");
        continue;
      }
      List<FlagSpec> flags = App.allFlags(c);
      appendValueCase(b, valueFlagPattern(flags));
      b.append("            if [[ \"$cur\" == -* ]]; then\n");
      b.append("                COMPREPLY=($(compgen -W \"")
          .append(flagWords(flags))
          .append("\" -- \"$cur\"))\n");
      b.append("            fi ;;\n");
    }
    b.append("    esac\n");
    b.append("}\n");
    b.append("complete -o default -F ")
        .append(function)
        .append(' ')
        .append(app.name())
        .append('\n');
    return b.toString();
  }

  // After a flag that takes a value, complete file names: most of runc's values are paths.
  private static void appendValueCase(StringBuilder b, String valuePattern) {
    if (valuePattern == null) {
      return;
    }
    b.append("            case \"$prev\" in\n");
    b.append("                ")
        .append(valuePattern)
        .append(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
    b.append("            esac\n");
  }

  /**
   * A bash case pattern matching every spelling of the visible flags that take a value, or null if
   * none.
   */
  private static String valueFlagPattern(List<FlagSpec> flags) {
    StringBuilder b = new StringBuilder();
    for (FlagSpec f : flags) {
      if (!f.takesValue() || f.hidden()) {
        continue;
      }
      for (String n : f.names()) {
        b.append(b.isEmpty() ? "" : "|").append('-').append(n).append("|--").append(n);
      }
    }
    return b.isEmpty() ? null : b.toString();
  }

  private static String flagWords(List<FlagSpec> flags) {
    StringBuilder b = new StringBuilder();
    for (FlagSpec f : flags) {
      if (f.hidden()) {
        continue;
      }
      for (String n : f.names()) {
        b.append(b.isEmpty() ? "" : " ").append(n.length() == 1 ? "-" : "--").append(n);
      }
    }
    return b.toString();
  }

  private static String commandWords(App app) {
    StringBuilder b = new StringBuilder();
    for (CommandSpec c : app.allCommands()) {
      if (!c.hidden()) {
        b.append(b.isEmpty() ? "" : " ").append(c.name());
      }
    }
    return b.toString();
  }
}
