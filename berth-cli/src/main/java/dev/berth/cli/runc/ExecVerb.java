package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.ExecOptions;
import dev.berth.runtime.terminal.TerminalProxy;
import dev.berth.spec.json.SpecException;
import dev.berth.spec.runtime.Capabilities;
import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.SpecReader;
import dev.berth.spec.runtime.User;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code exec [flags] <id> <command> [args...]} or {@code exec --process process.json <id>}: starts
 * from the container's configured process and applies the flags as runc does (args, cwd, env
 * appended, user, extra gids, added capabilities, tty, no-new-privs).
 */
final class ExecVerb {
  private ExecVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException, IOException {
    String id = c.arg(0);
    Process p;
    String processFile = c.flags().getString("process");
    if (!processFile.isEmpty()) {
      try {
        p = SpecReader.parseProcess(Files.readAllBytes(Path.of(processFile)), processFile);
      } catch (SpecException e) {
        throw ContainerException.invalid(e.getMessage());
      }
    } else {
      // runc's order: a container that does not exist is the error, before missing args.
      Process base = rt.configuredProcess(id);
      if (c.args().size() < 2) throw ContainerException.invalid("process args cannot be empty");
      p = fromFlags(base, c);
    }
    String console = c.flags().getString("console-socket");
    String pidFile = c.flags().getString("pid-file");
    ExecOptions o =
        new ExecOptions(
            p,
            console.isEmpty() ? null : Path.of(console),
            pidFile.isEmpty() ? null : Path.of(pidFile),
            Math.max(0, c.flags().getInt("preserve-fds")),
            c.flags().getBool("detach"),
            c.flags().getBool("ignore-paused"));
    o = o.withSubCgroups(subCgroups(c.flags().getList("cgroup")));
    String waitFifo = c.flags().getString("exec-wait-fifo");
    if (!waitFifo.isEmpty()) o = o.withWaitFifo(Path.of(waitFifo));
    String pidfdSocket = PidfdSocket.of(c);
    if (o.detach()) return rt.exec(id, o, PidfdSocket.then(pidfdSocket, null));
    // runc's foreground -t without --console-socket: the pty is proxied to our stdio.
    TerminalProxy proxy = p.terminal() && o.consoleSocket() == null ? RunVerb.stdioProxy() : null;
    try (SignalForwarder forwarder = new SignalForwarder()) {
      if (proxy != null) forwarder.onResize(proxy::resize);
      return rt.exec(
          id,
          proxy == null ? o : o.withPty(proxy),
          PidfdSocket.then(pidfdSocket, forwarder::forwardTo));
    } finally {
      if (proxy != null) proxy.close();
    }
  }

  /**
   * runc's {@code --cgroup [<controller>[,<controller>...]:]<path>}: a path without controllers
   * applies to all of them and must then be the only --cgroup.
   */
  static java.util.Map<String, String> subCgroups(List<String> args) throws ContainerException {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    for (String a : args) {
      String[] parts = a.split(":", -1);
      if (parts.length > 2) throw ContainerException.invalid("invalid --cgroup argument: " + a);
      if (parts.length == 1) {
        if (args.size() != 1) {
          throw ContainerException.invalid(
              "invalid --cgroup argument: " + a + " (missing <controller>: prefix)");
        }
        out.put("", a);
      } else {
        for (String controller : parts[0].split(",")) out.put(controller, parts[1]);
      }
    }
    return out;
  }

  static Process fromFlags(Process base, ParsedCommand c) throws ContainerException {
    List<String> args = c.args().subList(1, c.args().size());
    String cwd = c.flags().getString("cwd").isEmpty() ? base.cwd() : c.flags().getString("cwd");
    List<String> env = new ArrayList<>(base.env());
    env.addAll(c.flags().getList("env"));
    boolean terminal = c.flags().getBool("tty");
    boolean nnp =
        c.flags().isSet("no-new-privs")
            ? c.flags().getBool("no-new-privs")
            : base.noNewPrivileges();
    User u = base.user();
    int uid = u.uid(), gid = u.gid();
    String user = c.flags().getString("user");
    if (!user.isEmpty()) {
      String[] parts = user.split(":", 2);
      try {
        uid = Integer.parseInt(parts[0]);
        if (parts.length > 1) gid = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw ContainerException.invalid("--user: expected <uid>[:<gid>], got " + user);
      }
    }
    List<Integer> gids = new ArrayList<>(u.additionalGids());
    for (String g : c.flags().getList("additional-gids")) {
      try {
        gids.add(Integer.parseInt(g));
      } catch (NumberFormatException e) {
        throw ContainerException.invalid("--additional-gids: not a number: " + g);
      }
    }
    Capabilities caps = base.capabilities();
    List<String> extra = c.flags().getList("cap");
    if (!extra.isEmpty()) {
      Capabilities b =
          caps == null
              ? new Capabilities(List.of(), List.of(), List.of(), List.of(), List.of())
              : caps;
      // Never into the inheritable set (CVE-2022-29162: a file-capability binary would gain them
      // through it); ambient only where the config's inheritable set already holds the capability,
      // since the kernel raises no other, as runc 1.1.2 and later.
      List<String> ambient = new ArrayList<>();
      for (String cap : extra) if (b.inheritable().contains(cap)) ambient.add(cap);
      caps =
          new Capabilities(
              plus(b.bounding(), extra),
              plus(b.effective(), extra),
              b.inheritable(),
              plus(b.permitted(), extra),
              plus(b.ambient(), ambient));
    }
    String apparmor =
        c.flags().getString("apparmor").isEmpty()
            ? base.apparmorProfile()
            : c.flags().getString("apparmor");
    String label =
        c.flags().getString("process-label").isEmpty()
            ? base.selinuxLabel()
            : c.flags().getString("process-label");
    return new Process(
        terminal,
        base.consoleSize(),
        new User(uid, gid, u.umask(), gids, u.username()),
        args,
        base.commandLine(),
        env,
        cwd,
        caps,
        base.rlimits(),
        nnp,
        apparmor,
        base.oomScoreAdj(),
        label);
  }

  private static List<String> plus(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
