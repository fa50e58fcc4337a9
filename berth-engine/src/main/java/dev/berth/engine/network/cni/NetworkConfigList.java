package dev.berth.engine.network.cni;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A CNI network configuration list (a {@code .conflist}): the network's name, the spec version its
 * plugins are run with, and the plugins in chain order, each with its config as a tree the client
 * passes on (libcni's model). A single plugin's {@code .conf} (a {@code type} and no {@code
 * plugins}) reads as a list of one, as libcni's ConfListFromConf. {@link #bytes} is the file as it
 * was read: the result cache keeps it, so a DEL runs the config the ADD ran.
 */
public record NetworkConfigList(
    String name,
    String cniVersion,
    boolean disableCheck,
    boolean disableGC,
    List<PluginConfig> plugins,
    byte[] bytes) {
  public NetworkConfigList {
    plugins = List.copyOf(plugins);
  }

  /**
   * One plugin of the chain: its type (the binary's name in CNI_PATH) and its whole config object.
   */
  public record PluginConfig(String type, Map<String, Object> config) {
    /** Whether the plugin declares {@code capabilities.<name>: true} (e.g. portMappings). */
    public boolean hasCapability(String name) {
      return config.get("capabilities") instanceof Map<?, ?> caps
          && Boolean.TRUE.equals(caps.get(name));
    }
  }

  /** Parses a conflist (or a single plugin's conf); errors name {@code source} and the field. */
  public static NetworkConfigList parse(byte[] json, String source) throws SpecException {
    String name = null;
    String version = null;
    boolean disableCheck = false;
    boolean disableGC = false;
    List<PluginConfig> plugins = null;
    Map<String, Object> single = null;
    try (JsonReader r = JsonReader.of(json, source)) {
      single = JsonTree.object(r);
      r.end();
    }
    Object n = single.get("name");
    Object v = single.get("cniVersion");
    if (n instanceof String s) name = s;
    if (v instanceof String s) version = s;
    if (single.get("disableCheck") instanceof Boolean b) disableCheck = b;
    if (single.get("disableGC") instanceof Boolean b) disableGC = b;
    Object list = single.get("plugins");
    if (list != null) {
      if (!(list instanceof List<?> l))
        throw new SpecException(source, "plugins", "expected array");
      plugins = new ArrayList<>();
      for (int i = 0; i < l.size(); i++) {
        if (!(l.get(i) instanceof Map<?, ?> m)) {
          throw new SpecException(source, "plugins[" + i + "]", "expected object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> conf = (Map<String, Object>) m;
        plugins.add(plugin(conf, source, "plugins[" + i + "].type"));
      }
      if (plugins.isEmpty()) throw new SpecException(source, "plugins", "no plugins in the list");
    } else {
      plugins = List.of(plugin(single, source, "type"));
    }
    if (name == null || name.isEmpty())
      throw new SpecException(source, "name", "missing network name");
    if (version == null || version.isEmpty())
      throw new SpecException(source, "cniVersion", "missing cniVersion");
    return new NetworkConfigList(name, version, disableCheck, disableGC, plugins, json);
  }

  private static PluginConfig plugin(Map<String, Object> conf, String source, String path)
      throws SpecException {
    if (!(conf.get("type") instanceof String type) || type.isEmpty()) {
      throw new SpecException(source, path, "missing plugin type");
    }
    // The type is a file name in CNI_PATH: never a path that could leave it.
    if (type.contains("/") || type.equals(".") || type.equals("..")) {
      throw new SpecException(
          source, path, "invalid plugin type " + type + ": must be a file name");
    }
    return new PluginConfig(type, conf);
  }
}
