package dev.berth.api.cri.streaming;

import dev.berth.api.io.FdPumps;
import dev.berth.engine.Engine;
import dev.berth.engine.ExecFailedException;
import dev.berth.engine.ExecSignals;
import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.driver.Stdio;
import dev.berth.runtime.monitor.AttachClient;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The streaming sessions on berth's engine: exec through {@link Engine#exec} (pipes of this process
 * without a terminal, the pty master with one), attach through the container monitor's attach
 * socket, port forwarding into the network namespace the caller's resolver names for a pod. A
 * client that goes away ends its exec'd process (SIGKILL; with a terminal, the hangup of the closed
 * master) and its attach connection.
 */
public final class EngineStreamingRuntime implements StreamingRuntime {
  /** Where a pod sandbox's network namespace is (a pin, or {@code /proc/PID/ns/net}). */
  @FunctionalInterface
  public interface NetnsResolver {
    Path netns(String podSandboxId) throws BerthException;
  }

  private static final Path NULL = Path.of("/dev/null");
  private static final int POLL_MS = 200;

  private final Engine engine;
  private final NetnsResolver netns;

  public EngineStreamingRuntime(Engine engine, NetnsResolver netns) {
    this.engine = engine;
    this.netns = netns;
  }

  // ---- exec ----

  @Override
  public int exec(ExecRequest request, Streams streams) throws BerthException, IOException {
    ExecOptions o =
        new ExecOptions(request.command(), List.of(), null, null, false, 0, 0, false, false);
    return request.tty()
        ? execWithTerminal(request, o.withTty(0, 0), streams)
        : execWithPipes(request, o, streams);
  }

  private int execWithPipes(ExecRequest request, ExecOptions o, Streams s)
      throws BerthException, IOException {
    List<Fd> ours = new ArrayList<>();
    List<Thread> copiers = new ArrayList<>();
    ExecSignals signals = new ExecSignals();
    boolean[] ended = {false};
    try {
      Fd[] in = s.stdin() != null ? Linux.pipe2(LinuxConstants.O_CLOEXEC) : null;
      Fd[] out = Linux.pipe2(LinuxConstants.O_CLOEXEC);
      Fd[] err = Linux.pipe2(LinuxConstants.O_CLOEXEC);
      if (in != null) ours.add(in[0]); // in[1] is the input copier's
      ours.addAll(List.of(out));
      ours.addAll(List.of(err));
      copiers.add(FdPumps.out("berth-stream-out", out[0], s.stdout()));
      copiers.add(FdPumps.out("berth-stream-out", err[0], s.stderr()));
      if (in != null) FdPumps.in("berth-stream-in", s.stdin(), in[1], null, true);
      s.onDisconnect(() -> killWhenRunning(signals, ended));
      Stdio stdio = new Stdio(in == null ? NULL : proc(in[0]), proc(out[1]), proc(err[1]));
      int code;
      try {
        code = engine.exec(request.containerId(), o, stdio, null, signals).exitCode();
      } catch (ExecFailedException f) {
        code = f.exitCode();
        tell(s.stderr() != null ? s.stderr() : s.stdout(), f.getMessage());
      } finally {
        synchronized (ended) {
          ended[0] = true;
        }
      }
      // The process has ended: our write ends go, and the readers drain to the end.
      out[1].close();
      err[1].close();
      for (Thread t : copiers) t.join();
      return code;
    } catch (ErrnoException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "exec in " + request.containerId() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } finally {
      for (Fd f : ours) f.close();
    }
  }

  /** Kills the exec'd process, waiting for its pid if it does not run yet. */
  private static void killWhenRunning(ExecSignals signals, boolean[] ended) {
    Thread.ofPlatform()
        .daemon(true)
        .start(
            () -> {
              while (true) {
                synchronized (ended) {
                  if (ended[0] || signals.send(LinuxConstants.SIGKILL)) return;
                }
                try {
                  Thread.sleep(10);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
  }

  private int execWithTerminal(ExecRequest request, ExecOptions o, Streams s)
      throws BerthException, IOException {
    Thread[] reader = {null};
    Thread[] resizer = {null};
    boolean[] gone = {false};
    s.onDisconnect(
        () -> {
          synchronized (gone) {
            gone[0] = true;
          }
        });
    int code;
    try {
      code =
          engine
              .exec(
                  request.containerId(),
                  o,
                  Stdio.INHERIT,
                  (m, size) -> {
                    reader[0] = copyTerminal(m, s.stdout(), gone);
                    if (s.stdin() != null) FdPumps.in("berth-stream-in", s.stdin(), m, null, false);
                    resizer[0] = resizes(m, s);
                  },
                  null)
              .exitCode();
    } catch (ExecFailedException f) {
      code = f.exitCode();
      tell(s.stdout(), f.getMessage());
    } finally {
      try {
        if (reader[0] != null) reader[0].join(); // it closes the master at the end
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (resizer[0] != null) resizer[0].interrupt();
    }
    return code;
  }

  /**
   * The terminal's output to the client until the process is gone (EIO), then closes the master.
   * Polls, so a client's disconnect closes the master, hanging the terminal up: the process gets
   * SIGHUP.
   */
  private static Thread copyTerminal(Fd master, OutputStream to, boolean[] gone) {
    return Thread.ofPlatform()
        .name("berth-stream-tty")
        .daemon(true)
        .start(
            () -> {
              ByteBuffer buf = ByteBuffer.allocateDirect(32 << 10);
              byte[] b = new byte[32 << 10];
              OutputStream sink = to;
              short[] rev = new short[1];
              try {
                while (true) {
                  synchronized (gone) {
                    if (gone[0]) return;
                  }
                  int ready =
                      Linux.poll(
                          new Fd[] {master}, new short[] {LinuxConstants.POLLIN}, rev, POLL_MS);
                  if (ready == 0) continue;
                  buf.clear();
                  int n = Linux.read(master, buf);
                  if (n <= 0) return;
                  if (sink == null) continue;
                  buf.get(0, b, 0, n);
                  try {
                    sink.write(b, 0, n);
                  } catch (IOException e) {
                    sink = null; // the client left: drain until the hangup ends the process
                  }
                }
              } catch (ErrnoException e) {
                // EIO: the process and its terminal are gone
              } finally {
                synchronized (master) {
                  master.close();
                }
              }
            });
  }

  private static Thread resizes(Fd master, Streams s) {
    return Thread.ofPlatform()
        .name("berth-stream-resize")
        .daemon(true)
        .start(
            () -> {
              try {
                for (TerminalSize t; (t = s.nextResize()) != null; ) {
                  synchronized (master) {
                    if (!master.isOpen()) return;
                    Linux.setWinsize(master, t.height(), t.width());
                  }
                }
              } catch (InterruptedException | ErrnoException e) {
                // the session ended
              }
            });
  }

  private static void tell(OutputStream s, String message) {
    if (s == null) return;
    try {
      s.write(("exec failed: " + message + "\r\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException gone) {
      // the client left
    }
  }

  private static Path proc(Fd fd) {
    return Path.of("/proc/self/fd/" + fd.fd());
  }

  // ---- attach ----

  @Override
  public void attach(AttachRequest request, Streams s) throws BerthException, IOException {
    ContainerRecord r = engine.inspect(request.containerId());
    String id = r.id();
    AttachClient client;
    try {
      client = AttachClient.connect(engine.layout(id).attachSocket());
    } catch (ErrnoException e) {
      throw new BerthException(
          ErrorCategory.FAILED_PRECONDITION,
          "attach to container " + request.containerId() + ": it is not running",
          e);
    }
    try (client) {
      s.onDisconnect(client::shutdown);
      // containerd reads a client's stdin only into a container that keeps one open.
      if (s.stdin() != null && r.options().openStdin()) {
        boolean once = r.options().stdinEndsWithAttach();
        Thread.ofPlatform()
            .name("berth-stream-attach-in")
            .daemon(true)
            .start(() -> attachStdin(s.stdin(), client, once));
      }
      Thread resizer = null;
      if (s.tty()) {
        resizer =
            Thread.ofPlatform()
                .name("berth-stream-resize")
                .daemon(true)
                .start(
                    () -> {
                      try {
                        for (TerminalSize t; (t = s.nextResize()) != null; ) {
                          client.resize(t.height(), t.width());
                        }
                      } catch (InterruptedException | ErrnoException e) {
                        // the session ended
                      }
                    });
      }
      try {
        for (AttachClient.Frame f; (f = client.read()) != null; ) {
          OutputStream to =
              switch (f.kind()) {
                case STDOUT -> s.stdout();
                case STDERR -> s.tty() ? s.stdout() : s.stderr();
                case EXIT -> null;
              };
          if (f.kind() == AttachClient.Kind.EXIT) return;
          if (to != null) to.write(f.data());
        }
      } catch (ErrnoException e) {
        // the monitor went away: the container has ended
      } finally {
        client.shutdown();
        if (resizer != null) resizer.interrupt();
      }
    }
  }

  /**
   * The client's stdin to the container's; its end closes the container's with stdin_once (no
   * terminal), else ends this attach and leaves the container's open: containerd's rule.
   */
  private static void attachStdin(InputStream in, AttachClient client, boolean once) {
    byte[] b = new byte[AttachClient.MAX_PAYLOAD];
    try {
      for (int n; (n = in.read(b)) > 0; ) client.stdin(Arrays.copyOf(b, n));
      client.closeStdin();
      if (!once) client.shutdown();
    } catch (IOException e) {
      // the client or the container went away
    }
  }

  // ---- port forward ----

  @Override
  public void portForward(String podSandboxId, int port, Duplex stream)
      throws BerthException, IOException {
    Path ns = netns.netns(podSandboxId);
    try (SocketChannel socket = NetnsDialer.connect(ns, port)) {
      Thread up =
          Thread.ofPlatform()
              .name("berth-stream-forward-in")
              .daemon(true)
              .start(
                  () -> {
                    byte[] b = new byte[32 << 10];
                    try {
                      for (int n; (n = stream.in().read(b)) > 0; ) {
                        ByteBuffer buf = ByteBuffer.wrap(b, 0, n);
                        while (buf.hasRemaining()) socket.write(buf);
                      }
                      socket.shutdownOutput(); // the client's half-close, passed on
                    } catch (IOException e) {
                      close(socket); // the client has gone (or the server): end both ways
                    }
                  });
      ByteBuffer buf = ByteBuffer.allocate(32 << 10);
      try {
        while (socket.read(buf.clear()) > 0) {
          stream.out().write(buf.array(), 0, buf.position());
        }
      } catch (IOException e) {
        // the client has gone
      }
      // The server has ended its side: the forward is over, as containerd's (a WebSocket client
      // cannot half-close, so waiting for the client's end could last as long as its connection).
      close(socket);
      stream.in().close();
      stream.out().close();
      try {
        up.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void close(SocketChannel s) {
    try {
      s.close();
    } catch (IOException e) {
      // closed already
    }
  }
}
