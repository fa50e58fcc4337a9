package dev.berth.cli.runc;

import static dev.berth.cli.flags.FlagSpec.bool;
import static dev.berth.cli.flags.FlagSpec.duration;
import static dev.berth.cli.flags.FlagSpec.integer;
import static dev.berth.cli.flags.FlagSpec.string;
import static dev.berth.cli.flags.FlagSpec.stringList;
import static dev.berth.cli.flags.FlagSpec.uint;

import dev.berth.cli.flags.App;
import dev.berth.cli.flags.CommandSpec;
import dev.berth.cli.flags.FlagSpec;
import java.util.List;

/**
 * The command table of berth-runc: runc's verbs and flags, so its callers' command lines mean the
 * same thing.
 */
final class RuncApp {
  static final String DEFAULT_ROOT = "/run/berth-runc";

  /**
   * What {@code --version} prints after "berth-runc version ": runc's lines (tools parse "version",
   * "commit:" and "spec:"), then berth's own.
   */
  static final String VERSION =
      BuildInfo.VERSION
          + "\ncommit: "
          + BuildInfo.COMMIT
          + "\nspec: "
          + dev.berth.runtime.ContainerRuntime.OCI_VERSION
          + "\njava: "
          + System.getProperty("java.version");

  private RuncApp() {}

  static App build() {
    return App.of("berth-runc", "Open Container Initiative runtime")
        .withLongDescription(
            """
            berth-runc runs containers packaged in the Open Container Initiative (OCI) bundle format, with the
            command line of runc: a bundle is a directory holding config.json and the container's root filesystem.
            Containers are named by an id unique on the host; their state lives under --root.""")
        .withVersion(VERSION)
        .withGlobalFlags(
            bool("debug", null, "log debug messages too"),
            string("log", null, "file that receives the log (stderr when unset)", ""),
            string("log-format", null, "log line format: text or json", "text"),
            string(
                "root",
                null,
                "directory that keeps container state (best on a tmpfs)",
                DEFAULT_ROOT),
            string("criu", null, "path to the criu binary used for checkpoint and restore", "criu"),
            bool("systemd-cgroup", null, "use the systemd cgroup driver (not supported yet)"),
            string(
                "rootless",
                null,
                "whether cgroup permission errors are ignored: true, false or auto",
                "auto"))
        .withCommands(
            CommandSpec.of("create", "set up a container from a bundle, ready to start")
                .withUsage("<container-id>")
                .withLongDescription(
                    """
                    The create command creates an instance of a container for a bundle. The container waits,
                    set up, for the start command to run its process.""")
                .withExactArgs(1)
                .withFlags(
                    string(
                        "bundle", "b", "bundle directory (the current directory when unset)", ""),
                    string(
                        "console-socket",
                        null,
                        "AF_UNIX socket that receives the pty master of a container with a terminal",
                        ""),
                    string(
                        "pid-file", null, "file that receives the pid of the container's init", ""),
                    string(
                        "pidfd-socket",
                        null,
                        "AF_UNIX socket that receives a pidfd of the container's init",
                        ""),
                    bool(
                        "no-pivot",
                        null,
                        "enter the rootfs with MS_MOVE and chroot instead of pivot_root"),
                    bool("no-new-keyring", null, "keep the caller's session keyring"),
                    integer(
                        "preserve-fds",
                        null,
                        "also pass fds 3..3+N-1 into the container (after $LISTEN_FDS ones)",
                        0)),
            CommandSpec.of("start", "run the process of a created container")
                .withUsage("<container-id>")
                .withExactArgs(1),
            CommandSpec.of("run", "create and start a container, by default waiting for it")
                .withUsage("<container-id>")
                .withExactArgs(1)
                .withFlags(
                    string(
                        "bundle", "b", "bundle directory (the current directory when unset)", ""),
                    string(
                        "console-socket",
                        null,
                        "AF_UNIX socket that receives the pty master of a container with a terminal",
                        ""),
                    bool("detach", "d", "return once the container runs"),
                    bool("keep", null, "keep the container after its process exits"),
                    string(
                        "pid-file", null, "file that receives the pid of the container's init", ""),
                    string(
                        "pidfd-socket",
                        null,
                        "AF_UNIX socket that receives a pidfd of the container's init",
                        ""),
                    bool(
                        "no-subreaper",
                        null,
                        "do not become a subreaper for the container's orphans"),
                    bool(
                        "no-pivot",
                        null,
                        "enter the rootfs with MS_MOVE and chroot instead of pivot_root"),
                    bool("no-new-keyring", null, "keep the caller's session keyring"),
                    integer(
                        "preserve-fds",
                        null,
                        "also pass fds 3..3+N-1 into the container (after $LISTEN_FDS ones)",
                        0)),
            CommandSpec.of("exec", "run another process in a running container")
                .withUsage(
                    "<container-id> <command> [command options]  ||  -p process.json <container-id>")
                .withMinArgs(1)
                .stopFlagsAtFirstArg()
                .withFlags(
                    string(
                        "console-socket",
                        null,
                        "AF_UNIX socket that receives the pty master of a process with a terminal",
                        ""),
                    string("cwd", null, "working directory of the process in the container", ""),
                    stringList("env", "e", "add an environment variable (NAME=value)"),
                    bool("tty", "t", "give the process a pseudo-terminal"),
                    string("user", "u", "uid (format: <uid>[:<gid>])", ""),
                    stringList("additional-gids", "g", "add a supplementary group id"),
                    string("process", "p", "process.json describing the whole process", ""),
                    bool("detach", "d", "return once the process runs"),
                    string("pid-file", null, "file that receives the pid of the process", ""),
                    string(
                        "pidfd-socket",
                        null,
                        "AF_UNIX socket that receives a pidfd of the process",
                        ""),
                    string(
                        "process-label",
                        null,
                        "SELinux label of the process (accepted, not applied)",
                        ""),
                    string(
                        "apparmor",
                        null,
                        "AppArmor profile of the process (accepted, not applied)",
                        ""),
                    bool("no-new-privs", null, "set no_new_privs for the process"),
                    stringList(
                        "cap",
                        "c",
                        "add a capability to the bounding, effective and permitted sets"),
                    integer(
                        "preserve-fds",
                        null,
                        "also pass fds 3..3+N-1 into the container (after $LISTEN_FDS ones)",
                        0),
                    stringList(
                        "cgroup",
                        null,
                        "run in an existing sub-cgroup of the container ([<controller>[,<controller>]:]<cgroup>)"),
                    bool("ignore-paused", null, "exec even into a paused container"),
                    string(
                        "exec-wait-fifo",
                        null,
                        "fifo the process waits on before its execve, until it is opened for reading",
                        "")),
            CommandSpec.of("state", "print the state of a container as JSON")
                .withUsage("<container-id>")
                .withExactArgs(1),
            CommandSpec.of("list", "list the containers under --root")
                .withArgs(0, 0)
                .withFlags(
                    string("format", "f", "output format: table or json", "table"),
                    bool("quiet", "q", "print only the ids")),
            CommandSpec.of("kill", "send a signal (SIGTERM unless given) to the container's init")
                .withUsage("<container-id> [signal]")
                .withArgs(1, 2)
                .withFlags(bool("all", "a", "signal every process of the container")),
            CommandSpec.of("delete", "remove a container and everything it holds")
                .withUsage("<container-id>")
                .withExactArgs(1)
                .withFlags(
                    bool("force", "f", "kill the container first if it still runs (SIGKILL)")),
            CommandSpec.of("ps", "show the processes of a container")
                .withUsage("<container-id> [ps options]")
                .withMinArgs(1)
                .stopFlagsAtFirstArg()
                .withFlags(string("format", "f", "output format: table or json", "table")),
            CommandSpec.of("spec", "write a default config.json into the bundle")
                .withArgs(0, 0)
                .withFlags(
                    string("bundle", "b", "bundle directory", ""),
                    bool("rootless", null, "write a config for a container run without root")),
            CommandSpec.of("pause", "suspend every process of the container (cgroup freezer)")
                .withUsage("<container-id>")
                .withExactArgs(1),
            CommandSpec.of("resume", "resume every process of a paused container")
                .withUsage("<container-id>")
                .withExactArgs(1),
            CommandSpec.of(
                    "events",
                    "print the container's stats and OOM kills as JSON lines until it stops")
                .withUsage("<container-id>")
                .withExactArgs(1)
                .withFlags(
                    duration("interval", null, "how often to print stats", "5s"),
                    bool("stats", null, "print the stats once, then exit")),
            CommandSpec.of("update", "change the resource limits of a container")
                .withUsage("<container-id>")
                .withLongDescription(
                    """
                    The update command changes the cgroup limits of a container that has not stopped. With
                    --resources (-r) the limits come from a JSON file ('-' for standard input) shaped like the
                    config's linux.resources (memory, cpu, pids, blockIO), and the other flags are ignored. A limit
                    left out, or 0, is kept.""")
                .withExactArgs(1)
                .withFlags(
                    string(
                        "resources",
                        "r",
                        "JSON file with the resources to update ('-': standard input)",
                        ""),
                    uint("blkio-weight", null, "per-cgroup block I/O weight, 10 to 1000", 0),
                    string(
                        "cpu-period",
                        null,
                        "CPU CFS period (in usecs); 0 keeps the current one",
                        ""),
                    string("cpu-quota", null, "CPU CFS quota (in usecs) per period", ""),
                    string("cpu-burst", null, "CPU CFS burst (in usecs) on top of the quota", ""),
                    string("cpu-idle", null, "SCHED_IDLE for the cgroup: 1, or 0 (default)", ""),
                    new FlagSpec(
                        List.of("cpu-share", "cpu-shares"),
                        FlagSpec.Kind.STRING,
                        "",
                        null,
                        null,
                        "CPU shares (relative weight against other containers)",
                        false),
                    string("cpu-rt-period", null, "CPU realtime period (in usecs)", ""),
                    string(
                        "cpu-rt-runtime", null, "CPU realtime runtime (in usecs) per period", ""),
                    string("cpuset-cpus", null, "CPUs to use (0-3, 0,1)", ""),
                    string("cpuset-mems", null, "memory nodes to use (0-3, 0,1)", ""),
                    string(
                        "memory",
                        null,
                        "memory limit (bytes, or with a unit: 64m, 1g; -1 unlimited)",
                        ""),
                    string(
                        "memory-reservation", null, "memory soft limit (bytes or with a unit)", ""),
                    string(
                        "memory-swap",
                        null,
                        "memory plus swap limit (bytes or with a unit; -1 unlimited)",
                        ""),
                    string("kernel-memory", null, "kernel memory limit (deprecated, ignored)", "")
                        .asHidden(),
                    string(
                            "kernel-memory-tcp",
                            null,
                            "kernel TCP memory limit (deprecated, ignored)",
                            "")
                        .asHidden(),
                    integer(
                        "pids-limit",
                        null,
                        "maximum number of pids in the container (-1 unlimited)",
                        0),
                    string(
                        "l3-cache-schema",
                        null,
                        "Intel RDT/CAT L3 cache schema (not supported)",
                        ""),
                    string(
                        "mem-bw-schema",
                        null,
                        "Intel RDT/MBA memory bandwidth schema (not supported)",
                        "")),
            CommandSpec.of("features", "print the features this runtime supports, as JSON")
                .withArgs(0, 0),
            CheckpointVerb.command(),
            RestoreVerb.command());
  }
}
