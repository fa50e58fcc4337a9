package dev.berth.runtime.driver;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.ContainerState;
import dev.berth.runtime.CreateOptions;
import dev.berth.runtime.ExecOptions;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.runtime.monitor.Monitor;
import dev.berth.runtime.process.InitLauncher;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.runtime.Resources;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * berth's own runtime in this JVM: the default driver, with no second JVM on a container's path. A
 * thin adapter over {@link ContainerRuntime}, which keeps its behaviour (berth-runc runs on it
 * too). See the package documentation for who is the parent and reaper of its containers.
 */
public final class InProcessDriver implements RuntimeDriver {
  private final String name;
  private final ContainerRuntime runtime;

  public InProcessDriver(String name, ContainerRuntime runtime) {
    this.name = name;
    this.runtime = runtime;
  }

  /** The default handler "berth" on the state root {@code root}. */
  public InProcessDriver(Path root) {
    this("berth", new ContainerRuntime(root));
  }

  @Override
  public String name() {
    return name;
  }

  public ContainerRuntime runtime() {
    return runtime;
  }

  @Override
  public void create(CreateRequest r) throws ContainerException {
    requireInherited(r.stdio());
    ContainerRuntime.checkId(r.id());
    CreateOptions o =
        new CreateOptions(
            r.bundle(),
            r.pidFile(),
            r.effectiveConsoleSocket(),
            r.noPivot(),
            r.noNewKeyring(),
            r.preserveFds());
    if (r.config() != null) o = o.withConfig(r.config());
    if (r.monitor() == null) {
      runtime.create(r.id(), o);
      return;
    }
    // The monitor starts berth-init, with the monitor's stdio; the container init, cloned with
    // CLONE_PARENT, is the
    // monitor's child.
    // The monitor is spawned without waiting for it to start berth-init: the runtime compiles the
    // plan meanwhile, and waits for its word when it needs the pid.
    Monitor[] monitor = {null};
    InitLauncher viaMonitor =
        new InitLauncher.Deferred() {
          @Override
          public Launched start(Fd binary, String[] argv, int[] fds) throws IOException {
            Monitor m = Monitor.begin(r.monitor(), binary, argv, fds);
            monitor[0] = m;
            return m::ready;
          }
        };
    try {
      runtime.create(r.id(), o.withLauncher(viaMonitor));
    } catch (ContainerException e) {
      if (monitor[0] != null) monitor[0].abort();
      throw e;
    }
    handOver(this, r.id(), monitor[0], runtime.state(r.id()).pid());
  }

  /**
   * Tells the monitor the container init's pid; when it cannot take it, the container is deleted: a
   * container whose exit no one records is not made.
   */
  static void handOver(RuntimeDriver driver, String id, Monitor monitor, int pid)
      throws ContainerException {
    try {
      monitor.container(pid);
    } catch (IOException e) {
      monitor.abort();
      try {
        driver.delete(id, true);
      } catch (ContainerException ignored) {
        // the monitor's error is the one to report
      }
      throw ContainerException.internal("create " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * A container's berth-init takes fds 0-2 from this process (see InitProcess#spawn), or from a
   * monitor (CreateRequest#monitor); files are refused rather than silently ignored. An exec'd
   * process may have files.
   */
  private void requireInherited(Stdio stdio) throws ContainerException {
    if (!stdio.inherited()) {
      throw ContainerException.invalid(
          "runtime "
              + name
              + ": stdio "
              + stdio
              + ": the in-process runtime gives a container the caller's own stdio, or a monitor's");
    }
  }

  @Override
  public void start(String id) throws ContainerException {
    runtime.start(id);
  }

  @Override
  public ContainerStatus state(String id) throws ContainerException {
    ContainerState s = runtime.state(id);
    Instant created;
    try {
      created = Rfc3339.parse(s.created());
    } catch (IllegalArgumentException e) {
      created = null;
    }
    return new ContainerStatus(
        s.id(), s.pid(), s.status(), Path.of(s.bundle()), created, s.annotations());
  }

  @Override
  public boolean alive(String id) throws ContainerException {
    try {
      return runtime.alive(id);
    } catch (ContainerException e) {
      if (e.category() == dev.berth.spec.error.ErrorCategory.NOT_FOUND) return false;
      throw e;
    }
  }

  @Override
  public void kill(String id, int signal, boolean all) throws ContainerException {
    runtime.kill(id, signal, all);
  }

  @Override
  public void delete(String id, boolean force) throws ContainerException {
    runtime.delete(id, force);
  }

  @Override
  public ExecResult exec(String id, ExecRequest r) throws ContainerException {
    Fd[] files = {null, null, null};
    try {
      InitLauncher launcher = null;
      if (!r.stdio().inherited()) {
        files = open(r.stdio());
        launcher = InitLauncher.withStdio(fdOr(files[0], 0), fdOr(files[1], 1), fdOr(files[2], 2));
      }
      return exec(id, r, launcher);
    } finally {
      for (Fd f : files) {
        if (f != null) f.close();
      }
    }
  }

  private ExecResult exec(String id, ExecRequest r, InitLauncher launcher)
      throws ContainerException {
    if (!r.detach()) {
      int[] pid = {0};
      int code =
          runtime.exec(
              id,
              new ExecOptions(
                      r.process(), r.consoleSocket(), r.pidFile(), r.preserveFds(), false, false)
                  .withLauncher(launcher),
              p -> pid[0] = p);
      return new ExecResult(pid[0], code);
    }
    // A detached exec tells its pid only through a pid file.
    Path pidFile = r.pidFile();
    Path temp = null;
    try {
      if (pidFile == null) {
        temp = Files.createTempFile("berth-exec-", ".pid");
        pidFile = temp;
      }
      runtime.exec(
          id,
          new ExecOptions(r.process(), r.consoleSocket(), pidFile, r.preserveFds(), true, false)
              .withLauncher(launcher),
          null);
      return new ExecResult(Integer.parseInt(Files.readString(pidFile).trim()), -1);
    } catch (IOException | NumberFormatException e) {
      throw ContainerException.invalid(
          "exec in container " + id + ": read pid file " + pidFile + ": " + e.getMessage());
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // a temporary file: the error above (if any) is the one to report
        }
      }
    }
  }

  /**
   * The files of {@code stdio}, opened as {@link Stdio} says (null where the caller's own fd is
   * meant).
   */
  private static Fd[] open(Stdio stdio) throws ContainerException {
    Path[] paths = {stdio.in(), stdio.out(), stdio.err()};
    Fd[] fds = new Fd[3];
    try {
      for (int i = 0; i < 3; i++) {
        if (paths[i] == null) continue;
        int flags =
            i == 0
                ? LinuxConstants.O_RDONLY
                : LinuxConstants.O_WRONLY | LinuxConstants.O_APPEND | LinuxConstants.O_CREAT;
        fds[i] = Linux.open(paths[i].toString(), flags | LinuxConstants.O_CLOEXEC, 0644);
      }
      return fds;
    } catch (ErrnoException e) {
      for (Fd f : fds) {
        if (f != null) f.close();
      }
      throw ContainerException.invalid("stdio " + e.getMessage());
    }
  }

  private static int fdOr(Fd f, int own) {
    return f == null ? own : f.fd();
  }

  @Override
  public java.util.List<Integer> pids(String id) throws ContainerException {
    return runtime.pids(id);
  }

  @Override
  public void pause(String id) throws ContainerException {
    runtime.pause(id);
  }

  @Override
  public void resume(String id) throws ContainerException {
    runtime.resume(id);
  }

  @Override
  public void update(String id, Resources resources) throws ContainerException {
    runtime.update(id, resources);
  }

  @Override
  public Stats stats(String id) throws ContainerException {
    return runtime.stats(id);
  }

  @Override
  public void events(String id, Duration interval, EventListener listener)
      throws ContainerException {
    runtime.events(
        id,
        interval,
        new ContainerRuntime.EventListener() {
          @Override
          public void stats(Stats stats) throws IOException {
            listener.stats(stats);
          }

          @Override
          public void oom() throws IOException {
            listener.oom();
          }
        });
  }
}
