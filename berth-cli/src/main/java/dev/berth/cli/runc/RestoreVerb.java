package dev.berth.cli.runc;

import static dev.berth.cli.flags.FlagSpec.bool;
import static dev.berth.cli.flags.FlagSpec.string;
import static dev.berth.cli.flags.FlagSpec.stringList;

import dev.berth.cli.flags.CommandSpec;
import dev.berth.cli.flags.Flags;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.checkpoint.CgroupsMode;
import dev.berth.runtime.checkpoint.Checkpoints;
import dev.berth.runtime.checkpoint.RestoreOptions;
import dev.berth.runtime.terminal.TerminalProxy;
import java.nio.file.Path;

/**
 * {@code restore [flags] <id>}: a new container from the bundle (-b, default the current directory)
 * and the images of a checkpoint (--image-path, default checkpoint/ in the bundle); in the
 * foreground berth-runc waits for it, forwarding signals, and deletes it after, as {@code run}.
 * Relative --image-path and --work-path are read from the bundle, as runc reads them once it has
 * entered it. Flags and help are runc's.
 */
final class RestoreVerb {
  private RestoreVerb() {}

  /** The command's row in berth-runc's table, with runc's help text. */
  static CommandSpec command() {
    return CommandSpec.of("restore", "restore a container from a previous checkpoint")
        .withUsage(
            """
            <container-id>

            Where "<container-id>" is the name for the instance of the container to be
            restored.""")
        .withLongDescription(
            """
            Restores the saved state of the container instance that was previously saved
            using the runc checkpoint command.""")
        .withExactArgs(1)
        .withFlags(
            string(
                "console-socket",
                null,
                "path to an AF_UNIX socket which will receive a file descriptor"
                    + " referencing the master end of the console's pseudoterminal",
                ""),
            string("image-path", null, "path to criu image files for restoring", ""),
            string("work-path", null, "path for saving work files and logs", ""),
            bool("tcp-established", null, "allow open tcp connections"),
            bool("ext-unix-sk", null, "allow external unix sockets"),
            bool("shell-job", null, "allow shell jobs"),
            bool("file-locks", null, "handle file locks, for safety"),
            string(
                "manage-cgroups-mode",
                null,
                "cgroups mode: 'soft' (default), 'full' and 'strict'",
                ""),
            string("bundle", "b", "path to the root of the bundle directory", ""),
            bool("detach", "d", "detach from the container's process"),
            string("pid-file", null, "specify the file to write the process id to", ""),
            bool(
                "no-subreaper",
                null,
                "disable the use of the subreaper used to reap reparented processes"),
            bool(
                "no-pivot",
                null,
                "do not use pivot root to jail process inside rootfs.  This should be used"
                    + " whenever the rootfs is on top of a ramdisk"),
            stringList("empty-ns", null, "create a namespace, but don't restore its properties"),
            bool("auto-dedup", null, "enable auto deduplication of memory images"),
            bool("lazy-pages", null, "use userfaultfd to lazily restore memory pages"),
            string(
                "lsm-profile",
                null,
                "Specify an LSM profile to be used during restore in the form of TYPE:NAME.",
                ""),
            string(
                "lsm-mount-context",
                null,
                "Specify an LSM mount context to be used during restore.",
                ""));
  }

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException {
    Flags f = c.flags();
    String b = f.getString("bundle");
    Path bundle = b.isEmpty() ? Path.of("").toAbsolutePath() : Path.of(b).toAbsolutePath();
    String image = f.getString("image-path");
    String work = f.getString("work-path");
    String pidFile = f.getString("pid-file");
    String console = f.getString("console-socket");
    boolean detach = f.getBool("detach");
    RestoreOptions o =
        new RestoreOptions(
            bundle.resolve(image.isEmpty() ? "checkpoint" : image),
            work.isEmpty() ? null : bundle.resolve(work),
            f.getBool("tcp-established"),
            f.getBool("ext-unix-sk"),
            f.getBool("shell-job"),
            f.getBool("file-locks"),
            CgroupsMode.parse(f.getString("manage-cgroups-mode")),
            detach,
            pidFile.isEmpty() ? null : Path.of(pidFile).toAbsolutePath(),
            f.getBool("no-subreaper"),
            f.getBool("no-pivot"),
            f.getList("empty-ns"),
            f.getBool("auto-dedup"),
            f.getBool("lazy-pages"),
            f.getString("lsm-profile"),
            f.getString("lsm-mount-context"),
            console.isEmpty() ? null : Path.of(console).toAbsolutePath(),
            null,
            c.globals().getString("criu"));
    Checkpoints cp = new Checkpoints(rt);
    if (detach) {
      cp.restore(c.arg(0), bundle, o, null);
      return 0;
    }
    // As a foreground run: a terminal (if the checkpointed process had one) is proxied to our
    // stdio.
    TerminalProxy proxy = o.consoleSocket() == null ? RunVerb.stdioProxy() : null;
    try (SignalForwarder forwarder = new SignalForwarder()) {
      if (proxy != null) forwarder.onResize(proxy::resize);
      return cp.restore(
              c.arg(0), bundle, proxy == null ? o : o.withPty(proxy), forwarder::forwardTo)
          .exitCode();
    } finally {
      if (proxy != null) proxy.close();
    }
  }
}
