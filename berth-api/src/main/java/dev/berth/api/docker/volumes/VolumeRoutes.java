package dev.berth.api.docker.volumes;

import dev.berth.api.docker.Exchange;
import dev.berth.api.docker.Filters;
import dev.berth.api.docker.Router;
import dev.berth.engine.Engine;
import dev.berth.engine.VolumeViews;
import dev.berth.engine.volume.Volume;
import dev.berth.engine.volume.VolumeStore;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /volumes}: create, list, inspect, remove, prune (local volumes only). */
public final class VolumeRoutes {
  private final Engine engine;

  public VolumeRoutes(Engine engine) {
    this.engine = engine;
  }

  public void register(Router r) {
    r.post("/volumes/create", this::create);
    r.get("/volumes", this::list);
    r.post("/volumes/prune", this::prune);
    r.get("/volumes/{name}", x -> x.json(200, VolumeViews.inspect(get(x.param("name")))));
    r.delete("/volumes/{name}", this::remove);
  }

  private VolumeStore volumes() {
    return engine.volumes();
  }

  private Volume get(String name) throws BerthException {
    try {
      return volumes().get(name);
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND || e.category() == ErrorCategory.INVALID_ARGUMENT)
        throw new BerthException(ErrorCategory.NOT_FOUND, "get " + name + ": no such volume");
      throw e;
    }
  }

  private void create(Exchange x) throws Exception {
    String name = null;
    String driver = Volume.LOCAL;
    Map<String, String> labels = Map.of();
    Map<String, String> options = Map.of();
    JsonReader r = x.json();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "Name" -> name = r.string();
          case "Driver" -> driver = r.string();
          case "Labels" -> labels = r.stringMap();
          case "DriverOpts" -> {
            Map<String, String> o = r.stringMap();
            if (o != null) options = o;
          }
          default -> r.skip();
        }
      }
    }
    if (!driver.isEmpty() && !driver.equals(Volume.LOCAL)) {
      throw new BerthException(
          ErrorCategory.NOT_FOUND,
          "error looking up volume plugin " + driver + ": plugin not found");
    }
    Volume v = volumes().create(name == null || name.isEmpty() ? null : name, labels, options);
    x.json(201, VolumeViews.inspect(v));
  }

  private void list(Exchange x) throws Exception {
    Filters f = x.filters().only(List.of("name", "label", "label!", "dangling", "driver"));
    Map<String, List<String>> users = users();
    List<Object> out = new ArrayList<>();
    for (Volume v : volumes().list().volumes()) {
      if (!f.labelsMatch(v.labels())) continue;
      if (f.has("name") && f.get("name").stream().noneMatch(n -> v.name().contains(n))) continue;
      if (f.has("driver") && !f.get("driver").contains(v.driver())) continue;
      if (f.has("dangling")) {
        boolean dangling = !users.containsKey(v.name());
        String want = f.get("dangling").get(0);
        if (dangling != (want.equals("true") || want.equals("1"))) continue;
      }
      out.add(VolumeViews.inspect(v));
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Volumes", out);
    m.put("Warnings", null);
    x.json(200, m);
  }

  /** Volume name to the containers that mount it. */
  private Map<String, List<String>> users() throws BerthException {
    return engine.containers().volumeUsers();
  }

  private void remove(Exchange x) throws Exception {
    String name = x.param("name");
    get(name);
    volumes().remove(name, x.bool("force"));
    x.respond(204);
  }

  private void prune(Exchange x) throws Exception {
    Filters f = x.filters().only(List.of("label", "label!", "all"));
    boolean all =
        f.has("all") && (f.get("all").get(0).equals("true") || f.get("all").get(0).equals("1"));
    VolumeStore.Pruned p = volumes().prune(all, v -> f.labelsMatch(v.labels()));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("VolumesDeleted", p.names());
    m.put("SpaceReclaimed", p.reclaimedBytes());
    x.json(200, m);
  }
}
