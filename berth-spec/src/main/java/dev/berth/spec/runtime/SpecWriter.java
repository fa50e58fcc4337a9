package dev.berth.spec.runtime;

import dev.berth.spec.json.JsonWriter;
import java.util.List;
import java.util.Map;

/**
 * Writes the records of this package as runtime-spec JSON, with the field order and {@code
 * omitempty} rules of the Go structs runc uses, so {@code write(DefaultSpecs.runc(), "\t")} is byte
 * for byte what {@code runc spec} writes.
 *
 * <p>"Empty" follows Go: "" strings, empty lists and maps, false booleans where the Go field is
 * {@code omitempty}, and null boxed values are left out; fields Go always writes (process.user,
 * process.cwd, root.path, ...) are always written. Maps are written sorted by key, as Go does.
 */
public final class SpecWriter {
  private SpecWriter() {}

  /**
   * A config.json document indented with {@code indent} ({@link JsonWriter#TABS} for {@code spec}).
   */
  public static byte[] write(Spec spec, String indent) {
    JsonWriter w = new JsonWriter(indent);
    spec(w, spec);
    return w.toByteArray();
  }

  /** A process document, as {@code exec --process} reads. */
  public static byte[] writeProcess(Process process, String indent) {
    JsonWriter w = new JsonWriter(indent);
    process(w, process);
    return w.toByteArray();
  }

  /** A resources document, as {@code update -r} reads. */
  public static byte[] writeResources(Resources resources, String indent) {
    JsonWriter w = new JsonWriter(indent);
    resources(w, resources);
    return w.toByteArray();
  }

  /** The runtime-spec state as hooks read it on stdin: compact. */
  public static byte[] writeState(State state) {
    return writeState(state, JsonWriter.COMPACT);
  }

  /**
   * The runtime-spec state: ociVersion, id, status, pid (left out when 0, as Go's omitempty does
   * for a stopped container), bundle, annotations (left out when empty).
   */
  public static byte[] writeState(State state, String indent) {
    JsonWriter w = new JsonWriter(indent);
    w.beginObject();
    w.field("ociVersion", state.ociVersion());
    w.field("id", state.id());
    w.field("status", state.status());
    if (state.pid() != 0) {
      w.field("pid", state.pid());
    }
    w.field("bundle", state.bundle());
    stringMap(w, "annotations", state.annotations());
    w.endObject();
    return w.toByteArray();
  }

  // ---- records; each writes one JSON value ----

  /** Writes {@code spec} as one value into {@code w} (for documents that embed a spec). */
  public static void spec(JsonWriter w, Spec spec) {
    w.beginObject();
    w.field("ociVersion", spec.ociVersion());
    if (spec.process() != null) {
      w.name("process");
      process(w, spec.process());
    }
    if (spec.root() != null) {
      w.name("root").beginObject();
      w.field("path", spec.root().path());
      if (spec.root().readonly()) {
        w.field("readonly", true);
      }
      w.endObject();
    }
    string(w, "hostname", spec.hostname());
    string(w, "domainname", spec.domainname());
    if (!spec.mounts().isEmpty()) {
      w.name("mounts").beginArray();
      for (Mount m : spec.mounts()) {
        w.beginObject();
        w.field("destination", m.destination());
        string(w, "type", m.type());
        string(w, "source", m.source());
        strings(w, "options", m.options());
        idMappings(w, "uidMappings", m.uidMappings());
        idMappings(w, "gidMappings", m.gidMappings());
        w.endObject();
      }
      w.endArray();
    }
    if (!spec.hooks().isEmpty()) {
      Hooks h = spec.hooks();
      w.name("hooks").beginObject();
      hooks(w, "prestart", h.prestart());
      hooks(w, "createRuntime", h.createRuntime());
      hooks(w, "createContainer", h.createContainer());
      hooks(w, "startContainer", h.startContainer());
      hooks(w, "poststart", h.poststart());
      hooks(w, "poststop", h.poststop());
      w.endObject();
    }
    stringMap(w, "annotations", spec.annotations());
    if (spec.linux() != null) {
      w.name("linux");
      linux(w, spec.linux());
    }
    w.endObject();
  }

  /** Writes {@code p} as one value into {@code w}. */
  public static void process(JsonWriter w, Process p) {
    w.beginObject();
    if (p.terminal()) {
      w.field("terminal", true);
    }
    if (p.consoleSize() != null) {
      w.name("consoleSize").beginObject();
      w.unsignedField("height", Integer.toUnsignedLong(p.consoleSize().height()));
      w.unsignedField("width", Integer.toUnsignedLong(p.consoleSize().width()));
      w.endObject();
    }
    User u = p.user();
    w.name("user").beginObject();
    w.field("uid", Integer.toUnsignedLong(u.uid()));
    w.field("gid", Integer.toUnsignedLong(u.gid()));
    if (u.umask() != null) {
      w.field("umask", Integer.toUnsignedLong(u.umask()));
    }
    if (!u.additionalGids().isEmpty()) {
      w.name("additionalGids").beginArray();
      for (Integer gid : u.additionalGids()) {
        w.value(Integer.toUnsignedLong(gid));
      }
      w.endArray();
    }
    string(w, "username", u.username());
    w.endObject();
    strings(w, "args", p.args());
    string(w, "commandLine", p.commandLine());
    strings(w, "env", p.env());
    w.field("cwd", p.cwd());
    if (p.capabilities() != null) {
      Capabilities c = p.capabilities();
      w.name("capabilities").beginObject();
      strings(w, "bounding", c.bounding());
      strings(w, "effective", c.effective());
      strings(w, "inheritable", c.inheritable());
      strings(w, "permitted", c.permitted());
      strings(w, "ambient", c.ambient());
      w.endObject();
    }
    if (!p.rlimits().isEmpty()) {
      w.name("rlimits").beginArray();
      for (Rlimit r : p.rlimits()) {
        w.beginObject();
        w.field("type", r.type());
        w.unsignedField("hard", r.hard());
        w.unsignedField("soft", r.soft());
        w.endObject();
      }
      w.endArray();
    }
    if (p.noNewPrivileges()) {
      w.field("noNewPrivileges", true);
    }
    string(w, "apparmorProfile", p.apparmorProfile());
    if (p.oomScoreAdj() != null) {
      w.field("oomScoreAdj", p.oomScoreAdj());
    }
    string(w, "selinuxLabel", p.selinuxLabel());
    if (p.ioPriority() != null) {
      w.name("ioPriority").beginObject();
      w.field("class", p.ioPriority().ioClass());
      w.field("priority", p.ioPriority().priority());
      w.endObject();
    }
    if (p.scheduler() != null) {
      Scheduler s = p.scheduler();
      w.name("scheduler").beginObject();
      w.field("policy", s.policy());
      w.field("nice", s.nice());
      w.field("priority", s.priority());
      strings(w, "flags", s.flags());
      w.unsignedField("runtime", s.runtime());
      w.unsignedField("deadline", s.deadline());
      w.unsignedField("period", s.period());
      w.endObject();
    }
    if (p.execCpuAffinity() != null) {
      w.name("execCPUAffinity").beginObject();
      string(w, "initial", p.execCpuAffinity().initial());
      string(w, "final", p.execCpuAffinity().finalCpus());
      w.endObject();
    }
    w.endObject();
  }

  private static void linux(JsonWriter w, Linux l) {
    w.beginObject();
    idMappings(w, "uidMappings", l.uidMappings());
    idMappings(w, "gidMappings", l.gidMappings());
    stringMap(w, "sysctl", l.sysctl());
    if (l.resources() != null) {
      w.name("resources");
      resources(w, l.resources());
    }
    string(w, "cgroupsPath", l.cgroupsPath());
    if (!l.namespaces().isEmpty()) {
      w.name("namespaces").beginArray();
      for (Namespace n : l.namespaces()) {
        w.beginObject();
        w.field("type", n.type());
        string(w, "path", n.path());
        w.endObject();
      }
      w.endArray();
    }
    if (!l.devices().isEmpty()) {
      w.name("devices").beginArray();
      for (Device d : l.devices()) {
        w.beginObject();
        w.field("path", d.path());
        w.field("type", d.type());
        w.field("major", d.major());
        w.field("minor", d.minor());
        if (d.fileMode() != null) {
          w.field("fileMode", Integer.toUnsignedLong(d.fileMode()));
        }
        if (d.uid() != null) {
          w.field("uid", Integer.toUnsignedLong(d.uid()));
        }
        if (d.gid() != null) {
          w.field("gid", Integer.toUnsignedLong(d.gid()));
        }
        w.endObject();
      }
      w.endArray();
    }
    if (l.seccomp() != null) {
      w.name("seccomp");
      seccomp(w, l.seccomp());
    }
    string(w, "rootfsPropagation", l.rootfsPropagation());
    strings(w, "maskedPaths", l.maskedPaths());
    strings(w, "readonlyPaths", l.readonlyPaths());
    string(w, "mountLabel", l.mountLabel());
    if (l.personality() != null) {
      w.name("personality").beginObject();
      w.field("domain", l.personality().domain());
      strings(w, "flags", l.personality().flags());
      w.endObject();
    }
    if (l.memoryPolicy() != null) {
      w.name("memoryPolicy").beginObject();
      string(w, "mode", l.memoryPolicy().mode());
      string(w, "nodes", l.memoryPolicy().nodes());
      strings(w, "flags", l.memoryPolicy().flags());
      w.endObject();
    }
    if (!l.timeOffsets().isEmpty()) {
      w.name("timeOffsets").beginObject();
      for (Map.Entry<String, TimeOffset> e : l.timeOffsets().entrySet()) {
        w.name(e.getKey()).beginObject();
        if (e.getValue().secs() != 0) {
          w.field("secs", e.getValue().secs());
        }
        if (e.getValue().nanosecs() != 0) {
          w.field("nanosecs", e.getValue().nanosecs());
        }
        w.endObject();
      }
      w.endObject();
    }
    if (l.intelRdt() != null) {
      IntelRdt i = l.intelRdt();
      w.name("intelRdt").beginObject();
      string(w, "closID", i.closID());
      string(w, "l3CacheSchema", i.l3CacheSchema());
      string(w, "memBwSchema", i.memBwSchema());
      if (i.enableCMT() != null) w.field("enableCMT", i.enableCMT());
      if (i.enableMBM() != null) w.field("enableMBM", i.enableMBM());
      w.endObject();
    }
    if (!l.netDevices().isEmpty()) {
      w.name("netDevices").beginObject();
      for (Map.Entry<String, NetDevice> e : l.netDevices().entrySet()) {
        w.name(e.getKey()).beginObject();
        string(w, "name", e.getValue().name());
        w.endObject();
      }
      w.endObject();
    }
    w.endObject();
  }

  /** Writes {@code r} as one value into {@code w}. */
  public static void resources(JsonWriter w, Resources r) {
    w.beginObject();
    if (!r.devices().isEmpty()) {
      w.name("devices").beginArray();
      for (DeviceRule d : r.devices()) {
        w.beginObject();
        w.field("allow", d.allow());
        string(w, "type", d.type());
        if (d.major() != null) {
          w.field("major", d.major());
        }
        if (d.minor() != null) {
          w.field("minor", d.minor());
        }
        string(w, "access", d.access());
        w.endObject();
      }
      w.endArray();
    }
    if (r.memory() != null) {
      Memory m = r.memory();
      w.name("memory").beginObject();
      optSigned(w, "limit", m.limit());
      optSigned(w, "reservation", m.reservation());
      optSigned(w, "swap", m.swap());
      optSigned(w, "kernel", m.kernel());
      optSigned(w, "kernelTCP", m.kernelTCP());
      optUnsigned(w, "swappiness", m.swappiness());
      optBool(w, "disableOOMKiller", m.disableOOMKiller());
      optBool(w, "useHierarchy", m.useHierarchy());
      optBool(w, "checkBeforeUpdate", m.checkBeforeUpdate());
      w.endObject();
    }
    if (r.cpu() != null) {
      Cpu c = r.cpu();
      w.name("cpu").beginObject();
      optUnsigned(w, "shares", c.shares());
      optSigned(w, "quota", c.quota());
      optUnsigned(w, "burst", c.burst());
      optUnsigned(w, "period", c.period());
      optSigned(w, "realtimeRuntime", c.realtimeRuntime());
      optUnsigned(w, "realtimePeriod", c.realtimePeriod());
      string(w, "cpus", c.cpus());
      string(w, "mems", c.mems());
      optSigned(w, "idle", c.idle());
      w.endObject();
    }
    if (r.pids() != null) {
      w.name("pids").beginObject().field("limit", r.pids().limit()).endObject();
    }
    if (r.blockIO() != null) {
      BlockIO b = r.blockIO();
      w.name("blockIO").beginObject();
      optInt(w, "weight", b.weight());
      optInt(w, "leafWeight", b.leafWeight());
      if (!b.weightDevice().isEmpty()) {
        w.name("weightDevice").beginArray();
        for (WeightDevice d : b.weightDevice()) {
          w.beginObject();
          w.field("major", d.major());
          w.field("minor", d.minor());
          optInt(w, "weight", d.weight());
          optInt(w, "leafWeight", d.leafWeight());
          w.endObject();
        }
        w.endArray();
      }
      throttle(w, "throttleReadBpsDevice", b.throttleReadBpsDevice());
      throttle(w, "throttleWriteBpsDevice", b.throttleWriteBpsDevice());
      throttle(w, "throttleReadIOPSDevice", b.throttleReadIOPSDevice());
      throttle(w, "throttleWriteIOPSDevice", b.throttleWriteIOPSDevice());
      w.endObject();
    }
    if (!r.hugepageLimits().isEmpty()) {
      w.name("hugepageLimits").beginArray();
      for (HugepageLimit h : r.hugepageLimits()) {
        w.beginObject();
        w.field("pageSize", h.pageSize());
        w.unsignedField("limit", h.limit());
        w.endObject();
      }
      w.endArray();
    }
    if (r.network() != null) {
      Network n = r.network();
      w.name("network").beginObject();
      optSigned(w, "classID", n.classID());
      if (!n.priorities().isEmpty()) {
        w.name("priorities").beginArray();
        for (NetPriority p : n.priorities()) {
          w.beginObject();
          w.field("name", p.name());
          w.field("priority", Integer.toUnsignedLong(p.priority()));
          w.endObject();
        }
        w.endArray();
      }
      w.endObject();
    }
    stringMap(w, "unified", r.unified());
    if (!r.rdma().isEmpty()) {
      w.name("rdma").beginObject();
      for (Map.Entry<String, Rdma> e : r.rdma().entrySet()) {
        w.name(e.getKey()).beginObject();
        if (e.getValue().hcaHandles() != null) w.field("hcaHandles", e.getValue().hcaHandles());
        if (e.getValue().hcaObjects() != null) w.field("hcaObjects", e.getValue().hcaObjects());
        w.endObject();
      }
      w.endObject();
    }
    w.endObject();
  }

  private static void seccomp(JsonWriter w, Seccomp s) {
    w.beginObject();
    w.field("defaultAction", s.defaultAction());
    if (s.defaultErrnoRet() != null) {
      w.field("defaultErrnoRet", Integer.toUnsignedLong(s.defaultErrnoRet()));
    }
    strings(w, "architectures", s.architectures());
    strings(w, "flags", s.flags());
    string(w, "listenerPath", s.listenerPath());
    string(w, "listenerMetadata", s.listenerMetadata());
    if (!s.syscalls().isEmpty()) {
      w.name("syscalls").beginArray();
      for (SeccompSyscall sc : s.syscalls()) {
        w.beginObject();
        // names has no omitempty in Go: always written
        w.name("names").beginArray();
        for (String n : sc.names()) {
          w.value(n);
        }
        w.endArray();
        w.field("action", sc.action());
        if (sc.errnoRet() != null) {
          w.field("errnoRet", Integer.toUnsignedLong(sc.errnoRet()));
        }
        if (!sc.args().isEmpty()) {
          w.name("args").beginArray();
          for (SeccompArg a : sc.args()) {
            w.beginObject();
            w.field("index", Integer.toUnsignedLong(a.index()));
            w.unsignedField("value", a.value());
            if (a.valueTwo() != 0) {
              w.unsignedField("valueTwo", a.valueTwo());
            }
            w.field("op", a.op());
            w.endObject();
          }
          w.endArray();
        }
        w.endObject();
      }
      w.endArray();
    }
    w.endObject();
  }

  // ---- omitempty helpers ----

  private static void string(JsonWriter w, String name, String value) {
    if (!value.isEmpty()) {
      w.field(name, value);
    }
  }

  private static void strings(JsonWriter w, String name, List<String> values) {
    if (values.isEmpty()) {
      return;
    }
    w.name(name).beginArray();
    for (String v : values) {
      w.value(v);
    }
    w.endArray();
  }

  private static void stringMap(JsonWriter w, String name, Map<String, String> map) {
    if (map.isEmpty()) {
      return;
    }
    w.name(name).beginObject();
    // The records keep maps sorted; a caller's own map may not be, and Go always sorts.
    for (String key : sortedKeys(map)) {
      w.field(key, map.get(key));
    }
    w.endObject();
  }

  private static Iterable<String> sortedKeys(Map<String, String> map) {
    if (map instanceof java.util.SortedMap<String, String> sorted && sorted.comparator() == null) {
      return sorted.keySet();
    }
    return new java.util.TreeSet<>(map.keySet());
  }

  /** {@code name}: the mappings as linux.uidMappings holds them; nothing when there are none. */
  public static void idMappings(JsonWriter w, String name, List<IdMapping> mappings) {
    if (mappings.isEmpty()) {
      return;
    }
    w.name(name).beginArray();
    for (IdMapping m : mappings) {
      w.beginObject();
      w.field("containerID", m.containerID());
      w.field("hostID", m.hostID());
      w.field("size", m.size());
      w.endObject();
    }
    w.endArray();
  }

  private static void hooks(JsonWriter w, String name, List<Hook> hooks) {
    if (hooks.isEmpty()) {
      return;
    }
    w.name(name).beginArray();
    for (Hook h : hooks) {
      w.beginObject();
      w.field("path", h.path());
      strings(w, "args", h.args());
      strings(w, "env", h.env());
      if (h.timeout() != null) {
        w.field("timeout", h.timeout());
      }
      w.endObject();
    }
    w.endArray();
  }

  private static void throttle(JsonWriter w, String name, List<ThrottleDevice> devices) {
    if (devices.isEmpty()) {
      return;
    }
    w.name(name).beginArray();
    for (ThrottleDevice d : devices) {
      w.beginObject();
      w.field("major", d.major());
      w.field("minor", d.minor());
      w.unsignedField("rate", d.rate());
      w.endObject();
    }
    w.endArray();
  }

  private static void optSigned(JsonWriter w, String name, Long value) {
    if (value != null) {
      w.field(name, value);
    }
  }

  private static void optUnsigned(JsonWriter w, String name, Long value) {
    if (value != null) {
      w.unsignedField(name, value);
    }
  }

  private static void optInt(JsonWriter w, String name, Integer value) {
    if (value != null) {
      w.field(name, value.longValue());
    }
  }

  private static void optBool(JsonWriter w, String name, Boolean value) {
    if (value != null) {
      w.field(name, value.booleanValue());
    }
  }
}
