package dev.berth.engine;

import dev.berth.engine.volume.Volume;
import dev.berth.spec.json.Rfc3339;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * docker's views of volumes, shared by {@code berth volume inspect} and the Docker API ({@code
 * /volumes}).
 */
public final class VolumeViews {
  private VolumeViews() {}

  /** docker volume inspect's object, fields in docker's order. */
  public static Map<String, Object> inspect(Volume v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("CreatedAt", createdAt(v));
    m.put("Driver", v.driver());
    m.put("Labels", v.labels().isEmpty() ? null : new TreeMap<>(v.labels()));
    m.put("Mountpoint", v.mountpoint().toString());
    m.put("Name", v.name());
    m.put("Options", v.options().isEmpty() ? null : new TreeMap<>(v.options()));
    m.put("Scope", "local");
    return m;
  }

  /** docker's CreatedAt of a volume: RFC 3339 to the second. */
  public static String createdAt(Volume v) {
    return Rfc3339.format(v.created().truncatedTo(ChronoUnit.SECONDS));
  }
}
