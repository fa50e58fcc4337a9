package dev.berth.engine.network.cni;

import dev.berth.engine.network.cni.NetworkConfigList.PluginConfig;
import dev.berth.engine.store.StoreErrors;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Signals;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CNI protocol of libcni (spec 1.0.0; the plugins' 0.3.x/0.4.0/1.0.0 results read): ADD, DEL
 * and CHECK of a config list, VERSION of a plugin, and GC and STATUS where the list and its plugins
 * are 1.1.0 (Debian's plugins 1.1.1 speak 1.0.0 at most, so with them both report the plugins as
 * unsupported and run nothing).
 *
 * <p>Each plugin gets the {@code CNI_*} environment (plus this process' environment: plugins need
 * {@code PATH} for iptables), and on stdin its own config with the list's {@code name} and {@code
 * cniVersion}, the previous plugin's result as {@code prevResult}, and {@code runtimeConfig} for
 * the capabilities it declares. ADD runs the chain in order; DEL in reverse with the cached ADD
 * result, after a restart too ({@link ResultCache}); a failed ADD is rolled back by a DEL of the
 * whole chain, so nothing half-made stays (libcni leaves that to its caller).
 */
public final class CniClient {
  private final List<Path> pluginDirs;
  private final ResultCache cache;
  private final Launcher launcher;

  /**
   * Plugins from {@code pluginDirs} (CNI_PATH, searched in order), results cached under {@code
   * cacheDir}.
   */
  public CniClient(List<Path> pluginDirs, Path cacheDir, Launcher launcher) throws BerthException {
    this.pluginDirs = List.copyOf(pluginDirs);
    this.cache = ResultCache.open(cacheDir);
    this.launcher = launcher;
  }

  public ResultCache cache() {
    return cache;
  }

  public Launcher launcher() {
    return launcher;
  }

  /**
   * Reads a conflist file; INVALID_ARGUMENT naming the file and the field when it is not a valid
   * one.
   */
  public static NetworkConfigList load(Path file) throws BerthException {
    byte[] bytes;
    try (var fd = Linux.open(file.toString(), LinuxConstants.O_RDONLY, 0)) {
      bytes = Linux.readAll(fd);
    } catch (ErrnoException e) {
      if (StoreErrors.isMissing(e))
        throw new BerthException(ErrorCategory.NOT_FOUND, "no CNI config " + file);
      throw StoreErrors.io("read CNI config " + file, e);
    }
    try {
      return NetworkConfigList.parse(bytes, file.toString());
    } catch (SpecException e) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT, "invalid CNI config " + e.getMessage(), e);
    }
  }

  // ---- ADD / DEL / CHECK ----

  /**
   * Attaches the container's netns to the network: the chain's ADD; the last plugin's result,
   * cached.
   */
  public CniResult add(NetworkConfigList list, RuntimeConf rt) throws BerthException {
    checkRuntime(list, rt, true);
    ResultCache.Entry pending = entry(list, rt, null);
    writeCache(list, pending);
    CniResult prev = null;
    try {
      for (PluginConfig p : list.plugins()) {
        byte[] out = invoke(list, p, "ADD", rt, prev);
        try {
          prev =
              CniResult.parse(
                  out, "network " + list.name() + ": plugin " + p.type() + " ADD result");
        } catch (SpecException e) {
          throw new CniException(
              ErrorCategory.INTERNAL,
              list.name(),
              p.type(),
              CniException.NO_CODE,
              "network "
                  + list.name()
                  + ": plugin "
                  + p.type()
                  + " ADD: unreadable result: "
                  + e.getMessage());
        }
      }
      if (prev == null) throw new IllegalStateException("a config list has plugins");
      writeCache(list, entry(list, rt, prev));
      return prev;
    } catch (BerthException | RuntimeException e) {
      try {
        delChain(
            list, rt,
            prev); // the plugins before the failing one made things; the failing one may have too
      } catch (BerthException | RuntimeException undo) {
        e.addSuppressed(undo);
      }
      try {
        // Even when the rollback failed: its DEL would fail again (a bad config); what it left, the
        // recovery scan
        // finds without the entry (leases, veths, rules). The pending entry is for a crash of this
        // process.
        cache.remove(list.name(), rt.containerId(), rt.ifName());
      } catch (IOException undo) {
        e.addSuppressed(undo);
      }
      throw e;
    }
  }

  /**
   * Detaches: the chain's DEL in reverse order with the cached ADD result, then the cache entry
   * goes. Idempotent, as the spec requires of plugins: a second DEL, a DEL without a cache entry or
   * after the netns is gone is no error. The cached config is run when there is one (the ADD's
   * plugins, even if {@code list} changed since).
   */
  public void del(NetworkConfigList list, RuntimeConf rt) throws BerthException {
    checkRuntime(list, rt, false);
    ResultCache.Entry cached = cachedEntry(list.name(), rt);
    NetworkConfigList run = list;
    CniResult prev = null;
    if (cached != null) {
      prev = cached.result();
      run = cachedConfig(cached, list);
    }
    delChain(run, rt, prev);
    try {
      cache.remove(list.name(), rt.containerId(), rt.ifName());
    } catch (IOException e) {
      throw StoreErrors.io(
          "remove the CNI cache entry of " + rt.containerId() + " on " + list.name(), e);
    }
  }

  /**
   * DEL of a cached attachment alone, for cleanup when the network's conflist is gone or unknown:
   * the cached config and arguments are run, with {@code netns} (empty when the namespace is gone).
   */
  public void del(ResultCache.Entry cached, String netns) throws BerthException {
    NetworkConfigList run;
    try {
      run = NetworkConfigList.parse(cached.config(), "cached config of " + cached.network());
    } catch (SpecException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL,
          "CNI cache entry of "
              + cached.containerId()
              + " on "
              + cached.network()
              + ": unreadable config: "
              + e.getMessage(),
          e);
    }
    RuntimeConf rt = cached.runtimeConf().withNetns(netns);
    delChain(run, rt, cached.result());
    try {
      cache.remove(cached.network(), cached.containerId(), cached.ifName());
    } catch (IOException e) {
      throw StoreErrors.io(
          "remove the CNI cache entry of " + cached.containerId() + " on " + cached.network(), e);
    }
  }

  /** CHECK of the chain against the cached ADD result; FAILED_PRECONDITION when there is none. */
  public void check(NetworkConfigList list, RuntimeConf rt) throws BerthException {
    checkRuntime(list, rt, true);
    if (list.disableCheck()) return;
    ResultCache.Entry cached = cachedEntry(list.name(), rt);
    if (cached == null || cached.result() == null) {
      throw new BerthException(
          ErrorCategory.FAILED_PRECONDITION,
          "network "
              + list.name()
              + ": no cached result"
              + " for container "
              + rt.containerId()
              + " interface "
              + rt.ifName()
              + " to check");
    }
    for (PluginConfig p : list.plugins()) invoke(list, p, "CHECK", rt, cached.result());
  }

  // ---- VERSION / GC / STATUS ----

  /** The spec versions the plugin supports (its VERSION answer). */
  public List<String> version(String type) throws BerthException {
    PluginConfig p = new PluginConfig(type, Map.of("type", type));
    NetworkConfigList probe =
        new NetworkConfigList("(version)", "1.0.0", false, false, List.of(p), new byte[0]);
    byte[] out = invoke(probe, p, "VERSION", null, null);
    try (JsonReader r = JsonReader.of(out, "plugin " + type + " VERSION")) {
      List<String> versions = List.of();
      if (r.beginObject()) {
        for (String f; (f = r.nextField()) != null; ) {
          if (f.equals("supportedVersions")) versions = r.strings();
          else r.skip();
        }
      }
      return versions;
    } catch (SpecException e) {
      throw new CniException(
          ErrorCategory.INTERNAL,
          "",
          type,
          CniException.NO_CODE,
          "plugin " + type + " VERSION: unreadable answer: " + e.getMessage());
    }
  }

  /** An attachment GC must keep (the spec's {@code cni.dev/valid-attachments}). */
  public record Attachment(String containerId, String ifName) {}

  /**
   * GC (spec 1.1.0): each plugin removes what it holds for attachments other than {@code valid}.
   * Runs only when the list is 1.1.0 or later and not {@code disableGC}, on the plugins whose
   * VERSION lists 1.1.0; returns the plugins that do not (all of Debian's 1.1.1), which did
   * nothing.
   */
  public List<String> gc(NetworkConfigList list, List<Attachment> valid) throws BerthException {
    List<String> unsupported = new ArrayList<>();
    if (list.disableGC()) return unsupported;
    List<Object> attachments = new ArrayList<>();
    for (Attachment a : valid)
      attachments.add(Map.of("containerID", a.containerId(), "ifname", a.ifName()));
    for (PluginConfig p : list.plugins()) {
      if (!speaks11(list, p)) {
        unsupported.add(p.type());
        continue;
      }
      Map<String, Object> conf = new java.util.LinkedHashMap<>(p.config());
      conf.put("cni.dev/valid-attachments", attachments);
      invoke(list, new PluginConfig(p.type(), conf), "GC", RuntimeConf.of("", "", ""), null);
    }
    return unsupported;
  }

  /**
   * STATUS (spec 1.1.0): throws the first plugin's error (e.g. code 50, "not ready"); returns
   * unsupported plugins.
   */
  public List<String> status(NetworkConfigList list) throws BerthException {
    List<String> unsupported = new ArrayList<>();
    for (PluginConfig p : list.plugins()) {
      if (!speaks11(list, p)) {
        unsupported.add(p.type());
        continue;
      }
      invoke(list, p, "STATUS", RuntimeConf.of("", "", ""), null);
    }
    return unsupported;
  }

  private boolean speaks11(NetworkConfigList list, PluginConfig p) throws BerthException {
    return atLeast(list.cniVersion(), 1, 1) && version(p.type()).contains("1.1.0");
  }

  // ---- internals ----

  /**
   * DEL in reverse order. Unlike libcni, a failing plugin does not stop the others (each removes
   * its own part); the first failure is thrown after all ran.
   */
  private void delChain(NetworkConfigList list, RuntimeConf rt, CniResult prev)
      throws BerthException {
    List<PluginConfig> plugins = list.plugins();
    BerthException first = null;
    for (int i = plugins.size() - 1; i >= 0; i--) {
      try {
        invoke(list, plugins.get(i), "DEL", rt, prev);
      } catch (BerthException e) {
        if (first == null) first = e;
        else first.addSuppressed(e);
      }
    }
    if (first != null) throw first;
  }

  private ResultCache.Entry entry(NetworkConfigList list, RuntimeConf rt, CniResult result) {
    return new ResultCache.Entry(
        list.name(),
        rt.containerId(),
        rt.ifName(),
        rt.netns(),
        list.bytes(),
        rt.args(),
        rt.capabilityArgs(),
        result);
  }

  private void writeCache(NetworkConfigList list, ResultCache.Entry e) throws BerthException {
    try {
      cache.put(e);
    } catch (IOException x) {
      throw StoreErrors.io("cache the CNI result of " + e.containerId() + " on " + list.name(), x);
    }
  }

  private ResultCache.Entry cachedEntry(String network, RuntimeConf rt) throws BerthException {
    try {
      return cache.get(network, rt.containerId(), rt.ifName());
    } catch (IOException e) {
      return null; // unreadable: DEL goes on without it, as libcni does when its cache cannot be
      // read
    }
  }

  private static NetworkConfigList cachedConfig(
      ResultCache.Entry cached, NetworkConfigList fallback) {
    if (cached.config().length == 0) return fallback;
    try {
      return NetworkConfigList.parse(cached.config(), "cached config of " + cached.network());
    } catch (SpecException e) {
      return fallback;
    }
  }

  private static void checkRuntime(NetworkConfigList list, RuntimeConf rt, boolean netnsRequired)
      throws BerthException {
    String id = rt.containerId();
    if (id.isEmpty() || !id.matches("[A-Za-z0-9][A-Za-z0-9_.\\-]*")) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "network "
              + list.name()
              + ": invalid container id "
              + id
              + ": letters, digits, '_', '.' and '-' only");
    }
    String ifName = rt.ifName();
    if (ifName.isEmpty()
        || ifName.length() > 15
        || ifName.equals(".")
        || ifName.equals("..")
        || !ifName.chars().allMatch(c -> c > ' ' && c < 127 && c != '/' && c != ':')) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "network "
              + list.name()
              + ": invalid interface name "
              + ifName
              + ": 1 to 15 printable characters, no '/', ':' or space");
    }
    if (netnsRequired && rt.netns().isEmpty()) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "network " + list.name() + ": no network namespace for" + " container " + id);
    }
  }

  /** Runs one plugin; its stdout when it succeeded, else a CniException that says what it said. */
  private byte[] invoke(
      NetworkConfigList list, PluginConfig p, String command, RuntimeConf rt, CniResult prev)
      throws BerthException {
    String who =
        (list.name().startsWith("(") ? "" : "network " + list.name() + ": ")
            + "plugin "
            + p.type()
            + " "
            + command;
    String path = find(list, p.type());
    List<String> env = new ArrayList<>();
    for (Map.Entry<String, String> e : System.getenv().entrySet()) {
      if (!e.getKey().startsWith("CNI_")) env.add(e.getKey() + "=" + e.getValue());
    }
    env.add("CNI_COMMAND=" + command);
    env.add("CNI_PATH=" + String.join(":", pluginDirs.stream().map(Path::toString).toList()));
    byte[] stdin;
    if (rt == null) {
      stdin =
          new JsonWriter(JsonWriter.COMPACT)
              .beginObject()
              .field("cniVersion", list.cniVersion())
              .endObject()
              .toByteArray();
    } else {
      env.add("CNI_CONTAINERID=" + rt.containerId());
      env.add("CNI_NETNS=" + rt.netns());
      env.add("CNI_IFNAME=" + rt.ifName());
      env.add("CNI_ARGS=" + rt.cniArgs());
      stdin = pluginStdin(list, p, rt, prev);
    }
    Launcher.Outcome o;
    try {
      o = launcher.run(path, List.of(), env, stdin);
    } catch (ErrnoException e) {
      throw new CniException(
          ErrorCategory.INTERNAL,
          list.name(),
          p.type(),
          CniException.NO_CODE,
          who + ": cannot run " + path + ": " + e.getMessage());
    }
    if (o.timedOut()) {
      throw new CniException(
          ErrorCategory.DEADLINE_EXCEEDED,
          list.name(),
          p.type(),
          CniException.NO_CODE,
          who + ": timed out after " + seconds(launcher.timeout()) + " and was killed");
    }
    if (o.status() == 0) return o.stdout();
    throw failure(list, p, who, o);
  }

  /**
   * libcni's buildOneConfig: the plugin's config with the list's name and version, runtimeConfig,
   * prevResult.
   */
  static byte[] pluginStdin(
      NetworkConfigList list, PluginConfig p, RuntimeConf rt, CniResult prev) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginObject();
    w.field("cniVersion", list.cniVersion()).field("name", list.name());
    for (Map.Entry<String, Object> e : p.config().entrySet()) {
      String k = e.getKey();
      if (k.equals("cniVersion")
          || k.equals("name")
          || k.equals("prevResult")
          || k.equals("runtimeConfig")) continue;
      w.name(k).tree(e.getValue());
    }
    Map<String, Object> runtime = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, Object> c : rt.capabilityArgs().entrySet()) {
      if (p.hasCapability(c.getKey())) runtime.put(c.getKey(), c.getValue());
    }
    if (!runtime.isEmpty()) w.name("runtimeConfig").tree(runtime);
    if (prev != null) w.name("prevResult").rawValue(prev.json());
    return w.endObject().toByteArray();
  }

  /** libcni's FindInPath: the first CNI_PATH directory holding the plugin. */
  private String find(NetworkConfigList list, String type) throws CniException {
    for (Path dir : pluginDirs) {
      Path candidate = dir.resolve(type);
      try {
        if (Linux.exists(candidate.toString())) return candidate.toString();
      } catch (ErrnoException e) {
        // unreadable directory: try the next
      }
    }
    String net = list.name().startsWith("(") ? "" : "network " + list.name() + ": ";
    throw new CniException(
        ErrorCategory.FAILED_PRECONDITION,
        list.name(),
        type,
        CniException.NO_CODE,
        net
            + "plugin "
            + type
            + " not found in "
            + pluginDirs.stream().map(Path::toString).toList()
            + " (install containernetworking-plugins)");
  }

  private static CniException failure(
      NetworkConfigList list, PluginConfig p, String who, Launcher.Outcome o) {
    int code = CniException.NO_CODE;
    String msg = null;
    String details = "";
    if (o.stdout().length > 0) {
      try (JsonReader r = JsonReader.of(o.stdout(), who)) {
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            switch (f) {
              case "code" -> code = r.int32();
              case "msg" -> msg = r.string();
              case "details" -> details = r.string();
              default -> r.skip();
            }
          }
        }
      } catch (SpecException e) {
        msg = null; // not the spec's error object: a crash's output, reported below
      }
    }
    String text;
    if (msg != null) {
      text =
          who
              + ": "
              + msg
              + (details.isEmpty() ? "" : ": " + details)
              + (code >= 0 ? " (code " + code + ")" : "");
    } else {
      String how =
          o.status() > 128
              ? "killed by " + Signals.name(o.status() - 128)
              : "exited with status " + o.status();
      String said =
          o.stderrText().isEmpty()
              ? new String(o.stdout(), StandardCharsets.UTF_8).strip()
              : o.stderrText();
      text = who + ": " + how + (said.isEmpty() ? "" : ": " + lastLine(said));
    }
    return new CniException(category(code), list.name(), p.type(), code, text);
  }

  private static String lastLine(String s) {
    String[] lines = s.split("\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      if (!lines[i].isBlank()) return lines[i].strip();
    }
    return s;
  }

  /** The spec's well-known codes; the rest (plugin-specific 100+, or a crash) are internal. */
  private static ErrorCategory category(int code) {
    return switch (code) {
      case 1 -> ErrorCategory.FAILED_PRECONDITION; // incompatible CNI version
      case 2, 4, 7 ->
          ErrorCategory.INVALID_ARGUMENT; // unsupported field, bad environment, invalid config
      case 3 -> ErrorCategory.NOT_FOUND; // container unknown or does not exist
      case 11 -> ErrorCategory.UNAVAILABLE; // try again later
      case 50, 51 -> ErrorCategory.UNAVAILABLE; // STATUS: not available, limited connectivity
      default -> ErrorCategory.INTERNAL;
    };
  }

  private static String seconds(java.time.Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** Whether a "major.minor.patch" version is at least major.minor. */
  static boolean atLeast(String version, int major, int minor) {
    String[] parts = version.split("\\.");
    try {
      int ma = Integer.parseInt(parts[0]);
      int mi = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      return ma > major || (ma == major && mi >= minor);
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
