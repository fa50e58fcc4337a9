package dev.berth.cli.flags;

/**
 * A runc-shaped table for the tests: runc's flag names and argument counts, help texts in our own
 * words.
 */
final class SampleApp {

  static final CommandSpec CREATE =
      CommandSpec.of("create", "create a container")
          .withUsage(
              "<container-id>\n\nThe <container-id> names the new container; it must be unique on this host.")
          .withLongDescription(
              "Create sets up a container from a bundle (a directory with config.json and a root\n"
                  + "filesystem) and leaves it waiting for \"start\".")
          .withFlags(
              FlagSpec.string("bundle", "b", "bundle directory", "."),
              FlagSpec.string(
                  "console-socket",
                  null,
                  "unix socket that receives the console's master fd",
                  null),
              FlagSpec.string("pid-file", null, "file to write the container's pid to", null),
              FlagSpec.bool(
                  "no-pivot", null, "enter the rootfs with chroot rather than pivot_root"),
              FlagSpec.integer(
                  "preserve-fds", null, "number of extra fds to pass to the container", 0))
          .withExactArgs(1);

  static final CommandSpec EXEC =
      CommandSpec.of("exec", "run a new process inside a container")
          .withUsage("<container-id> <command> [args...]")
          .withFlags(
              FlagSpec.stringList("env", "e", "add an environment variable"),
              FlagSpec.bool("tty", "t", "give the process a terminal"),
              FlagSpec.bool("detach", "d", "do not wait for the process"),
              FlagSpec.stringList("cap", "c", "add a capability"),
              FlagSpec.string("process", "p", "process.json to run instead of a command", null),
              FlagSpec.integer(
                  "preserve-fds", null, "number of extra fds to pass to the process", 0),
              FlagSpec.string("apparmor", null, "apparmor profile of the process", null).asHidden())
          .withMinArgs(1)
          .stopFlagsAtFirstArg();

  static final CommandSpec KILL =
      CommandSpec.of("kill", "send a signal to the container's init process")
          .withUsage("<container-id> [signal]")
          .withFlags(FlagSpec.bool("all", "a", "signal every process of the container"))
          .withArgs(1, 2);

  static final CommandSpec DELETE =
      CommandSpec.of("delete", "remove a container and what it holds")
          .withUsage("<container-id>")
          .withFlags(FlagSpec.bool("force", "f", "kill the container first if it still runs"))
          .withExactArgs(1);

  static final CommandSpec STATE =
      CommandSpec.of("state", "print the state of a container")
          .withUsage("<container-id>")
          .withLongDescription("State prints the container's state as JSON.")
          .withExactArgs(1);

  static final CommandSpec LIST =
      CommandSpec.of("list", "list the containers under the root directory")
          .withAliases("ls")
          .withFlags(
              FlagSpec.string("format", "f", "table or json", "table"),
              FlagSpec.bool("quiet", "q", "print container ids only"))
          .withExactArgs(0);

  static final CommandSpec EVENTS =
      CommandSpec.of("events", "stream a container's events and statistics")
          .withUsage("<container-id>")
          .withFlags(
              FlagSpec.duration("interval", null, "time between two statistics", "5s"),
              FlagSpec.bool("stats", null, "print statistics once and exit"))
          .withExactArgs(1);

  static final CommandSpec UPDATE =
      CommandSpec.of("update", "change a container's resource limits")
          .withUsage("<container-id>")
          .withFlags(FlagSpec.uint("memory-bytes", null, "memory limit in bytes", 0))
          .withExactArgs(1);

  static final CommandSpec TRAIN = CommandSpec.of("x-train", "record the AOT cache").asHidden();

  static final App APP =
      App.of("berth-runc", "a runc-compatible container runtime")
          .withLongDescription(
              "berth-runc runs containers from OCI bundles, with the command line of runc.")
          .withVersion("0.1.0\nspec: 1.2.1")
          .withGlobalFlags(
              FlagSpec.bool("debug", null, "log debug messages"),
              FlagSpec.string("log", null, "file to write logs to", null).withPlaceholder("path"),
              FlagSpec.string("log-format", null, "text or json", "text"),
              FlagSpec.string(
                  "root", null, "directory that keeps container state", "/run/berth-runc"),
              FlagSpec.bool("systemd-cgroup", null, "manage cgroups through systemd"),
              FlagSpec.string("criu", null, "criu binary", "criu").asHidden())
          .withCommands(CREATE, DELETE, EVENTS, EXEC, KILL, LIST, STATE, UPDATE, TRAIN);

  private SampleApp() {}
}
