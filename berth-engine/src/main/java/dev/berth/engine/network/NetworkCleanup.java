package dev.berth.engine.network;

import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_RDONLY;

import dev.berth.engine.network.cni.CniClient;
import dev.berth.engine.network.cni.CniResult;
import dev.berth.engine.network.cni.Launcher;
import dev.berth.engine.network.cni.ResultCache;
import dev.berth.engine.network.netns.NetnsPins;
import dev.berth.engine.store.StoreErrors;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Nothing of a container's networking outlives it: {@link #teardown} when it stops, is removed or
 * fails to start, and {@link #recover} after a crash or a reboot, given the containers that still
 * exist. Host commands ({@code ip}, {@code iptables}) run through the CNI client's {@link
 * Launcher}, so they act in the namespace the plugins do.
 */
public final class NetworkCleanup {
  private final CniClient cni;
  private final NetnsPins pins;
  private final NetworkStore networks;
  private final NetworkFirewall firewall;

  public NetworkCleanup(
      CniClient cni, NetnsPins pins, NetworkStore networks, NetworkFirewall firewall) {
    this.cni = cni;
    this.pins = pins;
    this.networks = networks;
    this.firewall = firewall;
  }

  /** The networks' own iptables rules (made at a container's start, removed with the network). */
  public NetworkFirewall firewall() {
    return firewall;
  }

  /**
   * CNI DEL of every attachment of the container (its cached config and result; the pin as
   * CNI_NETNS while it is mounted, else empty), then its pin goes. Every attachment is tried; the
   * first failure is thrown after the rest, and a failed DEL keeps its cache entry, so a later
   * teardown or recovery retries it. Idempotent.
   */
  public void teardown(String containerId) throws BerthException {
    BerthException first = null;
    List<ResultCache.Entry> entries;
    try {
      entries = cni.cache().forContainer(containerId);
    } catch (IOException e) {
      throw StoreErrors.io("read the CNI cache of " + containerId, e);
    }
    String netns = pins.exists(containerId) ? pins.path(containerId).toString() : "";
    for (ResultCache.Entry e : entries) {
      try {
        cni.del(e, netns);
      } catch (BerthException x) {
        if (first == null) first = x;
        else first.addSuppressed(x);
      }
    }
    if (first != null) throw first;
    if (netns.isEmpty() && !entries.isEmpty()) {
      // Without the namespace the bridge plugin cannot learn the addresses whose masquerade it made
      // (plugins 1.1.1):
      // its rules go by their comment, which names the network and the container.
      Set<String> nets = new HashSet<>();
      for (ResultCache.Entry e : entries) nets.add(e.network());
      List<String> errors = new ArrayList<>();
      try {
        new IptablesSweep(cni.launcher())
            .sweepNat(containerId::equals, nets, new ArrayList<>(), errors);
      } catch (ErrnoException e) {
        errors.add(e.getMessage());
      }
      if (!errors.isEmpty()) {
        throw new BerthException(
            ErrorCategory.INTERNAL,
            "remove the masquerade rules of " + containerId + ": " + errors.get(0));
      }
    }
    pins.remove(containerId);
  }

  /**
   * What a removed network leaves on the host: its bridge, its rules ({@link NetworkFirewall}: with
   * the last network's, berth's chains go), and the isolation rules of the firewall plugin an older
   * berth ran naming it. A missing bridge is no error (never used, or gone with a reboot).
   */
  public void removeBridge(Network n) throws BerthException {
    List<String> errors = new ArrayList<>();
    try {
      Launcher.Outcome o =
          cni.launcher()
              .run(HostTools.find("ip"), List.of("link", "del", n.bridge()), HostTools.env(), null);
      if (o.status() != 0 && !o.stderrText().contains("Cannot find device")) {
        errors.add("delete bridge " + n.bridge() + ": " + o.stderrText());
      }
      new IptablesSweep(cni.launcher()).sweepBridge(n.bridge(), errors);
    } catch (ErrnoException e) {
      errors.add(e.getMessage());
    }
    try {
      firewall.remove(n.bridge());
    } catch (BerthException e) {
      errors.add(e.getMessage());
    }
    if (!errors.isEmpty()) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "remove network " + n.name() + ": " + errors.get(0));
    }
  }

  /** What {@link #recover} removed (and what it could not, one line each). */
  public record Report(
      List<String> attachments,
      List<String> pins,
      List<String> leases,
      List<String> links,
      List<String> rules,
      List<String> errors) {
    public boolean isEmpty() {
      return attachments.isEmpty()
          && pins.isEmpty()
          && leases.isEmpty()
          && links.isEmpty()
          && rules.isEmpty();
    }
  }

  /**
   * Removes what containers no longer in {@code live} left: their CNI attachments (DEL with the
   * cached result), their pins, host-local leases held in their name, veths on berth's bridges that
   * no live attachment made, iptables rules of the plugins that name them (or, for the firewall
   * plugin's, their addresses), and the network rules of bridges no network has any more (with none
   * left, berth's chains). Errors do not stop the scan; they are reported.
   */
  public Report recover(Set<String> live) throws BerthException {
    List<String> attachments = new ArrayList<>();
    List<String> pinned = new ArrayList<>();
    List<String> leases = new ArrayList<>();
    List<String> links = new ArrayList<>();
    List<String> rules = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    List<ResultCache.Entry> entries;
    try {
      entries = cni.cache().list();
    } catch (IOException e) {
      throw StoreErrors.io("read the CNI cache", e);
    }
    Set<String> keep = new HashSet<>();
    boolean addInFlight = false;
    for (ResultCache.Entry e : entries) {
      String what = e.network() + "/" + e.containerId() + "/" + e.ifName();
      if (live.contains(e.containerId())) {
        if (e.result() == null) addInFlight = true;
        else for (CniResult.Interface i : e.result().hostInterfaces()) keep.add(i.name());
        continue;
      }
      try {
        String netns = pins.exists(e.containerId()) ? pins.path(e.containerId()).toString() : "";
        cni.del(e, netns);
        attachments.add(what);
      } catch (BerthException x) {
        errors.add("DEL " + what + ": " + x.getMessage());
      }
    }
    for (NetnsPins.Pin p : pins.list()) {
      if (live.contains(p.id())) continue;
      try {
        pins.remove(p.id());
        pinned.add(p.id());
      } catch (BerthException x) {
        errors.add("unpin " + p.id() + ": " + x.getMessage());
      }
    }
    Set<String> leased = new HashSet<>();
    sweepLeases(live, leases, leased, errors);
    List<Network> nets = networks.list(null);
    // A veth of an ADD running now is in no completed entry yet: leave links alone while one runs.
    if (!addInFlight) sweepLinks(nets, keep, links, errors);
    new IptablesSweep(cni.launcher()).sweep(live, nets, leased, rules, errors);
    Set<String> bridges = new HashSet<>();
    for (Network n : nets) bridges.add(n.bridge());
    try {
      if (firewall.retain(bridges)) rules.add("network rules of bridges other than " + bridges);
    } catch (BerthException e) {
      errors.add(e.getMessage());
    }
    return new Report(attachments, pinned, leases, links, rules, errors);
  }

  /**
   * host-local keeps {@code <dataDir>/<network>/<ip>} holding "id\r\nifname"; leases of dead ids
   * go.
   */
  private void sweepLeases(
      Set<String> live, List<String> removed, Set<String> leased, List<String> errors)
      throws BerthException {
    Path ipam = networks.ipamDir();
    try {
      for (String net : readdir(ipam)) {
        Path dir = ipam.resolve(net);
        if (!Linux.stat(dir.toString()).isDirectory()) continue;
        for (String ip : readdir(dir)) {
          if (!ip.matches("[0-9.]+|[0-9a-fA-F:]+") || ip.indexOf('.') < 0 && ip.indexOf(':') < 0)
            continue;
          Path lease = dir.resolve(ip);
          String owner;
          try (Fd fd = Linux.open(lease.toString(), O_RDONLY, 0)) {
            owner =
                new String(Linux.readAll(fd), StandardCharsets.UTF_8).split("\r?\n", 2)[0].strip();
          } catch (ErrnoException e) {
            if (StoreErrors.isMissing(e)) continue;
            throw e;
          }
          if (live.contains(owner)) {
            leased.add(ip);
            continue;
          }
          try {
            Linux.unlink(lease.toString());
            removed.add(net + "/" + ip + " (" + owner + ")");
          } catch (ErrnoException e) {
            if (!StoreErrors.isMissing(e))
              errors.add("remove lease " + lease + ": " + e.getMessage());
          }
        }
      }
    } catch (IOException e) {
      throw StoreErrors.io("scan host-local leases in " + ipam, e);
    }
  }

  private void sweepLinks(
      List<Network> nets, Set<String> keep, List<String> removed, List<String> errors) {
    Set<String> bridges = new HashSet<>();
    for (Network n : nets) bridges.add(n.bridge());
    Launcher.Outcome o;
    try {
      o =
          cni.launcher()
              .run(
                  HostTools.find("ip"),
                  List.of("-j", "link", "show", "type", "veth"),
                  HostTools.env(),
                  null);
    } catch (ErrnoException | BerthException e) {
      errors.add("list veths: " + e.getMessage());
      return;
    }
    if (o.status() != 0) {
      errors.add("list veths: ip exited with status " + o.status() + ": " + o.stderrText());
      return;
    }
    List<String[]> veths;
    try {
      veths = vethsAndMasters(o.stdout());
    } catch (SpecException e) {
      errors.add("list veths: " + e.getMessage());
      return;
    }
    for (String[] v : veths) {
      if (!bridges.contains(v[1]) || keep.contains(v[0])) continue;
      try {
        Launcher.Outcome d =
            cni.launcher()
                .run(HostTools.find("ip"), List.of("link", "del", v[0]), HostTools.env(), null);
        // Gone meanwhile (its peer namespace died) is what we wanted.
        if (d.status() == 0 || d.stderrText().contains("Cannot find device"))
          removed.add(v[0] + " (on " + v[1] + ")");
        else errors.add("delete veth " + v[0] + ": " + d.stderrText());
      } catch (ErrnoException | BerthException e) {
        errors.add("delete veth " + v[0] + ": " + e.getMessage());
      }
    }
  }

  /** {@code ip -j link} output: [name, master] of each link. */
  static List<String[]> vethsAndMasters(byte[] json) throws SpecException {
    List<String[]> out = new ArrayList<>();
    try (JsonReader r = JsonReader.of(json, "ip -j link")) {
      if (!r.beginArray()) return out;
      while (r.nextElement()) {
        String name = "";
        String master = "";
        if (!r.beginObject()) continue;
        for (String f; (f = r.nextField()) != null; ) {
          switch (f) {
            case "ifname" -> name = r.string();
            case "master" -> master = r.string();
            default -> r.skip();
          }
        }
        out.add(new String[] {name, master});
      }
    }
    return out;
  }

  private static List<String> readdir(Path dir) throws ErrnoException {
    try (Fd d = Linux.open(dir.toString(), O_RDONLY | O_DIRECTORY, 0)) {
      List<String> names = Linux.readdir(d);
      names.sort(null);
      return names;
    } catch (ErrnoException e) {
      if (StoreErrors.isMissing(e)) return List.of();
      throw e;
    }
  }

  /** Host binaries the cleanup runs. */
  static final class HostTools {
    private HostTools() {}

    static String find(String name) throws BerthException {
      for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
        String p = dir + "/" + name;
        try {
          if (Linux.exists(p)) return p;
        } catch (ErrnoException e) {
          // try the next
        }
      }
      throw new BerthException(
          ErrorCategory.FAILED_PRECONDITION,
          name
              + " not found in /usr/sbin, /sbin, /usr/bin"
              + " or /bin (install "
              + (name.equals("ip") ? "iproute2" : name)
              + ")");
    }

    static List<String> env() {
      String path = System.getenv("PATH");
      return List.of("PATH=" + (path == null ? "/usr/sbin:/usr/bin:/sbin:/bin" : path), "LC_ALL=C");
    }
  }
}
