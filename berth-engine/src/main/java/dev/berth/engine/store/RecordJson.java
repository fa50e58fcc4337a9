package dev.berth.engine.store;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.ContainerOptions.ResourceOptions;
import dev.berth.engine.container.ContainerOptions.UlimitOption;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.container.NetworkOptions;
import dev.berth.engine.container.NetworkOptions.PortOption;
import dev.berth.engine.container.RestartPolicy;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import dev.berth.spec.runtime.IdMapping;
import dev.berth.spec.runtime.SpecReader;
import dev.berth.spec.runtime.SpecWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The format of {@code container.json}, streaming both ways (no binding library on the CLI's start
 * path). Field names are the records' component names. Reading ignores fields it does not know (a
 * newer berth may add some) and defaults missing ones (absent strings are null or "", lists and
 * maps empty, numbers 0, flags false); only the fields without which the record means nothing are
 * required: id, created, options.image, state.status.
 */
final class RecordJson {
  static final int VERSION = 1;

  private RecordJson() {}

  static byte[] write(ContainerRecord c) {
    // Compact: `ps` parses every record on a cold, interpreted JVM, and whitespace is a third of an
    // indented one.
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject().field("version", VERSION).field("id", c.id());
    if (c.name() != null) w.field("name", c.name());
    w.field("created", Rfc3339.format(c.created()))
        .field("imageId", c.imageId())
        .field("imageRef", c.imageRef())
        .field("runtime", c.runtime())
        .field("snapshotKey", c.snapshotKey());
    if (c.bundleDir() != null) w.field("bundleDir", c.bundleDir().toString());
    if (c.logPath() != null) w.field("logPath", c.logPath().toString());
    strings(w.name("volumes"), c.volumes());
    writeState(w.name("state"), c.state());
    writeOptions(w.name("options"), c.options());
    map(w.name("extras"), c.extras());
    w.endObject();
    return withNewline(w.toByteArray());
  }

  static byte[] withNewline(byte[] json) {
    byte[] out = java.util.Arrays.copyOf(json, json.length + 1);
    out[json.length] = '\n';
    return out;
  }

  private static void writeState(JsonWriter w, ContainerState s) {
    w.beginObject()
        .field("status", s.status().word())
        .field("pid", s.pid())
        .field("monitorPid", s.monitorPid());
    if (s.startedAt() != null) w.field("startedAt", Rfc3339.format(s.startedAt()));
    if (s.finishedAt() != null) w.field("finishedAt", Rfc3339.format(s.finishedAt()));
    w.field("exitCode", s.exitCode())
        .field("oomKilled", s.oomKilled())
        .field("error", s.error())
        .field("restartCount", s.restartCount())
        .endObject();
  }

  private static void writeOptions(JsonWriter w, ContainerOptions o) {
    w.beginObject().field("image", o.image());
    opt(w, "name", o.name());
    if (o.entrypoint() != null) strings(w.name("entrypoint"), o.entrypoint());
    strings(w.name("command"), o.command());
    strings(w.name("env"), o.env());
    opt(w, "workingDir", o.workingDir());
    opt(w, "user", o.user());
    opt(w, "hostname", o.hostname());
    w.field("tty", o.tty()).field("openStdin", o.openStdin());
    if (o.stdinOnce()) w.field("stdinOnce", true);
    map(w.name("labels"), o.labels());
    w.name("mounts").beginArray();
    for (MountOption m : o.mounts()) {
      w.beginObject().field("type", m.type().name().toLowerCase(java.util.Locale.ROOT));
      opt(w, "source", m.source());
      w.field("target", m.target()).field("readOnly", m.readOnly());
      strings(w.name("options"), m.options());
      w.endObject();
    }
    w.endArray();
    ResourceOptions r = o.resources();
    w.name("resources")
        .beginObject()
        .field("memory", r.memory())
        .field("memorySwap", r.memorySwap())
        .field("nanoCpus", r.nanoCpus())
        .field("cpuShares", r.cpuShares());
    opt(w, "cpusetCpus", r.cpusetCpus());
    w.field("pidsLimit", r.pidsLimit());
    if (r.cpuPeriod() != 0) w.field("cpuPeriod", r.cpuPeriod());
    if (r.cpuQuota() != 0) w.field("cpuQuota", r.cpuQuota());
    opt(w, "cpusetMems", r.cpusetMems());
    if (!r.hugepageLimits().isEmpty()) {
      w.name("hugepageLimits").beginObject();
      for (Map.Entry<String, Long> e : r.hugepageLimits().entrySet())
        w.field(e.getKey(), e.getValue());
      w.endObject();
    }
    if (r.memoryReservation() != 0) w.field("memoryReservation", r.memoryReservation());
    if (r.memorySwappiness() != null) w.field("memorySwappiness", r.memorySwappiness());
    if (r.oomKillDisable()) w.field("oomKillDisable", true);
    if (!r.unified().isEmpty()) {
      w.name("unified").beginObject();
      for (Map.Entry<String, String> e : r.unified().entrySet()) w.field(e.getKey(), e.getValue());
      w.endObject();
    }
    w.endObject();
    strings(w.name("capAdd"), o.capAdd());
    strings(w.name("capDrop"), o.capDrop());
    w.field("privileged", o.privileged()).field("readOnlyRootfs", o.readOnlyRootfs());
    strings(w.name("securityOpts"), o.securityOpts());
    w.name("ulimits").beginArray();
    for (UlimitOption u : o.ulimits()) {
      w.beginObject()
          .field("name", u.name())
          .field("soft", u.soft())
          .field("hard", u.hard())
          .endObject();
    }
    w.endArray();
    opt(w, "stopSignal", o.stopSignal());
    if (o.stopTimeout() != null) w.field("stopTimeout", o.stopTimeout());
    opt(w, "runtime", o.runtime());
    opt(w, "network", o.network());
    w.field("autoRemove", o.autoRemove()).field("shmSize", o.shmSize()).field("init", o.init());
    // Identity, not equals: a record's generated equals costs ~20 ms of method-handle spinning on
    // its first call in a JVM, which the AOT cache does not keep. A copy equal to NONE is written.
    if (o.networking() != NetworkOptions.NONE)
      writeNetworking(w.name("networking"), o.networking());
    if (o.host() != HostOptions.NONE && !o.host().isEmpty()) writeHost(w.name("host"), o.host());
    if (o.healthcheck() != null) o.healthcheck().write(w.name("healthcheck"));
    w.endObject();
  }

  private static void writeHost(JsonWriter w, HostOptions h) {
    w.beginObject();
    if (!h.pidMode().isEmpty()) w.field("pidMode", h.pidMode());
    if (!h.ipcMode().isEmpty()) w.field("ipcMode", h.ipcMode());
    if (!h.utsMode().isEmpty()) w.field("utsMode", h.utsMode());
    if (!h.cgroupnsMode().isEmpty()) w.field("cgroupnsMode", h.cgroupnsMode());
    opt(w, "cgroupParent", h.cgroupParent());
    if (!h.sysctls().isEmpty()) map(w.name("sysctls"), h.sysctls());
    opt(w, "logPath", h.logPath());
    opt(w, "logDirectory", h.logDirectory());
    if (!h.groupAdd().isEmpty()) strings(w.name("groupAdd"), h.groupAdd());
    if (h.oomScoreAdj() != null) w.field("oomScoreAdj", h.oomScoreAdj());
    if (!h.devices().isEmpty()) {
      w.name("devices").beginArray();
      for (HostOptions.DeviceOption d : h.devices()) {
        w.beginObject()
            .field("hostPath", d.hostPath())
            .field("containerPath", d.containerPath())
            .field("permissions", d.permissions())
            .endObject();
      }
      w.endArray();
    }
    if (h.maskedPaths() != null) strings(w.name("maskedPaths"), h.maskedPaths());
    if (h.readonlyPaths() != null) strings(w.name("readonlyPaths"), h.readonlyPaths());
    if (!h.annotations().isEmpty()) map(w.name("annotations"), h.annotations());
    if (!h.restartPolicy().name().equals("no")) {
      w.name("restartPolicy")
          .beginObject()
          .field("name", h.restartPolicy().name())
          .field("maxRetries", h.restartPolicy().maxRetries())
          .endObject();
    }
    opt(w, "domainname", h.domainname());
    if (h.log() != null) {
      w.name("log").beginObject().field("driver", h.log().driver());
      map(w.name("options"), h.log().options());
      w.endObject();
    }
    if (h.userns() != null) {
      w.name("userns").beginObject();
      if (h.userns().path() != null) w.field("path", h.userns().path());
      SpecWriter.idMappings(w, "uidMappings", h.userns().uidMappings());
      SpecWriter.idMappings(w, "gidMappings", h.userns().gidMappings());
      w.endObject();
    }
    w.endObject();
  }

  private static HostOptions.UserNamespaceOption readUserns(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    String path = null;
    List<IdMapping> uids = List.of();
    List<IdMapping> gids = List.of();
    for (String g; (g = r.nextField()) != null; ) {
      switch (g) {
        case "path" -> path = r.string();
        case "uidMappings" -> uids = SpecReader.idMappings(r);
        case "gidMappings" -> gids = SpecReader.idMappings(r);
        default -> r.skip();
      }
    }
    try {
      return new HostOptions.UserNamespaceOption(path, uids, gids);
    } catch (IllegalArgumentException e) {
      throw r.error(e.getMessage());
    }
  }

  private static HostOptions readHost(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    String pid = null;
    String ipc = null;
    String uts = null;
    String cgroupns = null;
    String cgroupParent = null;
    Map<String, String> sysctls = null;
    String logPath = null;
    String logDirectory = null;
    List<String> groupAdd = null;
    Integer oomScoreAdj = null;
    List<HostOptions.DeviceOption> devices = new ArrayList<>();
    List<String> masked = null;
    List<String> readonly = null;
    Map<String, String> annotations = null;
    RestartPolicy restart = null;
    HostOptions.UserNamespaceOption userns = null;
    dev.berth.engine.container.LogOptions log = null;
    String domainname = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "domainname" -> domainname = optString(r);
        case "userns" -> userns = readUserns(r);
        case "log" -> log = readLog(r);
        case "restartPolicy" -> {
          if (!r.beginObject()) break;
          String name = "no";
          int max = 0;
          for (String g; (g = r.nextField()) != null; ) {
            switch (g) {
              case "name" -> name = r.string();
              case "maxRetries" -> max = r.int32();
              default -> r.skip();
            }
          }
          restart = new RestartPolicy(name, max);
        }
        case "groupAdd" -> groupAdd = r.strings();
        case "oomScoreAdj" -> oomScoreAdj = r.optInt32();
        case "devices" -> {
          if (!r.beginArray()) break;
          while (r.nextElement()) {
            if (!r.beginObject()) throw r.error("expected object, got null");
            String host = null;
            String target = null;
            String perms = null;
            for (String g; (g = r.nextField()) != null; ) {
              switch (g) {
                case "hostPath" -> host = r.string();
                case "containerPath" -> target = r.string();
                case "permissions" -> perms = r.string();
                default -> r.skip();
              }
            }
            try {
              devices.add(new HostOptions.DeviceOption(host, target, perms));
            } catch (IllegalArgumentException e) {
              throw r.error(e.getMessage());
            }
          }
        }
        case "maskedPaths" -> masked = r.strings();
        case "readonlyPaths" -> readonly = r.strings();
        case "annotations" -> annotations = r.stringMap();
        case "pidMode" -> pid = optString(r);
        case "ipcMode" -> ipc = optString(r);
        case "utsMode" -> uts = optString(r);
        case "cgroupnsMode" -> cgroupns = optString(r);
        case "cgroupParent" -> cgroupParent = optString(r);
        case "sysctls" -> sysctls = r.stringMap();
        case "logPath" -> logPath = optString(r);
        case "logDirectory" -> logDirectory = optString(r);
        default -> r.skip();
      }
    }
    return new HostOptions(
        pid,
        ipc,
        uts,
        cgroupns,
        cgroupParent,
        sysctls,
        logPath,
        logDirectory,
        groupAdd,
        oomScoreAdj,
        devices,
        masked,
        readonly,
        annotations,
        restart,
        userns,
        log,
        domainname);
  }

  /** As written: a record's options were checked when it was made, so not again. */
  private static dev.berth.engine.container.LogOptions readLog(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    String driver = "json-file";
    Map<String, String> options = Map.of();
    for (String g; (g = r.nextField()) != null; ) {
      switch (g) {
        case "driver" -> driver = r.string();
        case "options" -> options = r.stringMap();
        default -> r.skip();
      }
    }
    return new dev.berth.engine.container.LogOptions(driver, options);
  }

  private static void writeNetworking(JsonWriter w, NetworkOptions n) {
    w.beginObject();
    strings(w.name("networks"), n.networks());
    strings(w.name("aliases"), n.aliases());
    opt(w, "ip", n.ip());
    strings(w.name("extraHosts"), n.extraHosts());
    strings(w.name("dns"), n.dns());
    strings(w.name("dnsSearch"), n.dnsSearch());
    strings(w.name("dnsOptions"), n.dnsOptions());
    w.name("ports").beginArray();
    for (PortOption p : n.ports()) {
      w.beginObject()
          .field("hostIp", p.hostIp())
          .field("hostPort", p.hostPort())
          .field("containerPort", p.containerPort())
          .field("protocol", p.protocol())
          .endObject();
    }
    w.endArray();
    w.field("publishAll", n.publishAll());
    if (!n.expose().isEmpty()) strings(w.name("expose"), n.expose());
    opt(w, "macAddress", n.macAddress());
    w.endObject();
  }

  private static NetworkOptions readNetworking(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    List<String> networks = null;
    List<String> aliases = null;
    String ip = null;
    List<String> extraHosts = null;
    List<String> dns = null;
    List<String> dnsSearch = null;
    List<String> dnsOptions = null;
    List<PortOption> ports = new ArrayList<>();
    boolean publishAll = false;
    List<String> expose = null;
    String mac = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "networks" -> networks = r.strings();
        case "aliases" -> aliases = r.strings();
        case "ip" -> ip = optString(r);
        case "extraHosts" -> extraHosts = r.strings();
        case "dns" -> dns = r.strings();
        case "dnsSearch" -> dnsSearch = r.strings();
        case "dnsOptions" -> dnsOptions = r.strings();
        case "ports" -> {
          if (!r.beginArray()) break;
          while (r.nextElement()) {
            if (!r.beginObject()) throw r.error("expected object, got null");
            String hostIp = "";
            int hostPort = 0;
            int containerPort = 0;
            String protocol = "tcp";
            for (String g; (g = r.nextField()) != null; ) {
              switch (g) {
                case "hostIp" -> hostIp = r.string();
                case "hostPort" -> hostPort = r.int32();
                case "containerPort" -> containerPort = r.int32();
                case "protocol" -> protocol = r.string();
                default -> r.skip();
              }
            }
            try {
              ports.add(new PortOption(hostIp, hostPort, containerPort, protocol));
            } catch (IllegalArgumentException e) {
              throw r.error(e.getMessage());
            }
          }
        }
        case "publishAll" -> publishAll = r.bool();
        case "expose" -> expose = r.strings();
        case "macAddress" -> mac = optString(r);
        default -> r.skip();
      }
    }
    return new NetworkOptions(
        networks,
        aliases,
        ip,
        extraHosts,
        dns,
        dnsSearch,
        dnsOptions,
        ports,
        publishAll,
        expose,
        mac);
  }

  private static void opt(JsonWriter w, String name, String value) {
    if (value != null) w.field(name, value);
  }

  static void strings(JsonWriter w, List<String> list) {
    w.beginArray();
    for (String s : list) w.value(s);
    w.endArray();
  }

  static void map(JsonWriter w, Map<String, String> map) {
    w.beginObject();
    for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet())
      w.field(e.getKey(), e.getValue());
    w.endObject();
  }

  // ---- reading ----

  /** Parses a record; errors name {@code source} (the file) and the field. */
  static ContainerRecord read(byte[] json, String source) throws SpecException {
    JsonReader r = JsonReader.of(json, source);
    if (!r.beginObject()) throw r.error("expected object, got null");
    String id = null;
    String name = null;
    Instant created = null;
    ContainerOptions options = null;
    String imageId = "";
    String imageRef = "";
    String runtime = "";
    String snapshotKey = "";
    Path bundleDir = null;
    Path logPath = null;
    List<String> volumes = List.of();
    ContainerState state = null;
    Map<String, String> extras = Map.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "id" -> id = r.string();
        case "name" -> name = optString(r);
        case "created" -> created = time(r);
        case "imageId" -> imageId = r.string();
        case "imageRef" -> imageRef = r.string();
        case "runtime" -> runtime = r.string();
        case "snapshotKey" -> snapshotKey = r.string();
        case "bundleDir" -> bundleDir = optPath(r);
        case "logPath" -> logPath = optPath(r);
        case "volumes" -> volumes = r.strings();
        case "state" -> state = readState(r);
        case "options" -> options = readOptions(r);
        case "extras" -> extras = r.stringMap();
        default -> r.skip(); // "version", and fields of a newer berth
      }
    }
    r.end();
    if (id == null) throw r.error("id is required");
    if (created == null) throw r.error("created is required");
    if (options == null) throw r.error("options is required");
    try {
      return new ContainerRecord(
          id,
          name,
          created,
          options,
          imageId,
          imageRef,
          runtime,
          snapshotKey,
          bundleDir,
          logPath,
          volumes,
          state,
          extras);
    } catch (IllegalArgumentException e) {
      throw r.error(e.getMessage());
    }
  }

  private static ContainerState readState(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    ContainerState.Status status = null;
    int pid = 0;
    int monitorPid = 0;
    Instant startedAt = null;
    Instant finishedAt = null;
    int exitCode = 0;
    boolean oom = false;
    String error = "";
    int restarts = 0;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "status" -> {
          String word = r.string();
          status = ContainerState.Status.of(word);
          if (status == null) throw r.error("unknown status \"" + word + "\"");
        }
        case "pid" -> pid = r.int32();
        case "monitorPid" -> monitorPid = r.int32();
        case "startedAt" -> startedAt = time(r);
        case "finishedAt" -> finishedAt = time(r);
        case "exitCode" -> exitCode = r.int32();
        case "oomKilled" -> oom = r.bool();
        case "error" -> error = r.string();
        case "restartCount" -> restarts = r.int32();
        default -> r.skip();
      }
    }
    if (status == null) throw r.error("status is required");
    try {
      return new ContainerState(
          status, pid, monitorPid, startedAt, finishedAt, exitCode, oom, error, restarts);
    } catch (IllegalArgumentException e) {
      throw r.error(e.getMessage());
    }
  }

  private static ContainerOptions readOptions(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    String image = null;
    String name = null;
    List<String> entrypoint = null;
    List<String> command = null;
    List<String> env = null;
    String workingDir = null;
    String user = null;
    String hostname = null;
    boolean tty = false;
    boolean openStdin = false;
    boolean stdinOnce = false; // absent in records of before it existed
    Map<String, String> labels = null;
    List<MountOption> mounts = null;
    ResourceOptions resources = null;
    List<String> capAdd = null;
    List<String> capDrop = null;
    boolean privileged = false;
    boolean readOnlyRootfs = false;
    List<String> securityOpts = null;
    List<UlimitOption> ulimits = null;
    String stopSignal = null;
    Integer stopTimeout = null;
    String runtime = null;
    String network = null;
    boolean autoRemove = false;
    long shmSize = 0;
    boolean init = false;
    NetworkOptions networking = null;
    HostOptions host = null;
    dev.berth.spec.image.Healthcheck healthcheck = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "image" -> image = r.string();
        case "name" -> name = optString(r);
        case "entrypoint" -> entrypoint = r.isNull() ? null : r.strings();
        case "command" -> command = r.strings();
        case "env" -> env = r.strings();
        case "workingDir" -> workingDir = optString(r);
        case "user" -> user = optString(r);
        case "hostname" -> hostname = optString(r);
        case "tty" -> tty = r.bool();
        case "openStdin" -> openStdin = r.bool();
        case "stdinOnce" -> stdinOnce = r.bool();
        case "labels" -> labels = r.stringMap();
        case "mounts" -> mounts = readMounts(r);
        case "resources" -> resources = readResources(r);
        case "capAdd" -> capAdd = r.strings();
        case "capDrop" -> capDrop = r.strings();
        case "privileged" -> privileged = r.bool();
        case "readOnlyRootfs" -> readOnlyRootfs = r.bool();
        case "securityOpts" -> securityOpts = r.strings();
        case "ulimits" -> ulimits = readUlimits(r);
        case "stopSignal" -> stopSignal = optString(r);
        case "stopTimeout" -> stopTimeout = r.optInt32();
        case "runtime" -> runtime = optString(r);
        case "network" -> network = optString(r);
        case "autoRemove" -> autoRemove = r.bool();
        case "shmSize" -> shmSize = r.int64();
        case "init" -> init = r.bool();
        case "networking" -> networking = readNetworking(r);
        case "host" -> host = readHost(r);
        case "healthcheck" -> healthcheck = dev.berth.spec.image.Healthcheck.read(r);
        default -> r.skip();
      }
    }
    try {
      return new ContainerOptions(
          image,
          name,
          entrypoint,
          command,
          env,
          workingDir,
          user,
          hostname,
          tty,
          openStdin,
          stdinOnce,
          labels,
          mounts,
          resources,
          capAdd,
          capDrop,
          privileged,
          readOnlyRootfs,
          securityOpts,
          ulimits,
          stopSignal,
          stopTimeout,
          runtime,
          network,
          autoRemove,
          shmSize,
          init,
          networking,
          host,
          healthcheck);
    } catch (IllegalArgumentException e) {
      throw r.error(e.getMessage());
    }
  }

  private static List<MountOption> readMounts(JsonReader r) throws SpecException {
    List<MountOption> list = new ArrayList<>();
    if (!r.beginArray()) return list;
    while (r.nextElement()) {
      if (!r.beginObject()) throw r.error("expected object, got null");
      MountOption.Type type = null;
      String source = null;
      String target = null;
      boolean readOnly = false;
      List<String> options = null;
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "type" -> {
            String t = r.string();
            type =
                switch (t) {
                  case "bind" -> MountOption.Type.BIND;
                  case "volume" -> MountOption.Type.VOLUME;
                  case "tmpfs" -> MountOption.Type.TMPFS;
                  default -> throw r.error("unknown mount type \"" + t + "\"");
                };
          }
          case "source" -> source = optString(r);
          case "target" -> target = r.string();
          case "readOnly" -> readOnly = r.bool();
          case "options" -> options = r.strings();
          default -> r.skip();
        }
      }
      try {
        list.add(new MountOption(type, source, target, readOnly, options));
      } catch (IllegalArgumentException e) {
        throw r.error(e.getMessage());
      }
    }
    return list;
  }

  private static ResourceOptions readResources(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    long memory = 0;
    long swap = 0;
    long nanoCpus = 0;
    long shares = 0;
    String cpuset = null;
    long pids = 0;
    long period = 0;
    long quota = 0;
    String mems = null;
    Map<String, Long> hugepages = null;
    Map<String, String> unified = null;
    long reservation = 0;
    Long swappiness = null;
    boolean oomKillDisable = false;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "memoryReservation" -> reservation = r.int64();
        case "memorySwappiness" -> swappiness = r.optInt64();
        case "oomKillDisable" -> oomKillDisable = r.bool();
        case "unified" -> {
          unified = new TreeMap<>();
          if (r.beginObject()) {
            for (String g; (g = r.nextField()) != null; ) unified.put(g, r.string());
          }
        }
        case "cpuPeriod" -> period = r.int64();
        case "cpuQuota" -> quota = r.int64();
        case "cpusetMems" -> mems = optString(r);
        case "hugepageLimits" -> {
          hugepages = new TreeMap<>();
          if (r.beginObject()) {
            for (String g; (g = r.nextField()) != null; ) hugepages.put(g, r.int64());
          }
        }
        case "memory" -> memory = r.int64();
        case "memorySwap" -> swap = r.int64();
        case "nanoCpus" -> nanoCpus = r.int64();
        case "cpuShares" -> shares = r.int64();
        case "cpusetCpus" -> cpuset = optString(r);
        case "pidsLimit" -> pids = r.int64();
        default -> r.skip();
      }
    }
    return new ResourceOptions(
            memory, swap, nanoCpus, shares, cpuset, pids, period, quota, mems, hugepages, unified)
        .withMemoryExtras(reservation, swappiness, oomKillDisable);
  }

  private static List<UlimitOption> readUlimits(JsonReader r) throws SpecException {
    List<UlimitOption> list = new ArrayList<>();
    if (!r.beginArray()) return list;
    while (r.nextElement()) {
      if (!r.beginObject()) throw r.error("expected object, got null");
      String name = "";
      long soft = 0;
      long hard = 0;
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "name" -> name = r.string();
          case "soft" -> soft = r.int64();
          case "hard" -> hard = r.int64();
          default -> r.skip();
        }
      }
      list.add(new UlimitOption(name, soft, hard));
    }
    return list;
  }

  static String optString(JsonReader r) throws SpecException {
    return r.isNull() ? null : r.string();
  }

  private static Path optPath(JsonReader r) throws SpecException {
    String s = optString(r);
    return s == null || s.isEmpty() ? null : Path.of(s);
  }

  static Instant time(JsonReader r) throws SpecException {
    if (r.isNull()) return null;
    String s = r.string();
    try {
      return Rfc3339.parse(s);
    } catch (IllegalArgumentException e) {
      throw r.error(e.getMessage());
    }
  }
}
