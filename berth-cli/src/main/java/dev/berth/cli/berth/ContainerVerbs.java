package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.format.Columns;
import dev.berth.cli.format.GoTemplate;
import dev.berth.engine.ContainerFilters;
import dev.berth.engine.ContainerViews;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineException;
import dev.berth.engine.HumanDuration;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.ResourceOptions;
import dev.berth.engine.container.DetachKeys;
import dev.berth.engine.container.DockerFlags;
import dev.berth.engine.container.RestartPolicy;
import dev.berth.engine.health.HealthState;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.image.ImageException;
import dev.berth.runtime.PhaseTrace;
import dev.berth.runtime.monitor.CriLog;
import dev.berth.runtime.monitor.ExitFile;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import dev.berth.sys.Signals;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The container verbs of {@code berth}: each parses its flags, calls the engine, and prints as
 * docker does.
 */
final class ContainerVerbs {
  private ContainerVerbs() {}

  /** docker's exit status for a failure of the engine itself (not of the container's command). */
  static final int ENGINE_ERROR = 125;

  // ---- create, run, start ----

  static int create(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    ContainerRecord r = createFrom(c, err, true, false);
    out.println(r.id());
    return 0;
  }

  /**
   * create's work, shared with run: the options, the image (pulled when missing, per --pull), the
   * container. {@code detached}: a {@code run -d}.
   */
  private static ContainerRecord createFrom(
      ParsedCommand c, PrintStream err, boolean checkNow, boolean detached)
      throws BerthException, IOException {
    ContainerOptions o = ContainerFlags.options(c.flags(), c.args(), System.getenv(), detached);
    Engine engine = BerthMain.engine(c);
    PhaseTrace.mark("engine opened");
    pullIfNeeded(c, engine, o.image(), err);
    ContainerRecord r = engine.create(o, checkNow);
    String cidfile = c.flags().getString("cidfile");
    if (!cidfile.isEmpty()) Files.writeString(Path.of(cidfile), r.id());
    return r;
  }

  private static void pullIfNeeded(ParsedCommand c, Engine engine, String image, PrintStream err)
      throws BerthException {
    String policy = c.flags().getString("pull");
    boolean present;
    try {
      engine.images().resolve(image);
      present = true;
    } catch (ImageException e) {
      if (e.category() != ErrorCategory.NOT_FOUND) throw e;
      present = false;
    }
    switch (policy) {
      case "never" -> {
        if (!present) throw EngineException.notFound("No such image: " + image);
      }
      case "missing" -> {
        if (!present) pull(engine, image, c.flags().getBool("quiet"), err);
      }
      case "always" -> pull(engine, image, c.flags().getBool("quiet"), err);
      default ->
          throw EngineException.invalid(
              "invalid pull option: '" + policy + "' (want missing, always or never)");
    }
  }

  private static void pull(Engine engine, String image, boolean quiet, PrintStream err)
      throws BerthException {
    if (!quiet) err.println("Unable to find image '" + image + "' locally");
    ProgressPrinter progress = new ProgressPrinter(err, false, quiet);
    engine.images().pull(image, null, progress);
    progress.finish();
  }

  static int run(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    DetachKeys.parse(c.flags().getString("detach-keys")); // a bad spec fails before the create
    ContainerRecord r = createFrom(c, err, false, c.flags().getBool("detach"));
    Engine engine = BerthMain.engine(c);
    boolean detach = c.flags().getBool("detach");
    if (detach) {
      try {
        engine.start(r.id(), Engine.StartListener.NONE);
      } catch (BerthException e) {
        return failedStart(engine, r, e, err);
      }
      out.println(r.id());
      return 0;
    }
    return attachAndStart(engine, r, c, true, out, err);
  }

  /**
   * Starts {@code r} attached to this terminal and waits for its exit; returns the container's exit
   * code, or 0 when the user detached (the container runs on).
   */
  private static int attachAndStart(
      Engine engine,
      ContainerRecord r,
      ParsedCommand c,
      boolean removeOnBadStart,
      PrintStream out,
      PrintStream err)
      throws BerthException, IOException {
    boolean tty = r.options().tty();
    boolean stdin = c.flags().getBool("interactive") && r.options().openStdin();
    DetachKeys keys = DetachKeys.parse(c.flags().getString("detach-keys"));
    boolean sigProxy = !c.flags().isSet("sig-proxy") || c.flags().getBool("sig-proxy");
    // A session the user may detach from leaves the container's end to its monitor's exit command.
    boolean mayDetach = tty && stdin;
    AttachSession[] session = {null};
    ContainerRecord started;
    try {
      started =
          engine.start(
              r.id(),
              new Engine.StartListener() {
                @Override
                public void created(ContainerRecord rec, Path socket) throws IOException {
                  session[0] = AttachSession.open(socket, tty, out, err);
                }

                @Override
                public boolean releasesAtExit() {
                  return !mayDetach; // this CLI waits for the exit and reconciles (or removes) the
                  // container itself
                }
              });
    } catch (BerthException e) {
      if (session[0] != null) session[0].close();
      if (!removeOnBadStart) throw e;
      return failedStart(engine, r, e, err);
    }
    if (session[0] == null)
      return 0; // running already: docker start -a of a running container attaches; later
    boolean detached = false;
    try (AttachSession s = session[0]) {
      s.begin(stdin, r.options().stdinEndsWithAttach(), started.state().pid(), sigProxy, keys);
      ExitFile.ExitStatus exit = s.pump();
      PhaseTrace.mark("container ran");
      out.flush();
      err.flush();
      if (exit != null) {
        if (r.options().autoRemove()) {
          remove(engine, r);
        } else {
          release(engine, r);
        }
        PhaseTrace.mark("container released");
        return exit.exitCode();
      }
      detached = s.detached();
    }
    if (detached) return AttachVerb.detached(err);
    // The monitor went away without an exit frame: ask the engine.
    int code = engine.await(r.id());
    if (r.options().autoRemove()) remove(engine, r);
    return code;
  }

  /**
   * Records the exit and releases the container's mounts now, as its monitor's exit command would
   * have.
   */
  private static void release(Engine engine, ContainerRecord r) {
    try {
      engine.inspect(r.id());
    } catch (BerthException e) {
      // removed meanwhile by another berth: nothing to release
    }
  }

  private static void remove(Engine engine, ContainerRecord r) {
    try {
      engine.remove(r.id(), true, false);
    } catch (BerthException e) {
      // removed already (its monitor's cleanup), or it will be at the next look
    }
  }

  /**
   * A run whose start failed: the container is removed (nothing of a failed run stays), the error
   * printed, and docker's status returned: 127 for a command not found, 126 for one that cannot
   * run, else 125.
   */
  private static int failedStart(
      Engine engine, ContainerRecord r, BerthException e, PrintStream err) {
    int code = ENGINE_ERROR;
    try {
      code = engine.containers().get(r.id()).state().exitCode();
    } catch (BerthException ignored) {
      // gone
    }
    try {
      engine.discard(r.id());
    } catch (BerthException ignored) {
      // the start error is the one to report
    }
    err.println("Error: " + e.getMessage());
    return code == 126 || code == 127 ? code : ENGINE_ERROR;
  }

  static int start(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    boolean attach = c.flags().getBool("attach");
    if (attach) {
      if (c.args().size() != 1)
        throw EngineException.invalid("you cannot start and attach multiple containers at once");
      ContainerRecord r = engine.inspect(c.arg(0));
      return attachAndStart(engine, r, c, false, out, err);
    }
    return forEach(
        c,
        err,
        ref -> {
          engine.start(ref, Engine.StartListener.NONE);
          out.println(ref);
        });
  }

  // ---- stop, restart, kill, pause, rm, wait, rename ----

  interface Action {
    void apply(String ref) throws BerthException, IOException;
  }

  /**
   * Runs {@code a} on every argument; errors are printed, and if any failed the status is docker's
   * (BerthExit).
   */
  private static int forEach(ParsedCommand c, PrintStream err, Action a) throws IOException {
    int status = 0;
    for (String ref : c.args()) {
      try {
        a.apply(ref);
      } catch (BerthException e) {
        err.println("Error: " + e.getMessage());
        status = BerthExit.code(c.app().name(), c.command().name(), e.category());
      }
    }
    return status;
  }

  static int stop(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    int t = c.flags().getInt("time");
    return forEach(
        c,
        err,
        ref -> {
          engine.stop(ref, t < 0 ? null : t);
          out.println(ref);
        });
  }

  static int restart(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    int t = c.flags().getInt("time");
    return forEach(
        c,
        err,
        ref -> {
          engine.stop(ref, t < 0 ? null : t);
          engine.start(ref, Engine.StartListener.NONE);
          out.println(ref);
        });
  }

  static int kill(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    int signal;
    try {
      signal = Signals.parse(c.flags().getString("signal"));
    } catch (IllegalArgumentException e) {
      throw EngineException.invalid("invalid signal: " + c.flags().getString("signal"));
    }
    return forEach(
        c,
        err,
        ref -> {
          engine.kill(ref, signal);
          out.println(ref);
        });
  }

  static int pause(ParsedCommand c, PrintStream out, PrintStream err, boolean pause)
      throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    return forEach(
        c,
        err,
        ref -> {
          if (pause) {
            engine.pause(ref);
          } else {
            engine.unpause(ref);
          }
          out.println(ref);
        });
  }

  static int rm(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    boolean force = c.flags().getBool("force");
    boolean volumes = c.flags().getBool("volumes");
    return forEach(
        c,
        err,
        ref -> {
          engine.remove(ref, force, volumes);
          out.println(ref);
        });
  }

  static int await(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    String condition = c.flags().getString("condition");
    if (!condition.isEmpty() && !condition.equals("not-running")) {
      throw new EngineException(
          ErrorCategory.UNIMPLEMENTED,
          "wait --condition " + condition + ": only not-running is supported");
    }
    return forEach(c, err, ref -> out.println(engine.await(ref)));
  }

  static int rename(ParsedCommand c) throws BerthException, IOException {
    BerthMain.engine(c).rename(c.arg(0), c.arg(1));
    return 0;
  }

  /**
   * The monitor's exit command: reconcile (release mounts, remove an --rm container). Quiet: nobody
   * reads it.
   */
  static int cleanup(ParsedCommand c) {
    // A store that is gone (a test's temporary one, removed before the container's monitor ran
    // this) has nothing to release, and opening it would make an empty one.
    if (!java.nio.file.Files.isDirectory(Path.of(c.globals().getString("root")))) return 0;
    try {
      // Brings its record up to date (exited, its mounts and network released, --rm removed),
      // then starts it again if its restart policy says so.
      BerthMain.engine(c).restartByPolicy(c.arg(0));
    } catch (BerthException | IOException e) {
      // removed (--rm), or removed meanwhile by another berth
    }
    return 0;
  }

  // ---- ps, inspect, logs ----

  private static final Map<String, String> PS_HEADERS =
      Map.ofEntries(
          Map.entry("ID", "CONTAINER ID"),
          Map.entry("RunningFor", "CREATED"),
          Map.entry("CreatedAt", "CREATED AT"));
  private static final String PS_TABLE =
      "{{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}";

  static int ps(ParsedCommand c, PrintStream out) throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    boolean all = c.flags().getBool("all");
    boolean noTrunc = c.flags().getBool("no-trunc");
    List<String> filterFlags = c.flags().getList("filter");
    java.util.function.Predicate<ContainerRecord> filter =
        ContainerFilters.parse(filterFlags, ContainerFilters.LIST, engine::healthStatus);
    boolean byStatus = ContainerFilters.selectsStatus(filterFlags);
    int last = c.flags().getBool("latest") ? 1 : c.flags().getInt("last");
    Instant now = Instant.now();
    List<ContainerRecord> shown = new ArrayList<>();
    for (ContainerRecord r : engine.list()) {
      boolean running = r.state().status() == Status.RUNNING || r.state().status() == Status.PAUSED;
      if (!all && last < 0 && !running && !byStatus) continue;
      if (filter.test(r)) shown.add(r);
    }
    if (last >= 0 && shown.size() > last) shown = shown.subList(0, last);
    if (c.flags().getBool("quiet")) {
      for (ContainerRecord r : shown) out.println(noTrunc ? r.id() : r.shortId());
      return 0;
    }
    String format = c.flags().getString("format");
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ContainerRecord r : shown) {
      HealthState health = engine.health(r).orElse(null);
      rows.add(
          format.equals("json")
              ? ContainerViews.summary(r, health, now)
              : psRow(r, health, now, noTrunc));
    }
    try {
      Columns.print(out, rows, format, PS_TABLE, PS_HEADERS);
    } catch (GoTemplate.TemplateException e) {
      throw EngineException.invalid("template: " + e.getMessage());
    }
    return 0;
  }

  /** A row of docker ps's table and template fields. */
  static Map<String, Object> psRow(
      ContainerRecord r, HealthState health, Instant now, boolean noTrunc) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ID", noTrunc ? r.id() : r.shortId());
    m.put("Image", r.imageRef());
    String cmd = String.join(" ", ContainerViews.command(r));
    if (!noTrunc && cmd.length() > 20) cmd = cmd.substring(0, 19) + "\u2026";
    m.put("Command", "\"" + cmd + "\"");
    m.put("CreatedAt", createdAt(r.created()));
    m.put("RunningFor", HumanDuration.ago(Duration.between(r.created(), now)));
    m.put("Status", ContainerViews.statusText(r.state(), health, now));
    m.put("State", r.state().status().word());
    m.put("Ports", ContainerViews.portsText(r));
    m.put("Names", r.name());
    List<String> labels = new ArrayList<>();
    for (var e : new java.util.TreeMap<>(r.options().labels()).entrySet())
      labels.add(e.getKey() + "=" + e.getValue());
    m.put("Labels", String.join(",", labels));
    m.put("Mounts", String.join(",", r.volumes()));
    m.put("Networks", String.join(",", ContainerViews.networkNames(r)));
    m.put("Size", "0B");
    return m;
  }

  /** docker's CreatedAt: Go's time.Time String(), "2026-12-05 20:13:11 +0000 UTC". */
  private static String createdAt(Instant t) {
    String s = Rfc3339.format(t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    return s.substring(0, 10) + " " + s.substring(11, 19) + " +0000 UTC";
  }

  /**
   * docker inspect of containers; names that are no container are tried as images (unless --type
   * says which), and each missing one is an error after the others are printed.
   */
  static int inspect(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    String type = c.flags().getString("type");
    if (!type.isEmpty() && !type.equals("container") && !type.equals("image")) {
      throw EngineException.invalid("\"" + type + "\" is not a valid value for --type");
    }
    if (type.equals("image")) return InspectVerb.run(c, out);
    Engine engine = BerthMain.engine(c);
    List<Object> found = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String ref : c.args()) {
      try {
        ContainerRecord r = engine.inspect(ref);
        found.add(ContainerViews.inspect(r, engine.layout(r.id())));
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.NOT_FOUND) throw e;
        if (type.equals("container")) {
          missing.add(ref);
          continue;
        }
        try {
          found.add(BerthMain.service(c).inspect(ref));
        } catch (BerthException notImage) {
          if (notImage.category() != ErrorCategory.NOT_FOUND) throw notImage;
          missing.add(ref);
        }
      }
    }
    String format = c.flags().getString("format");
    if (format.isEmpty() || format.equals("json")) {
      JsonWriter w = new JsonWriter("    ");
      w.beginArray();
      for (Object o : found) {
        if (o instanceof dev.berth.image.ImageService.ImageDetails d) {
          dev.berth.engine.ImageViews.inspect(w, d);
        } else {
          w.tree(o);
        }
      }
      w.endArray();
      out.println(w);
    } else {
      try {
        GoTemplate t = GoTemplate.parse(format.replace("\\t", "\t").replace("\\n", "\n"));
        for (Object o : found) {
          if (o instanceof dev.berth.image.ImageService.ImageDetails) {
            throw EngineException.invalid(
                "--format templates apply to containers only so far; use json for images");
          }
          out.println(t.render(o));
        }
      } catch (GoTemplate.TemplateException e) {
        throw EngineException.invalid("template: " + e.getMessage());
      }
    }
    // docker's: what was found is printed ([] when nothing), then each missing name on stderr, and
    // exit 1.
    for (String m : missing) err.println("Error: No such object: " + m);
    return missing.isEmpty() ? 0 : BerthExit.CONTAINER_ERROR;
  }

  /**
   * berth update [flags] CONTAINER...: the flags given replace those limits (the others stay), as
   * docker update; each container's name as given is printed, errors go on to the next.
   */
  static int update(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    var f = c.flags();
    String[] names = {"memory", "memory-swap", "cpus", "cpu-shares", "cpuset-cpus", "pids-limit"};
    boolean any = f.isSet("restart");
    for (String n : names) any |= f.isSet(n);
    if (!any)
      throw EngineException.invalid("you must provide one or more flags when using this command");
    RestartPolicy restart = f.isSet("restart") ? RestartPolicy.parse(f.getString("restart")) : null;
    Engine engine = BerthMain.engine(c);
    int status = 0;
    for (String ref : c.args()) {
      try {
        ResourceOptions o = engine.inspect(ref).options().resources();
        long memory = f.isSet("memory") ? DockerFlags.bytes(f.getString("memory")) : o.memory();
        String swapText = f.getString("memory-swap");
        long swap =
            !f.isSet("memory-swap")
                ? o.memorySwap()
                : swapText.equals("-1") ? -1 : DockerFlags.bytes(swapText);
        long cpus = f.isSet("cpus") ? DockerFlags.nanoCpus(f.getString("cpus")) : o.nanoCpus();
        long shares =
            f.isSet("cpu-shares")
                ? ContainerFlags.number(f.getString("cpu-shares"), "--cpu-shares")
                : o.cpuShares();
        String cpuset = f.isSet("cpuset-cpus") ? f.getString("cpuset-cpus") : o.cpusetCpus();
        long pids =
            f.isSet("pids-limit")
                ? ContainerFlags.number(f.getString("pids-limit"), "--pids-limit")
                : o.pidsLimit();
        engine.update(
            ref,
            new ResourceOptions(
                    memory,
                    swap,
                    cpus,
                    shares,
                    cpuset == null || cpuset.isEmpty() ? null : cpuset,
                    pids,
                    o.cpuPeriod(),
                    o.cpuQuota(),
                    o.cpusetMems(),
                    o.hugepageLimits(),
                    o.unified())
                .withMemoryExtras(o.memoryReservation(), o.memorySwappiness(), o.oomKillDisable()),
            restart);
        out.println(ref);
      } catch (BerthException e) {
        err.println("Error: " + e.getMessage());
        status = 125;
      }
    }
    return status;
  }

  /** berth diff CONTAINER: docker's lines, {@code C /etc}. */
  static int diff(ParsedCommand c, PrintStream out) throws BerthException, IOException {
    StringBuilder b = new StringBuilder();
    for (var change : BerthMain.engine(c).changes(c.arg(0)))
      b.append(change.kind().letter()).append(' ').append(change.path()).append('\n');
    out.print(b);
    return 0;
  }

  static int logs(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    Engine engine = BerthMain.engine(c);
    ContainerRecord r = engine.inspect(c.arg(0));
    Path log = Engine.readableLogPath(r, engine.layout(r.id()));
    String tailText = c.flags().getString("tail");
    int tail;
    try {
      tail = tailText.equals("all") ? -1 : Integer.parseInt(tailText);
    } catch (NumberFormatException e) {
      throw EngineException.invalid(
          "invalid value for --tail: " + tailText + " (a number, or all)");
    }
    Instant since =
        c.flags().getString("since").isEmpty()
            ? null
            : DockerFlags.time(c.flags().getString("since"));
    Instant until =
        c.flags().getString("until").isEmpty()
            ? null
            : DockerFlags.time(c.flags().getString("until"));
    boolean timestamps = c.flags().getBool("timestamps");
    if (!c.flags().getBool("follow")) {
      // In batches: the log is the container's output, of any size.
      try (CriLog.Follower f = CriLog.reader(log, since, tail)) {
        for (List<CriLog.Entry> b; !(b = f.poll()).isEmpty(); ) {
          for (CriLog.Entry e : b) {
            if (until != null && e.time().isAfter(until)) return 0;
            print(e, timestamps, out, err);
          }
        }
      }
      return 0;
    }
    try (CriLog.Follower f = CriLog.follow(log, since, tail)) {
      while (true) {
        List<CriLog.Entry> batch = f.poll();
        for (CriLog.Entry e : batch) {
          if (until != null && e.time().isAfter(until)) return 0;
          print(e, timestamps, out, err);
        }
        out.flush();
        err.flush();
        if (!batch.isEmpty()) continue;
        ContainerRecord now = engine.inspect(r.id());
        if (now.state().status() != Status.RUNNING && now.state().status() != Status.PAUSED) {
          // Drained: what the container wrote before its exit is all in the file now.
          for (List<CriLog.Entry> b; !(b = f.poll()).isEmpty(); ) {
            for (CriLog.Entry e : b) {
              if (until != null && e.time().isAfter(until)) return 0;
              print(e, timestamps, out, err);
            }
          }
          break;
        }
        sleep(100);
      }
    }
    return 0;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void print(CriLog.Entry e, boolean timestamps, PrintStream out, PrintStream err) {
    PrintStream to = e.stream() == CriLog.Stream.STDERR ? err : out;
    if (timestamps) to.print(Rfc3339.formatFixedNanos(e.time()) + " ");
    to.write(e.text(), 0, e.text().length);
    if (!e.partial()) to.print('\n');
  }
}
