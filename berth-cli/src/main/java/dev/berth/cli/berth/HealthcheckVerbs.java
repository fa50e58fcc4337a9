package dev.berth.cli.berth;

import dev.berth.cli.flags.App;
import dev.berth.cli.flags.CommandSpec;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.health.HealthState;
import dev.berth.spec.error.BerthException;
import java.io.PrintStream;

/**
 * {@code berth healthcheck run CONTAINER}, podman's verb: the container's healthcheck once, now.
 * The CLI has no scheduler (it exits); berthd probes at the intervals.
 */
final class HealthcheckVerbs {
  private HealthcheckVerbs() {}

  /** The exit status of a probe that failed (podman's). */
  static final int UNHEALTHY = 1;

  static App app() {
    CommandSpec run =
        CommandSpec.of("run", "run a container's healthcheck once: exit 0 healthy, 1 unhealthy")
            .withUsage("CONTAINER")
            .withArgs(1, 1);
    return App.of("berth healthcheck", "run healthchecks").withCommands(run).withShortClusters();
  }

  static int run(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, java.io.IOException {
    if (!c.command().name().equals("run")) {
      throw new IllegalStateException("no healthcheck verb " + c.command().name());
    }
    HealthState s = BerthMain.engine(c).healthcheck(c.arg(0));
    if (s.status().equals(HealthState.HEALTHY)) return 0;
    // As podman: the status the failed probe left ("unhealthy", or "starting" within the start
    // period or before the retries are used up), and the probe's output on stderr.
    out.println(s.status());
    if (!s.log().isEmpty()) err.print(s.log().getLast().output());
    return UNHEALTHY;
  }
}
