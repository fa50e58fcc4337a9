package dev.berth.runtime.create;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.ExecOptions;
import dev.berth.runtime.RuntimeLog;
import dev.berth.runtime.cgroups.Cgroups;
import dev.berth.runtime.plan.Op;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.process.InitProcess;
import dev.berth.runtime.seccomp.ListenerHandoff;
import dev.berth.runtime.seccomp.SeccompCache;
import dev.berth.runtime.state.ContainerDir;
import dev.berth.runtime.state.ContainerRecord;
import dev.berth.runtime.state.Status;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.Seccomp;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecValidator;
import dev.berth.spec.runtime.SpecWriter;
import dev.berth.spec.runtime.State;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * {@code exec}: a new process in a running container, joining all its namespaces and its cgroup,
 * with the container's limits and the capabilities, user and seccomp the process asks for.
 * berth-init does the joining; the process becomes our child (CLONE_PARENT), so a foreground exec
 * waits for it and returns its status.
 */
public final class Execution {
  private Execution() {}

  /**
   * The process of the container's own config: what runc's exec starts from before applying its
   * flags.
   */
  public static Process configuredProcess(ContainerDir dir) throws ContainerException {
    Spec spec = Creation.savedSpec(dir);
    if (spec.process() == null)
      throw ContainerException.invalid("the container's config has no process");
    return spec.process();
  }

  /**
   * The cgroups an exec'd process is born in: the container's, or existing sub-cgroups of them
   * (runc's --cgroup). A sub-cgroup never leaves the container's own cgroup ("../other" is refused)
   * and must exist, as runc requires.
   */
  static Map<String, String> subCgroups(Map<String, String> container, Map<String, String> subs)
      throws ContainerException {
    if (subs.isEmpty()) return container;
    for (String controller : subs.keySet()) {
      String key = controller.equals("unified") ? "" : controller;
      if (!controller.isEmpty() && !container.containsKey(key)) {
        // runc's wording, which callers match: "unknown controller <name>".
        throw ContainerException.invalid(
            "--cgroup: unknown controller " + controller + " (the container has no such cgroup)");
      }
    }
    Map<String, String> out = new java.util.TreeMap<>();
    for (var e : container.entrySet()) {
      String sub = subs.get(e.getKey().isEmpty() ? "unified" : e.getKey());
      if (sub == null) sub = subs.get("");
      if (sub == null) {
        out.put(e.getKey(), e.getValue());
        continue;
      }
      Path base = Path.of(e.getValue());
      Path path = base.resolve(sub.startsWith("/") ? sub.substring(1) : sub).normalize();
      if (!path.startsWith(base)) {
        throw ContainerException.invalid(
            "--cgroup: bad sub cgroup path: "
                + sub
                + " (not inside the container's cgroup "
                + base
                + ")");
      }
      if (!java.nio.file.Files.isDirectory(path)) {
        throw ContainerException.invalid(
            "--cgroup: error adding pid to cgroups: open "
                + path.resolve("cgroup.procs")
                + ": no such file or directory");
      }
      out.put(e.getKey(), path.toString());
    }
    return out;
  }

  public static int exec(
      ContainerDir dir,
      ContainerRecord r,
      Status status,
      ExecOptions o,
      SeccompCache seccompPrograms,
      IntConsumer onStarted)
      throws ContainerException {
    switch (status) {
      case STOPPED -> throw ContainerException.precondition("cannot exec in a stopped container");
      case PAUSED -> {
        if (!o.ignorePaused()) {
          throw ContainerException.precondition(
              "cannot exec in a paused container (use --ignore-paused to override)");
        }
      }
      default -> {}
    }
    Process p = o.process();
    List<String> problems = SpecValidator.validateProcess(p);
    if (!problems.isEmpty())
      throw ContainerException.invalid("invalid process: " + String.join("; ", problems));
    Creation.warnUnknownCapabilities(p);
    SecurityModules.check(p, null);
    UserIds.check(p.user());
    if (p.terminal() && o.consoleSocket() == null && o.pty() == null) {
      throw ContainerException.invalid(
          "cannot allocate tty if runc will detach without setting console socket");
    }
    if (o.consoleSocket() != null && o.pty() != null) {
      throw ContainerException.invalid("console socket and pty handler: give one, not both");
    }
    if (!p.terminal() && o.consoleSocket() != null) {
      throw ContainerException.invalid(
          "cannot use console socket if runc will not detach or allocate tty");
    }
    if (o.waitFifo() != null) checkWaitFifo(o.waitFifo());
    Spec saved = Creation.savedSpec(dir);
    // runc: what the exec'd process leaves out of ioPriority, scheduler and execCPUAffinity, it
    // takes from the container's config.
    Spec spec = saved.withProcess(p.inheritScheduling(saved.process()));
    Map<String, String> cgroups = subCgroups(r.cgroupPaths(), o.subCgroups());
    PlanCompiler.Context ctx =
        new PlanCompiler.Context(
            r.id(),
            Path.of(r.bundle()),
            Path.of(r.rootfs()),
            null,
            false,
            false,
            o.preserveFds(),
            cgroups,
            PlanCompiler.HostFacts.probe(),
            seccompPrograms);
    Plan plan;
    try {
      plan =
          PlanCompiler.compileExec(
              spec,
              ctx,
              r.pid(),
              r.namespaces(),
              status != Status.PAUSED,
              o.waitFifo() == null ? null : o.waitFifo().toAbsolutePath().toString());
    } catch (IllegalArgumentException e) {
      throw ContainerException.invalid(e.getMessage());
    }
    if (!plan.ops().isEmpty()
        && plan.ops().get(0) instanceof Op.SchedAffinity a
        && !a.cpus().isEmpty()) {
      // Worded as runc's nsexec reports the affinity it starts with (cpu_affinity.bats greps it).
      RuntimeLog.debug("exec: nsexec: affinity: 0x" + a.mask().toString(16));
    }
    int pid;
    try (Fd console =
            o.consoleSocket() == null
                ? null
                : Linux.connectUnix(o.consoleSocket().toString(), LinuxConstants.SOCK_STREAM);
        InitProcess init =
            InitProcess.spawn(
                plan,
                o.preserveFds(),
                o.launcher() == null
                    ? dev.berth.runtime.process.InitLauncher.SPAWN
                    : o.launcher())) {
      pid = init.awaitPid();
      // Worded after runc's stages (see Creation): nsexec, init(), setns_init.
      RuntimeLog.debug(
          "exec: process cloned into the container: nsexec started, nsexec container setup done",
          "pid",
          pid);
      try {
        // A paused container's process is moved in afterwards (see compileExec); otherwise it was
        // born there.
        if (status == Status.PAUSED) Cgroups.load(cgroups).addProcess(pid);
        RuntimeLog.debug("exec: child process in init(): setns_init: about to exec", "pid", pid);
        init.go(List.of());
        InitProcess.Listener listener =
            new InitProcess.Listener() {
              @Override
              public void hooks() {}

              @Override
              public void pty(Fd master) throws IOException {
                if (o.pty() != null) {
                  o.pty().master(master, p.consoleSize());
                  return;
                }
                try (master) {
                  // The requested size is the pty's before anyone reads it, as runc sets it before
                  // sending the master.
                  if (p.consoleSize() != null)
                    Linux.setWinsize(master, p.consoleSize().height(), p.consoleSize().width());
                  Linux.sendmsg(
                      console,
                      ByteBuffer.wrap("/dev/ptmx".getBytes(StandardCharsets.UTF_8)),
                      new int[] {master.fd()});
                }
              }

              @Override
              public void seccomp(int loader, Fd notifyFd) throws IOException {
                // As runc: the container's state (its init's pid), the exec'd process as the one
                // that loaded the filter.
                Seccomp sc = spec.linux().seccomp();
                byte[] state =
                    SpecWriter.writeState(
                        new State(
                            ContainerRuntime.OCI_VERSION,
                            r.id(),
                            status.toString(),
                            r.pid(),
                            r.bundle(),
                            r.annotations()));
                ListenerHandoff.send(
                    sc.listenerPath(),
                    ListenerHandoff.processState(loader, sc.listenerMetadata(), state),
                    notifyFd);
              }
            };
        init.awaitExec(listener);
        RuntimeLog.debug("exec: process started", "pid", pid);
        if (o.pidFile() != null) Creation.writePidFile(o.pidFile(), pid);
        if (o.waitFifo() != null && !o.detach()) {
          // In the foreground, followed past the wait to its execve: what fails there (the fifo
          // refusing the process's user) is exec's error, not a silent exit.
          init.awaitExec(listener);
        }
      } catch (IOException | RuntimeException e) {
        reap(pid);
        throw e;
      }
    } catch (InitProcess.InitFailure e) {
      throw ContainerException.invalid("exec in container " + r.id() + ": " + e.getMessage());
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "exec in container " + r.id() + ": " + e.getMessage(), e);
    }
    if (onStarted != null) onStarted.accept(pid);
    if (o.detach()) return 0;
    try {
      int code = Creation.waitForExit(pid);
      RuntimeLog.debug("process exited", "pid", pid, "status", code);
      return code;
    } catch (ErrnoException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "wait for exec'd process " + pid + ": " + e.getMessage(), e);
    }
  }

  /**
   * runc's checks of --exec-wait-fifo, in its words: the path must open, and be a fifo (berth-init
   * checks the file it opens again: a swap after this check cannot make it write elsewhere).
   */
  private static void checkWaitFifo(Path fifo) throws ContainerException {
    int mode;
    try {
      mode = Linux.stat(fifo.toString()).mode();
    } catch (ErrnoException e) {
      throw ContainerException.invalid(
          "failed to open exec wait fifo " + fifo + ": " + e.getMessage());
    }
    if ((mode & LinuxConstants.S_IFMT) != LinuxConstants.S_IFIFO) {
      throw ContainerException.invalid("exec wait fifo " + fifo + " is not a fifo");
    }
  }

  private static void reap(int pid) {
    try {
      Linux.kill(pid, LinuxConstants.SIGKILL);
      Linux.wait4(pid, 0);
    } catch (ErrnoException e) {
      // gone already
    }
  }
}
