package dev.berth.cli.flags;

/**
 * Help or version text the command line asked for: print it to stdout as is (it ends with a
 * newline) and exit 0.
 *
 * @param text the text, ready to print
 */
public record TextOutput(String text) implements Invocation {}
