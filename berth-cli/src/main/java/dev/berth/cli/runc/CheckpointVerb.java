package dev.berth.cli.runc;

import static dev.berth.cli.flags.FlagSpec.bool;
import static dev.berth.cli.flags.FlagSpec.integer;
import static dev.berth.cli.flags.FlagSpec.string;
import static dev.berth.cli.flags.FlagSpec.stringList;

import dev.berth.cli.flags.CommandSpec;
import dev.berth.cli.flags.Flags;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.checkpoint.CgroupsMode;
import dev.berth.runtime.checkpoint.CheckpointOptions;
import dev.berth.runtime.checkpoint.Checkpoints;
import dev.berth.runtime.checkpoint.PageServer;
import java.nio.file.Path;

/**
 * {@code checkpoint [flags] <id>}: CRIU dumps the running container into --image-path (default
 * ./checkpoint), then it is stopped and deleted unless --leave-running or --pre-dump. Flags, help
 * and checks are runc's.
 */
final class CheckpointVerb {
  private CheckpointVerb() {}

  /** The command's row in berth-runc's table, with runc's help text. */
  static CommandSpec command() {
    return CommandSpec.of("checkpoint", "checkpoint a running container")
        .withUsage(
            """
            <container-id>

            Where "<container-id>" is the name for the instance of the container to be
            checkpointed.""")
        .withLongDescription("The checkpoint command saves the state of the container instance.")
        .withExactArgs(1)
        .withFlags(
            string("image-path", null, "path for saving criu image files", ""),
            string("work-path", null, "path for saving work files and logs", ""),
            string("parent-path", null, "path for previous criu image files in pre-dump", ""),
            bool("leave-running", null, "leave the process running after checkpointing"),
            bool("tcp-established", null, "allow open tcp connections"),
            bool("ext-unix-sk", null, "allow external unix sockets"),
            bool("shell-job", null, "allow shell jobs"),
            bool("lazy-pages", null, "use userfaultfd to lazily restore memory pages"),
            integer("status-fd", null, "criu writes \\0 to this FD once lazy-pages is ready", -1),
            string("page-server", null, "ADDRESS:PORT of the page server", ""),
            bool("file-locks", null, "handle file locks, for safety"),
            bool(
                "pre-dump",
                null,
                "dump container's memory information only, leave the container running after this"),
            string(
                "manage-cgroups-mode",
                null,
                "cgroups mode: 'soft' (default), 'full' and 'strict'",
                ""),
            stringList("empty-ns", null, "create a namespace, but don't restore its properties"),
            bool("auto-dedup", null, "enable auto deduplication of memory images"));
  }

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    Flags f = c.flags();
    String image = f.getString("image-path");
    String work = f.getString("work-path");
    String pageServer = f.getString("page-server");
    CheckpointOptions o =
        new CheckpointOptions(
            image.isEmpty() ? Path.of("checkpoint").toAbsolutePath() : Path.of(image),
            work.isEmpty() ? null : Path.of(work),
            f.getString("parent-path"),
            f.getBool("leave-running"),
            f.getBool("tcp-established"),
            f.getBool("ext-unix-sk"),
            f.getBool("shell-job"),
            f.getBool("lazy-pages"),
            f.getInt("status-fd"),
            pageServer.isEmpty() ? null : PageServer.parse(pageServer),
            f.getBool("file-locks"),
            f.getBool("pre-dump"),
            CgroupsMode.parse(f.getString("manage-cgroups-mode")),
            f.getList("empty-ns"),
            f.getBool("auto-dedup"),
            c.globals().getString("criu"));
    new Checkpoints(rt).checkpoint(c.arg(0), o);
    return 0;
  }
}
