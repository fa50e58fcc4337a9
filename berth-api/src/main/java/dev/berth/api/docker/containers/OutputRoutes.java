package dev.berth.api.docker.containers;

import dev.berth.api.docker.ApiError;
import dev.berth.api.docker.Exchange;
import dev.berth.api.docker.Hijacked;
import dev.berth.api.docker.ResponseStream;
import dev.berth.api.docker.Router;
import dev.berth.api.docker.StdFrames;
import dev.berth.engine.Engine;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.DetachKeys;
import dev.berth.engine.container.DockerFlags;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.runtime.monitor.AttachClient;
import dev.berth.runtime.monitor.CriLog;
import dev.berth.runtime.monitor.ExitFile;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.Rfc3339;
import dev.berth.sys.ErrnoException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A container's output and end: {@code logs} (from its CRI log, followed), {@code attach}
 * (hijacked, through its monitor's attach socket; parked until the start when it does not run yet)
 * and {@code wait} (headers at once, the body when the condition is met).
 */
final class OutputRoutes {
  static final String RAW = "application/vnd.docker.raw-stream";
  static final String MULTIPLEXED = "application/vnd.docker.multiplexed-stream";

  /** How often a follower or a waiter looks again when nothing woke it. */
  private static final long POLL_MS = 200;

  private final Engine engine;
  private final Sessions sessions;

  OutputRoutes(Engine engine, Sessions sessions) {
    this.engine = engine;
    this.sessions = sessions;
  }

  void register(Router r) {
    r.stream("GET", "/containers/{id}/logs", this::logs);
    r.stream("POST", "/containers/{id}/attach", this::attach);
    r.stream("POST", "/containers/{id}/wait", this::await);
  }

  // ---- logs ----

  private void logs(Exchange x) throws Exception {
    ContainerRecord c = engine.inspect(x.param("id"));
    boolean stdout = x.bool("stdout");
    boolean stderr = x.bool("stderr");
    if (!stdout && !stderr) {
      throw ApiError.badRequest("Bad parameters: you must choose at least one stream");
    }
    String tailText = x.query("tail", "all");
    int tail;
    try {
      tail = tailText.equals("all") ? -1 : Integer.parseInt(tailText);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("invalid value for tail: " + tailText);
    }
    Instant since = time(x.query("since"));
    Instant until = time(x.query("until"));
    boolean timestamps = x.bool("timestamps");
    boolean tty = c.options().tty();
    var log = Engine.readableLogPath(c, engine.layout(c.id()));
    ResponseStream s = x.stream(200, tty ? RAW : MULTIPLEXED);
    StdFrames frames = new StdFrames(s);
    LogWriter w = new LogWriter(tty ? null : frames, s, stdout, stderr, timestamps);
    boolean follow = x.bool("follow");
    CriLog.Follower f = follow ? CriLog.follow(log, since, tail) : CriLog.reader(log, since, tail);
    boolean handed = false;
    try {
      LogStream ls = new LogStream(c.id(), f, w, s, until);
      // What the log holds, in batches (it is the container's output, of any size), on this
      // thread (its writes wait for a slow client).
      while (true) {
        List<CriLog.Entry> batch = f.poll();
        if (!ls.write(batch)) return;
        if (batch.isEmpty()) break;
      }
      if (!follow) return;
      ContainerRecord now;
      try {
        now = engine.inspect(c.id());
      } catch (BerthException e) {
        if (e.category() == ErrorCategory.NOT_FOUND) return;
        throw e;
      }
      if (now.state().status() != Status.RUNNING && now.state().status() != Status.PAUSED) {
        // what it wrote before its exit
        for (List<CriLog.Entry> b; !(b = f.poll()).isEmpty(); ) if (!ls.write(b)) return;
        return;
      }
      // Followed: an idle follower holds no thread.
      x.handOff(ls);
      handed = true;
    } finally {
      if (!handed) f.close();
    }
  }

  /**
   * A followed log, looked at by the server's ticker: new records out, and the end once the
   * container's run is over (read from its record and its monitor's exit file, without the
   * container's lock, which a stop may hold for seconds).
   */
  private final class LogStream implements dev.berth.api.docker.StreamTicker.Task {
    /** Every how many looks without new records the container's state is read. */
    private static final int STATE_EVERY = 3;

    private final String id;
    private final CriLog.Follower follower;
    private final LogWriter w;
    private final ResponseStream out;
    private final Instant until;
    private int idle;
    private boolean over;

    LogStream(String id, CriLog.Follower follower, LogWriter w, ResponseStream out, Instant until) {
      this.id = id;
      this.follower = follower;
      this.w = w;
      this.out = out;
      this.until = until;
    }

    /** Writes {@code batch}; false once past {@code until}. */
    boolean write(List<CriLog.Entry> batch) throws IOException {
      for (CriLog.Entry e : batch) {
        if (until != null && e.time().isAfter(until)) return false;
        w.write(e);
      }
      return true;
    }

    @Override
    public boolean tick() throws IOException {
      if (!out.writable()) return true; // a slow client: read on once it caught up
      List<CriLog.Entry> batch = follower.poll();
      if (!write(batch)) return false;
      if (!batch.isEmpty()) return true;
      // Its run over: what it wrote before its exit was read by the looks since (in batches).
      if (over) return false;
      if (++idle < STATE_EVERY) return true;
      idle = 0;
      over = !running();
      return true;
    }

    private boolean running() {
      ContainerRecord now;
      try {
        now = engine.containers().get(id);
      } catch (BerthException e) {
        return false; // removed
      }
      Status st = now.state().status();
      if (st != Status.RUNNING && st != Status.PAUSED) return false;
      return !java.nio.file.Files.exists(engine.layout(id).exitFile());
    }

    @Override
    public void end(Throwable failure) {
      try {
        follower.close();
      } catch (IOException e) {
        // nothing held is lost
      }
    }
  }

  /** The API's since/until: a Unix time with a fraction ("0": none), or RFC 3339. */
  private static Instant time(String v) throws BerthException {
    if (v == null || v.isEmpty() || v.equals("0")) return null;
    return DockerFlags.time(v);
  }

  /** Log records to a client: framed per stream without a terminal, raw with one. */
  private record LogWriter(
      StdFrames frames, OutputStream raw, boolean stdout, boolean stderr, boolean timestamps) {
    void write(CriLog.Entry e) throws IOException {
      boolean err = e.stream() == CriLog.Stream.STDERR;
      if (err ? !stderr : !stdout) return;
      byte[] prefix =
          timestamps
              ? (Rfc3339.formatFixedNanos(e.time()) + " ").getBytes(StandardCharsets.US_ASCII)
              : new byte[0];
      byte[] line = new byte[prefix.length + e.text().length + (e.partial() ? 0 : 1)];
      System.arraycopy(prefix, 0, line, 0, prefix.length);
      System.arraycopy(e.text(), 0, line, prefix.length, e.text().length);
      if (!e.partial()) line[line.length - 1] = '\n';
      if (frames == null) {
        raw.write(line);
      } else {
        frames.frame(err ? StdFrames.STDERR : StdFrames.STDOUT, line, 0, line.length);
      }
    }
  }

  // ---- attach ----

  private void attach(Exchange x) throws Exception {
    ContainerRecord c = engine.inspect(x.param("id"));
    // docker reads a client's stdin only into a container that keeps one open.
    boolean stdin = x.bool("stdin") && c.options().openStdin();
    boolean stdout = x.bool("stdout");
    boolean stderr = x.bool("stderr");
    boolean logs = x.bool("logs");
    boolean stream = x.bool("stream");
    DetachKeys keys = DetachKeys.parse(x.query("detachKeys"));
    boolean tty = c.options().tty();
    String id = c.id();
    // Parked before the answer, so a start right after it (docker run) connects it.
    Status s = c.state().status();
    boolean running = s == Status.RUNNING || s == Status.PAUSED;
    CompletableFuture<AttachClient> parked = stream && !running ? sessions.park(id) : null;
    try (Hijacked h = x.hijack(tty ? RAW : MULTIPLEXED)) {
      OutputStream out = h.output();
      StdFrames frames = tty ? null : new StdFrames(out);
      if (logs) {
        LogWriter w = new LogWriter(frames, out, stdout, stderr, false);
        try (CriLog.Follower f = CriLog.reader(Engine.logPath(c, engine.layout(id)), null, -1)) {
          for (List<CriLog.Entry> b; !(b = f.poll()).isEmpty(); ) {
            for (CriLog.Entry e : b) w.write(e);
          }
        }
      }
      if (!stream) return;
      AttachClient client;
      if (parked != null) {
        client = connectWhenStarted(id, parked, h);
        parked = null;
        if (client == null) return;
      } else {
        try {
          client = AttachClient.connect(engine.layout(id).attachSocket());
        } catch (ErrnoException e) {
          return; // it ended meanwhile: the stream is over
        }
      }
      try (client) {
        pump(id, client, h, frames, c.options(), stdin, stdout, stderr, keys);
      }
    } finally {
      if (parked != null) sessions.unpark(id, parked);
    }
  }

  /**
   * Waits for the start that connects {@code parked}; null when the client left first, or the
   * container was started by another process (then its socket is tried directly).
   */
  private AttachClient connectWhenStarted(
      String id, CompletableFuture<AttachClient> parked, Hijacked h) throws Exception {
    while (true) {
      try {
        return parked.get(POLL_MS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (!h.isOpen()) {
          sessions.unpark(id, parked);
          return null;
        }
        ContainerRecord now;
        try {
          now = engine.containers().get(id);
        } catch (BerthException gone) {
          sessions.unpark(id, parked);
          return null;
        }
        if (now.state().status() == Status.RUNNING && !parked.isDone()) {
          // Started by another process (berth start): attach late, as docker attach would.
          sessions.unpark(id, parked);
          try {
            return AttachClient.connect(engine.layout(id).attachSocket());
          } catch (ErrnoException x) {
            return null;
          }
        }
      } catch (ExecutionException e) {
        return null; // the monitor's socket refused us: the container ended at once
      }
    }
  }

  /**
   * The container's output to the client until it exits or the client leaves; the client's input to
   * the container's stdin (its end closing the container's stdin with StdinOnce, else ending this
   * attach: docker's rule), and with a terminal the detach keys end the attach and leave the
   * container running.
   */
  private void pump(
      String id,
      AttachClient client,
      Hijacked h,
      StdFrames frames,
      ContainerOptions o,
      boolean stdin,
      boolean stdout,
      boolean stderr,
      DetachKeys keys) {
    if (stdin) {
      DetachKeys.Watcher watcher = o.tty() ? keys.watcher() : null;
      boolean once = o.stdinEndsWithAttach();
      Thread.ofPlatform()
          .name("berthd-attach-stdin")
          .daemon(true)
          .start(() -> pumpStdin(h.input(), client, watcher, once));
    }
    OutputStream out = h.output();
    try {
      for (AttachClient.Frame f; (f = client.read()) != null; ) {
        switch (f.kind()) {
          case STDOUT -> {
            if (stdout) write(out, frames, StdFrames.STDOUT, f.data());
          }
          case STDERR -> {
            if (stderr) write(out, frames, StdFrames.STDERR, f.data());
          }
          case EXIT -> {
            try {
              sessions.exited(id, ExitFile.parse(f.data(), "exit frame").exitCode());
            } catch (dev.berth.spec.json.SpecException e) {
              // a monitor's frame we cannot read: wait answers from the engine
            }
            return;
          }
        }
      }
    } catch (IOException e) {
      // the client left (or the monitor): the container runs on
    } finally {
      client.shutdown();
    }
  }

  private static void write(OutputStream out, StdFrames frames, int stream, byte[] data)
      throws IOException {
    if (frames == null) {
      out.write(data);
    } else {
      frames.frame(stream, data, 0, data.length);
    }
  }

  private static void pumpStdin(
      InputStream in, AttachClient client, DetachKeys.Watcher watcher, boolean once) {
    byte[] b = new byte[AttachClient.MAX_PAYLOAD];
    try {
      for (int n; (n = in.read(b)) > 0; ) {
        if (watcher == null) {
          client.stdin(java.util.Arrays.copyOf(b, n));
          continue;
        }
        DetachKeys.Scan scan = watcher.scan(b, n);
        if (scan.pass().length > 0) client.stdin(scan.pass());
        if (scan.detach()) {
          client.shutdown(); // the output loop ends; the container runs on
          return;
        }
      }
      if (watcher != null && watcher.held().length > 0) client.stdin(watcher.held());
      client.closeStdin();
      if (!once) client.shutdown(); // this attach ends; the container's stdin stays open
    } catch (IOException e) {
      // the client or the container went away
    }
  }

  // ---- wait ----

  private void await(Exchange x) throws Exception {
    String condition = x.query("condition", "not-running");
    if (!List.of("not-running", "next-exit", "removed").contains(condition)) {
      throw ApiError.badRequest(
          "invalid condition: " + condition + " (want not-running, next-exit or removed)");
    }
    ContainerRecord c = engine.inspect(x.param("id"));
    ResponseStream s = x.stream(200, Exchange.JSON);
    int code = waitFor(c, condition, s);
    // docker's body names the error field even when there is none (clients print it)
    s.line(("{\"Error\":null,\"StatusCode\":" + code + "}").getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Blocks until {@code condition} holds for container {@code c}: not running; a run that ends
   * after the wait began; or the container gone. Returns the exit code of its last run.
   */
  private int waitFor(ContainerRecord c, String condition, ResponseStream s) throws Exception {
    String id = c.id();
    Instant lastEnd = c.state().finishedAt();
    int code = c.state().exitCode();
    boolean ended = false;
    while (true) {
      ContainerRecord now;
      try {
        now = engine.inspect(id);
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.NOT_FOUND) throw e;
        Integer seen = sessions.lastExit(id);
        return seen != null ? seen : code;
      }
      Status st = now.state().status();
      if (st == Status.RUNNING || st == Status.PAUSED) {
        try {
          code = engine.await(id);
        } catch (BerthException e) {
          if (e.category() != ErrorCategory.NOT_FOUND) throw e;
          Integer seen = sessions.lastExit(id);
          return seen != null ? seen : code;
        }
        ended = true;
        lastEnd = null;
        if (!condition.equals("removed")) return code;
        continue;
      }
      if (condition.equals("not-running")) return now.state().exitCode();
      if (st == Status.EXITED && !Objects.equals(now.state().finishedAt(), lastEnd)) {
        // Started and ended between two looks.
        ended = true;
        lastEnd = now.state().finishedAt();
        code = now.state().exitCode();
      }
      if (ended && condition.equals("next-exit")) return code;
      if (!s.isOpen()) throw new ResponseStream.ClientGoneException();
      sessions.await(POLL_MS);
    }
  }
}
