package dev.berth.api.docker.containers;

import dev.berth.api.docker.ApiError;
import dev.berth.api.docker.Exchange;
import dev.berth.api.docker.Router;
import dev.berth.api.docker.networks.BridgeName;
import dev.berth.engine.ContainerFilters;
import dev.berth.engine.ContainerViews;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineException;
import dev.berth.engine.ProcessTable;
import dev.berth.engine.commit.Commit;
import dev.berth.engine.container.ContainerOptions.ResourceOptions;
import dev.berth.engine.container.RestartPolicy;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.image.ImageException;
import dev.berth.image.store.ImageRecord;
import dev.berth.runtime.monitor.AttachClient;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Signals;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code /containers/...}: create, list, inspect, the lifecycle (start, stop, restart, kill, pause,
 * unpause, remove, rename, prune), top, resize, and {@code /commit}; the output and file routes are
 * {@link OutputRoutes}' and {@link FileRoutes}'.
 */
public final class ContainerRoutes {
  private final Engine engine;
  private final Sessions sessions;
  private final Map<String, String> environment;

  public ContainerRoutes(Engine engine) {
    this(engine, System.getenv());
  }

  ContainerRoutes(Engine engine, Map<String, String> environment) {
    this.engine = engine;
    this.sessions = new Sessions(engine);
    this.environment = environment;
  }

  public void register(Router r) {
    r.post("/containers/create", this::create);
    r.get("/containers/json", this::list);
    r.post("/containers/prune", this::prune);
    r.get("/containers/{id}/json", this::inspect);
    r.post("/containers/{id}/start", this::start);
    r.post("/containers/{id}/stop", this::stop);
    r.post("/containers/{id}/restart", this::restart);
    r.post("/containers/{id}/kill", this::kill);
    r.post("/containers/{id}/pause", x -> engine.pause(x.param("id")));
    r.post("/containers/{id}/unpause", x -> engine.unpause(x.param("id")));
    r.post("/containers/{id}/rename", this::rename);
    r.post("/containers/{id}/update", this::update);
    r.get("/containers/{id}/top", this::top);
    r.post("/containers/{id}/resize", this::resize);
    r.delete("/containers/{id}", this::remove);
    r.post("/commit", this::commit);
    new OutputRoutes(engine, sessions).register(r);
    new FileRoutes(engine).register(r);
    new StatsRoutes(engine).register(r);
  }

  // ---- create ----

  private void create(Exchange x) throws Exception {
    List<String> warnings = new ArrayList<>();
    var options =
        CreateBody.parse(x.json(), x.query("name"), environment, engine::volumesFrom, warnings);
    try {
      engine.images().resolve(options.image());
    } catch (ImageException e) {
      // docker's answer for a missing image: its CLI pulls and creates again.
      if (e.category() == ErrorCategory.NOT_FOUND)
        throw EngineException.notFound("No such image: " + options.image());
      throw e;
    }
    ContainerRecord c = engine.create(options);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Id", c.id());
    m.put("Warnings", warnings);
    x.json(201, m);
  }

  // ---- list, inspect ----

  private void list(Exchange x) throws Exception {
    List<String> filters = x.filters().asFlags();
    Predicate<ContainerRecord> filter =
        ContainerFilters.parse(filters, ContainerFilters.LIST, engine::healthStatus);
    boolean all = x.bool("all") || ContainerFilters.selectsStatus(filters);
    long limit = x.integer("limit", -1);
    if (limit > 0) all = true;
    Instant now = Instant.now();
    List<Object> out = new ArrayList<>();
    for (ContainerRecord c : engine.list()) {
      Status s = c.state().status();
      if (!all && s != Status.RUNNING && s != Status.PAUSED) continue;
      if (!filter.test(c)) continue;
      if (limit > 0 && out.size() >= limit) break;
      Map<String, Object> m =
          BridgeName.inContainerView(ContainerViews.summary(c, engine.health(c).orElse(null), now));
      if (x.bool("size")) {
        m.put("SizeRw", 0L);
        m.put("SizeRootFs", 0L);
      }
      out.add(m);
    }
    x.json(200, out);
  }

  /**
   * The log driver docker's clients are shown. They read a container's output through the API only
   * from the drivers they know keep it (docker-py's foreground run and docker-compose's logs and
   * attached up check for json-file); berthd keeps every container's output in a CRI log file and
   * serves it through the same logs and attach calls.
   */
  public static final String LOG_DRIVER = "json-file";

  private void inspect(Exchange x) throws Exception {
    ContainerRecord c = engine.inspect(x.param("id"));
    Map<String, Object> m =
        BridgeName.inContainerView(ContainerViews.inspect(c, engine.layout(c.id())));
    if (m.get("HostConfig") instanceof Map<?, ?> h) {
      @SuppressWarnings("unchecked")
      Map<String, Object> host = (Map<String, Object>) h;
      // the engine's own log as docker's default driver; one asked for as asked
      if (c.options().host().log() == null)
        host.put("LogConfig", Map.of("Type", LOG_DRIVER, "Config", Map.of()));
    }
    if (x.bool("size")) {
      m.put("SizeRw", 0L);
      m.put("SizeRootFs", 0L);
    }
    x.json(200, m);
  }

  // ---- lifecycle ----

  private void start(Exchange x) throws Exception {
    ContainerRecord c = engine.inspect(x.param("id"));
    if (c.state().status() == Status.RUNNING) {
      x.respond(304); // docker's answer for a start of a running container
      return;
    }
    sessions.start(c.id());
    x.respond(204);
  }

  private void stop(Exchange x) throws Exception {
    ContainerRecord c = engine.inspect(x.param("id"));
    Status s = c.state().status();
    if (s != Status.RUNNING && s != Status.PAUSED) {
      x.respond(304); // docker's answer for a stop of a stopped container
      return;
    }
    engine.stop(c.id(), timeout(x));
    sessions.changed();
    x.respond(204);
  }

  private void restart(Exchange x) throws Exception {
    ContainerRecord c = engine.inspect(x.param("id"));
    engine.stop(c.id(), timeout(x));
    sessions.start(c.id());
    engine.restarted(c.id());
    x.respond(204);
  }

  /** {@code t} (or {@code timeout}, newer clients): seconds before SIGKILL; null: the default. */
  private static Integer timeout(Exchange x) throws ApiError {
    String name = x.query("t") != null ? "t" : "timeout";
    long t = x.integer(name, Long.MIN_VALUE);
    return t == Long.MIN_VALUE ? null : (int) Math.max(-1, Math.min(t, Integer.MAX_VALUE));
  }

  private void kill(Exchange x) throws Exception {
    int signal;
    try {
      signal = Signals.parse(x.query("signal", "SIGKILL"));
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(e.getMessage());
    }
    engine.kill(x.param("id"), signal);
    x.respond(204);
  }

  private void remove(Exchange x) throws Exception {
    engine.remove(x.param("id"), x.bool("force"), x.bool("v"));
    sessions.changed();
    x.respond(204);
  }

  /**
   * docker update: the resource fields present replace the container's (the others stay), and a
   * RestartPolicy its policy; {"Warnings": []}.
   */
  private void update(Exchange x) throws Exception {
    ContainerRecord c = engine.inspect(x.param("id"));
    ResourceOptions o = c.options().resources();
    long memory = o.memory();
    long swap = o.memorySwap();
    long nanoCpus = o.nanoCpus();
    long shares = o.cpuShares();
    String cpuset = o.cpusetCpus();
    long pids = o.pidsLimit();
    long period = o.cpuPeriod();
    long quota = o.cpuQuota();
    String mems = o.cpusetMems();
    long reservation = o.memoryReservation();
    List<String> warnings = new ArrayList<>();
    RestartPolicy restart = null;
    JsonReader r = x.json();
    if (!r.beginObject()) throw ApiError.badRequest("update: a JSON object is required");
    for (String f; (f = r.nextField()) != null; ) {
      if (r.isNull()) continue;
      switch (f) {
        case "Memory" -> memory = r.int64();
        case "MemorySwap" -> swap = r.int64();
        case "NanoCpus" -> nanoCpus = r.int64();
        case "CpuShares" -> shares = r.int64();
        case "CpusetCpus" -> cpuset = r.string();
        case "CpusetMems" -> mems = r.string();
        case "CpuPeriod" -> period = r.int64();
        case "CpuQuota" -> quota = r.int64();
        case "MemoryReservation" -> reservation = r.int64();
        // What docker update takes and berth does not set: said, as on create.
        case "BlkioWeight",
            "KernelMemory",
            "KernelMemoryTCP",
            "CpuRealtimePeriod",
            "CpuRealtimeRuntime" -> {
          long v = r.int64();
          if (v != 0) warnings.add(CreateBody.discarded(f, Long.toString(v)));
        }
        case "PidsLimit" -> {
          long v = r.int64();
          pids = v == 0 ? 0 : v < 0 ? -1 : v;
        }
        case "RestartPolicy" -> {
          String name = "";
          int max = 0;
          if (r.beginObject()) {
            for (String g; (g = r.nextField()) != null; ) {
              switch (g) {
                case "Name" -> name = r.isNull() ? "" : r.string();
                case "MaximumRetryCount" -> {
                  Integer v = r.optInt32();
                  max = v == null ? 0 : v;
                }
                default -> r.skip();
              }
            }
          }
          // An empty policy in an update leaves the container's as it is (the CLI sends one).
          if (!name.isEmpty()) restart = RestartPolicy.of(name, max);
        }
        default -> r.skip();
      }
    }
    engine.update(
        c.id(),
        new ResourceOptions(
                memory,
                swap,
                nanoCpus,
                shares,
                cpuset == null || cpuset.isEmpty() ? null : cpuset,
                pids,
                period,
                quota,
                mems,
                o.hugepageLimits(),
                o.unified())
            .withMemoryExtras(reservation, o.memorySwappiness(), o.oomKillDisable()),
        restart);
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginObject().name("Warnings").beginArray();
    for (String warning : warnings) w.value(warning);
    x.json(200, w.endArray().endObject());
  }

  private void rename(Exchange x) throws Exception {
    String name = x.query("name");
    if (name == null || name.isEmpty()) throw ApiError.badRequest("rename: a name is required");
    engine.rename(x.param("id"), name);
    x.respond(204);
  }

  private void prune(Exchange x) throws Exception {
    Predicate<ContainerRecord> filter =
        ContainerFilters.parse(x.filters().asFlags(), ContainerFilters.PRUNE);
    Engine.Pruned p = engine.prune(filter);
    sessions.changed();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ContainersDeleted", p.ids().isEmpty() ? null : p.ids());
    m.put("SpaceReclaimed", p.reclaimedBytes());
    x.json(200, m);
  }

  // ---- top, resize ----

  private void top(Exchange x) throws Exception {
    String args = x.query("ps_args", "");
    List<String> ps = args.isBlank() ? List.of() : List.of(args.trim().split("\\s+"));
    ProcessTable t = engine.top(x.param("id"), ps);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Titles", t.titles());
    m.put("Processes", t.processes());
    x.json(200, m);
  }

  private void resize(Exchange x) throws Exception {
    ContainerRecord c = engine.inspect(x.param("id"));
    int rows = (int) x.integer("h", 0);
    int cols = (int) x.integer("w", 0);
    if (c.state().status() != Status.RUNNING && c.state().status() != Status.PAUSED) {
      throw EngineException.precondition("Container " + c.id() + " is not running");
    }
    if (!c.options().tty() || rows <= 0 || cols <= 0) return; // nothing to size: docker says 200
    try (AttachClient a = AttachClient.connect(engine.layout(c.id()).attachSocket())) {
      a.resize(rows, cols);
    } catch (ErrnoException e) {
      throw EngineException.precondition("Container " + c.id() + " is not running");
    }
    x.respond(200);
  }

  // ---- commit ----

  private void commit(Exchange x) throws Exception {
    String container = x.query("container");
    if (container == null || container.isEmpty())
      throw ApiError.badRequest("commit: container is required");
    String repo = x.query("repo", "");
    String tag = x.query("tag", "");
    String reference = repo.isEmpty() ? null : tag.isEmpty() ? repo : repo + ":" + tag;
    List<String> changes = new ArrayList<>(x.queryAll("changes"));
    changes.removeIf(String::isEmpty);
    boolean pause = x.query("pause") == null || x.bool("pause");
    ImageRecord image =
        engine.commit(
            container,
            new Commit.Options(reference, x.query("author"), x.query("comment"), changes, pause));
    x.json(201, Map.of("Id", image.config().toString()));
  }
}
