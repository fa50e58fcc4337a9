package dev.berth.testkit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An OCI bundle for tests: a busybox rootfs and a config.json kept as a mutable JSON tree that
 * starts as runc's default spec (non-interactive), so each test changes only what it is about.
 * Independent of berth-spec on purpose: the runtime under test must not write its own input.
 */
public final class Bundle {
  private final Path dir;
  private final Map<String, Object> config;

  private Bundle(Path dir) {
    this.dir = dir;
    this.config = defaultConfig();
  }

  /**
   * A bundle at {@code dir} (created) with a busybox rootfs and runc's default config running
   * {@code sh}.
   */
  public static Bundle busybox(Path dir) {
    Busybox.rootfs(dir.resolve("rootfs"));
    return new Bundle(dir);
  }

  public Path dir() {
    return dir;
  }

  public Path rootfs() {
    return dir.resolve("rootfs");
  }

  public Map<String, Object> config() {
    return config;
  }

  @SuppressWarnings("unchecked")
  public Map<String, Object> process() {
    return (Map<String, Object>) config.get("process");
  }

  @SuppressWarnings("unchecked")
  public Map<String, Object> linux() {
    return (Map<String, Object>) config.get("linux");
  }

  @SuppressWarnings("unchecked")
  public List<Object> mounts() {
    return (List<Object>) config.get("mounts");
  }

  @SuppressWarnings("unchecked")
  public List<Object> namespaces() {
    return (List<Object>) linux().get("namespaces");
  }

  /** Sets the process arguments. */
  public Bundle args(String... args) {
    process().put("args", List.of((Object[]) args));
    return this;
  }

  /** Runs {@code script} with busybox sh -c. */
  public Bundle sh(String script) {
    return args("sh", "-c", script);
  }

  /**
   * Bind-mounts a host directory read-write at {@code dest}: how tests read what a container saw.
   */
  public Bundle bind(Path host, String dest) {
    mounts()
        .add(
            map(
                "destination",
                dest,
                "type",
                "bind",
                "source",
                host.toString(),
                "options",
                list("rbind", "rw")));
    return this;
  }

  /** Adds a hook of {@code kind} (prestart, createRuntime, ...). */
  @SuppressWarnings("unchecked")
  public Bundle hook(
      String kind, String path, List<String> args, List<String> env, Integer timeout) {
    Map<String, Object> hooks =
        (Map<String, Object>) config.computeIfAbsent("hooks", k -> new LinkedHashMap<>());
    List<Object> list = (List<Object>) hooks.computeIfAbsent(kind, k -> new ArrayList<>());
    Map<String, Object> h =
        map("path", path, "args", new ArrayList<Object>(args), "env", new ArrayList<Object>(env));
    if (timeout != null) h.put("timeout", timeout);
    list.add(h);
    return this;
  }

  /** Removes the namespace of {@code type} from the config. */
  public Bundle withoutNamespace(String type) {
    namespaces().removeIf(n -> type.equals(((Map<?, ?>) n).get("type")));
    return this;
  }

  /** Adds a namespace (with a path to join, or null to create one). */
  public Bundle namespace(String type, String path) {
    withoutNamespace(type);
    Map<String, Object> n = map("type", type);
    if (path != null) n.put("path", path);
    namespaces().add(n);
    return this;
  }

  /** Writes config.json; returns the bundle directory. */
  public Path write() {
    try (OutputStream out = Files.newOutputStream(dir.resolve("config.json"));
        JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.useDefaultPrettyPrinter();
      writeValue(g, config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  private static void writeValue(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (var e : m.entrySet()) {
        g.writeFieldName((String) e.getKey());
        writeValue(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof List<?> l) {
      g.writeStartArray();
      for (Object o : l) writeValue(g, o);
      g.writeEndArray();
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Long n) {
      g.writeNumber(n);
    } else if (v instanceof Integer n) {
      g.writeNumber(n);
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass());
    }
  }

  /** An insertion-ordered mutable map from key, value pairs. */
  public static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  /** A mutable list. */
  public static List<Object> list(Object... items) {
    return new ArrayList<>(List.of(items));
  }

  private static Map<String, Object> defaultConfig() {
    List<Object> caps = list("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
    return map(
        "ociVersion", "1.0.2-dev",
        "process",
            map(
                "terminal", false,
                "user", map("uid", 0, "gid", 0),
                "args", list("sh"),
                "env",
                    list(
                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "TERM=xterm"),
                "cwd", "/",
                "capabilities",
                    map(
                        "bounding",
                        caps,
                        "effective",
                        list(caps.toArray()),
                        "permitted",
                        list(caps.toArray()),
                        "ambient",
                        list(caps.toArray())),
                "rlimits", list(map("type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024)),
                "noNewPrivileges", true),
        "root", map("path", "rootfs", "readonly", true),
        "hostname", "runc",
        "mounts",
            list(
                map("destination", "/proc", "type", "proc", "source", "proc"),
                map(
                    "destination",
                    "/dev",
                    "type",
                    "tmpfs",
                    "source",
                    "tmpfs",
                    "options",
                    list("nosuid", "strictatime", "mode=755", "size=65536k")),
                map(
                    "destination",
                    "/dev/pts",
                    "type",
                    "devpts",
                    "source",
                    "devpts",
                    "options",
                    list("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
                map(
                    "destination",
                    "/dev/shm",
                    "type",
                    "tmpfs",
                    "source",
                    "shm",
                    "options",
                    list("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
                map(
                    "destination",
                    "/dev/mqueue",
                    "type",
                    "mqueue",
                    "source",
                    "mqueue",
                    "options",
                    list("nosuid", "noexec", "nodev")),
                map(
                    "destination",
                    "/sys",
                    "type",
                    "sysfs",
                    "source",
                    "sysfs",
                    "options",
                    list("nosuid", "noexec", "nodev", "ro")),
                map(
                    "destination",
                    "/sys/fs/cgroup",
                    "type",
                    "cgroup",
                    "source",
                    "cgroup",
                    "options",
                    list("nosuid", "noexec", "nodev", "relatime", "ro"))),
        "linux",
            map(
                "resources", map("devices", list(map("allow", false, "access", "rwm"))),
                "namespaces",
                    list(
                        map("type", "pid"),
                        map("type", "network"),
                        map("type", "ipc"),
                        map("type", "uts"),
                        map("type", "mount")),
                "maskedPaths",
                    list(
                        "/proc/acpi",
                        "/proc/asound",
                        "/proc/kcore",
                        "/proc/keys",
                        "/proc/latency_stats",
                        "/proc/timer_list",
                        "/proc/timer_stats",
                        "/proc/sched_debug",
                        "/sys/firmware",
                        "/proc/scsi"),
                "readonlyPaths",
                    list(
                        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")));
  }
}
