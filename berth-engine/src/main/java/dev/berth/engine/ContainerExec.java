package dev.berth.engine;

import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.spec.CapabilitySet;
import dev.berth.engine.spec.ImageUsers;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.driver.ExecRequest;
import dev.berth.runtime.driver.ExecResult;
import dev.berth.runtime.driver.RuntimeDriver;
import dev.berth.runtime.driver.Stdio;
import dev.berth.runtime.terminal.PtyHandler;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.SpecException;
import dev.berth.spec.runtime.Capabilities;
import dev.berth.spec.runtime.ConsoleSize;
import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.SpecReader;
import dev.berth.spec.runtime.User;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Kernel;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Received;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code docker exec}: a process made from the running container's own (its bundle's config.json:
 * environment, user, cwd, capabilities, rlimits, no_new_privs; the runtime keeps its namespaces,
 * cgroups and seccomp profile) with the caller's changes, run through the container's runtime
 * driver. A terminal's pty master comes back on a console socket (the one way both drivers hand it
 * over) to a {@link PtyHandler}.
 */
final class ContainerExec {
  private final Engine engine;

  ContainerExec(Engine engine) {
    this.engine = engine;
  }

  /**
   * Runs {@code o} in running container {@code r}; see {@link Engine#exec}. Everything that fails
   * once the container is found running is an {@link ExecFailedException}.
   */
  ExecResult run(ContainerRecord r, ExecOptions o, Stdio stdio, PtyHandler pty, ExecSignals signals)
      throws BerthException {
    if (o.command().isEmpty()) throw EngineException.invalid("exec: no command given");
    Engine.Layout l = engine.layout(r.id());
    RuntimeDriver driver = engine.runtimes().get(r.runtime());
    boolean tty = o.tty() && !o.detach();
    Process process;
    try {
      process = process(r, l, o, tty);
    } catch (BerthException e) {
      throw new ExecFailedException(e.category(), e.getMessage(), e);
    }
    ExecRequest request =
        new ExecRequest(
            process, o.detach() ? DISCARD : tty ? Stdio.INHERIT : stdio, null, null, o.detach(), 0);
    try {
      if (!tty && signals != null && !o.detach()) {
        // The runtime writes the pid once the process runs: where the signals find it.
        Path pidFile = l.runDir().resolve("exec-" + randomName() + ".pid");
        signals.bind(pidFile);
        try {
          return driver.exec(r.id(), request.withPidFile(pidFile));
        } finally {
          signals.unbind();
          Files.deleteIfExists(pidFile);
        }
      }
      if (!tty) {
        ExecResult result = driver.exec(r.id(), request);
        if (result.detached()) reapWhenItExits(result.pid());
        return result;
      }
      if (pty == null)
        throw EngineException.invalid("exec with a terminal: no handler for its pty");
      Path socket = l.runDir().resolve("exec-" + randomName() + ".sock");
      try (ConsoleReceiver console = new ConsoleReceiver(socket, pty, process.consoleSize())) {
        ExecResult result =
            driver.exec(r.id(), new ExecRequest(process, Stdio.INHERIT, socket, null, false, 0));
        console.finish();
        return result;
      }
    } catch (ContainerException e) {
      throw new ExecFailedException(e.category(), e.getMessage(), e);
    } catch (IOException e) {
      throw new ExecFailedException(
          ErrorCategory.INTERNAL, "exec in container " + r.shortId() + ": " + e.getMessage(), e);
    }
  }

  private static String randomName() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong());
  }

  /**
   * Reaps a detached process when it is this process's child (the in-process runtime clones it with
   * CLONE_PARENT): a zombie of ours in the container's pid namespace would keep its init from
   * finishing its exit, and so the container from stopping, for as long as this process lives (an
   * embedding daemon, a test).
   */
  private static void reapWhenItExits(int pid) {
    Thread.ofPlatform()
        .name("berth-exec-reaper-" + pid)
        .daemon(true)
        .start(
            () -> {
              try {
                Linux.wait4(pid, 0);
              } catch (ErrnoException e) {
                // ECHILD: not ours (an OCI runtime binary's), its parent reaps it
              }
            });
  }

  /** Where a detached process's stdio goes: docker keeps none of it. */
  private static final Stdio DISCARD =
      new Stdio(Path.of("/dev/null"), Path.of("/dev/null"), Path.of("/dev/null"));

  /**
   * The process of {@code o}: the container's, with the command, environment, user, cwd and
   * capabilities asked.
   */
  private Process process(ContainerRecord r, Engine.Layout l, ExecOptions o, boolean tty)
      throws BerthException {
    Process base;
    try {
      Path config = l.bundle().resolve("config.json");
      base = SpecReader.read(config).process();
    } catch (IOException | SpecException e) {
      throw EngineException.internal(
          "exec in container " + r.shortId() + ": read its spec: " + e.getMessage(), e);
    }
    if (base == null)
      throw EngineException.internal(
          "exec in container " + r.shortId() + ": its spec has no process", null);
    User user = base.user();
    String home = null;
    if (o.user() != null) {
      ImageUsers.ExecUser u = ImageUsers.resolve(l.rootfs(), o.user());
      // As docker's exec: the user's groups, then the container's --group-add ones.
      List<Integer> gids = new ArrayList<>(u.additionalGids());
      for (int g : ImageUsers.groupIds(l.rootfs(), r.options().host().groupAdd()))
        if (!gids.contains(g)) gids.add(g);
      user = new User(u.uid(), u.gid(), base.user().umask(), gids, null);
      home = u.home();
    }
    String cwd = base.cwd().isEmpty() ? "/" : base.cwd();
    if (o.workingDir() != null) {
      if (!o.workingDir().startsWith("/")) {
        throw EngineException.invalid(
            "the working directory '"
                + o.workingDir()
                + "' is invalid, it needs to be an absolute path");
      }
      cwd = o.workingDir();
    }
    Capabilities caps = base.capabilities();
    if (o.privileged()) {
      // docker: every capability in the bounding, permitted and effective sets; the container's
      // seccomp stays.
      List<String> all =
          CapabilitySet.grantable(
              CapabilitySet.known(Kernel.capLastCap()), CapabilitySet.bounding());
      caps = new Capabilities(all, all, List.of(), all, List.of());
    }
    ConsoleSize size =
        tty && o.rows() > 0 && o.columns() > 0 ? new ConsoleSize(o.rows(), o.columns()) : null;
    List<String> env = env(base.env(), r.options().env(), r.options().tty(), tty, home, o.env());
    return new Process(
        tty,
        size,
        user,
        o.command(),
        null,
        env,
        cwd,
        caps,
        base.rlimits(),
        base.noNewPrivileges(),
        base.apparmorProfile(),
        base.oomScoreAdj(),
        base.selinuxLabel());
  }

  /**
   * docker's exec environment: the container's, without the TERM its own terminal brought (an exec
   * without -t has none) and with TERM=xterm for an exec with one, HOME of the exec's user unless
   * the user set HOME, then {@code extra} over it, each replacing a variable of the same name where
   * it stands.
   */
  static List<String> env(
      List<String> container,
      List<String> userEnv,
      boolean containerTty,
      boolean tty,
      String home,
      List<String> extra) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String e : container) env.put(key(e), e);
    boolean userTerm = false;
    boolean userHome = false;
    for (String e : userEnv) {
      userTerm |= key(e).equals("TERM");
      userHome |= key(e).equals("HOME");
    }
    if (containerTty && !userTerm) env.remove("TERM");
    if (tty) env.putIfAbsent("TERM", "TERM=xterm");
    if (home != null && !userHome) env.put("HOME", "HOME=" + home);
    for (String e : extra) env.put(key(e), e);
    return List.copyOf(env.values());
  }

  private static String key(String env) {
    int eq = env.indexOf('=');
    return eq < 0 ? env : env.substring(0, eq);
  }

  /**
   * A console socket listening for one pty master, handed to a {@link PtyHandler} on its own
   * thread: the runtime sends the master while the exec call blocks. Closing it stops the thread
   * and removes the socket.
   */
  private static final class ConsoleReceiver implements AutoCloseable {
    private final Path path;
    private final Fd listener;
    private final PtyHandler pty;
    private final ConsoleSize size;
    private final Thread thread;
    private volatile boolean stop;
    private volatile IOException failure;

    ConsoleReceiver(Path path, PtyHandler pty, ConsoleSize size) throws IOException {
      this.path = path;
      this.pty = pty;
      this.size = size;
      Files.createDirectories(path.getParent());
      this.listener = Linux.listenUnix(path.toString(), LinuxConstants.SOCK_STREAM, 1);
      this.thread =
          Thread.ofPlatform().name("berth-exec-console").daemon(true).start(this::receive);
    }

    private void receive() {
      Fd[] fds = {listener};
      short[] events = {LinuxConstants.POLLIN};
      short[] revents = new short[1];
      try {
        // Polled, so a runtime that fails before it connects cannot leave this thread in accept(2).
        while (!stop && Linux.poll(fds, events, revents, 100) == 0) {
          // waiting for the runtime
        }
        if (stop && revents[0] == 0) return;
        try (Fd conn = Linux.accept(listener, 0)) {
          // Until the master comes, or the runtime closes the connection (the process did not
          // start).
          Received got = Linux.recvmsg(conn, ByteBuffer.allocateDirect(4096), 1);
          if (got.fds() != null && got.fds().length > 0) pty.master(new Fd(got.fds()[0]), size);
        }
      } catch (IOException e) {
        failure = e;
      }
    }

    /**
     * Waits for the master's hand-over (the process ran, so it has come); its failure is the
     * exec's.
     */
    void finish() throws IOException {
      join();
      if (failure != null) throw failure;
    }

    private void join() {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      stop = true;
      join();
      listener.close();
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        // in the run directory, which goes with the container
      }
    }
  }
}
