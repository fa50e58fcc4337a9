/**
 * A small table-driven command-line parser that behaves like runc's (urfave/cli v1 on Go's {@code
 * flag} package).
 *
 * <p>Why our own: picocli costs 34-97 ms of cold start, this parser about a millisecond (DESIGN.md,
 * "Startup budget"). Why runc's rules: containerd, podman and conmon drive {@code berth-runc} with
 * runc's command lines and read its exit codes, so the same argv must mean the same thing. No
 * reflection, no annotations, no lambdas on the parse path.
 *
 * <p>The table: {@link dev.berth.cli.flags.FlagSpec} rows, grouped into {@link
 * dev.berth.cli.flags.CommandSpec}s, grouped into an {@link dev.berth.cli.flags.App}. {@link
 * dev.berth.cli.flags.Parser} turns argv into an {@link dev.berth.cli.flags.Invocation}: a command
 * to run, or help/version text to print. Mistakes become a {@link
 * dev.berth.cli.flags.UsageException} carrying what runc prints and its exit code. {@link
 * dev.berth.cli.flags.Help} and {@link dev.berth.cli.flags.Completion} render from the same table.
 *
 * <p>Rules, as observed on runc 1.1.5:
 *
 * <ul>
 *   <li>global flags come before the command name, command flags after it; {@code --name value},
 *       {@code --name=value}, {@code -name value} and {@code -n value} are all the same; booleans
 *       take no separate value ({@code --detach}, {@code --detach=false}); short booleans cannot be
 *       combined ({@code -td} is unknown);
 *   <li>{@code --} ends the flags; a flag given twice keeps the last value, except lists, which
 *       accumulate; giving a flag under two of its names ({@code -b x --bundle y}) is an error;
 *   <li>a command's known flags may also follow its positional arguments ({@code create id --bundle
 *       b}), unless the command stops flag parsing at its first argument, as {@code exec} and
 *       {@code ps} do so that {@code exec id sh -c 'ls -l'} keeps {@code -c} for the process.
 * </ul>
 */
package dev.berth.cli.flags;
