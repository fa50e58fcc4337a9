package dev.berth.engine.network;

import dev.berth.engine.network.NetworkCleanup.HostTools;
import dev.berth.engine.network.cni.Launcher;
import dev.berth.engine.store.StoreErrors;
import dev.berth.image.dirs.LockFile;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The iptables rules of berth's bridge networks, made once per network, not per container (docker's
 * and netavark's model; the CNI bridge plugin's ipMasq and the firewall plugin made several
 * iptables runs per container, most of {@code berth run}'s time on a bridge). Four chains of
 * berth's own, each jumped to once from a built-in chain:
 *
 * <pre>
 * filter FORWARD     -j BERTH-FORWARD         (first: a FORWARD policy DROP still lets containers out)
 * BERTH-FORWARD      -j BERTH-ISOLATION-1     (first: no bridge's accept is seen before isolation)
 *                    -o B -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT   replies, published ports
 *                    -i B -j ACCEPT                                                  out, and within B
 *   (internal B:     -i B -o B -j ACCEPT, -i B -j DROP, -o B -j DROP)
 * BERTH-ISOLATION-1  -i B ! -o B -j BERTH-ISOLATION-2
 * BERTH-ISOLATION-2  -o B -j DROP             (one berth bridge never reaches another: docker's stages)
 * nat POSTROUTING    -j BERTH-POSTROUTING
 * BERTH-POSTROUTING  -s SUBNET ! -o B -j MASQUERADE   (not for an internal network)
 * </pre>
 *
 * Every rule of a network names its bridge ({@code -i B} or {@code -o B} first), which is how a
 * network's rules are told from another's. A change reads the rules with one {@code iptables-save}
 * and, only when something differs, writes every berth chain whole with one {@code iptables-restore
 * --noflush} (declaring a chain there flushes it: each table's chains change in one transaction, in
 * order, whatever a flush or a crash left), under a lock of the engine's run root, so two engines
 * of one store never interleave. Published ports stay portmap's (per container DNAT). IPv4 only:
 * berth's networks have no IPv6 subnets, so there is nothing to masquerade or forward over IPv6.
 */
public final class NetworkFirewall {
  static final String FORWARD = "BERTH-FORWARD";
  static final String ISOLATION_1 = "BERTH-ISOLATION-1";
  static final String ISOLATION_2 = "BERTH-ISOLATION-2";
  static final String POSTROUTING = "BERTH-POSTROUTING";

  /** A chain of berth's: its table, and the built-in chain that jumps to it (null: none). */
  record Chain(String table, String name, String from) {}

  /** Berth's chains, in the order they are written. */
  static final List<Chain> CHAINS =
      List.of(
          new Chain("filter", FORWARD, "FORWARD"),
          new Chain("filter", ISOLATION_1, null),
          new Chain("filter", ISOLATION_2, null),
          new Chain("nat", POSTROUTING, "POSTROUTING"));

  /** A rule in one of berth's chains, its spec as {@code iptables-save} prints it. */
  record Rule(String chain, String spec) {}

  private final Launcher launcher;
  private final Path lock;

  /**
   * Rules made through {@code launcher} (its prefix: the namespace of the bridges); {@code lock}: a
   * file of the engine's run root.
   */
  public NetworkFirewall(Launcher launcher, Path lock) {
    this.launcher = launcher;
    this.lock = lock;
  }

  /**
   * Makes the rules of {@code nets} where they are missing or differ (first use, after a reboot or
   * a flush); nothing but one {@code iptables-save} when they are in place. Returns whether it
   * changed anything.
   */
  public boolean ensure(Collection<Network> nets) throws BerthException {
    Map<String, List<Rule>> upsert = new LinkedHashMap<>();
    for (Network n : nets) upsert.put(n.bridge(), rules(n));
    return apply(upsert, b -> true, "set up the firewall rules of " + bridges(nets));
  }

  /**
   * Removes the rules of {@code bridge}; with the last network's, berth's chains and the jumps to
   * them go too. Returns whether it changed anything.
   */
  public boolean remove(String bridge) throws BerthException {
    return apply(Map.of(), b -> !b.equals(bridge), "remove the firewall rules of " + bridge);
  }

  /**
   * Keeps the rules of {@code bridges} alone (recovery: a network removed while its rules could not
   * be); with none left, berth's chains go. Returns whether it changed anything.
   */
  public boolean retain(Set<String> bridges) throws BerthException {
    return apply(Map.of(), bridges::contains, "sweep the firewall rules");
  }

  private boolean apply(Map<String, List<Rule>> upsert, Predicate<String> keep, String what)
      throws BerthException {
    try (LockFile held = LockFile.acquire(lock)) {
      Launcher.Outcome saved = run("iptables-save", List.of(), null);
      if (saved.status() != 0) {
        throw failure(what, "iptables-save exited with status " + saved.status(), saved);
      }
      String script =
          plan(Saved.parse(new String(saved.stdout(), StandardCharsets.UTF_8)), upsert, keep);
      if (script == null) return false;
      Launcher.Outcome restored =
          run(
              "iptables-restore",
              List.of("-w", "--noflush"),
              script.getBytes(StandardCharsets.UTF_8));
      if (restored.status() != 0) {
        throw failure(what, "iptables-restore exited with status " + restored.status(), restored);
      }
      return true;
    } catch (ErrnoException e) {
      throw new BerthException(ErrorCategory.INTERNAL, what + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw StoreErrors.io(what, e);
    }
  }

  private Launcher.Outcome run(String tool, List<String> args, byte[] stdin)
      throws BerthException, ErrnoException {
    return launcher.run(HostTools.find(tool), args, HostTools.env(), stdin);
  }

  private static BerthException failure(String what, String how, Launcher.Outcome o) {
    String err = o.stderrText();
    int nl = err.indexOf('\n');
    return new BerthException(
        ErrorCategory.INTERNAL,
        what + ": " + how + (err.isEmpty() ? "" : ": " + (nl < 0 ? err : err.substring(0, nl))));
  }

  private static String bridges(Collection<Network> nets) {
    List<String> out = new ArrayList<>();
    for (Network n : nets) out.add(n.bridge());
    return String.join(", ", out);
  }

  // ---- the rules, as data (no host needed) ----

  /** The rules of network {@code n}, each naming its bridge. */
  static List<Rule> rules(Network n) {
    String b = n.bridge();
    List<Rule> out = new ArrayList<>();
    out.add(new Rule(ISOLATION_1, "-i " + b + " ! -o " + b + " -j " + ISOLATION_2));
    out.add(new Rule(ISOLATION_2, "-o " + b + " -j DROP"));
    if (n.internal()) {
      out.add(new Rule(FORWARD, "-i " + b + " -o " + b + " -j ACCEPT"));
      out.add(new Rule(FORWARD, "-i " + b + " -j DROP"));
      out.add(new Rule(FORWARD, "-o " + b + " -j DROP"));
    } else {
      // DNAT: connections portmap sent to a container (published ports) from outside the bridge.
      out.add(
          new Rule(
              FORWARD, "-o " + b + " -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT"));
      out.add(new Rule(FORWARD, "-i " + b + " -j ACCEPT"));
      out.add(new Rule(POSTROUTING, "-s " + n.subnet() + " ! -o " + b + " -j MASQUERADE"));
    }
    return out;
  }

  /** The rules of a chain that belong to no network, first in it. */
  static List<String> scaffold(String chain) {
    return chain.equals(FORWARD) ? List.of("-j " + ISOLATION_1) : List.of();
  }

  /** The bridge a rule of berth's chains belongs to: the interface of its first -i or -o. */
  static String bridgeOf(String spec) {
    String[] w = spec.split(" ");
    for (int i = 0; i + 1 < w.length; i++) {
      if (w[i].equals("-i") || w[i].equals("-o")) return w[i + 1];
    }
    return null;
  }

  /** What {@code iptables-save} printed: which chains exist, and their rules in order. */
  record Saved(Set<String> chains, Map<String, List<String>> rules) {
    static Saved parse(String text) {
      Set<String> chains = new HashSet<>();
      Map<String, List<String>> rules = new HashMap<>();
      String table = "";
      for (String line : text.split("\n")) {
        if (line.startsWith("*")) {
          table = line.substring(1).strip();
        } else if (line.startsWith(":")) {
          int sp = line.indexOf(' ');
          chains.add(table + " " + line.substring(1, sp < 0 ? line.length() : sp));
        } else if (line.startsWith("-A ")) {
          int sp = line.indexOf(' ', 3);
          if (sp < 0) continue;
          rules
              .computeIfAbsent(table + " " + line.substring(3, sp), k -> new ArrayList<>())
              .add(line.substring(sp + 1));
        }
      }
      return new Saved(chains, rules);
    }

    boolean has(String table, String chain) {
      return chains.contains(table + " " + chain);
    }

    List<String> rules(String table, String chain) {
      return rules.getOrDefault(table + " " + chain, List.of());
    }

    int jumps(Chain c) {
      int n = 0;
      for (String r : rules(c.table(), c.from())) if (r.equals("-j " + c.name())) n++;
      return n;
    }
  }

  /**
   * The {@code iptables-restore --noflush} input that takes {@code saved} to its networks' rules
   * with {@code upsert}'s replaced or added (by bridge) and those of bridges {@code keep} refuses
   * removed; null when nothing is to change. Every berth chain is written whole; with no network's
   * rules left, the chains and the jumps to them go.
   */
  static String plan(Saved saved, Map<String, List<Rule>> upsert, Predicate<String> keep) {
    Map<String, List<Rule>> groups = new LinkedHashMap<>();
    for (Chain c : CHAINS) {
      for (String spec : saved.rules(c.table(), c.name())) {
        String b = bridgeOf(spec);
        if (b != null)
          groups.computeIfAbsent(b, k -> new ArrayList<>()).add(new Rule(c.name(), spec));
      }
    }
    groups.keySet().removeIf(b -> !keep.test(b));
    groups.putAll(upsert);
    StringBuilder sb = new StringBuilder();
    if (groups.isEmpty()) {
      for (String table : List.of("filter", "nat")) {
        StringBuilder t = new StringBuilder();
        for (Chain c : CHAINS) {
          if (!c.table().equals(table)) continue;
          if (c.from() != null) {
            for (int i = saved.jumps(c); i > 0; i--)
              t.append("-D ").append(c.from()).append(" -j ").append(c.name()).append('\n');
          }
          if (saved.has(table, c.name())) t.append(':').append(c.name()).append(" - [0:0]\n");
        }
        for (Chain c : CHAINS) {
          if (c.table().equals(table) && saved.has(table, c.name()))
            t.append("-X ").append(c.name()).append('\n');
        }
        if (!t.isEmpty()) sb.append('*').append(table).append('\n').append(t).append("COMMIT\n");
      }
      return sb.isEmpty() ? null : sb.toString();
    }
    boolean same = true;
    Map<Chain, List<String>> want = new LinkedHashMap<>();
    for (Chain c : CHAINS) {
      List<String> specs = new ArrayList<>(scaffold(c.name()));
      for (List<Rule> g : groups.values())
        for (Rule r : g) if (r.chain().equals(c.name())) specs.add(r.spec());
      want.put(c, specs);
      same &=
          saved.has(c.table(), c.name())
              && saved.rules(c.table(), c.name()).equals(specs)
              && (c.from() == null || saved.jumps(c) == 1);
    }
    if (same) return null;
    for (String table : List.of("filter", "nat")) {
      sb.append('*').append(table).append('\n');
      for (Chain c : CHAINS)
        if (c.table().equals(table)) sb.append(':').append(c.name()).append(" - [0:0]\n");
      for (Chain c : CHAINS) {
        if (!c.table().equals(table) || c.from() == null) continue;
        int n = saved.jumps(c);
        // FORWARD: first, before a host's own DROP; nat needs no place of its own.
        if (n == 0)
          sb.append(c.from().equals("FORWARD") ? "-I " + c.from() + " 1" : "-A " + c.from())
              .append(" -j ")
              .append(c.name())
              .append('\n');
        for (; n > 1; n--)
          sb.append("-D ").append(c.from()).append(" -j ").append(c.name()).append('\n');
      }
      for (Chain c : CHAINS) {
        if (!c.table().equals(table)) continue;
        for (String spec : want.get(c))
          sb.append("-A ").append(c.name()).append(' ').append(spec).append('\n');
      }
      sb.append("COMMIT\n");
    }
    return sb.toString();
  }
}
