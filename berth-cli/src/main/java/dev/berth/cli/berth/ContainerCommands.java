package dev.berth.cli.berth;

import static dev.berth.cli.flags.FlagSpec.bool;
import static dev.berth.cli.flags.FlagSpec.duration;
import static dev.berth.cli.flags.FlagSpec.integer;
import static dev.berth.cli.flags.FlagSpec.string;
import static dev.berth.cli.flags.FlagSpec.stringList;

import dev.berth.cli.flags.CommandSpec;
import dev.berth.cli.flags.FlagSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The container commands of {@code berth} with docker's and podman's flags. {@code berth container
 * <verb>} reaches the same verbs under docker's management-command names ({@code container ls},
 * {@code container rm}).
 */
final class ContainerCommands {
  private ContainerCommands() {}

  /** The flags {@code create} and {@code run} share: what a container is made of. */
  private static FlagSpec[] createFlags() {
    return new FlagSpec[] {
      string("name", null, "the container's name", ""),
      stringList(
          "env", "e", "set an environment variable (KEY=VALUE, or KEY to take it from here)"),
      stringList("env-file", null, "read environment variables from a file"),
      string("workdir", "w", "working directory inside the container", ""),
      string("user", "u", "user[:group] to run as, names or numbers", ""),
      string("hostname", "h", "the container's host name", ""),
      bool("interactive", "i", "keep stdin open"),
      bool("tty", "t", "allocate a terminal"),
      stringList("volume", "v", "bind or volume mount: [SOURCE:]TARGET[:OPTIONS]"),
      stringList("mount", null, "mount: type=bind|volume|tmpfs,source=...,target=...[,readonly]"),
      stringList("tmpfs", null, "tmpfs mount: TARGET[:OPTIONS]"),
      string("entrypoint", null, "replace the image's entrypoint", "").withPlaceholder("COMMAND"),
      stringList("label", "l", "set a label (KEY=VALUE)"),
      string("memory", "m", "memory limit (e.g. 64m, 1g)", ""),
      string("memory-swap", null, "memory plus swap limit (-1: unlimited)", ""),
      string("cpus", null, "number of CPUs (e.g. 1.5)", ""),
      string("cpu-shares", "c", "CPU shares (relative weight)", ""),
      string("cpuset-cpus", null, "CPUs to run on (0-3, 0,1)", ""),
      string("pids-limit", null, "process limit (-1: unlimited)", ""),
      string("cpu-period", null, "CFS period in microseconds", ""),
      string("cpu-quota", null, "CFS quota in microseconds per period", ""),
      string("cpuset-mems", null, "memory nodes to allocate from (0-3, 0,1)", ""),
      string("memory-reservation", null, "memory soft limit (e.g. 32m)", ""),
      string("memory-swappiness", null, "swappiness of anonymous pages, 0-100", ""),
      bool("oom-kill-disable", null, "do not OOM-kill the container's processes"),
      stringList("cap-add", null, "add a capability"),
      stringList("cap-drop", null, "drop a capability"),
      bool("privileged", null, "every capability and device, no seccomp"),
      bool("read-only", null, "mount the root filesystem read-only"),
      stringList("security-opt", null, "seccomp=unconfined|FILE, no-new-privileges"),
      stringList("ulimit", null, "resource limit: NAME=SOFT[:HARD]"),
      string("stop-signal", null, "signal that stops the container", ""),
      string("stop-timeout", null, "seconds to wait before killing at stop", ""),
      string("health-cmd", null, "command that checks the container's health (under sh -c)", ""),
      duration("health-interval", null, "time between health checks (default 30s)", "0s"),
      duration("health-timeout", null, "time a health check may take (default 30s)", "0s"),
      integer("health-retries", null, "failures in a row that make it unhealthy (default 3)", 0),
      duration(
          "health-start-period", null, "time after the start when failures do not count", "0s"),
      duration(
          "health-start-interval", null, "time between health checks in the start period", "0s"),
      bool("no-healthcheck", null, "disable the image's healthcheck"),
      string("runtime", null, "runtime handler (berth, runc, crun, ...)", ""),
      stringList(
              "network",
              null,
              "network: bridge (the default), none, host, NAME or container:NAME; again for"
                  + " more networks")
          .withPlaceholder("NETWORK"),
      stringList("net", null, "alias of --network").asHidden(),
      stringList("network-alias", null, "another name of the container on its user networks"),
      string("ip", null, "IPv4 address on the first network (user networks only)", ""),
      stringList("add-host", null, "add a line to /etc/hosts: HOST:IP"),
      stringList("dns", null, "nameserver of the container's /etc/resolv.conf"),
      stringList("dns-search", null, "search domain of the container's /etc/resolv.conf"),
      stringList("dns-option", null, "option of the container's /etc/resolv.conf"),
      stringList("publish", "p", "publish a port: [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]"),
      bool(
          "publish-all",
          "P",
          "publish every exposed port (the image's, --expose) on a free host port"),
      stringList("expose", null, "expose a port or a range of ports: PORT[-PORT][/tcp|udp]"),
      string("mac-address", null, "the MAC address of its interface on its first network", ""),
      string("restart", null, "restart policy: no, always, unless-stopped, on-failure[:N]", ""),
      stringList("device", null, "add a host device: HOST[:CONTAINER][:PERMISSIONS]"),
      stringList("group-add", null, "add a supplementary group (a name in the image, or a number)"),
      string("oom-score-adj", null, "the OOM killer's score adjustment (-1000 to 1000)", ""),
      string("log-driver", null, "json-file (the default), local or none", ""),
      string("domainname", null, "the NIS domain name of its uts namespace", ""),
      stringList("uidmap", null, "a user namespace of its own: CONTAINER:HOST:SIZE uid range"),
      stringList("gidmap", null, "its gid range (default: --uidmap's)"),
      stringList("log-opt", null, "log driver option: max-size, max-file (KEY=VALUE)"),
      string("pid", null, "pid namespace: host, container:NAME or ns:PATH", ""),
      string("ipc", null, "ipc namespace: private, host, container:NAME or ns:PATH", ""),
      string("uts", null, "uts namespace: host, container:NAME or ns:PATH", ""),
      string("cgroupns", null, "cgroup namespace: private or host", ""),
      string("cgroup-parent", null, "the cgroup the container's goes under", ""),
      stringList("sysctl", null, "a namespaced kernel parameter: NAME=VALUE"),
      bool("rm", null, "remove the container when it exits"),
      string("shm-size", null, "size of /dev/shm (default 64m)", ""),
      string("pull", null, "pull the image: missing, always or never", "missing"),
      string("platform", null, "os/arch of the image to pull", ""),
      string("cidfile", null, "write the container id to this file", ""),
      bool("quiet", "q", "print no pull progress")
    };
  }

  private static FlagSpec detachKeys() {
    return string(
        "detach-keys", null, "keys that detach from a terminal, e.g. ctrl-x,q (ctrl-p,ctrl-q)", "");
  }

  static CommandSpec[] commands(boolean top) {
    FlagSpec[] create = createFlags();
    List<FlagSpec> runFlags = new ArrayList<>(List.of(create));
    runFlags.add(bool("detach", "d", "run in the background and print the container id"));
    runFlags.add(detachKeys());
    runFlags.add(stringList("attach", "a", "attach to STDIN, STDOUT or STDERR"));
    runFlags.add(bool("sig-proxy", null, "forward signals to the container (the default)"));
    CommandSpec run =
        CommandSpec.of("run", "create and start a container from an image")
            .withUsage("[OPTIONS] IMAGE [COMMAND] [ARG...]")
            .withMinArgs(1)
            .stopFlagsAtFirstArg()
            .withFlags(runFlags.toArray(new FlagSpec[0]));
    CommandSpec createCmd =
        CommandSpec.of("create", "create a container from an image without starting it")
            .withUsage("[OPTIONS] IMAGE [COMMAND] [ARG...]")
            .withMinArgs(1)
            .stopFlagsAtFirstArg()
            .withFlags(create);
    CommandSpec start =
        CommandSpec.of("start", "start created or stopped containers")
            .withUsage("CONTAINER [CONTAINER...]")
            .withMinArgs(1)
            .withFlags(
                bool("attach", "a", "attach to the output and wait for the exit"),
                bool("interactive", "i", "attach stdin"),
                detachKeys(),
                bool("sig-proxy", null, "forward signals with -a (the default)"));
    CommandSpec stop =
        CommandSpec.of("stop", "stop running containers (the stop signal, then SIGKILL)")
            .withUsage("CONTAINER [CONTAINER...]")
            .withMinArgs(1)
            .withFlags(
                integer(
                    "time", "t", "seconds to wait before killing (default: the container's)", -1));
    CommandSpec restart =
        CommandSpec.of("restart", "stop then start containers")
            .withUsage("CONTAINER [CONTAINER...]")
            .withMinArgs(1)
            .withFlags(
                integer(
                    "time", "t", "seconds to wait before killing (default: the container's)", -1));
    CommandSpec kill =
        CommandSpec.of("kill", "send a signal to containers")
            .withUsage("CONTAINER [CONTAINER...]")
            .withMinArgs(1)
            .withFlags(string("signal", "s", "signal name or number", "KILL"));
    CommandSpec rm =
        CommandSpec.of("rm", "remove containers")
            .withAliases(top ? new String[0] : new String[] {"remove"})
            .withUsage("CONTAINER [CONTAINER...]")
            .withMinArgs(1)
            .withFlags(
                bool("force", "f", "kill a running container first"),
                bool("volumes", "v", "remove the container's anonymous volumes"));
    CommandSpec ps =
        CommandSpec.of(top ? "ps" : "ls", "list containers")
            .withAliases(top ? new String[0] : new String[] {"list", "ps"})
            .withArgs(0, 0)
            .withFlags(
                bool("all", "a", "show every container, not only running ones"),
                bool("quiet", "q", "print only ids"),
                bool("no-trunc", null, "print whole ids and commands"),
                bool("latest", "l", "show only the latest created container"),
                integer("last", "n", "show the n last created containers", -1),
                stringList("filter", "f", "filter: id, name, label, status, ancestor, exited"),
                string("format", null, "table, json or a Go template", ""));
    CommandSpec inspect =
        CommandSpec.of("inspect", "show containers (or images) as JSON")
            .withUsage("NAME|ID [NAME|ID...]")
            .withMinArgs(1)
            .withFlags(
                string("format", "f", "json (the default) or a Go template", ""),
                string("type", null, "container or image (default: either, containers first)", ""),
                bool("size", "s", "show sizes (ignored)"));
    CommandSpec logs =
        CommandSpec.of("logs", "show a container's output")
            .withUsage("CONTAINER")
            .withExactArgs(1)
            .withFlags(
                bool("follow", "f", "keep printing new output until the container exits"),
                string("tail", "n", "print only the last N lines (all: everything)", "all"),
                string(
                    "since", null, "only output since this time (RFC 3339 or a duration: 10m)", ""),
                string("until", null, "only output before this time", ""),
                bool("timestamps", "t", "print each line's time"));
    CommandSpec exec =
        CommandSpec.of("exec", "run a command in a running container")
            .withUsage("[OPTIONS] CONTAINER COMMAND [ARG...]")
            .withMinArgs(2)
            .stopFlagsAtFirstArg()
            .withFlags(
                bool("interactive", "i", "keep stdin open"),
                bool("tty", "t", "allocate a terminal"),
                bool("detach", "d", "run in the background"),
                stringList("env", "e", "set an environment variable"),
                stringList("env-file", null, "read environment variables from a file"),
                string("user", "u", "user[:group] to run as", ""),
                string("workdir", "w", "working directory", ""),
                bool("privileged", null, "every capability for this process"),
                bool("sig-proxy", null, "forward signals without -t (the default)"));
    CommandSpec attach =
        CommandSpec.of("attach", "attach to a running container's stdio")
            .withUsage("CONTAINER")
            .withExactArgs(1)
            .withFlags(
                bool("no-stdin", null, "do not attach stdin"),
                detachKeys(),
                bool("sig-proxy", null, "forward signals (the default)"));
    CommandSpec wait =
        CommandSpec.of("wait", "wait for containers to stop and print their exit codes")
            .withUsage("CONTAINER [CONTAINER...]")
            .withMinArgs(1)
            .withFlags(
                string("condition", null, "not-running (the default), next-exit or removed", ""));
    CommandSpec pause =
        CommandSpec.of("pause", "freeze every process of containers")
            .withUsage("CONTAINER [CONTAINER...]")
            .withMinArgs(1);
    CommandSpec unpause =
        CommandSpec.of("unpause", "thaw paused containers")
            .withUsage("CONTAINER [CONTAINER...]")
            .withMinArgs(1);
    CommandSpec top_ =
        CommandSpec.of("top", "show a container's processes")
            .withUsage("CONTAINER [ps OPTIONS]")
            .withMinArgs(1)
            .stopFlagsAtFirstArg();
    CommandSpec stats =
        CommandSpec.of("stats", "show containers' resource usage")
            .withUsage("[CONTAINER...]")
            .withMinArgs(0)
            .withFlags(
                bool("no-stream", null, "print once and exit"),
                bool("all", "a", "every container"),
                string("format", null, "table, json or a Go template", ""));
    CommandSpec cp =
        CommandSpec.of("cp", "copy files between a container and here")
            .withUsage("CONTAINER:SRC DEST|- or SRC|- CONTAINER:DEST")
            .withExactArgs(2)
            .withFlags(
                bool("archive", "a", "keep uid/gid"),
                bool("follow-link", "L", "follow a source symlink"));
    CommandSpec update =
        CommandSpec.of("update", "change the resource limits or restart policy of containers")
            .withUsage("CONTAINER [CONTAINER...]")
            .withArgs(1, Integer.MAX_VALUE)
            .withFlags(
                string("memory", "m", "memory limit (e.g. 64m, 1g)", ""),
                string("memory-swap", null, "memory plus swap limit (-1: unlimited)", ""),
                string("cpus", null, "number of CPUs (e.g. 1.5)", ""),
                string("cpu-shares", "c", "CPU shares (relative weight)", ""),
                string("cpuset-cpus", null, "CPUs to run on (0-3, 0,1)", ""),
                string("pids-limit", null, "process limit (-1: unlimited)", ""),
                string(
                    "restart",
                    null,
                    "restart policy: no, always, unless-stopped, on-failure[:N]",
                    ""));
    CommandSpec rename =
        CommandSpec.of("rename", "rename a container")
            .withUsage("CONTAINER NEW_NAME")
            .withExactArgs(2);
    CommandSpec port =
        CommandSpec.of("port", "list a container's published ports")
            .withUsage("CONTAINER [PRIVATE_PORT[/PROTO]]")
            .withArgs(1, 2);
    CommandSpec export =
        CommandSpec.of("export", "write a container's filesystem as a tar archive")
            .withUsage("CONTAINER")
            .withExactArgs(1)
            .withFlags(string("output", "o", "file to write (stdout when unset)", ""));
    CommandSpec diff =
        CommandSpec.of("diff", "list the files a container added (A), changed (C) and deleted (D)")
            .withUsage("CONTAINER")
            .withExactArgs(1);
    CommandSpec commit =
        CommandSpec.of("commit", "make an image from a container's changes")
            .withUsage("CONTAINER [REPOSITORY[:TAG]]")
            .withArgs(1, 2)
            .withFlags(
                string("message", "m", "commit message", ""),
                string("author", "a", "author", ""),
                stringList(
                    "change", "c", "Dockerfile instruction to apply (CMD, ENTRYPOINT, ENV, ...)"),
                bool("pause", "p", "pause the container while committing (the default)"));
    CommandSpec prune =
        CommandSpec.of("prune", "remove every stopped container")
            .withArgs(0, 0)
            .withFlags(
                bool("force", "f", "do not ask"),
                stringList("filter", null, "filter (label, until)"));
    CommandSpec events =
        CommandSpec.of("events", "print container events as they happen")
            .withArgs(0, 0)
            .withFlags(
                string("since", null, "events since this time", ""),
                string("until", null, "until", ""),
                stringList("filter", "f", "filter"),
                string("format", null, "json or a Go template", ""));
    CommandSpec cleanup =
        CommandSpec.of("cleanup", "release a stopped container's resources (for its monitor)")
            .withUsage("CONTAINER")
            .withExactArgs(1)
            .asHidden()
            .withFlags(bool("rm", null, "remove it too"));
    List<CommandSpec> all =
        new ArrayList<>(
            List.of(
                run, createCmd, start, stop, restart, kill, rm, ps, logs, wait, pause, unpause,
                rename, update, exec, attach, top_, stats, events, cp, port, export, diff, commit));
    if (top) {
      all.add(inspect);
    } else {
      all.add(prune);
      all.add(cleanup);
      all.add(inspect);
    }
    return all.toArray(new CommandSpec[0]);
  }
}
