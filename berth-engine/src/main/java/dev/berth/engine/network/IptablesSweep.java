package dev.berth.engine.network;

import dev.berth.engine.network.NetworkCleanup.HostTools;
import dev.berth.engine.network.cni.Launcher;
import dev.berth.spec.error.BerthException;
import dev.berth.sys.ErrnoException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes the per-container iptables rules the CNI plugins left for containers that are gone (the
 * portmap plugin's; the bridge plugin's ipMasq and the firewall plugin's of containers an older
 * berth attached), when their DEL could not run (no cache entry: a crash mid-ADD; the netns gone,
 * so the bridge plugin could not learn the addresses). Only berth's rules: nat rules whose comment
 * names one of berth's networks and a dead container (bridge's masquerade {@code name: "n" id:
 * "c"}, portmap's {@code dnat name: "n" id: "c"}) with the per-container chains they jump to, and
 * the firewall plugin's CNI-FORWARD rules for an address of a berth subnet that no live container
 * leases.
 */
final class IptablesSweep {
  private static final Pattern COMMENT = Pattern.compile("name: \"([^\"]*)\" id: \"([^\"]*)\"");

  /** Chains the plugins share between containers: never flushed or deleted here. */
  private static final Set<String> SHARED =
      Set.of(
          "CNI-HOSTPORT-DNAT",
          "CNI-HOSTPORT-SNAT",
          "CNI-HOSTPORT-MASQ",
          "CNI-HOSTPORT-SETMARK",
          "CNI-FORWARD",
          "CNI-ADMIN");

  private final Launcher launcher;

  IptablesSweep(Launcher launcher) {
    this.launcher = launcher;
  }

  void sweep(
      Set<String> live,
      List<Network> nets,
      Set<String> leased,
      List<String> removed,
      List<String> errors) {
    Set<String> ours = new java.util.HashSet<>();
    List<Subnet> subnets = new ArrayList<>();
    for (Network n : nets) {
      ours.add(n.name());
      if (!n.subnet().isEmpty()) subnets.add(Subnet.parse(n.subnet()));
    }
    try {
      sweepNat(id -> !live.contains(id), ours, removed, errors);
      sweepForward(subnets, leased, removed, errors);
    } catch (ErrnoException | BerthException e) {
      errors.add("iptables: " + e.getMessage());
    }
  }

  /**
   * The nat rules and per-container chains of the containers {@code dead} says are gone, on
   * networks {@code ours}.
   */
  void sweepNat(
      java.util.function.Predicate<String> dead,
      Set<String> ours,
      List<String> removed,
      List<String> errors)
      throws ErrnoException, BerthException {
    List<List<String>> rules = save("nat", errors);
    if (rules == null) return;
    List<List<String>> theirs = new ArrayList<>();
    Set<String> chains = new LinkedHashSet<>();
    for (List<String> r : rules) {
      int c = r.indexOf("--comment");
      if (c < 0 || c + 1 >= r.size()) continue;
      Matcher m = COMMENT.matcher(r.get(c + 1));
      if (!m.find() || !ours.contains(m.group(1)) || !dead.test(m.group(2))) continue;
      theirs.add(r);
      int j = r.indexOf("-j");
      if (j >= 0
          && j + 1 < r.size()
          && r.get(j + 1).startsWith("CNI-")
          && !SHARED.contains(r.get(j + 1))) {
        chains.add(r.get(j + 1));
      }
    }
    for (List<String> r : theirs) {
      if (chains.contains(r.get(1))) continue; // inside a chain that goes whole
      delete("nat", r, removed, errors);
    }
    for (String chain : chains) {
      if (iptables(List.of("-t", "nat", "-F", chain), errors)
          && iptables(List.of("-t", "nat", "-X", chain), errors)) {
        removed.add("nat chain " + chain);
      }
    }
  }

  /**
   * The firewall plugin's per-bridge isolation rules ({@code CNI-ISOLATION-STAGE-*}) of {@code
   * bridge}.
   */
  void sweepBridge(String bridge, List<String> errors) throws ErrnoException, BerthException {
    List<List<String>> rules = save("filter", errors);
    if (rules == null) return;
    for (List<String> r : rules) {
      if (!r.get(1).startsWith("CNI-ISOLATION")) continue;
      int i = r.indexOf("-i");
      int o = r.indexOf("-o");
      if ((i >= 0 && i + 1 < r.size() && r.get(i + 1).equals(bridge))
          || (o >= 0 && o + 1 < r.size() && r.get(o + 1).equals(bridge))) {
        delete("filter", r, new ArrayList<>(), errors);
      }
    }
  }

  private void sweepForward(
      List<Subnet> subnets, Set<String> leased, List<String> removed, List<String> errors)
      throws ErrnoException, BerthException {
    List<List<String>> rules = save("filter", errors);
    if (rules == null) return;
    for (List<String> r : rules) {
      if (!r.get(1).equals("CNI-FORWARD")) continue;
      String addr = null;
      for (int i = 2; i + 1 < r.size(); i++) {
        if ((r.get(i).equals("-s") || r.get(i).equals("-d")) && r.get(i + 1).endsWith("/32"))
          addr = r.get(i + 1);
      }
      if (addr == null) continue;
      String ip = addr.substring(0, addr.length() - 3);
      int a;
      try {
        a = Subnet.parseAddress(ip);
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (leased.contains(ip) || subnets.stream().noneMatch(s -> s.contains(a))) continue;
      delete("filter", r, removed, errors);
    }
  }

  private void delete(String table, List<String> rule, List<String> removed, List<String> errors)
      throws ErrnoException, BerthException {
    List<String> args = new ArrayList<>(List.of("-t", table, "-D"));
    args.addAll(rule.subList(1, rule.size()));
    if (iptables(args, errors)) removed.add(table + " " + String.join(" ", rule));
  }

  private boolean iptables(List<String> args, List<String> errors)
      throws ErrnoException, BerthException {
    List<String> all = new ArrayList<>(List.of("-w"));
    all.addAll(args);
    Launcher.Outcome o = launcher.run(HostTools.find("iptables"), all, HostTools.env(), null);
    if (o.status() != 0) errors.add("iptables " + String.join(" ", args) + ": " + o.stderrText());
    return o.status() == 0;
  }

  /**
   * The table's {@code -A} lines as argument lists; null (and an error) when iptables-save failed.
   */
  private List<List<String>> save(String table, List<String> errors)
      throws ErrnoException, BerthException {
    Launcher.Outcome o =
        launcher.run(HostTools.find("iptables-save"), List.of("-t", table), HostTools.env(), null);
    if (o.status() != 0) {
      errors.add("iptables-save -t " + table + ": " + o.stderrText());
      return null;
    }
    List<List<String>> rules = new ArrayList<>();
    for (String line : new String(o.stdout(), StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("-A ")) rules.add(split(line));
    }
    return rules;
  }

  /** iptables-save's quoting: words, and double-quoted strings with backslash escapes. */
  static List<String> split(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted) {
        if (ch == '\\' && i + 1 < line.length()) cur.append(line.charAt(++i));
        else if (ch == '"') quoted = false;
        else cur.append(ch);
      } else if (ch == '"') {
        quoted = true;
        any = true;
      } else if (ch == ' ') {
        if (any || !cur.isEmpty()) out.add(cur.toString());
        cur.setLength(0);
        any = false;
      } else {
        cur.append(ch);
      }
    }
    if (any || !cur.isEmpty()) out.add(cur.toString());
    return out;
  }
}
