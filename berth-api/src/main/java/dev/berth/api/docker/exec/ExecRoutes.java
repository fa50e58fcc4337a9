package dev.berth.api.docker.exec;

import dev.berth.api.docker.ApiError;
import dev.berth.api.docker.Exchange;
import dev.berth.api.docker.Hijacked;
import dev.berth.api.docker.Router;
import dev.berth.api.docker.StdFrames;
import dev.berth.api.io.FdPumps;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineException;
import dev.berth.engine.ExecFailedException;
import dev.berth.engine.ExecSignals;
import dev.berth.engine.container.DetachKeys;
import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.runtime.driver.ExecResult;
import dev.berth.runtime.driver.Stdio;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonReader;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code exec}: create ({@code POST /containers/{id}/exec}), start ({@code POST /exec/{id}/start}:
 * detached, or the process's stdio on the connection, hijacked or as a plain POST's body, framed
 * without a terminal), resize and inspect, on the engine's {@link Engine#exec}. The process's stdio
 * are pipes of this daemon, handed to the runtime by their {@code /proc/self/fd} paths (the runtime
 * opens its stdio by path); with a terminal, its pty master comes to this daemon.
 */
public final class ExecRoutes {
  /**
   * The exit code of an exec whose process could not start, whatever the cause: dockerd's 126 (the
   * berth CLI, as podman, tells a missing command's 127 apart).
   */
  static final int START_FAILED = 126;

  private static final Path NULL = Path.of("/dev/null");

  private final Engine engine;
  private final ExecRegistry execs = new ExecRegistry();

  public ExecRoutes(Engine engine) {
    this.engine = engine;
  }

  public void register(Router r) {
    r.post("/containers/{id}/exec", this::create);
    r.stream("POST", "/exec/{id}/start", this::start);
    r.post("/exec/{id}/resize", this::resize);
    r.get("/exec/{id}/json", this::inspect);
  }

  // ---- create ----

  private void create(Exchange x) throws Exception {
    ContainerRecord c = running(x.param("id"));
    List<String> cmd = List.of();
    List<String> env = List.of();
    String user = null;
    String workingDir = null;
    boolean tty = false;
    boolean privileged = false;
    boolean in = false;
    boolean out = false;
    boolean err = false;
    String detachKeys = null;
    int rows = 0;
    int cols = 0;
    JsonReader r = x.json();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "Cmd" -> cmd = r.strings();
          case "Env" -> env = r.strings();
          case "User" -> user = r.string();
          case "WorkingDir" -> workingDir = r.string();
          case "Tty" -> tty = r.bool();
          case "Privileged" -> privileged = r.bool();
          case "AttachStdin" -> in = r.bool();
          case "AttachStdout" -> out = r.bool();
          case "AttachStderr" -> err = r.bool();
          case "DetachKeys" -> detachKeys = r.string();
          case "ConsoleSize" -> {
            if (r.beginArray()) {
              int i = 0;
              while (r.nextElement()) {
                int v = r.int32();
                if (i == 0) rows = v;
                else if (i == 1) cols = v;
                i++;
              }
            }
          }
          default -> r.skip();
        }
      }
    }
    if (cmd.isEmpty()) throw ApiError.badRequest("No exec command specified");
    DetachKeys.parse(detachKeys); // a bad spec fails here, as docker's
    ExecOptions o = new ExecOptions(cmd, env, user, workingDir, false, 0, 0, false, privileged);
    if (tty) o = o.withTty(rows, cols);
    execs.sweep(this::gone);
    String id = engine.containers().newId();
    execs.add(new ExecRegistry.Instance(id, c.id(), o, in, out, err, detachKeys));
    x.json(201, Map.of("Id", id));
  }

  private boolean gone(String containerId) {
    try {
      engine.containers().get(containerId);
      return false;
    } catch (BerthException e) {
      return e.category() == ErrorCategory.NOT_FOUND;
    }
  }

  private ContainerRecord running(String ref) throws BerthException {
    ContainerRecord c = engine.inspect(ref);
    if (c.state().status() == Status.PAUSED) {
      throw EngineException.precondition(
          "Container " + c.id() + " is paused, unpause the container before exec");
    }
    if (c.state().status() != Status.RUNNING)
      throw EngineException.precondition("Container " + c.id() + " is not running");
    return c;
  }

  private ExecRegistry.Instance instance(String id) throws ApiError {
    ExecRegistry.Instance i = execs.get(id);
    if (i == null) throw ApiError.notFound("No such exec instance: " + id);
    return i;
  }

  // ---- start ----

  private void start(Exchange x) throws Exception {
    ExecRegistry.Instance i = instance(x.param("id"));
    boolean detach = false;
    if (x.body().length > 0) {
      JsonReader r = x.json();
      if (r.beginObject()) {
        for (String f; (f = r.nextField()) != null; ) {
          if (f.equals("Detach")) detach = r.bool();
          else r.skip();
        }
      }
    }
    synchronized (i) {
      if (i.started) {
        throw new BerthException(
            ErrorCategory.FAILED_PRECONDITION, "Error: Exec command " + i.id + " has already run");
      }
      i.started = true;
    }
    running(i.containerId);
    if (detach) {
      startDetached(i);
      x.respond(200);
      return;
    }
    boolean tty = i.options.tty();
    try (Hijacked h =
        x.hijack(
            tty
                ? "application/vnd.docker.raw-stream"
                : "application/vnd.docker.multiplexed-stream")) {
      if (tty) {
        runWithTerminal(i, h);
      } else {
        runWithPipes(i, h);
      }
    }
  }

  /**
   * A detached exec runs in the foreground of a thread of ours, its stdio discarded, so its exit
   * code is known when it ends; the answer comes once it runs (or failed to).
   */
  private void startDetached(ExecRegistry.Instance i) throws Exception {
    ExecSignals signals = new ExecSignals();
    ExecOptions o =
        new ExecOptions(
            i.options.command(),
            i.options.env(),
            i.options.user(),
            i.options.workingDir(),
            false,
            0,
            0,
            false,
            i.options.privileged());
    java.util.concurrent.CompletableFuture<Void> ended =
        new java.util.concurrent.CompletableFuture<>();
    i.running = true;
    Thread.ofPlatform()
        .name("berthd-exec-" + i.id.substring(0, 12))
        .daemon(true)
        .start(
            () -> {
              try {
                ExecResult res =
                    engine.exec(i.containerId, o, new Stdio(NULL, NULL, NULL), null, signals);
                finished(i, res.exitCode());
                ended.complete(null);
              } catch (Throwable e) {
                finished(i, START_FAILED);
                ended.completeExceptionally(e);
              }
            });
    while (!ended.isDone() && (i.pid = signals.pid()) <= 0) Thread.sleep(5);
    if (ended.isCompletedExceptionally()) {
      try {
        ended.join();
      } catch (java.util.concurrent.CompletionException e) {
        if (e.getCause() instanceof BerthException b) throw b;
        throw e;
      }
    }
  }

  private static void finished(ExecRegistry.Instance i, int code) {
    i.exitCode = code;
    i.ended = true;
    i.running = false;
    i.master = null;
  }

  /** Without a terminal: pipes for stdin (when attached), stdout and stderr, framed out. */
  private void runWithPipes(ExecRegistry.Instance i, Hijacked h) throws Exception {
    List<Fd> ours = new ArrayList<>();
    try {
      Fd[] in = i.attachStdin ? Linux.pipe2(0) : null;
      Fd[] out = Linux.pipe2(0);
      Fd[] err = Linux.pipe2(0);
      if (in != null) ours.add(in[0]); // in[1] is the input copier's, closed at the input's end
      ours.addAll(List.of(out));
      ours.addAll(List.of(err));
      StdFrames frames = new StdFrames(h.output());
      Thread o =
          FdPumps.out(
              "berthd-exec-out", out[0], i.attachStdout ? frames.stream(StdFrames.STDOUT) : null);
      Thread e =
          FdPumps.out(
              "berthd-exec-out", err[0], i.attachStderr ? frames.stream(StdFrames.STDERR) : null);
      if (in != null) FdPumps.in("berthd-exec-in", h.input(), in[1], null, true);
      Stdio stdio = new Stdio(in == null ? NULL : proc(in[0]), proc(out[1]), proc(err[1]));
      ExecSignals signals = new ExecSignals();
      i.running = true;
      int code;
      try {
        Thread pid = watchPid(i, signals);
        code = engine.exec(i.containerId, i.options, stdio, null, signals).exitCode();
        pid.interrupt();
      } catch (ExecFailedException f) {
        code = START_FAILED;
        byte[] m = ("OCI runtime exec failed: " + f.getMessage() + "\n").getBytes();
        try {
          frames.frame(StdFrames.STDERR, m, 0, m.length);
        } catch (IOException gone) {
          // the client left
        }
      }
      // The process has ended: our write ends go, and the readers drain to the end.
      out[1].close();
      err[1].close();
      o.join();
      e.join();
      finished(i, code);
    } finally {
      for (Fd f : ours) f.close();
      if (i.running) finished(i, -1);
    }
  }

  /** The pid of a running exec, for inspect, once the runtime wrote it. */
  private static Thread watchPid(ExecRegistry.Instance i, ExecSignals signals) {
    return Thread.ofPlatform()
        .daemon(true)
        .start(
            () -> {
              try {
                while (i.running && (i.pid = signals.pid()) <= 0) Thread.sleep(5);
              } catch (InterruptedException e) {
                // ended
              }
            });
  }

  /**
   * With a terminal: the pty master's output raw to the client, its input to the master. A client
   * that goes away without detaching hangs the terminal up, as the end of a terminal session does
   * (sshd's, a closed terminal window's): the session's leader and its foreground process group get
   * SIGHUP, so a shell left waiting for input ends, and with it the two threads that served it (a
   * process that ignores SIGHUP runs on, as under a real terminal). Detached with the detach keys,
   * it runs on.
   */
  private void runWithTerminal(ExecRegistry.Instance i, Hijacked h) throws Exception {
    Thread[] reader = {null};
    Fd[] master = {null};
    DetachKeys keys = DetachKeys.parse(i.detachKeys);
    java.util.concurrent.atomic.AtomicBoolean detached =
        new java.util.concurrent.atomic.AtomicBoolean();
    i.running = true;
    int code;
    try {
      code =
          engine
              .exec(
                  i.containerId,
                  i.options,
                  Stdio.INHERIT,
                  (m, size) -> {
                    master[0] = m;
                    i.master = m;
                    if (size != null) Linux.setWinsize(m, size.height(), size.width());
                    reader[0] =
                        FdPumps.out("berthd-exec-out", m, i.attachStdout ? h.output() : null);
                    if (i.attachStdin) {
                      DetachKeys.Watcher w = keys.watcher();
                      FdPumps.in(
                          "berthd-exec-in", h.input(), m, w, w == null, () -> detached.set(true));
                    }
                    h.onClose(
                        () -> {
                          // Off the event loop: the master's lock may be held by a writer.
                          if (!detached.get()) {
                            Thread.ofPlatform()
                                .name("berthd-exec-hangup")
                                .daemon(true)
                                .start(() -> hangUp(m));
                          }
                        });
                  },
                  null)
              .exitCode();
    } catch (ExecFailedException f) {
      code = START_FAILED;
      try {
        h.output().write(("OCI runtime exec failed: " + f.getMessage() + "\r\n").getBytes());
      } catch (IOException gone) {
        // the client left
      }
    } finally {
      if (reader[0] != null) reader[0].join(); // the master reads EIO once the process is gone
      if (master[0] != null) {
        synchronized (master[0]) {
          master[0].close();
        }
      }
    }
    finished(i, code);
  }

  /**
   * What the kernel does when a terminal's master side goes, without closing the master (its reader
   * is blocked in it): SIGHUP then SIGCONT to the session's leader and its foreground group. A
   * client may hang up before the process has made the terminal its own (the terminal's echo of
   * what the client typed comes before the process runs): then it is waited for, until it has or
   * the exec has ended, so it never reads on with nobody at the other end.
   */
  private static void hangUp(Fd master) {
    for (int tries = 0; !hangUpNow(master); tries++) {
      if (tries == HANGUP_TRIES) return; // never made it its own: it has no session to end
      try {
        Thread.sleep(HANGUP_RETRY_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static final int HANGUP_TRIES = 3000;
  private static final int HANGUP_RETRY_MS = 10;

  /** The hangup, if the exec has ended or its terminal has a session now; false to try again. */
  private static boolean hangUpNow(Fd master) {
    synchronized (master) {
      if (!master.isOpen()) return true; // the exec has ended
      List<Integer> targets = new ArrayList<>();
      try {
        targets.add(Linux.tcgetsid(master));
      } catch (ErrnoException e) {
        return false; // no session yet: the process is not started, or not in its session yet
      }
      try {
        targets.add(-Linux.tcgetpgrp(master));
      } catch (ErrnoException e) {
        // no foreground group: the leader alone
      }
      for (int sig : new int[] {LinuxConstants.SIGHUP, LinuxConstants.SIGCONT}) {
        for (int t : targets) {
          if (t == 0 || t == -1) continue;
          try {
            Linux.kill(t, sig);
          } catch (ErrnoException e) {
            // gone meanwhile
          }
        }
      }
      return true;
    }
  }

  private static Path proc(Fd fd) {
    return Path.of("/proc/self/fd/" + fd.fd());
  }

  // ---- resize, inspect ----

  private void resize(Exchange x) throws Exception {
    ExecRegistry.Instance i = instance(x.param("id"));
    int rows = (int) x.integer("h", 0);
    int cols = (int) x.integer("w", 0);
    Fd m = i.master;
    if (m != null && rows > 0 && cols > 0) {
      synchronized (m) {
        try {
          Linux.setWinsize(m, rows, cols);
        } catch (ErrnoException e) {
          // it ended meanwhile (a closed master is EBADF)
        }
      }
    }
    x.respond(200);
  }

  private void inspect(Exchange x) throws Exception {
    ExecRegistry.Instance i = instance(x.param("id"));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ID", i.id);
    m.put("Running", i.running);
    m.put("ExitCode", i.ended ? (Object) (long) i.exitCode : null);
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("tty", i.options.tty());
    p.put("entrypoint", i.options.command().get(0));
    p.put("arguments", i.options.command().subList(1, i.options.command().size()));
    p.put("privileged", i.options.privileged());
    p.put("user", i.options.user() == null ? "" : i.options.user());
    m.put("ProcessConfig", p);
    m.put("OpenStdin", i.attachStdin);
    m.put("OpenStderr", i.attachStderr);
    m.put("OpenStdout", i.attachStdout);
    m.put("CanRemove", false);
    m.put("ContainerID", i.containerId);
    m.put("DetachKeys", i.detachKeys == null ? "" : i.detachKeys);
    m.put("Pid", (long) (i.running ? i.pid : 0));
    x.json(200, m);
  }
}
