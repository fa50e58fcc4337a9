package dev.berth.engine.pod;

import dev.berth.engine.pod.PodConfig.Dns;
import dev.berth.engine.pod.PodConfig.Mode;
import dev.berth.engine.pod.PodConfig.NamespaceOptions;
import dev.berth.engine.pod.PodConfig.PortMapping;
import dev.berth.engine.pod.PodConfig.Security;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import dev.berth.spec.runtime.SpecReader;
import dev.berth.spec.runtime.SpecWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The format of {@code pod.json}, streaming both ways; field names are the records' component
 * names. Unknown fields are skipped (a newer berth may add some); id, created, state and the
 * config's name are required.
 */
final class PodJson {
  private PodJson() {}

  static byte[] write(PodRecord p) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject()
        .field("id", p.id())
        .field("created", Rfc3339.format(p.created()))
        .field("state", p.state().name());
    opt(w, "netns", p.netns());
    opt(w, "ipcNs", p.ipcNs());
    opt(w, "utsNs", p.utsNs());
    opt(w, "pidNs", p.pidNs());
    w.field("pausePid", p.pausePid()).field("ip", p.ip());
    opt(w, "cgroupParent", p.cgroupParent());
    w.field("ownsCgroup", p.ownsCgroup());
    writeConfig(w.name("config"), p.config());
    w.endObject();
    return w.toByteArray();
  }

  private static void writeConfig(JsonWriter w, PodConfig c) {
    w.beginObject()
        .field("name", c.name())
        .field("uid", c.uid())
        .field("namespace", c.namespace())
        .field("attempt", c.attempt());
    opt(w, "hostname", c.hostname());
    opt(w, "logDirectory", c.logDirectory());
    if (c.dns() != null) {
      w.name("dns").beginObject();
      strings(w.name("servers"), c.dns().servers());
      strings(w.name("searches"), c.dns().searches());
      strings(w.name("options"), c.dns().options());
      w.endObject();
    }
    w.name("portMappings").beginArray();
    for (PortMapping m : c.portMappings()) {
      w.beginObject()
          .field("protocol", m.protocol())
          .field("containerPort", m.containerPort())
          .field("hostPort", m.hostPort())
          .field("hostIp", m.hostIp())
          .endObject();
    }
    w.endArray();
    map(w.name("labels"), c.labels());
    map(w.name("annotations"), c.annotations());
    opt(w, "cgroupParent", c.cgroupParent());
    w.name("sysctls").beginObject();
    for (Map.Entry<String, String> e : c.sysctls().entrySet()) w.field(e.getKey(), e.getValue());
    w.endObject();
    w.name("namespaces")
        .beginObject()
        .field("network", c.namespaces().network().name())
        .field("pid", c.namespaces().pid().name())
        .field("ipc", c.namespaces().ipc().name());
    if (c.namespaces().userns() != null) {
      w.name("userns").beginObject();
      SpecWriter.idMappings(w, "uids", c.namespaces().userns().uids());
      SpecWriter.idMappings(w, "gids", c.namespaces().userns().gids());
      w.endObject();
    }
    w.endObject();
    opt(w, "runtimeHandler", c.runtimeHandler());
    Security s = c.security();
    w.name("security").beginObject().field("privileged", s.privileged());
    if (s.runAsUser() != null) w.field("runAsUser", s.runAsUser());
    if (s.runAsGroup() != null) w.field("runAsGroup", s.runAsGroup());
    w.field("readonlyRootfs", s.readonlyRootfs()).endObject();
    opt(w, "network", c.network());
    w.endObject();
  }

  static PodRecord read(byte[] json, String source) throws SpecException {
    try (JsonReader r = JsonReader.of(json, source)) {
      if (!r.beginObject()) throw r.error("expected an object");
      String id = null;
      Instant created = null;
      PodRecord.State state = null;
      String netns = null;
      String ipc = null;
      String uts = null;
      String pid = null;
      int pausePid = 0;
      String ip = "";
      String cgroupParent = null;
      boolean ownsCgroup = false;
      PodConfig config = null;
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "id" -> id = r.string();
          case "created" -> created = Rfc3339.parse(r.string());
          case "state" -> state = PodRecord.State.valueOf(r.string());
          case "netns" -> netns = optString(r);
          case "ipcNs" -> ipc = optString(r);
          case "utsNs" -> uts = optString(r);
          case "pidNs" -> pid = optString(r);
          case "pausePid" -> pausePid = r.int32();
          case "ip" -> ip = r.string();
          case "cgroupParent" -> cgroupParent = optString(r);
          case "ownsCgroup" -> ownsCgroup = r.bool();
          case "config" -> config = readConfig(r);
          default -> r.skip();
        }
      }
      if (id == null || created == null || state == null || config == null)
        throw r.error("id, created, state and config are required");
      return new PodRecord(
          id, config, created, state, netns, ipc, uts, pid, pausePid, ip, cgroupParent, ownsCgroup);
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      throw new SpecException(source, "", e.getMessage());
    }
  }

  private static PodConfig.UserNamespace readUserns(JsonReader r) throws SpecException {
    if (!r.beginObject()) return null;
    List<dev.berth.spec.runtime.IdMapping> uids = List.of();
    List<dev.berth.spec.runtime.IdMapping> gids = List.of();
    for (String g; (g = r.nextField()) != null; ) {
      switch (g) {
        case "uids" -> uids = SpecReader.idMappings(r);
        case "gids" -> gids = SpecReader.idMappings(r);
        default -> r.skip();
      }
    }
    return new PodConfig.UserNamespace(uids, gids);
  }

  private static PodConfig readConfig(JsonReader r) throws SpecException {
    if (!r.beginObject()) throw r.error("expected an object");
    String name = null;
    String uid = null;
    String namespace = null;
    int attempt = 0;
    String hostname = null;
    String logDirectory = null;
    Dns dns = null;
    List<PortMapping> ports = new ArrayList<>();
    Map<String, String> labels = null;
    Map<String, String> annotations = null;
    String cgroupParent = null;
    Map<String, String> sysctls = null;
    NamespaceOptions namespaces = null;
    String runtimeHandler = null;
    Security security = null;
    String network = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "name" -> name = r.string();
        case "uid" -> uid = r.string();
        case "namespace" -> namespace = r.string();
        case "attempt" -> attempt = r.int32();
        case "hostname" -> hostname = optString(r);
        case "logDirectory" -> logDirectory = optString(r);
        case "dns" -> {
          if (!r.beginObject()) break;
          List<String> servers = null;
          List<String> searches = null;
          List<String> options = null;
          for (String g; (g = r.nextField()) != null; ) {
            switch (g) {
              case "servers" -> servers = r.strings();
              case "searches" -> searches = r.strings();
              case "options" -> options = r.strings();
              default -> r.skip();
            }
          }
          dns = new Dns(servers, searches, options);
        }
        case "portMappings" -> {
          if (!r.beginArray()) break;
          while (r.nextElement()) {
            if (!r.beginObject()) throw r.error("expected an object");
            String protocol = "tcp";
            int containerPort = 0;
            int hostPort = 0;
            String hostIp = "";
            for (String g; (g = r.nextField()) != null; ) {
              switch (g) {
                case "protocol" -> protocol = r.string();
                case "containerPort" -> containerPort = r.int32();
                case "hostPort" -> hostPort = r.int32();
                case "hostIp" -> hostIp = r.string();
                default -> r.skip();
              }
            }
            ports.add(new PortMapping(protocol, containerPort, hostPort, hostIp));
          }
        }
        case "labels" -> labels = r.stringMap();
        case "annotations" -> annotations = r.stringMap();
        case "cgroupParent" -> cgroupParent = optString(r);
        case "sysctls" -> sysctls = r.stringMap();
        case "namespaces" -> {
          if (!r.beginObject()) break;
          Mode net = null;
          Mode pid = null;
          Mode ipc = null;
          PodConfig.UserNamespace userns = null;
          for (String g; (g = r.nextField()) != null; ) {
            switch (g) {
              case "network" -> net = Mode.valueOf(r.string());
              case "pid" -> pid = Mode.valueOf(r.string());
              case "ipc" -> ipc = Mode.valueOf(r.string());
              case "userns" -> userns = readUserns(r);
              default -> r.skip();
            }
          }
          namespaces = new NamespaceOptions(net, pid, ipc, userns);
        }
        case "runtimeHandler" -> runtimeHandler = optString(r);
        case "security" -> {
          if (!r.beginObject()) break;
          boolean privileged = false;
          Long runAsUser = null;
          Long runAsGroup = null;
          boolean readonly = false;
          for (String g; (g = r.nextField()) != null; ) {
            switch (g) {
              case "privileged" -> privileged = r.bool();
              case "runAsUser" -> runAsUser = r.optInt64();
              case "runAsGroup" -> runAsGroup = r.optInt64();
              case "readonlyRootfs" -> readonly = r.bool();
              default -> r.skip();
            }
          }
          security = new Security(privileged, runAsUser, runAsGroup, readonly);
        }
        case "network" -> network = optString(r);
        default -> r.skip();
      }
    }
    if (name == null) throw r.error("config.name is required");
    return new PodConfig(
        name,
        uid,
        namespace,
        attempt,
        hostname,
        logDirectory,
        dns,
        ports,
        labels,
        annotations,
        cgroupParent,
        sysctls,
        namespaces,
        runtimeHandler,
        security,
        network);
  }

  private static String optString(JsonReader r) throws SpecException {
    return r.isNull() ? null : r.string();
  }

  private static void opt(JsonWriter w, String name, String value) {
    if (value != null) w.field(name, value);
  }

  private static void strings(JsonWriter w, List<String> list) {
    w.beginArray();
    for (String s : list) w.value(s);
    w.endArray();
  }

  private static void map(JsonWriter w, Map<String, String> map) {
    w.beginObject();
    for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet())
      w.field(e.getKey(), e.getValue());
    w.endObject();
  }
}
