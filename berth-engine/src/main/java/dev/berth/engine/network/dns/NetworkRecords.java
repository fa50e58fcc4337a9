package dev.berth.engine.network.dns;

import dev.berth.engine.network.Subnet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the responder answers on one network: the gateway it listens on, the subnet whose addresses
 * it answers (a container of another network could send to this gateway too: the host routes it)
 * and, per running container, its address and names (name, short id, aliases). The engine writes
 * one file per network ({@link #write}), replaced atomically whenever a container joins or leaves;
 * the responder reads it ({@link #read}) at each reload. Text, one container a line:
 *
 * <pre>
 * gateway 10.91.0.1
 * subnet 10.91.0.0/24
 * &lt;container id&gt; 10.91.0.2 web 4f1c2a9e0b3d db
 * </pre>
 *
 * @param network the network's name
 * @param gateway its gateway address, where the responder listens
 * @param subnet its subnet (CIDR): only queries from there see its names
 * @param entries one per container on it
 */
public record NetworkRecords(String network, String gateway, String subnet, List<Entry> entries) {
  public NetworkRecords {
    entries = List.copyOf(entries);
  }

  /** A container on the network: its id, IPv4 address and the names it answers to there. */
  public record Entry(String containerId, String ip, List<String> names) {
    public Entry {
      names = List.copyOf(names);
    }
  }

  /** The addresses {@code name} (any case) has on this network, in file order. */
  public List<Integer> addresses(String name) {
    List<Integer> out = new ArrayList<>();
    for (Entry e : entries) {
      for (String n : e.names()) {
        if (n.equalsIgnoreCase(name)) {
          out.add(Subnet.parseAddress(e.ip()));
          break;
        }
      }
    }
    return out;
  }

  /** The first name of the container at {@code address}, or null. */
  public String nameOf(int address) {
    for (Entry e : entries) {
      if (!e.names().isEmpty() && Subnet.parseAddress(e.ip()) == address) return e.names().get(0);
    }
    return null;
  }

  /** The id of the container at {@code address}, or null. */
  public String containerAt(int address) {
    for (Entry e : entries) if (Subnet.parseAddress(e.ip()) == address) return e.containerId();
    return null;
  }

  public boolean holds(String containerId) {
    for (Entry e : entries) if (e.containerId().equals(containerId)) return true;
    return false;
  }

  /** Whether {@code address} is on this network. */
  public boolean contains(int address) {
    return Subnet.parse(subnet).contains(address);
  }

  public byte[] write() {
    StringBuilder sb = new StringBuilder("gateway ").append(gateway).append('\n');
    sb.append("subnet ").append(subnet).append('\n');
    for (Entry e : entries) {
      sb.append(e.containerId()).append(' ').append(e.ip());
      for (String n : e.names()) sb.append(' ').append(n);
      sb.append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads a file written by {@link #write}; IllegalArgumentException naming the line when it is not
   * one (no gateway, an address that is not IPv4, a name that is no DNS label).
   */
  public static NetworkRecords read(String network, byte[] text) {
    String gateway = null;
    String subnet = null;
    List<Entry> entries = new ArrayList<>();
    String[] lines = new String(text, StandardCharsets.UTF_8).split("\n");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String[] f = line.split("\\s+");
      try {
        if (f[0].equals("gateway") && f.length == 2) {
          Subnet.parseAddress(f[1]);
          gateway = f[1];
          continue;
        }
        if (f[0].equals("subnet") && f.length == 2) {
          Subnet.parse(f[1]);
          subnet = f[1];
          continue;
        }
        if (f.length < 3) throw new IllegalArgumentException("too few fields");
        Subnet.parseAddress(f[1]);
        List<String> names = new ArrayList<>();
        for (int k = 2; k < f.length; k++) {
          DnsMessage.labels(f[k]);
          names.add(f[k].toLowerCase(Locale.ROOT));
        }
        entries.add(new Entry(f[0], f[1], names));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "records of network " + network + ", line " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    if (gateway == null || subnet == null)
      throw new IllegalArgumentException(
          "records of network " + network + ": no gateway or subnet line");
    return new NetworkRecords(network, gateway, subnet, entries);
  }
}
