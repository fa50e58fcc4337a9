package dev.berth.api.docker.system;

import dev.berth.api.docker.ApiError;
import dev.berth.api.docker.ApiVersions;
import dev.berth.api.docker.DaemonInfo;
import dev.berth.api.docker.Exchange;
import dev.berth.api.docker.Filters;
import dev.berth.api.docker.ResponseStream;
import dev.berth.api.docker.Router;
import dev.berth.api.docker.containers.ContainerRoutes;
import dev.berth.engine.ContainerViews;
import dev.berth.engine.Engine;
import dev.berth.engine.VolumeViews;
import dev.berth.engine.events.Event;
import dev.berth.engine.events.EventFilter;
import dev.berth.engine.events.EventLog;
import dev.berth.engine.events.EventMessages;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.engine.volume.Volume;
import dev.berth.image.ImageService;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.Reference;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The daemon itself: {@code _ping}, {@code version}, {@code info}, {@code events}, {@code
 * system/df}, and the builder's endpoints ({@code build} answers 501, {@code build/prune} that
 * there is nothing to prune: {@code docker system prune} calls it).
 */
public final class SystemRoutes {
  /** How old the event log's stamp may be: under the ticker's period. */
  private static final long EVENTS_STAMP_NS = 50_000_000L;

  private final Engine engine;
  private final DaemonInfo daemon;

  public SystemRoutes(Engine engine, DaemonInfo daemon) {
    this.engine = engine;
    this.daemon = daemon;
  }

  public void register(Router r) {
    r.get("/_ping", SystemRoutes::ping);
    r.head("/_ping", SystemRoutes::ping);
    r.get("/version", x -> x.json(200, version()));
    r.get("/info", x -> x.json(200, info()));
    r.stream("GET", "/events", this::events);
    r.get("/system/df", this::df);
    r.post(
        "/build/prune",
        x -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("CachesDeleted", null);
          m.put("SpaceReclaimed", 0);
          x.json(200, m);
        });
    r.add(
        "POST",
        "/build",
        Router.Body.STREAM,
        x -> {
          throw new ApiError(
              501, "berthd has no image builder: build the image elsewhere and load or pull it");
        });
  }

  private static void ping(Exchange x) {
    x.respond(200, "text/plain; charset=utf-8", "OK".getBytes());
  }

  private Map<String, Object> version() {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("ApiVersion", ApiVersions.CURRENT);
    details.put("Arch", arch());
    details.put("BuildTime", "");
    details.put("Experimental", "false");
    details.put("GitCommit", daemon.commit());
    details.put("GoVersion", "");
    details.put("KernelVersion", kernel());
    details.put("MinAPIVersion", ApiVersions.MIN);
    details.put("Os", "linux");
    Map<String, Object> engineComponent = new LinkedHashMap<>();
    engineComponent.put("Name", "Engine");
    engineComponent.put("Version", daemon.version());
    engineComponent.put("Details", details);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Platform", Map.of("Name", "Berth"));
    m.put("Components", List.of(engineComponent));
    // Clients compare this with docker's release numbers (Testcontainers refuses a server older
    // than 1.6.0): the docker release whose API berthd speaks; berth's own version is the
    // Engine component's.
    m.put("Version", ApiVersions.DOCKER_RELEASE);
    m.put("ApiVersion", ApiVersions.CURRENT);
    m.put("MinAPIVersion", ApiVersions.MIN);
    m.put("GitCommit", daemon.commit());
    m.put("GoVersion", "");
    m.put("Os", "linux");
    m.put("Arch", arch());
    m.put("KernelVersion", kernel());
    m.put("BuildTime", "");
    return m;
  }

  private Map<String, Object> info() throws BerthException {
    int running = 0;
    int paused = 0;
    int stopped = 0;
    List<ContainerRecord> all = engine.list();
    for (ContainerRecord r : all) {
      Status s = r.state().status();
      if (s == Status.RUNNING) running++;
      else if (s == Status.PAUSED) paused++;
      else stopped++;
    }
    Set<Digest> images = new LinkedHashSet<>();
    for (ImageRecord i : engine.images().list()) if (i.config() != null) images.add(i.config());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ID", hostId());
    m.put("Containers", all.size());
    m.put("ContainersRunning", running);
    m.put("ContainersPaused", paused);
    m.put("ContainersStopped", stopped);
    m.put("Images", images.size());
    m.put("Driver", "overlay2");
    m.put("DriverStatus", List.of(List.of("Backing Filesystem", "extfs")));
    Map<String, Object> plugins = new LinkedHashMap<>();
    plugins.put("Volume", List.of("local"));
    plugins.put("Network", List.of("bridge", "host", "none"));
    plugins.put("Authorization", null);
    plugins.put("Log", List.of(ContainerRoutes.LOG_DRIVER));
    m.put("Plugins", plugins);
    m.put("MemoryLimit", true);
    m.put("SwapLimit", true);
    m.put("CpuCfsPeriod", true);
    m.put("CpuCfsQuota", true);
    m.put("CPUShares", true);
    m.put("CPUSet", true);
    m.put("PidsLimit", true);
    m.put("IPv4Forwarding", "1".equals(read("/proc/sys/net/ipv4/ip_forward")));
    m.put("Debug", false);
    m.put("NFd", openFds());
    m.put("OomKillDisable", false);
    m.put("NGoroutines", Thread.activeCount());
    m.put("SystemTime", Rfc3339.format(Instant.now()));
    m.put("LoggingDriver", ContainerRoutes.LOG_DRIVER);
    m.put("CgroupDriver", "cgroupfs");
    m.put("CgroupVersion", Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")) ? "2" : "1");
    m.put("NEventsListener", 0);
    m.put("KernelVersion", kernel());
    m.put("OperatingSystem", osRelease("PRETTY_NAME"));
    m.put("OSVersion", osRelease("VERSION_ID"));
    m.put("OSType", "linux");
    m.put(
        "Architecture",
        System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch"));
    m.put("IndexServerAddress", "https://index.docker.io/v1/");
    Map<String, Object> registry = new LinkedHashMap<>();
    registry.put("AllowNondistributableArtifactsCIDRs", null);
    registry.put("AllowNondistributableArtifactsHostnames", null);
    registry.put("InsecureRegistryCIDRs", List.of("127.0.0.0/8"));
    registry.put("IndexConfigs", Map.of());
    registry.put("Mirrors", null);
    m.put("RegistryConfig", registry);
    m.put("NCPU", Runtime.getRuntime().availableProcessors());
    m.put("MemTotal", memTotal());
    m.put("GenericResources", null);
    m.put("DockerRootDir", engine.config().root().toString());
    m.put("HttpProxy", "");
    m.put("HttpsProxy", "");
    m.put("NoProxy", "");
    m.put("Name", read("/proc/sys/kernel/hostname"));
    m.put("Labels", List.of());
    m.put("ExperimentalBuild", false);
    m.put("ServerVersion", daemon.version());
    m.put("Runtimes", Map.of("berth", Map.of("path", "berth")));
    m.put("DefaultRuntime", "berth");
    Map<String, Object> swarm = new LinkedHashMap<>();
    swarm.put("NodeID", "");
    swarm.put("NodeAddr", "");
    swarm.put("LocalNodeState", "inactive");
    swarm.put("ControlAvailable", false);
    swarm.put("Error", "");
    swarm.put("RemoteManagers", null);
    m.put("Swarm", swarm);
    m.put("LiveRestoreEnabled", true);
    m.put("Isolation", "");
    m.put("InitBinary", "");
    m.put("ContainerdCommit", Map.of("ID", ""));
    m.put("RuncCommit", Map.of("ID", ""));
    m.put("InitCommit", Map.of("ID", ""));
    m.put("SecurityOptions", List.of("name=seccomp,profile=builtin"));
    m.put("Warnings", null);
    return m;
  }

  // ---- events ----

  /**
   * {@code GET /events}: what the log holds since {@code since} on this thread, then the stream is
   * handed to the server's {@link dev.berth.api.docker.StreamTicker}: an idle subscriber holds no
   * thread, and its follower reads the log only when the log changed.
   */
  private void events(Exchange x) throws Exception {
    Instant since = time(x.query("since"), "since");
    Instant until = time(x.query("until"), "until");
    Filters f = x.filters();
    EventFilter filter = EventFilter.parse(f.asFlags());
    boolean history = since != null;
    EventLog.Follower follower = engine.events().follow(history);
    boolean handed = false;
    try {
      ResponseStream out = x.stream(200, Exchange.JSON);
      EventStream s = new EventStream(follower, out, since, until, filter);
      if (!s.pump()) return;
      x.handOff(s);
      handed = true;
    } finally {
      if (!handed) follower.close();
    }
  }

  /** One events subscriber, looked at by the ticker once its history is out. */
  private final class EventStream implements dev.berth.api.docker.StreamTicker.Task {
    private final EventLog.Follower follower;
    private final ResponseStream out;
    private final Instant since;
    private final Instant until;
    private final EventFilter filter;
    private long seen = Long.MIN_VALUE;

    EventStream(
        EventLog.Follower follower,
        ResponseStream out,
        Instant since,
        Instant until,
        EventFilter filter) {
      this.follower = follower;
      this.out = out;
      this.since = since;
      this.until = until;
      this.filter = filter;
    }

    /** Writes what the log has for this subscriber; false once {@code until} has passed. */
    boolean pump() throws IOException {
      for (Event e : follower.poll()) {
        if (since != null && e.time().isBefore(since)) continue;
        if (until != null && e.time().isAfter(until)) continue;
        if (!filter.matches(e)) continue;
        out.line(
            new JsonWriter(JsonWriter.COMPACT)
                .tree(EventMessages.message(docker(e), true))
                .toByteArray());
      }
      return until == null || Instant.now().isBefore(until);
    }

    @Override
    public boolean tick() throws IOException {
      if (!out.writable()) return true; // a slow client: read on once it caught up
      // The stamp is taken before the read: an event appended meanwhile changes the next one.
      long stamp = logStamp();
      if (stamp == seen) return until == null || Instant.now().isBefore(until);
      seen = stamp;
      return pump();
    }

    @Override
    public void end(Throwable failure) {
      follower.close();
    }
  }

  /** An event as docker's clients know its objects: the default network is "bridge". */
  private static Event docker(Event e) {
    if (!e.type().equals(Event.NETWORK)) return e;
    String name = e.attributes().get("name");
    if (!dev.berth.engine.network.NetworkStore.DEFAULT_NETWORK.equals(name)) return e;
    Map<String, String> a = new LinkedHashMap<>(e.attributes());
    a.put("name", dev.berth.api.docker.networks.BridgeName.BRIDGE);
    return new Event(e.time(), e.type(), e.action(), e.id(), a);
  }

  private long stamp;
  private long stampAt = Long.MIN_VALUE;

  /**
   * What identifies the event log's content now (its inode, size and modification time), looked at
   * once per period whatever the number of subscribers.
   */
  private synchronized long logStamp() {
    long now = System.nanoTime();
    if (stampAt != Long.MIN_VALUE && now - stampAt < EVENTS_STAMP_NS) return stamp;
    stampAt = now;
    try {
      dev.berth.sys.Stat st = dev.berth.sys.Linux.stat(engine.events().file().toString());
      stamp =
          (st.ino() * 1_000_003L + st.size()) * 31
              + st.mtimeSec() * 1_000_000_000L
              + st.mtimeNsec();
    } catch (dev.berth.sys.ErrnoException e) {
      stamp = e.errno(); // none yet: the next stamp differs once there is one
    }
    return stamp;
  }

  /** docker's since/until: unix seconds with an optional fraction ("1700000000.123456789"). */
  static Instant time(String v, String name) throws ApiError {
    if (v == null || v.isEmpty()) return null;
    try {
      int dot = v.indexOf('.');
      long secs = Long.parseLong(dot < 0 ? v : v.substring(0, dot));
      long nanos = 0;
      if (dot >= 0) {
        String frac = (v.substring(dot + 1) + "000000000").substring(0, 9);
        nanos = Long.parseLong(frac);
      }
      return Instant.ofEpochSecond(secs, nanos);
    } catch (NumberFormatException e) {
      try {
        return Rfc3339.parse(v);
      } catch (RuntimeException e2) {
        throw ApiError.badRequest(name + ": not a timestamp: " + v);
      }
    }
  }

  // ---- df ----

  private void df(Exchange x) throws Exception {
    ImageService images = engine.images();
    List<ImageRecord> all = images.list();
    Map<Digest, List<ImageRecord>> byId = new LinkedHashMap<>();
    for (ImageRecord r : all)
      if (r.config() != null) byId.computeIfAbsent(r.config(), k -> new ArrayList<>()).add(r);
    List<ContainerRecord> containers = engine.list();
    long layers = 0;
    List<Object> imageRows = new ArrayList<>();
    for (List<ImageRecord> names : byId.values()) {
      ImageService.ImageDetails d;
      try {
        d = images.details(names.get(0), all);
      } catch (BerthException e) {
        continue;
      }
      layers += d.size();
      List<String> tags = new ArrayList<>();
      for (ImageRecord n : names) {
        if (ImageService.isUnnamed(n)) continue;
        Reference ref = Reference.parse(n.name());
        if (ref.hasTag()) tags.add(ref.familiar());
      }
      int users = 0;
      for (ContainerRecord c : containers)
        if (c.imageId().equals(d.record().config().toString())) users++;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("Id", d.record().config().toString());
      m.put("ParentId", "");
      m.put("RepoTags", tags);
      m.put("RepoDigests", List.of());
      m.put("Created", 0);
      m.put("Size", d.size());
      m.put("SharedSize", 0);
      m.put("Labels", d.config().config().labels());
      m.put("Containers", users);
      imageRows.add(m);
    }
    Instant now = Instant.now();
    List<Object> containerRows = new ArrayList<>();
    for (ContainerRecord c : containers) {
      Map<String, Object> m = ContainerViews.summary(c, now);
      m.put("SizeRw", 0);
      m.put("SizeRootFs", 0);
      containerRows.add(m);
    }
    Map<String, List<String>> volumeUsers = engine.containers().volumeUsers();
    List<Object> volumeRows = new ArrayList<>();
    for (Volume v : engine.volumes().list().volumes()) {
      Map<String, Object> m = VolumeViews.inspect(v);
      m.put(
          "UsageData",
          Map.of(
              "Size",
              sizeOf(v.mountpoint()),
              "RefCount",
              volumeUsers.getOrDefault(v.name(), List.of()).size()));
      volumeRows.add(m);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("LayersSize", layers);
    m.put("Images", imageRows);
    m.put("Containers", containerRows);
    m.put("Volumes", volumeRows);
    m.put("BuildCache", List.of());
    x.json(200, m);
  }

  private static long sizeOf(Path dir) {
    try (var walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  // ---- host facts ----

  private String hostId() {
    String id = read("/etc/machine-id");
    return id.isEmpty() ? "berth" : id;
  }

  private static String arch() {
    return System.getProperty("os.arch");
  }

  private static String kernel() {
    return read("/proc/sys/kernel/osrelease");
  }

  private static long memTotal() {
    for (String l : read("/proc/meminfo").split("\n")) {
      if (l.startsWith("MemTotal:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return 0;
  }

  private static int openFds() {
    String[] fds = new java.io.File("/proc/self/fd").list();
    return fds == null ? 0 : fds.length;
  }

  private static String osRelease(String key) {
    for (String l : read("/etc/os-release").split("\n")) {
      if (l.startsWith(key + "=")) return l.substring(key.length() + 1).replace("\"", "");
    }
    return "";
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file)).trim();
    } catch (IOException e) {
      return "";
    }
  }
}
