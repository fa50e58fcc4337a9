package dev.berth.runtime.driver;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.runtime.cgroups.StatsJson;
import dev.berth.runtime.monitor.Monitor;
import dev.berth.runtime.state.Status;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.SpecWriter;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.WaitStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Any OCI runtime binary with runc's command line (runc, crun, berth-runc): each verb is one run of
 * {@code <binary> --root <root> --log <file> --log-format json <verb> ...}, as containerd's go-runc
 * and conmon drive runc. The binary's last error line (from its JSON log, not its stderr: a created
 * container keeps the stdio it was given, and a pipe there would never reach end of file) becomes
 * the message of the {@link ContainerException}, its words (runc's, which crun and berth-runc
 * share) the category.
 *
 * <p>The binary is started with posix_spawn (berth-sys), not {@link ProcessBuilder}: the container
 * inherits the binary's fds 0-2 and the preserved fds after them, which this driver maps exactly;
 * Java's process launcher would close them. Each driver has a state root of its own: two runtimes
 * never share one.
 */
public final class OciCliDriver implements RuntimeDriver {
  private final String name;
  private final String binary;
  private final Path root;
  private final List<String> globalArgs;
  private volatile String resolved;

  /**
   * The init pid of each container this driver created, to reap it after delete when this process
   * adopted it.
   */
  private final Map<String, Integer> inits = new ConcurrentHashMap<>();

  /**
   * @param binary a path, or a name looked up in PATH at first use
   * @param root the binary's {@code --root}: its state directory, this driver's own
   */
  public OciCliDriver(String name, String binary, Path root) {
    this(name, binary, root, List.of());
  }

  /**
   * @param globalArgs flags put before every verb, after {@code --root} and the log flags ({@code
   *     --systemd-cgroup}, crun's {@code --cgroup-manager=cgroupfs}): a configured handler's
   *     options
   */
  public OciCliDriver(String name, String binary, Path root, List<String> globalArgs) {
    this.name = name;
    this.binary = binary;
    this.root = root.toAbsolutePath();
    this.globalArgs = List.copyOf(globalArgs);
  }

  @Override
  public String name() {
    return name;
  }

  public Path root() {
    return root;
  }

  /** The binary's path: as configured, or found in PATH. */
  public String binary() throws ContainerException {
    String b = resolved;
    if (b != null) return b;
    if (binary.indexOf('/') >= 0) {
      if (!Files.isExecutable(Path.of(binary))) {
        throw ContainerException.invalid(
            "runtime " + name + ": " + binary + " is not an executable file");
      }
      b = binary;
    } else {
      String path = System.getenv("PATH");
      for (String dir :
          (path == null ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : path)
              .split(":")) {
        if (dir.isEmpty()) continue;
        Path p = Path.of(dir, binary);
        if (Files.isExecutable(p) && !Files.isDirectory(p)) {
          b = p.toString();
          break;
        }
      }
      if (b == null)
        throw ContainerException.invalid("runtime " + name + ": " + binary + " not found in PATH");
    }
    resolved = b;
    return b;
  }

  // --- the verbs ---

  @Override
  public void create(CreateRequest r) throws ContainerException {
    checkId(r.id());
    List<String> args =
        new ArrayList<>(List.of("create", "--bundle", r.bundle().toAbsolutePath().toString()));
    Path pidFile = r.pidFile();
    Path temp = null;
    try {
      // Always a pid file: the init's pid is what delete reaps (see the package documentation).
      if (pidFile == null) {
        temp = Files.createTempFile("berth-" + name + "-", ".pid");
        Files.delete(temp);
        pidFile = temp;
      }
      args.addAll(List.of("--pid-file", pidFile.toAbsolutePath().toString()));
      Path console = r.effectiveConsoleSocket();
      if (console != null)
        args.addAll(List.of("--console-socket", console.toAbsolutePath().toString()));
      if (r.noPivot()) args.add("--no-pivot");
      if (r.noNewKeyring()) args.add("--no-new-keyring");
      if (r.preserveFds() > 0)
        args.addAll(List.of("--preserve-fds", Integer.toString(r.preserveFds())));
      args.add(r.id());
      if (r.monitor() != null) {
        createUnderMonitor(r, args, pidFile);
        return;
      }
      Outcome o = run(args, r.stdio(), r.preserveFds(), false);
      if (o.status() != 0) throw failure("create", r.id(), o);
      try {
        inits.put(r.id(), Integer.parseInt(Files.readString(pidFile).trim()));
      } catch (IOException | NumberFormatException e) {
        // no pid to reap later: the container runs all the same
      }
    } catch (IOException e) {
      throw ContainerException.internal(name + " create " + r.id() + ": " + e.getMessage(), e);
    } finally {
      deleteQuietly(temp);
    }
  }

  /**
   * {@code <binary> create} as the monitor's child, with the monitor's stdio, as conmon runs it:
   * when it returns, the init it leaves is adopted by the monitor (the subreaper), which is told
   * its pid.
   */
  private void createUnderMonitor(CreateRequest r, List<String> args, Path pidFile)
      throws ContainerException {
    String bin = binary();
    Path log = newLog();
    Monitor monitor = null;
    try {
      int[] fds = new int[r.preserveFds()];
      for (int i = 0; i < fds.length; i++) fds[i] = 3 + i;
      monitor = Monitor.spawn(r.monitor(), bin, argv(bin, log, args).toArray(new String[0]), fds);
      Monitor.ChildExit exit = monitor.awaitChild();
      if (exit.exitCode() != 0)
        throw failure("create", r.id(), new Outcome(exit.exitCode(), null, lastError(log)));
      int pid;
      try {
        pid = Integer.parseInt(Files.readString(pidFile).trim());
      } catch (IOException | NumberFormatException e) {
        try {
          delete(r.id(), true);
        } catch (ContainerException ignored) {
          // the missing pid is the error to report
        }
        throw ContainerException.internal(name + " create " + r.id() + ": no pid in " + pidFile, e);
      }
      InProcessDriver.handOver(this, r.id(), monitor, pid);
      monitor = null;
    } catch (IOException e) {
      throw ContainerException.internal(name + " create " + r.id() + ": " + e.getMessage(), e);
    } finally {
      if (monitor != null) monitor.abort();
      deleteQuietly(log);
    }
  }

  @Override
  public void start(String id) throws ContainerException {
    simple("start", id, List.of("start", id));
  }

  @Override
  public ContainerStatus state(String id) throws ContainerException {
    checkId(id);
    Outcome o = run(List.of("state", id), Stdio.INHERIT, 0, true);
    if (o.status() != 0) throw failure("state", id, o);
    try {
      return parseState(o.stdout(), name + " state " + id);
    } catch (SpecException | IllegalArgumentException e) {
      throw ContainerException.internal(name + " state " + id + ": " + e.getMessage(), e);
    }
  }

  /** runc's state JSON: the runtime-spec state plus rootfs, created and owner. */
  static ContainerStatus parseState(byte[] json, String source) throws SpecException {
    String id = "";
    int pid = 0;
    Status status = null;
    String bundle = "";
    Instant created = null;
    Map<String, String> annotations = Map.of();
    try (JsonReader r = JsonReader.of(json, source)) {
      if (!r.beginObject()) throw r.error("expected the state object, got null");
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "id" -> id = r.string();
          case "pid" -> pid = r.int32();
          case "status" -> {
            String s = r.string();
            try {
              status = Status.valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
              throw r.error("unknown status \"" + s + "\"");
            }
          }
          case "bundle" -> bundle = r.string();
          case "created" -> {
            String s = r.string();
            try {
              created = s.isEmpty() ? null : Rfc3339.parse(s);
            } catch (IllegalArgumentException e) {
              throw r.error(e.getMessage());
            }
          }
          case "annotations" -> annotations = r.stringMap();
          default -> r.skip();
        }
      }
      r.end();
    }
    if (status == null) throw new SpecException(source, "status", "missing");
    return new ContainerStatus(
        id, pid, status, bundle.isEmpty() ? null : Path.of(bundle), created, annotations);
  }

  @Override
  public void kill(String id, int signal, boolean all) throws ContainerException {
    List<String> args = new ArrayList<>(List.of("kill"));
    if (all) args.add("--all");
    args.add(id);
    args.add(Integer.toString(signal));
    simple("kill", id, args);
  }

  @Override
  public void delete(String id, boolean force) throws ContainerException {
    simple("delete", id, force ? List.of("delete", "--force", id) : List.of("delete", id));
    Integer pid = inits.remove(id);
    if (pid != null) reapIfAdopted(pid);
  }

  /**
   * The init was the child of the binary's create, which exited: it was reparented to the nearest
   * subreaper, this process if it is one (then it is reaped here, not left a zombie), else an
   * ancestor or pid 1 that reaps it.
   */
  private static void reapIfAdopted(int pid) {
    for (int i = 0; i < 200; i++) {
      try {
        if (Linux.wait4(pid, LinuxConstants.WNOHANG).pid() == pid) return;
      } catch (ErrnoException e) {
        return; // ECHILD: not ours to reap
      }
      sleep(5); // killed by delete --force, not yet dead
    }
  }

  @Override
  public ExecResult exec(String id, ExecRequest r) throws ContainerException {
    checkId(id);
    Path process = null;
    Path temp = null;
    try {
      process = Files.createTempFile("berth-" + name + "-process-", ".json");
      Files.write(process, SpecWriter.writeProcess(r.process(), ""));
      Path pidFile = r.pidFile();
      if (pidFile == null) {
        temp = Files.createTempFile("berth-" + name + "-", ".pid");
        Files.delete(temp);
        pidFile = temp;
      }
      List<String> args =
          new ArrayList<>(
              List.of(
                  "exec",
                  "--process",
                  process.toString(),
                  "--pid-file",
                  pidFile.toAbsolutePath().toString()));
      if (r.consoleSocket() != null)
        args.addAll(List.of("--console-socket", r.consoleSocket().toString()));
      if (r.detach()) args.add("--detach");
      if (r.preserveFds() > 0)
        args.addAll(List.of("--preserve-fds", Integer.toString(r.preserveFds())));
      args.add(id);
      Outcome o = run(args, r.stdio(), r.preserveFds(), false);
      // In the foreground the binary exits with the process's status: only a logged error is the
      // runtime's own.
      if (o.error() != null || (r.detach() && o.status() != 0)) throw failure("exec", id, o);
      int pid = 0;
      try {
        pid = Integer.parseInt(Files.readString(pidFile).trim());
      } catch (IOException | NumberFormatException e) {
        if (r.detach())
          throw ContainerException.internal(name + " exec " + id + ": no pid in " + pidFile, e);
      }
      return new ExecResult(pid, r.detach() ? -1 : o.status());
    } catch (IOException e) {
      throw ContainerException.internal(name + " exec " + id + ": " + e.getMessage(), e);
    } finally {
      deleteQuietly(process);
      deleteQuietly(temp);
    }
  }

  @Override
  public List<Integer> pids(String id) throws ContainerException {
    checkId(id);
    Outcome o = run(List.of("ps", "--format", "json", id), Stdio.INHERIT, 0, true);
    if (o.status() != 0) throw failure("ps", id, o);
    List<Integer> pids = new ArrayList<>();
    try (JsonReader r = JsonReader.of(o.stdout(), name + " ps " + id)) {
      // runc prints null for a container without processes
      if (r.beginArray()) {
        while (r.nextElement()) pids.add(r.int32());
      }
    } catch (SpecException e) {
      throw ContainerException.internal(name + " ps " + id + ": " + e.getMessage(), e);
    }
    return pids;
  }

  @Override
  public void pause(String id) throws ContainerException {
    simple("pause", id, List.of("pause", id));
  }

  @Override
  public void resume(String id) throws ContainerException {
    simple("resume", id, List.of("resume", id));
  }

  @Override
  public void update(String id, Resources resources) throws ContainerException {
    checkId(id);
    Path file = null;
    try {
      file = Files.createTempFile("berth-" + name + "-resources-", ".json");
      Files.write(file, SpecWriter.writeResources(resources, ""));
      simple("update", id, List.of("update", "--resources", file.toString(), id));
    } catch (IOException e) {
      throw ContainerException.internal(name + " update " + id + ": " + e.getMessage(), e);
    } finally {
      deleteQuietly(file);
    }
  }

  @Override
  public Stats stats(String id) throws ContainerException {
    checkId(id);
    Outcome o = run(List.of("events", "--stats", id), Stdio.INHERIT, 0, true);
    if (o.status() != 0) throw failure("events --stats", id, o);
    try {
      Event e = parseEvent(o.stdout(), name + " events --stats " + id);
      if (e.stats() == null)
        throw new SpecException(name + " events --stats " + id, "type", "not a stats event");
      return e.stats();
    } catch (SpecException e) {
      throw ContainerException.internal(name + " events --stats " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * One line of {@code events}: its type ("stats", "oom", ...) and, for a stats event, the stats.
   */
  record Event(String type, Stats stats) {}

  /**
   * Reads {@code {"type":..., "id":..., "data":{...}}}; the data of a type other than stats is
   * skipped.
   */
  static Event parseEvent(byte[] line, String source) throws SpecException {
    String type = "";
    Stats stats = null;
    try (JsonReader r = JsonReader.of(line, source)) {
      if (!r.beginObject()) throw r.error("expected an event object, got null");
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "type" -> type = r.string();
          // runc writes "type" before "data".
          case "data" -> {
            if (type.equals("stats")) stats = StatsJson.read(r);
            else r.skip();
          }
          default -> r.skip();
        }
      }
    }
    if (type.equals("stats") && stats == null)
      throw new SpecException(source, "data", "missing in a stats event");
    return new Event(type, stats);
  }

  @Override
  public void events(String id, Duration interval, EventListener listener)
      throws ContainerException {
    if (interval.isNegative() || interval.isZero()) {
      throw ContainerException.invalid("duration interval must be greater than 0");
    }
    ContainerStatus st = state(id);
    if (st.status() == Status.STOPPED) {
      throw ContainerException.precondition("container with id " + id + " is not running");
    }
    String source = name + " events " + id;
    // The binary's events goes on reporting after the container stopped (runc's does): the init's
    // pidfd ends it.
    Fd pidfd;
    try {
      pidfd = Linux.pidfdOpen(st.pid(), 0);
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ESRCH) return;
      throw ContainerException.internal(source + ": " + e.getMessage(), e);
    }
    try (pidfd) {
      // The pid may have been reused between state and pidfd_open: ask again, through the pidfd's
      // process.
      ContainerStatus again = state(id);
      if (again.status() == Status.STOPPED || again.pid() != st.pid()) return;
      long ms = Math.max(1, interval.toMillis());
      Spawned p = spawn(List.of("events", "--interval", ms + "ms", id), Stdio.INHERIT, 0, true);
      boolean ended = false;
      Outcome o;
      try {
        ended = follow(p.stdout(), pidfd, source, listener);
      } finally {
        if (!ended) {
          try {
            Linux.kill(p.pid(), LinuxConstants.SIGKILL);
          } catch (ErrnoException e) {
            // exited meanwhile
          }
        }
        try {
          o = p.finish();
        } finally {
          p.close();
        }
      }
      // The binary ended the stream itself: an error unless the container stopped meanwhile.
      if (ended && o.status() != 0 && state(id).status() != Status.STOPPED)
        throw failure("events", id, o);
    }
  }

  /**
   * Hands each line of the binary's events to the listener until the init exits (false) or the
   * binary closes its output (true).
   */
  private static boolean follow(Fd out, Fd pidfd, String source, EventListener listener)
      throws ContainerException {
    Fd[] fds = {out, pidfd};
    short[] want = {LinuxConstants.POLLIN, LinuxConstants.POLLIN};
    short[] got = new short[2];
    ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
    java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
    try {
      while (true) {
        Linux.poll(fds, want, got, -1);
        if ((got[0] & (LinuxConstants.POLLIN | LinuxConstants.POLLHUP)) != 0) {
          buf.clear();
          if (Linux.read(out, buf) == 0) return true;
          buf.flip();
          while (buf.hasRemaining()) {
            byte b = buf.get();
            if (b != '\n') {
              pending.write(b);
              continue;
            }
            byte[] line = pending.toByteArray();
            pending.reset();
            if (line.length == 0) continue;
            Event e = parseEvent(line, source);
            if (e.stats() != null) listener.stats(e.stats());
            else if (e.type().equals("oom")) listener.oom();
          }
        }
        if ((got[1] & LinuxConstants.POLLIN) != 0) return false;
      }
    } catch (SpecException | IOException e) {
      // a line that is not an event, a failed read, or the listener's own error: the stream ends
      // with it
      throw ContainerException.internal(source + ": " + e.getMessage(), e);
    }
  }

  // --- running the binary ---

  /** A verb whose only result is success or the binary's error. */
  private void simple(String verb, String id, List<String> args) throws ContainerException {
    checkId(id);
    Outcome o = run(args, Stdio.INHERIT, 0, false);
    if (o.status() != 0) throw failure(verb, id, o);
  }

  /**
   * The ids the binary is given: runc's rule, and never one that reads as a flag (runc's rule
   * allows a leading '-', which its flag parser would take for a flag).
   */
  private static void checkId(String id) throws ContainerException {
    ContainerRuntime.checkId(id);
    if (id.startsWith("-")) throw ContainerException.invalid("invalid container id format: " + id);
  }

  /**
   * How a run of the binary ended: its exit status (128+signal when killed), what it wrote on
   * stdout when captured, and the message of the last error it logged, or null.
   */
  private record Outcome(int status, byte[] stdout, String error) {}

  private Outcome run(List<String> args, Stdio stdio, int preserveFds, boolean capture)
      throws ContainerException {
    Spawned p = spawn(args, stdio, preserveFds, capture);
    try {
      byte[] out = null;
      if (capture) {
        try {
          out = Linux.readAll(p.stdout());
        } catch (ErrnoException e) {
          throw ContainerException.internal(
              name + " " + args.get(0) + ": read its output: " + e.getMessage(), e);
        }
      }
      Outcome o = p.finish();
      return new Outcome(o.status(), out, o.error());
    } finally {
      p.close();
    }
  }

  /** A running binary: its pid, the read end of its stdout when captured, and its log file. */
  private final class Spawned implements AutoCloseable {
    private final int pid;
    private final Fd stdout;
    private final Path log;
    private Outcome outcome;

    Spawned(int pid, Fd stdout, Path log) {
      this.pid = pid;
      this.stdout = stdout;
      this.log = log;
    }

    int pid() {
      return pid;
    }

    Fd stdout() {
      return stdout;
    }

    /** Waits for the binary's exit; reads and removes its log. */
    Outcome finish() throws ContainerException {
      if (outcome != null) return outcome;
      WaitStatus ws;
      try {
        ws = Linux.wait4(pid, 0);
      } catch (ErrnoException e) {
        throw ContainerException.internal(name + ": wait for " + pid + ": " + e.getMessage(), e);
      }
      int status = ws.signaled() ? 128 + ws.termSig() : ws.exitCode();
      String error = lastError(log);
      deleteQuietly(log);
      outcome = new Outcome(status, null, error);
      return outcome;
    }

    @Override
    public void close() {
      if (stdout != null) stdout.close();
      deleteQuietly(log);
    }
  }

  private Path newLog() throws ContainerException {
    try {
      return Files.createTempFile("berth-" + name + "-", ".log");
    } catch (IOException e) {
      throw ContainerException.internal(name + ": make a log file: " + e.getMessage(), e);
    }
  }

  private List<String> argv(String bin, Path log, List<String> args) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                bin, "--root", root.toString(), "--log", log.toString(), "--log-format", "json"));
    argv.addAll(globalArgs);
    argv.addAll(args);
    return argv;
  }

  private Spawned spawn(List<String> args, Stdio stdio, int preserveFds, boolean capture)
      throws ContainerException {
    String bin = binary();
    Path log = newLog();
    List<String> argv = argv(bin, log, args);
    List<Fd> opened = new ArrayList<>();
    Fd readEnd = null;
    try {
      int[] parent = {0, 1, 2};
      Path[] files = {stdio.in(), stdio.out(), stdio.err()};
      for (int i = 0; i < 3; i++) {
        if (files[i] == null) continue;
        int flags =
            i == 0
                ? LinuxConstants.O_RDONLY
                : LinuxConstants.O_WRONLY | LinuxConstants.O_CREAT | LinuxConstants.O_APPEND;
        Fd fd = Linux.open(files[i].toString(), flags | LinuxConstants.O_CLOEXEC, 0644);
        opened.add(fd);
        parent[i] = fd.fd();
      }
      if (capture) {
        Fd[] pipe = Linux.pipe2(0);
        readEnd = pipe[0];
        opened.add(pipe[1]);
        parent[1] = pipe[1].fd();
      }
      int[] fdMap = new int[2 * (3 + preserveFds)];
      for (int i = 0; i < 3 + preserveFds; i++) {
        fdMap[2 * i] = i;
        fdMap[2 * i + 1] = i < 3 ? parent[i] : i;
      }
      Map<String, String> env = System.getenv();
      String[] envp = new String[env.size()];
      int k = 0;
      for (Map.Entry<String, String> e : env.entrySet())
        envp[k++] = e.getKey() + "=" + e.getValue();
      int pid = Linux.spawn(bin, argv.toArray(new String[0]), envp, fdMap, false);
      Spawned s = new Spawned(pid, readEnd, log);
      readEnd = null;
      return s;
    } catch (ErrnoException e) {
      deleteQuietly(log);
      throw ContainerException.invalid(name + " " + args.get(0) + ": " + e.getMessage());
    } finally {
      for (Fd fd : opened) fd.close();
      if (readEnd != null) readEnd.close();
    }
  }

  /**
   * The message of the last error-level line of a JSON log (runc's logrus format); a plain text
   * line as it is.
   */
  static String lastError(Path log) {
    List<String> lines;
    try {
      lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    }
    for (int i = lines.size() - 1; i >= 0; i--) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) continue;
      if (!line.startsWith("{")) return line;
      String level = "";
      String msg = null;
      try (JsonReader r = JsonReader.of(line.getBytes(StandardCharsets.UTF_8), log.toString())) {
        if (!r.beginObject()) continue;
        for (String f; (f = r.nextField()) != null; ) {
          switch (f) {
            case "level" -> level = r.string();
            case "msg" -> msg = r.string();
            default -> r.skip();
          }
        }
      } catch (SpecException e) {
        return line;
      }
      if (msg != null && (level.equals("error") || level.equals("fatal") || level.equals("panic")))
        return msg;
    }
    return null;
  }

  /**
   * The binary's error as a ContainerException of the category its words say (runc's words, which
   * crun and berth-runc use too), with the message in full.
   */
  private ContainerException failure(String verb, String id, Outcome o) {
    String msg = o.error() != null ? o.error() : "exited with status " + o.status();
    return classify(name + " " + verb + " " + id + ": " + msg, id, msg);
  }

  static ContainerException classify(String what, String id, String msg) {
    String m = msg.toLowerCase(Locale.ROOT);
    // runc's "container does not exist", berth-runc's "container \"c1\" does not exist" (after a
    // "exec failed: "
    // or so); not a missing rootfs or file whose path happens to hold the word.
    String idLower = id.toLowerCase(Locale.ROOT);
    if (m.contains("container does not exist")
        || m.contains("container \"" + idLower + "\" does not exist")
        || m.contains("container " + idLower + " does not exist")) {
      ContainerException e = ContainerException.notFound(id);
      e.initCause(new IOException(what));
      return e;
    }
    if (m.contains("already exists") || m.contains("with id exists"))
      return ContainerException.alreadyExists(what);
    if (m.contains("not running")
        || m.contains("not paused")
        || m.contains("already running")
        || m.contains("has stopped")
        || m.contains("not stopped")
        || m.contains("cannot exec in a")
        || m.contains("is paused")
        || m.contains("not created")) {
      return ContainerException.precondition(what);
    }
    if (m.contains("invalid")
        || m.contains("cannot allocate tty")
        || m.contains("console socket")
        || m.contains("no such file or directory")
        || m.contains("does not exist")
        || m.contains("not a directory")
        || m.contains("unknown")
        || m.contains("must be")) {
      return ContainerException.invalid(what);
    }
    return ContainerException.internal(what, null);
  }

  private static void deleteQuietly(Path p) {
    if (p == null) return;
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // a temporary file of ours: nothing to tell the caller
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
