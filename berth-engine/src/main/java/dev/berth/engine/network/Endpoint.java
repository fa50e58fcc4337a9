package dev.berth.engine.network;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A running container's place on one network (docker's endpoint): the interface CNI made and its
 * address, and the names it answers to there. Kept in the container's record while it runs, for
 * inspect, ps, port and the hosts files of its peers.
 *
 * @param network the network's name
 * @param networkId the network's id
 * @param ifName the interface inside the container (eth0, eth1...)
 * @param ip its IPv4 address
 * @param prefix the subnet's prefix length
 * @param gateway the network's gateway, "" when it has none (internal)
 * @param mac the interface's MAC address
 * @param aliases the names it answers to besides its own name and short id
 */
public record Endpoint(
    String network,
    String networkId,
    String ifName,
    String ip,
    int prefix,
    String gateway,
    String mac,
    List<String> aliases) {
  public Endpoint {
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
  }

  /**
   * What a container asked to be attached to: a network, its aliases there and its address (null:
   * any).
   */
  public record Request(String network, List<String> aliases, String ip) {
    public Request {
      aliases = aliases == null ? List.of() : List.copyOf(aliases);
      ip = ip == null || ip.isEmpty() ? null : ip;
    }
  }

  /** A published port as it was made: {@code hostIp} empty for every address. */
  public record Port(String hostIp, int hostPort, int containerPort, String protocol) {
    /** docker's {@code 0.0.0.0:8080->80/tcp}. */
    public String text() {
      return (hostIp.isEmpty() ? "0.0.0.0" : hostIp)
          + ":"
          + hostPort
          + "->"
          + containerPort
          + "/"
          + protocol;
    }
  }

  // ---- JSON, for the container record's extras ----

  public static String writeEndpoints(List<Endpoint> endpoints) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginArray();
    for (Endpoint e : endpoints) {
      w.beginObject()
          .field("network", e.network())
          .field("networkId", e.networkId())
          .field("ifName", e.ifName())
          .field("ip", e.ip())
          .field("prefix", e.prefix())
          .field("gateway", e.gateway())
          .field("mac", e.mac());
      w.name("aliases").beginArray();
      for (String a : e.aliases()) w.value(a);
      w.endArray().endObject();
    }
    return w.endArray().toString();
  }

  public static List<Endpoint> readEndpoints(String json) {
    List<Endpoint> out = new ArrayList<>();
    if (json == null || json.isEmpty()) return out;
    try (JsonReader r = JsonReader.of(json.getBytes(StandardCharsets.UTF_8), "endpoints")) {
      if (!r.beginArray()) return out;
      while (r.nextElement()) {
        if (!r.beginObject()) continue;
        String network = "";
        String id = "";
        String ifName = "";
        String ip = "";
        int prefix = 0;
        String gateway = "";
        String mac = "";
        List<String> aliases = List.of();
        for (String f; (f = r.nextField()) != null; ) {
          switch (f) {
            case "network" -> network = r.string();
            case "networkId" -> id = r.string();
            case "ifName" -> ifName = r.string();
            case "ip" -> ip = r.string();
            case "prefix" -> prefix = r.int32();
            case "gateway" -> gateway = r.string();
            case "mac" -> mac = r.string();
            case "aliases" -> aliases = r.strings();
            default -> r.skip();
          }
        }
        out.add(new Endpoint(network, id, ifName, ip, prefix, gateway, mac, aliases));
      }
    } catch (SpecException e) {
      // a record written by hand: shown without endpoints
    }
    return out;
  }

  public static String writeRequests(List<Request> requests) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginArray();
    for (Request q : requests) {
      w.beginObject().field("network", q.network());
      if (q.ip() != null) w.field("ip", q.ip());
      w.name("aliases").beginArray();
      for (String a : q.aliases()) w.value(a);
      w.endArray().endObject();
    }
    return w.endArray().toString();
  }

  public static List<Request> readRequests(String json) {
    List<Request> out = new ArrayList<>();
    if (json == null || json.isEmpty()) return out;
    try (JsonReader r = JsonReader.of(json.getBytes(StandardCharsets.UTF_8), "networks")) {
      if (!r.beginArray()) return out;
      while (r.nextElement()) {
        if (!r.beginObject()) continue;
        String network = "";
        String ip = null;
        List<String> aliases = List.of();
        for (String f; (f = r.nextField()) != null; ) {
          switch (f) {
            case "network" -> network = r.string();
            case "ip" -> ip = r.string();
            case "aliases" -> aliases = r.strings();
            default -> r.skip();
          }
        }
        out.add(new Request(network, aliases, ip));
      }
    } catch (SpecException e) {
      // idem
    }
    return out;
  }

  public static String writePorts(List<Port> ports) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginArray();
    for (Port p : ports) {
      w.beginObject()
          .field("hostIp", p.hostIp())
          .field("hostPort", p.hostPort())
          .field("containerPort", p.containerPort())
          .field("protocol", p.protocol())
          .endObject();
    }
    return w.endArray().toString();
  }

  public static List<Port> readPorts(String json) {
    List<Port> out = new ArrayList<>();
    if (json == null || json.isEmpty()) return out;
    try (JsonReader r = JsonReader.of(json.getBytes(StandardCharsets.UTF_8), "ports")) {
      if (!r.beginArray()) return out;
      while (r.nextElement()) {
        if (!r.beginObject()) continue;
        String hostIp = "";
        int hostPort = 0;
        int containerPort = 0;
        String protocol = "tcp";
        for (String f; (f = r.nextField()) != null; ) {
          switch (f) {
            case "hostIp" -> hostIp = r.string();
            case "hostPort" -> hostPort = r.int32();
            case "containerPort" -> containerPort = r.int32();
            case "protocol" -> protocol = r.string();
            default -> r.skip();
          }
        }
        out.add(new Port(hostIp, hostPort, containerPort, protocol));
      }
    } catch (SpecException e) {
      // idem
    }
    return out;
  }
}
