package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.flags.UsageException;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.CreateOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** Dispatches a parsed command line to its verb (one class each). */
final class Verbs {
  private Verbs() {}

  static int run(ContainerRuntime rt, ParsedCommand c, PrintStream out)
      throws ContainerException, UsageException, IOException {
    return switch (c.command().name()) {
      case "create" -> CreateVerb.run(rt, c);
      case "start" -> StartVerb.run(rt, c);
      case "exec" -> ExecVerb.run(rt, c);
      case "run" -> RunVerb.run(rt, c);
      case "state" -> StateVerb.run(rt, c, out);
      case "list" -> ListVerb.run(rt, c, out);
      case "kill" -> KillVerb.run(rt, c);
      case "delete" -> DeleteVerb.run(rt, c);
      case "ps" -> PsVerb.run(rt, c, out);
      case "spec" -> SpecVerb.run(c);
      case "pause" -> PauseVerb.run(rt, c);
      case "resume" -> ResumeVerb.run(rt, c);
      case "events" -> EventsVerb.run(rt, c, out);
      case "update" -> UpdateVerb.run(rt, c);
      case "features" -> FeaturesVerb.run(c, out);
      case "checkpoint" -> CheckpointVerb.run(rt, c);
      case "restore" -> RestoreVerb.run(rt, c);
      default -> throw new IllegalStateException("no verb for " + c.command().name());
    };
  }

  /** The create options shared by create and run, from runc's flags of the same names. */
  static CreateOptions createOptions(ParsedCommand c) {
    String bundle = c.flags().getString("bundle");
    String pidFile = c.flags().getString("pid-file");
    String console = c.flags().getString("console-socket");
    return new CreateOptions(
        bundle.isEmpty() ? Path.of("").toAbsolutePath() : Path.of(bundle),
        pidFile.isEmpty() ? null : Path.of(pidFile),
        console.isEmpty() ? null : Path.of(console),
        c.flags().getBool("no-pivot"),
        c.flags().getBool("no-new-keyring"),
        Math.max(0, c.flags().getInt("preserve-fds")) + listenFds());
  }

  /** systemd socket activation: LISTEN_FDS fds after stdio pass through as well, as runc does. */
  private static int listenFds() {
    String n = System.getenv("LISTEN_FDS");
    String pid = System.getenv("LISTEN_PID");
    if (n == null || pid == null) return 0;
    try {
      return Long.parseLong(pid) == ProcessHandle.current().pid() ? Integer.parseInt(n) : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
