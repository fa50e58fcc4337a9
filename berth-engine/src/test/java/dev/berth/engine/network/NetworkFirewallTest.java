package dev.berth.engine.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.error.BerthException;
import dev.berth.testkit.RequiresRoot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class NetworkFirewallTest {
  static Network net(String name, String bridge, String subnet, boolean internal) {
    return new Network(
        name,
        "id-" + name,
        Instant.EPOCH,
        Network.BRIDGE,
        subnet,
        "",
        bridge,
        internal,
        Map.of(),
        false);
  }

  static final Network RED = net("red", "berth1", "10.91.0.0/24", false);
  static final Network BLUE = net("blue", "berth2", "10.91.1.0/24", false);
  static final Network SHUT = net("shut", "berth3", "10.91.2.0/24", true);

  /**
   * What iptables-save prints after {@code script} ran on {@code saved} (the chains it declares are
   * flushed, -I/-A add, -D and -X remove), enough for the plan's own reading.
   */
  static String applied(String saved, String script) {
    Map<String, List<String>> tables = new java.util.LinkedHashMap<>();
    String table = "";
    for (String line : (saved + "\n" + script).split("\n")) {
      if (line.isBlank()) continue;
      if (line.startsWith("*")) {
        table = line.substring(1);
        tables.computeIfAbsent(table, k -> new ArrayList<>());
        continue;
      }
      List<String> t = tables.computeIfAbsent(table, k -> new ArrayList<>());
      if (line.startsWith(":")) {
        String chain = line.split(" ")[0].substring(1);
        t.removeIf(l -> l.startsWith("-A " + chain + " "));
        if (!t.contains(line)) t.add(line);
      } else if (line.startsWith("-X ")) {
        t.remove(":" + line.substring(3) + " - [0:0]");
      } else if (line.startsWith("-I ")) {
        String[] w = line.split(" ", 4);
        t.add("-A " + w[1] + " " + w[3]);
      } else if (line.startsWith("-A ")) {
        t.add(line);
      } else if (line.startsWith("-D ")) {
        t.remove("-A " + line.substring(3));
      }
    }
    StringBuilder sb = new StringBuilder();
    tables.forEach(
        (name, lines) -> {
          sb.append('*').append(name).append('\n');
          for (String l : lines) sb.append(l).append('\n');
        });
    return sb.toString();
  }

  static String plan(String saved, List<Network> upsert, Set<String> keep) {
    Map<String, List<NetworkFirewall.Rule>> u = new java.util.LinkedHashMap<>();
    for (Network n : upsert) u.put(n.bridge(), NetworkFirewall.rules(n));
    return NetworkFirewall.plan(NetworkFirewall.Saved.parse(saved), u, keep::contains);
  }

  @Test
  void aNetworksRulesAreWrittenInOneScriptAndIsolationComesFirst() {
    String script = plan("", List.of(RED), Set.of());
    assertEquals(
        """
        *filter
        :BERTH-FORWARD - [0:0]
        :BERTH-ISOLATION-1 - [0:0]
        :BERTH-ISOLATION-2 - [0:0]
        -I FORWARD 1 -j BERTH-FORWARD
        -A BERTH-FORWARD -j BERTH-ISOLATION-1
        -A BERTH-FORWARD -o berth1 -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT
        -A BERTH-FORWARD -i berth1 -j ACCEPT
        -A BERTH-ISOLATION-1 -i berth1 ! -o berth1 -j BERTH-ISOLATION-2
        -A BERTH-ISOLATION-2 -o berth1 -j DROP
        COMMIT
        *nat
        :BERTH-POSTROUTING - [0:0]
        -A POSTROUTING -j BERTH-POSTROUTING
        -A BERTH-POSTROUTING -s 10.91.0.0/24 ! -o berth1 -j MASQUERADE
        COMMIT
        """,
        script);
    assertNull(plan(applied("", script), List.of(RED), Set.of()), "in place: nothing to do");
  }

  @Test
  void anInternalNetworkGetsNoMasqueradeAndNoWayOut() {
    String script = plan("", List.of(SHUT), Set.of());
    assertTrue(script.contains("-A BERTH-FORWARD -i berth3 -o berth3 -j ACCEPT\n"), script);
    assertTrue(script.contains("-A BERTH-FORWARD -i berth3 -j DROP\n"), script);
    assertTrue(script.contains("-A BERTH-FORWARD -o berth3 -j DROP\n"), script);
    assertFalse(script.contains("MASQUERADE"), script);
  }

  @Test
  void anotherNetworkKeepsTheRulesThereAndTheLastOneTakesTheChainsAlong() {
    String red = applied("", plan("", List.of(RED), Set.of()));
    String both = plan(red, List.of(BLUE), Set.of("berth1"));
    assertTrue(both.contains("-A BERTH-FORWARD -i berth1 -j ACCEPT\n"), both);
    assertTrue(both.contains("-A BERTH-FORWARD -i berth2 -j ACCEPT\n"), both);
    assertFalse(both.contains("-I FORWARD"), "the jump is there already: " + both);
    String noBlue = plan(applied(red, both), List.of(), Set.of("berth1"));
    assertFalse(noBlue.contains("berth2"), noBlue);
    // A jump twice (another tool's doing): both go with the chains.
    String twice = applied(applied(red, both), noBlue) + "*filter\n-A FORWARD -j BERTH-FORWARD\n";
    String none = plan(twice, List.of(), Set.of());
    assertTrue(none.contains("-D FORWARD -j BERTH-FORWARD\n-D FORWARD -j BERTH-FORWARD\n"), none);
    assertTrue(none.contains("-D POSTROUTING -j BERTH-POSTROUTING\n"), none);
    assertTrue(none.contains("-X BERTH-ISOLATION-2\n"), none);
    assertTrue(none.contains("-X BERTH-POSTROUTING\n"), none);
    assertEquals("*filter\n*nat\n", applied(twice, none).replaceAll("(?m)^:[A-Z]+ ACCEPT.*\n", ""));
    assertNull(plan("*filter\n:FORWARD ACCEPT [0:0]\n", List.of(), Set.of()), "nothing of ours");
  }

  @Test
  void aChangedSubnetReplacesTheNetworksRulesInPlace() {
    String red = applied("", plan("", List.of(RED, BLUE), Set.of()));
    Network moved = net("red", "berth1", "10.92.0.0/24", false);
    String script = plan(red, List.of(moved), Set.of("berth1", "berth2"));
    assertTrue(script.contains("-s 10.92.0.0/24 ! -o berth1"), script);
    assertFalse(script.contains("10.91.0.0/24"), script);
    assertTrue(
        script.indexOf("-o berth1 -j MASQUERADE") < script.indexOf("-o berth2 -j MASQUERADE"),
        "its place kept: " + script);
  }

  /** The rules on a real kernel, in a namespace of the test's. */
  @Nested
  @RequiresRoot
  class InANamespace {
    TestNetwork ns;

    String save() {
      return ns.inNs("iptables-save").ok().stdout();
    }

    List<String> ours(String save) {
      return save.lines().filter(l -> l.contains("BERTH-")).toList();
    }

    <T> T with(Callable<T> body) throws Exception {
      ns = new TestNetwork();
      try {
        return body.call();
      } finally {
        ns.close();
      }
    }

    @Test
    void madeOnceRemadeAfterAFlushAndGoneWithTheLastNetwork() throws Exception {
      with(
          () -> {
            assertTrue(ns.firewall.ensure(List.of(RED, SHUT)));
            List<String> made = ours(save());
            assertTrue(made.contains("-A FORWARD -j BERTH-FORWARD"), made.toString());
            assertTrue(
                made.contains("-A BERTH-POSTROUTING -s 10.91.0.0/24 ! -o berth1 -j MASQUERADE"),
                made.toString());
            assertFalse(ns.firewall.ensure(List.of(RED, SHUT)), "in place: only read");
            assertEquals(made, ours(save()));

            // A flush of everything (chains stay), then a flush of FORWARD alone (the jump goes).
            ns.inNs("iptables", "-w", "-F").ok();
            ns.inNs("iptables", "-w", "-t", "nat", "-F").ok();
            assertTrue(ns.firewall.ensure(List.of(RED)));
            assertTrue(ns.firewall.ensure(List.of(SHUT)));
            assertEquals(made, ours(save()), "re-made as they were");
            ns.inNs("iptables", "-w", "-F", "FORWARD").ok();
            assertTrue(ns.firewall.ensure(List.of(RED)));
            assertEquals(made, ours(save()));

            assertTrue(ns.firewall.remove("berth1"));
            assertFalse(save().contains("berth1"), save());
            assertTrue(save().contains("berth3"), "the other network's stay");
            assertTrue(ns.firewall.remove("berth3"));
            assertEquals(List.of(), ours(save()), "no berth chain or jump left");
            assertFalse(ns.firewall.remove("berth3"));
            return null;
          });
    }

    @Test
    void recoveryKeepsOnlyTheRulesOfNetworksThatExist() throws Exception {
      with(
          () -> {
            ns.firewall.ensure(List.of(RED, BLUE));
            assertTrue(ns.firewall.retain(Set.of("berth2")));
            assertFalse(save().contains("berth1"), save());
            assertFalse(ns.firewall.retain(Set.of("berth2")));
            assertTrue(ns.firewall.retain(Set.of()));
            assertEquals(List.of(), ours(save()));
            return null;
          });
    }

    @Test
    void twoEnginesSettingUpOneNetworkAtOnceLeaveOneSetOfRules() throws Exception {
      with(
          () -> {
            // Two firewalls of one store (one lock file), as two berth processes have.
            NetworkFirewall other =
                new NetworkFirewall(ns.launcher, ns.dir.resolve("firewall.lock"));
            for (int round = 0; round < 3; round++) {
              CyclicBarrier go = new CyclicBarrier(2);
              ExecutorService pool = Executors.newFixedThreadPool(2);
              try {
                List<Future<Boolean>> made = new ArrayList<>();
                for (NetworkFirewall f : List.of(ns.firewall, other)) {
                  made.add(
                      pool.submit(
                          () -> {
                            go.await();
                            return f.ensure(List.of(RED));
                          }));
                }
                assertTrue(made.get(0).get() ^ made.get(1).get(), "one of them made them");
              } finally {
                pool.shutdown();
              }
              List<String> rules = ours(save());
              assertEquals(rules.stream().distinct().toList(), rules, "no rule twice");
              assertEquals(
                  1, rules.stream().filter(l -> l.equals("-A FORWARD -j BERTH-FORWARD")).count());
              assertEquals(
                  1,
                  rules.stream()
                      .filter(l -> l.equals("-A BERTH-FORWARD -i berth1 -j ACCEPT"))
                      .count());
              ns.inNs("iptables", "-w", "-F").ok();
            }
            ns.firewall.remove("berth1");
            return null;
          });
    }

    @Test
    void aFailedRestoreIsOneLineNamingTheBridge() throws Exception {
      with(
          () -> {
            Network bad = net("bad", "berth9", "10.91.9.0/33", false);
            BerthException e =
                assertThrows(BerthException.class, () -> ns.firewall.ensure(List.of(bad)));
            assertTrue(
                e.getMessage().startsWith("set up the firewall rules of berth9: iptables-restore"),
                e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            // A transaction per table: the filter table's part may stand; removing the network
            // takes it.
            assertFalse(save().contains("10.91.9.0"), save());
            ns.firewall.remove("berth9");
            assertEquals(List.of(), ours(save()));
            return null;
          });
    }
  }
}
