package dev.berth.cli.flags;

/**
 * What a command line asks for: a command to run, or text (help, version) to print on stdout before
 * exiting 0.
 *
 * {@snippet :
 * Invocation invocation = new Parser(app).parse(args);
 * if (invocation instanceof TextOutput text) {
 *     System.out.print(text.text());
 *     return 0;
 * }
 * ParsedCommand command = (ParsedCommand) invocation;
 * }
 *
 * (A pattern {@code switch} reads better but bootstraps {@code SwitchBootstraps} at run time, a
 * cost the start path of a verb does not need.)
 */
public sealed interface Invocation permits ParsedCommand, TextOutput {}
