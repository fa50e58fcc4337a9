package dev.berth.cli.runc;

import static dev.berth.cli.flags.FlagSpec.bool;
import static dev.berth.cli.flags.FlagSpec.string;
import static dev.berth.cli.flags.FlagSpec.uint;

import dev.berth.cli.flags.App;
import dev.berth.cli.flags.CommandSpec;

/** The command table of berth-runc: runc's verbs and flags, so its callers' command lines mean the same thing. */
final class RuncApp {
  static final String DEFAULT_ROOT = "/run/berth-runc";
  static final String VERSION = "berth-runc version 0.1.0\nspec: 1.2.0";

  private RuncApp() {}

  static App build() {
    return App.of("berth-runc", "Open Container Initiative runtime")
        .withLongDescription("""
            berth-runc runs containers packaged in the Open Container Initiative (OCI) bundle format, with the
            command line of runc: a bundle is a directory holding config.json and the container's root filesystem.
            Containers are named by an id unique on the host; their state lives under --root.""")
        .withVersion(VERSION)
        .withGlobalFlags(
            bool("debug", null, "enable debug logging"),
            string("log", null, "set the log file to write berth-runc logs to (default is stderr)", ""),
            string("log-format", null, "set the log format ('text' (default), or 'json')", "text"),
            string("root", null, "root directory for storage of container state (this should be located in tmpfs)",
                DEFAULT_ROOT),
            string("criu", null, "path to the criu binary used for checkpoint and restore", "criu").asHidden(),
            bool("systemd-cgroup", null, "enable systemd cgroup support (not supported yet)"),
            string("rootless", null, "ignore cgroup permission errors ('true', 'false', or 'auto')", "auto"))
        .withCommands(
            CommandSpec.of("create", "create a container")
                .withUsage("<container-id>")
                .withLongDescription("""
                    The create command creates an instance of a container for a bundle. The container waits,
                    set up, for the start command to run its process.""")
                .withExactArgs(1)
                .withFlags(
                    string("bundle", "b", "path to the root of the bundle directory, defaults to the current directory", ""),
                    string("console-socket", null,
                        "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal", ""),
                    string("pid-file", null, "specify the file to write the process id to", ""),
                    bool("no-pivot", null, "do not use pivot root to jail process inside rootfs"),
                    bool("no-new-keyring", null, "do not create a new session keyring for the container"),
                    uint("preserve-fds", null, "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)", 0)),
            CommandSpec.of("start", "executes the user defined process in a created container")
                .withUsage("<container-id>").withExactArgs(1),
            CommandSpec.of("run", "create and run a container")
                .withUsage("<container-id>")
                .withExactArgs(1)
                .withFlags(
                    string("bundle", "b", "path to the root of the bundle directory, defaults to the current directory", ""),
                    string("console-socket", null,
                        "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal", ""),
                    bool("detach", "d", "detach from the container's process"),
                    bool("keep", null, "do not delete the container after it exits"),
                    string("pid-file", null, "specify the file to write the process id to", ""),
                    bool("no-subreaper", null, "disable the use of the subreaper used to reap reparented processes"),
                    bool("no-pivot", null, "do not use pivot root to jail process inside rootfs"),
                    bool("no-new-keyring", null, "do not create a new session keyring for the container"),
                    uint("preserve-fds", null, "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)", 0)),
            CommandSpec.of("state", "output the state of a container")
                .withUsage("<container-id>").withExactArgs(1),
            CommandSpec.of("list", "lists containers started by berth-runc with the given root")
                .withArgs(0, 0)
                .withFlags(
                    string("format", "f", "select one of: table or json", "table"),
                    bool("quiet", "q", "display only container IDs")),
            CommandSpec.of("kill", "kill sends the specified signal (default: SIGTERM) to the container's init process")
                .withUsage("<container-id> [signal]")
                .withArgs(1, 2)
                .withFlags(bool("all", "a", "send the specified signal to all processes inside the container")),
            CommandSpec.of("delete", "delete any resources held by the container often used with detached container")
                .withUsage("<container-id>")
                .withExactArgs(1)
                .withFlags(bool("force", "f", "forcibly deletes the container if it is still running (uses SIGKILL)")),
            CommandSpec.of("ps", "ps displays the processes running inside a container")
                .withUsage("<container-id> [ps options]")
                .withMinArgs(1)
                .stopFlagsAtFirstArg()
                .withFlags(string("format", "f", "select one of: table or json", "table")),
            CommandSpec.of("spec", "create a new specification file")
                .withArgs(0, 0)
                .withFlags(
                    string("bundle", "b", "path to the root of the bundle directory", ""),
                    bool("rootless", null, "generate a configuration for a rootless container")));
  }
}
