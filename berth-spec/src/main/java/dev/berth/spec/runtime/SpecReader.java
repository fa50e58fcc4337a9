package dev.berth.spec.runtime;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads runtime-spec JSON ({@code config.json}, {@code process.json} for exec, resources for
 * update, state) into the records of this package.
 *
 * <p>Go's encoding/json semantics, as runc reads the same files: unknown fields are skipped, null
 * means absent, numbers must fit their Go type (uid is uint32, rlimits are uint64 ...). Namespace
 * types are checked here, since a namespace of unknown type cannot be represented meaningfully;
 * every other rule is {@link SpecValidator}'s. Errors name the source and the field: {@code
 * config.json: process.args[1]: expected string, got number}.
 */
public final class SpecReader {
  private SpecReader() {}

  /** Reads and parses a config.json; the path as given prefixes error messages. */
  public static Spec read(Path configJson) throws IOException, SpecException {
    return parse(Files.readAllBytes(configJson), configJson.toString());
  }

  /** Parses a config.json document; {@code sourceName} prefixes error messages. */
  public static Spec parse(byte[] json, String sourceName) throws SpecException {
    try (JsonReader r = JsonReader.of(json, sourceName)) {
      Spec spec = spec(r);
      if (spec == null) {
        throw r.error("expected object, got null");
      }
      r.end();
      return spec;
    }
  }

  /** Parses a process document, as {@code exec --process process.json} takes. */
  public static Process parseProcess(byte[] json, String sourceName) throws SpecException {
    try (JsonReader r = JsonReader.of(json, sourceName)) {
      Process process = process(r);
      if (process == null) {
        throw r.error("expected object, got null");
      }
      r.end();
      return process;
    }
  }

  /** Parses a resources document (linux.resources of a config), as {@code update -r} takes. */
  public static Resources parseResources(byte[] json, String sourceName) throws SpecException {
    try (JsonReader r = JsonReader.of(json, sourceName)) {
      Resources resources = resources(r);
      if (resources == null) {
        throw r.error("expected object, got null");
      }
      r.end();
      return resources;
    }
  }

  /** Parses a runtime-spec state document (what hooks read on stdin). */
  public static State parseState(byte[] json, String sourceName) throws SpecException {
    try (JsonReader r = JsonReader.of(json, sourceName)) {
      if (!r.beginObject()) {
        throw r.error("expected object, got null");
      }
      String ociVersion = "", id = "", status = "", bundle = "";
      int pid = 0;
      Map<String, String> annotations = Map.of();
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "ociVersion" -> ociVersion = r.string();
          case "id" -> id = r.string();
          case "status" -> status = r.string();
          case "pid" -> pid = r.int32();
          case "bundle" -> bundle = r.string();
          case "annotations" -> annotations = r.stringMap();
          default -> r.skip();
        }
      }
      r.end();
      return new State(ociVersion, id, status, pid, bundle, annotations);
    }
  }

  // ---- the document, top down; each reader returns null for JSON null ----

  static Spec spec(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    String ociVersion = "", hostname = "", domainname = "";
    Process process = null;
    Root root = null;
    List<Mount> mounts = List.of();
    Hooks hooks = null;
    Map<String, String> annotations = Map.of();
    Linux linux = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "ociVersion" -> ociVersion = r.string();
        case "process" -> process = process(r);
        case "root" -> root = root(r);
        case "hostname" -> hostname = r.string();
        case "domainname" -> domainname = r.string();
        case "mounts" -> mounts = mounts(r);
        case "hooks" -> hooks = hooks(r);
        case "annotations" -> annotations = r.stringMap();
        case "linux" -> linux = linux(r);
        default -> r.skip();
      }
    }
    return new Spec(
        ociVersion, process, root, hostname, domainname, mounts, hooks, annotations, linux);
  }

  static Process process(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    boolean terminal = false, noNewPrivileges = false;
    ConsoleSize consoleSize = null;
    User user = null;
    List<String> args = List.of(), env = List.of();
    String commandLine = "", cwd = "", apparmorProfile = "", selinuxLabel = "";
    Capabilities capabilities = null;
    List<Rlimit> rlimits = List.of();
    Integer oomScoreAdj = null;
    IoPriority ioPriority = null;
    Scheduler scheduler = null;
    ExecCpuAffinity execCpuAffinity = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "terminal" -> terminal = r.bool();
        case "consoleSize" -> consoleSize = consoleSize(r);
        case "user" -> user = user(r);
        case "args" -> args = r.strings();
        case "commandLine" -> commandLine = r.string();
        case "env" -> env = r.strings();
        case "cwd" -> cwd = r.string();
        case "capabilities" -> capabilities = capabilities(r);
        case "rlimits" -> rlimits = rlimits(r);
        case "noNewPrivileges" -> noNewPrivileges = r.bool();
        case "apparmorProfile" -> apparmorProfile = r.string();
        case "oomScoreAdj" -> oomScoreAdj = r.optInt32();
        case "selinuxLabel" -> selinuxLabel = r.string();
        case "ioPriority" -> ioPriority = ioPriority(r);
        case "scheduler" -> scheduler = scheduler(r);
        case "execCPUAffinity" -> execCpuAffinity = execCpuAffinity(r);
        default -> r.skip();
      }
    }
    return new Process(
        terminal,
        consoleSize,
        user,
        args,
        commandLine,
        env,
        cwd,
        capabilities,
        rlimits,
        noNewPrivileges,
        apparmorProfile,
        oomScoreAdj,
        selinuxLabel,
        ioPriority,
        scheduler,
        execCpuAffinity);
  }

  private static IoPriority ioPriority(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    String ioClass = "";
    int priority = 0;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "class" -> ioClass = r.string();
        case "priority" -> priority = r.int32();
        default -> r.skip();
      }
    }
    return new IoPriority(ioClass, priority);
  }

  private static Scheduler scheduler(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    String policy = "";
    int nice = 0, priority = 0;
    List<String> flags = List.of();
    long runtime = 0, deadline = 0, period = 0;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "policy" -> policy = r.string();
        case "nice" -> nice = r.int32();
        case "priority" -> priority = r.int32();
        case "flags" -> flags = r.strings();
        case "runtime" -> runtime = r.uint64();
        case "deadline" -> deadline = r.uint64();
        case "period" -> period = r.uint64();
        default -> r.skip();
      }
    }
    return new Scheduler(policy, nice, priority, flags, runtime, deadline, period);
  }

  private static ExecCpuAffinity execCpuAffinity(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    String initial = "", finalCpus = "";
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "initial" -> initial = r.string();
        case "final" -> finalCpus = r.string();
        default -> r.skip();
      }
    }
    return new ExecCpuAffinity(initial, finalCpus);
  }

  private static ConsoleSize consoleSize(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    int height = 0, width = 0;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "height" -> height = r.uint32();
        case "width" -> width = r.uint32();
        default -> r.skip();
      }
    }
    return new ConsoleSize(height, width);
  }

  private static User user(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    int uid = 0, gid = 0;
    Integer umask = null;
    List<Integer> additionalGids = List.of();
    String username = "";
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "uid" -> uid = r.uint32();
        case "gid" -> gid = r.uint32();
        case "umask" -> umask = r.optUint32();
        case "additionalGids" -> {
          List<Integer> gids = new ArrayList<>();
          if (r.beginArray()) {
            while (r.nextElement()) {
              gids.add(r.uint32());
            }
          }
          additionalGids = gids;
        }
        case "username" -> username = r.string();
        default -> r.skip();
      }
    }
    return new User(uid, gid, umask, additionalGids, username);
  }

  private static Capabilities capabilities(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    List<String> bounding = List.of(),
        effective = List.of(),
        inheritable = List.of(),
        permitted = List.of(),
        ambient = List.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "bounding" -> bounding = r.strings();
        case "effective" -> effective = r.strings();
        case "inheritable" -> inheritable = r.strings();
        case "permitted" -> permitted = r.strings();
        case "ambient" -> ambient = r.strings();
        default -> r.skip();
      }
    }
    return new Capabilities(bounding, effective, inheritable, permitted, ambient);
  }

  private static List<Rlimit> rlimits(JsonReader r) throws SpecException {
    List<Rlimit> list = new ArrayList<>();
    if (r.beginArray()) {
      while (r.nextElement()) {
        if (r.beginObject()) {
          String type = "";
          long hard = 0, soft = 0;
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "type" -> type = r.string();
              case "hard" -> hard = r.uint64();
              case "soft" -> soft = r.uint64();
              default -> r.skip();
            }
          }
          list.add(new Rlimit(type, hard, soft));
        } else {
          list.add(new Rlimit("", 0, 0));
        }
      }
    }
    return list;
  }

  private static Root root(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    String path = "";
    boolean readonly = false;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "path" -> path = r.string();
        case "readonly" -> readonly = r.bool();
        default -> r.skip();
      }
    }
    return new Root(path, readonly);
  }

  private static List<Mount> mounts(JsonReader r) throws SpecException {
    List<Mount> list = new ArrayList<>();
    if (r.beginArray()) {
      while (r.nextElement()) {
        String destination = "", type = "", source = "";
        List<String> options = List.of();
        List<IdMapping> uidMappings = List.of(), gidMappings = List.of();
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "destination" -> destination = r.string();
              case "type" -> type = r.string();
              case "source" -> source = r.string();
              case "options" -> options = r.strings();
              case "uidMappings" -> uidMappings = idMappings(r);
              case "gidMappings" -> gidMappings = idMappings(r);
              default -> r.skip();
            }
          }
        }
        list.add(new Mount(destination, type, source, options, uidMappings, gidMappings));
      }
    }
    return list;
  }

  /** An array of mappings as linux.uidMappings holds them (null: none). */
  public static List<IdMapping> idMappings(JsonReader r) throws SpecException {
    List<IdMapping> list = new ArrayList<>();
    if (r.beginArray()) {
      while (r.nextElement()) {
        long containerID = 0, hostID = 0, size = 0;
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "containerID" -> containerID = Integer.toUnsignedLong(r.uint32());
              case "hostID" -> hostID = Integer.toUnsignedLong(r.uint32());
              case "size" -> size = Integer.toUnsignedLong(r.uint32());
              default -> r.skip();
            }
          }
        }
        list.add(new IdMapping(containerID, hostID, size));
      }
    }
    return list;
  }

  private static Hooks hooks(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    List<Hook> prestart = List.of(),
        createRuntime = List.of(),
        createContainer = List.of(),
        startContainer = List.of(),
        poststart = List.of(),
        poststop = List.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "prestart" -> prestart = hookList(r);
        case "createRuntime" -> createRuntime = hookList(r);
        case "createContainer" -> createContainer = hookList(r);
        case "startContainer" -> startContainer = hookList(r);
        case "poststart" -> poststart = hookList(r);
        case "poststop" -> poststop = hookList(r);
        default -> r.skip();
      }
    }
    return new Hooks(prestart, createRuntime, createContainer, startContainer, poststart, poststop);
  }

  private static List<Hook> hookList(JsonReader r) throws SpecException {
    List<Hook> list = new ArrayList<>();
    if (r.beginArray()) {
      while (r.nextElement()) {
        String path = "";
        List<String> args = List.of(), env = List.of();
        Integer timeout = null;
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "path" -> path = r.string();
              case "args" -> args = r.strings();
              case "env" -> env = r.strings();
              case "timeout" -> timeout = r.optInt32();
              default -> r.skip();
            }
          }
        }
        list.add(new Hook(path, args, env, timeout));
      }
    }
    return list;
  }

  static Linux linux(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    List<Namespace> namespaces = List.of();
    List<IdMapping> uidMappings = List.of(), gidMappings = List.of();
    Map<String, TimeOffset> timeOffsets = Map.of();
    List<Device> devices = List.of();
    String cgroupsPath = "", rootfsPropagation = "", mountLabel = "";
    Resources resources = null;
    Map<String, String> sysctl = Map.of();
    Seccomp seccomp = null;
    List<String> maskedPaths = List.of(), readonlyPaths = List.of();
    Personality personality = null;
    Map<String, NetDevice> netDevices = Map.of();
    IntelRdt intelRdt = null;
    MemoryPolicy memoryPolicy = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "namespaces" -> namespaces = namespaces(r);
        case "uidMappings" -> uidMappings = idMappings(r);
        case "gidMappings" -> gidMappings = idMappings(r);
        case "timeOffsets" -> timeOffsets = timeOffsets(r);
        case "devices" -> devices = devices(r);
        case "cgroupsPath" -> cgroupsPath = r.string();
        case "resources" -> resources = resources(r);
        case "sysctl" -> sysctl = r.stringMap();
        case "seccomp" -> seccomp = seccomp(r);
        case "rootfsPropagation" -> rootfsPropagation = r.string();
        case "maskedPaths" -> maskedPaths = r.strings();
        case "readonlyPaths" -> readonlyPaths = r.strings();
        case "mountLabel" -> mountLabel = r.string();
        case "personality" -> personality = personality(r);
        case "netDevices" -> netDevices = netDevices(r);
        case "intelRdt" -> intelRdt = intelRdt(r);
        case "memoryPolicy" -> memoryPolicy = memoryPolicy(r);
        default -> r.skip();
      }
    }
    return new Linux(
        namespaces,
        uidMappings,
        gidMappings,
        timeOffsets,
        devices,
        cgroupsPath,
        resources,
        sysctl,
        seccomp,
        rootfsPropagation,
        maskedPaths,
        readonlyPaths,
        mountLabel,
        personality,
        netDevices,
        intelRdt,
        memoryPolicy);
  }

  private static Map<String, NetDevice> netDevices(JsonReader r) throws SpecException {
    Map<String, NetDevice> map = new LinkedHashMap<>();
    if (r.beginObject()) {
      for (String device; (device = r.nextField()) != null; ) {
        String name = "";
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            if (f.equals("name")) {
              name = r.string();
            } else {
              r.skip();
            }
          }
        }
        map.put(device, new NetDevice(name));
      }
    }
    return map;
  }

  private static IntelRdt intelRdt(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    String closID = "", l3CacheSchema = "", memBwSchema = "";
    Boolean enableCMT = null, enableMBM = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "closID" -> closID = r.string();
        case "l3CacheSchema" -> l3CacheSchema = r.string();
        case "memBwSchema" -> memBwSchema = r.string();
        case "enableCMT" -> enableCMT = r.optBool();
        case "enableMBM" -> enableMBM = r.optBool();
        default -> r.skip();
      }
    }
    return new IntelRdt(closID, l3CacheSchema, memBwSchema, enableCMT, enableMBM);
  }

  private static MemoryPolicy memoryPolicy(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    String mode = "", nodes = "";
    List<String> flags = List.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "mode" -> mode = r.string();
        case "nodes" -> nodes = r.string();
        case "flags" -> flags = r.strings();
        default -> r.skip();
      }
    }
    return new MemoryPolicy(mode, nodes, flags);
  }

  private static List<Namespace> namespaces(JsonReader r) throws SpecException {
    List<Namespace> list = new ArrayList<>();
    if (r.beginArray()) {
      while (r.nextElement()) {
        String type = "", path = "";
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "type" -> {
                type = r.string();
                if (!SpecValidator.isNamespaceType(type)) {
                  throw r.error("unknown namespace type " + SpecValidator.quote(type));
                }
              }
              case "path" -> path = r.string();
              default -> r.skip();
            }
          }
        }
        list.add(new Namespace(type, path));
      }
    }
    return list;
  }

  private static Map<String, TimeOffset> timeOffsets(JsonReader r) throws SpecException {
    Map<String, TimeOffset> map = new LinkedHashMap<>();
    if (r.beginObject()) {
      for (String clock; (clock = r.nextField()) != null; ) {
        long secs = 0, nanosecs = 0;
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "secs" -> secs = r.int64();
              case "nanosecs" -> nanosecs = Integer.toUnsignedLong(r.uint32());
              default -> r.skip();
            }
          }
        }
        map.put(clock, new TimeOffset(secs, nanosecs));
      }
    }
    return map;
  }

  private static List<Device> devices(JsonReader r) throws SpecException {
    List<Device> list = new ArrayList<>();
    if (r.beginArray()) {
      while (r.nextElement()) {
        String type = "", path = "";
        long major = 0, minor = 0;
        Integer fileMode = null, uid = null, gid = null;
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "type" -> type = r.string();
              case "path" -> path = r.string();
              case "major" -> major = r.int64();
              case "minor" -> minor = r.int64();
              case "fileMode" -> fileMode = r.optUint32();
              case "uid" -> uid = r.optUint32();
              case "gid" -> gid = r.optUint32();
              default -> r.skip();
            }
          }
        }
        list.add(new Device(type, path, major, minor, fileMode, uid, gid));
      }
    }
    return list;
  }

  static Resources resources(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    List<DeviceRule> devices = List.of();
    Memory memory = null;
    Cpu cpu = null;
    Pids pids = null;
    BlockIO blockIO = null;
    List<HugepageLimit> hugepageLimits = List.of();
    Network network = null;
    Map<String, String> unified = Map.of();
    Map<String, Rdma> rdma = Map.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "devices" -> devices = deviceRules(r);
        case "memory" -> memory = memory(r);
        case "cpu" -> cpu = cpu(r);
        case "pids" -> pids = pids(r);
        case "blockIO" -> blockIO = blockIO(r);
        case "hugepageLimits" -> hugepageLimits = hugepageLimits(r);
        case "network" -> network = network(r);
        case "unified" -> unified = r.stringMap();
        case "rdma" -> rdma = rdma(r);
        default -> r.skip();
      }
    }
    return new Resources(
        devices, memory, cpu, pids, blockIO, hugepageLimits, network, unified, rdma);
  }

  private static Map<String, Rdma> rdma(JsonReader r) throws SpecException {
    Map<String, Rdma> map = new LinkedHashMap<>();
    if (r.beginObject()) {
      for (String device; (device = r.nextField()) != null; ) {
        Long handles = null, objects = null;
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "hcaHandles" -> handles = optUint32(r);
              case "hcaObjects" -> objects = optUint32(r);
              default -> r.skip();
            }
          }
        }
        map.put(device, new Rdma(handles, objects));
      }
    }
    return map;
  }

  private static Long optUint32(JsonReader r) throws SpecException {
    Integer v = r.optUint32();
    return v == null ? null : Integer.toUnsignedLong(v);
  }

  private static List<DeviceRule> deviceRules(JsonReader r) throws SpecException {
    List<DeviceRule> list = new ArrayList<>();
    if (r.beginArray()) {
      while (r.nextElement()) {
        boolean allow = false;
        String type = "", access = "";
        Long major = null, minor = null;
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "allow" -> allow = r.bool();
              case "type" -> type = r.string();
              case "major" -> major = r.optInt64();
              case "minor" -> minor = r.optInt64();
              case "access" -> access = r.string();
              default -> r.skip();
            }
          }
        }
        list.add(new DeviceRule(allow, type, major, minor, access));
      }
    }
    return list;
  }

  private static Memory memory(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    Long limit = null,
        reservation = null,
        swap = null,
        kernel = null,
        kernelTCP = null,
        swappiness = null;
    Boolean disableOOMKiller = null, useHierarchy = null, checkBeforeUpdate = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "limit" -> limit = r.optInt64();
        case "reservation" -> reservation = r.optInt64();
        case "swap" -> swap = r.optInt64();
        case "kernel" -> kernel = r.optInt64();
        case "kernelTCP" -> kernelTCP = r.optInt64();
        case "swappiness" -> swappiness = r.optUint64();
        case "disableOOMKiller" -> disableOOMKiller = r.optBool();
        case "useHierarchy" -> useHierarchy = r.optBool();
        case "checkBeforeUpdate" -> checkBeforeUpdate = r.optBool();
        default -> r.skip();
      }
    }
    return new Memory(
        limit,
        reservation,
        swap,
        kernel,
        kernelTCP,
        swappiness,
        disableOOMKiller,
        useHierarchy,
        checkBeforeUpdate);
  }

  private static Cpu cpu(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    Long shares = null,
        quota = null,
        burst = null,
        period = null,
        realtimeRuntime = null,
        realtimePeriod = null,
        idle = null;
    String cpus = "", mems = "";
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "shares" -> shares = r.optUint64();
        case "quota" -> quota = r.optInt64();
        case "burst" -> burst = r.optUint64();
        case "period" -> period = r.optUint64();
        case "realtimeRuntime" -> realtimeRuntime = r.optInt64();
        case "realtimePeriod" -> realtimePeriod = r.optUint64();
        case "cpus" -> cpus = r.string();
        case "mems" -> mems = r.string();
        case "idle" -> idle = r.optInt64();
        default -> r.skip();
      }
    }
    return new Cpu(shares, quota, burst, period, realtimeRuntime, realtimePeriod, cpus, mems, idle);
  }

  private static Pids pids(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    long limit = 0;
    for (String f; (f = r.nextField()) != null; ) {
      if (f.equals("limit")) {
        limit = r.int64();
      } else {
        r.skip();
      }
    }
    return new Pids(limit);
  }

  private static BlockIO blockIO(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    Integer weight = null, leafWeight = null;
    List<WeightDevice> weightDevice = List.of();
    List<ThrottleDevice> readBps = List.of(),
        writeBps = List.of(),
        readIops = List.of(),
        writeIops = List.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "weight" -> weight = r.optUint16();
        case "leafWeight" -> leafWeight = r.optUint16();
        case "weightDevice" -> weightDevice = weightDevices(r);
        case "throttleReadBpsDevice" -> readBps = throttleDevices(r);
        case "throttleWriteBpsDevice" -> writeBps = throttleDevices(r);
        case "throttleReadIOPSDevice" -> readIops = throttleDevices(r);
        case "throttleWriteIOPSDevice" -> writeIops = throttleDevices(r);
        default -> r.skip();
      }
    }
    return new BlockIO(weight, leafWeight, weightDevice, readBps, writeBps, readIops, writeIops);
  }

  private static List<WeightDevice> weightDevices(JsonReader r) throws SpecException {
    List<WeightDevice> list = new ArrayList<>();
    if (r.beginArray()) {
      while (r.nextElement()) {
        long major = 0, minor = 0;
        Integer weight = null, leafWeight = null;
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "major" -> major = r.int64();
              case "minor" -> minor = r.int64();
              case "weight" -> weight = r.optUint16();
              case "leafWeight" -> leafWeight = r.optUint16();
              default -> r.skip();
            }
          }
        }
        list.add(new WeightDevice(major, minor, weight, leafWeight));
      }
    }
    return list;
  }

  private static List<ThrottleDevice> throttleDevices(JsonReader r) throws SpecException {
    List<ThrottleDevice> list = new ArrayList<>();
    if (r.beginArray()) {
      while (r.nextElement()) {
        long major = 0, minor = 0, rate = 0;
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "major" -> major = r.int64();
              case "minor" -> minor = r.int64();
              case "rate" -> rate = r.uint64();
              default -> r.skip();
            }
          }
        }
        list.add(new ThrottleDevice(major, minor, rate));
      }
    }
    return list;
  }

  private static List<HugepageLimit> hugepageLimits(JsonReader r) throws SpecException {
    List<HugepageLimit> list = new ArrayList<>();
    if (r.beginArray()) {
      while (r.nextElement()) {
        String pageSize = "";
        long limit = 0;
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            // Any case, as runc's Go decoder reads field names: runc's own tests write "pagesize".
            switch (f.toLowerCase(java.util.Locale.ROOT)) {
              case "pagesize" -> pageSize = r.string();
              case "limit" -> limit = r.uint64();
              default -> r.skip();
            }
          }
        }
        list.add(new HugepageLimit(pageSize, limit));
      }
    }
    return list;
  }

  private static Network network(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    Long classID = null;
    List<NetPriority> priorities = new ArrayList<>();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "classID" -> {
          Integer id = r.optUint32();
          classID = id == null ? null : Integer.toUnsignedLong(id);
        }
        case "priorities" -> {
          priorities.clear();
          if (r.beginArray()) {
            while (r.nextElement()) {
              String name = "";
              int priority = 0;
              if (r.beginObject()) {
                for (String g; (g = r.nextField()) != null; ) {
                  switch (g) {
                    case "name" -> name = r.string();
                    case "priority" -> priority = r.uint32();
                    default -> r.skip();
                  }
                }
              }
              priorities.add(new NetPriority(name, priority));
            }
          }
        }
        default -> r.skip();
      }
    }
    return new Network(classID, priorities);
  }

  private static Seccomp seccomp(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    String defaultAction = "", listenerPath = "", listenerMetadata = "";
    Integer defaultErrnoRet = null;
    List<String> architectures = List.of(), flags = List.of();
    List<SeccompSyscall> syscalls = new ArrayList<>();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "defaultAction" -> defaultAction = r.string();
        case "defaultErrnoRet" -> defaultErrnoRet = r.optUint32();
        case "architectures" -> architectures = r.strings();
        case "flags" -> flags = r.strings();
        case "listenerPath" -> listenerPath = r.string();
        case "listenerMetadata" -> listenerMetadata = r.string();
        case "syscalls" -> {
          syscalls.clear();
          if (r.beginArray()) {
            while (r.nextElement()) {
              syscalls.add(seccompSyscall(r));
            }
          }
        }
        default -> r.skip();
      }
    }
    return new Seccomp(
        defaultAction,
        defaultErrnoRet,
        architectures,
        flags,
        listenerPath,
        listenerMetadata,
        syscalls);
  }

  private static SeccompSyscall seccompSyscall(JsonReader r) throws SpecException {
    List<String> names = List.of();
    String action = "";
    Integer errnoRet = null;
    List<SeccompArg> args = new ArrayList<>();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "names" -> names = r.strings();
          case "action" -> action = r.string();
          case "errnoRet" -> errnoRet = r.optUint32();
          case "args" -> {
            args.clear();
            if (r.beginArray()) {
              while (r.nextElement()) {
                int index = 0;
                long value = 0, valueTwo = 0;
                String op = "";
                if (r.beginObject()) {
                  for (String g; (g = r.nextField()) != null; ) {
                    switch (g) {
                      case "index" -> index = r.uint32();
                      case "value" -> value = r.uint64();
                      case "valueTwo" -> valueTwo = r.uint64();
                      case "op" -> op = r.string();
                      default -> r.skip();
                    }
                  }
                }
                args.add(new SeccompArg(index, value, valueTwo, op));
              }
            }
          }
          default -> r.skip();
        }
      }
    }
    return new SeccompSyscall(names, action, errnoRet, args);
  }

  private static Personality personality(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    String domain = "";
    List<String> flags = List.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "domain" -> domain = r.string();
        case "flags" -> flags = r.strings();
        default -> r.skip();
      }
    }
    return new Personality(domain, flags);
  }
}
