package dev.berth.engine.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A volume the engine must provide before the spec is made: a {@code -v name:/x} or {@code --mount
 * type=volume} (named, or anonymous without a name), or an image VOLUME no user mount covers
 * (anonymous, {@code fromImage}). The engine creates or finds it, copies the image's content at
 * {@code target} into a new empty one unless {@code noCopy} (as docker does), and passes its host
 * directory back by target. {@code driverOptions} and {@code labels} ({@code --mount}'s volume-opt
 * and volume-label) are the volume's when this creates it.
 */
public record VolumeNeed(
    String target,
    String name,
    boolean fromImage,
    boolean noCopy,
    Map<String, String> driverOptions,
    Map<String, String> labels) {
  public VolumeNeed {
    driverOptions = driverOptions == null ? Map.of() : Map.copyOf(driverOptions);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  public VolumeNeed(String target, String name, boolean fromImage, boolean noCopy) {
    this(target, name, fromImage, noCopy, null, null);
  }

  public boolean anonymous() {
    return name == null;
  }

  /** The {@code prefix}KEY=VALUE entries of a mount's options as a map. */
  static Map<String, String> keyValues(List<String> options, String prefix) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String o : options) {
      if (!o.startsWith(prefix)) continue;
      String kv = o.substring(prefix.length());
      int eq = kv.indexOf('=');
      if (eq > 0) out.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return out;
  }
}
