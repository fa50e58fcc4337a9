package dev.berth.engine.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.sys.Linux;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Processes on one store: writers killed with SIGKILL at random points leave a store that opens and
 * lists, with every record at its old or its new version and every acknowledged change kept; two
 * processes racing on one name, exactly one wins; threads of two processes creating distinct
 * containers lose none.
 */
@Tag("integration")
class ContainerStoreProcessTest {
  @TempDir Path root;

  /** What the churn's lines promise of one container. */
  private static final class Expect {
    boolean mustExist;
    boolean mayExist = true;
    Set<String> names = new HashSet<>();
    int min;
    int max;
  }

  @Test
  void sigkillAtRandomPointsLosesNothingAcknowledgedAndLeavesNothingHalf() throws Exception {
    Random rnd = new Random();
    long seed = rnd.nextLong();
    Map<String, Expect> model = new HashMap<>();
    int checkedRecords = 0;
    for (int round = 0; round < 12; round++) {
      List<String> lines = new ArrayList<>();
      try (StoreChild child =
          StoreChild.start("churn", root.toString(), Long.toString(seed + round))) {
        assertEquals("ready", child.readLine());
        int steps = 5 + rnd.nextInt(120);
        for (int i = 0; i < steps; i++) lines.add(child.readLine());
        Thread.sleep(rnd.nextInt(15)); // land inside an operation, not only right after a print
        child.kill();
        for (String l; (l = child.readLine()) != null; ) lines.add(l);
      }
      apply(model, lines);
      checkedRecords +=
          check(
              model,
              "round " + round + " (seed " + seed + ") after " + lines.get(lines.size() - 1));
    }
    assertTrue(checkedRecords > 12, "the churn made containers: " + checkedRecords);
  }

  private static void apply(Map<String, Expect> model, List<String> lines) {
    for (String line : lines) {
      String[] w = line.split(" ");
      Expect e = model.get(w[1]);
      switch (w[0]) {
        case "creating" -> {
          e = new Expect();
          e.names.add(w[2]);
          model.put(w[1], e);
        }
        case "created" -> e.mustExist = true;
        case "updating" -> e.max = Integer.parseInt(w[2]);
        case "updated" -> e.min = e.max;
        case "renaming" -> e.names.add(w[2]);
        case "renamed" -> e.names = new HashSet<>(Set.of(w[2]));
        case "removing" -> e.mustExist = false;
        case "removed" -> e.mayExist = false;
        default -> fail("unexpected line from the child: " + line);
      }
    }
  }

  /**
   * Opens the store as the next CLI would, checks it against the model, and makes the model what
   * was found.
   */
  private int check(Map<String, Expect> model, String when) throws Exception {
    // With what removes a container's things outside the store, as the engine opens it: a removal
    // cut after its record went (a tombstone) is finished by the repair.
    ContainerStore store = ContainerStore.open(root, id -> {});
    ContainerStore.Listing l = store.list();
    assertEquals(List.of(), l.unreadable(), when);
    Set<String> found = new HashSet<>();
    for (ContainerRecord c : l.containers()) {
      found.add(c.id());
      Expect e = model.get(c.id());
      assertNotNull(e, when + ": a container nobody created: " + c.id());
      assertTrue(e.mayExist, when + ": removed container is back: " + c.id());
      assertTrue(
          e.names.contains(c.name()),
          when + ": " + c.id() + " is named " + c.name() + ", not " + e.names);
      int v = c.state().restartCount();
      assertTrue(
          v >= e.min && v <= e.max,
          when + ": " + c.id() + " at version " + v + ", not " + e.min + ".." + e.max);
      // The version is written in three places of the one file: a torn or mixed record would
      // disagree.
      assertEquals(v == 0 ? Map.of() : Map.of("version", Integer.toString(v)), c.extras(), when);
      assertEquals(v % 256, c.state().exitCode(), when);
      assertEquals(c, store.resolve(c.name()), when + ": the name resolves to its container");
      assertEquals(
          c.id(), Linux.readlink(root.resolve("names").resolve(c.name()).toString()), when);
    }
    for (Map.Entry<String, Expect> m : model.entrySet()) {
      if (m.getValue().mustExist)
        assertTrue(found.contains(m.getKey()), when + ": lost " + m.getKey());
    }
    // Nothing half: every name link is a container's own, every directory has its record, no marker
    // left.
    try (Stream<Path> s = Files.list(root.resolve("names"))) {
      for (Path p : s.toList()) {
        String id = Linux.readlink(p.toString());
        assertTrue(found.contains(id), when + ": name " + p.getFileName() + " points at nothing");
      }
    }
    try (Stream<Path> s = Files.list(root.resolve("containers"))) {
      for (Path p : s.toList()) {
        assertTrue(
            found.contains(p.getFileName().toString()),
            when + ": a directory without record: " + p);
      }
    }
    assertFalse(ContainerStoreTest.marked(root), when);
    // The model becomes what is there: in-flight changes either happened or did not.
    model.clear();
    for (ContainerRecord c : l.containers()) {
      Expect e = new Expect();
      e.mustExist = true;
      e.names.add(c.name());
      e.min = e.max = c.state().restartCount();
      model.put(c.id(), e);
    }
    return found.size();
  }

  @Test
  void twoProcessesRacingOnOneNameExactlyOneWins() throws Exception {
    try (StoreChild a = StoreChild.start("race", root.toString());
        StoreChild b = StoreChild.start("race", root.toString())) {
      assertEquals("ready", a.readLine());
      assertEquals("ready", b.readLine());
      for (int i = 0; i < 20; i++) {
        String name = "race" + i;
        a.send(name);
        b.send(name);
        String ra = a.readLine();
        String rb = b.readLine();
        boolean aWon = ra.startsWith("won ");
        assertTrue(aWon ^ rb.startsWith("won "), name + ": " + ra + " / " + rb);
        String winner = (aWon ? ra : rb).substring(4);
        String loser = aWon ? rb : ra;
        assertTrue(
            loser.startsWith(
                "lost ALREADY_EXISTS Conflict. The container name \"/"
                    + name
                    + "\" is already in use by container \""
                    + winner
                    + "\""),
            loser);
        assertEquals(winner, ContainerStore.open(root).resolveId(name));
      }
    }
    ContainerStore store = ContainerStore.open(root);
    assertEquals(20, store.list().containers().size());
    try (Stream<Path> s = Files.list(root.resolve("containers"))) {
      assertEquals(20, s.count(), "the losers left no directory");
    }
  }

  @Test
  void threadsOfTwoProcessesCreatingDistinctContainersLoseNone() throws Exception {
    ContainerStore store = ContainerStore.open(root);
    try (StoreChild child = StoreChild.start("many", root.toString(), "child", "60", "4")) {
      StoreChild.createMany(store, "parent", 60, 4);
      assertEquals("done", child.readLine());
      assertEquals(0, child.waitFor());
    }
    ContainerStore.Listing l = store.list();
    assertEquals(List.of(), l.unreadable());
    Set<String> names = new HashSet<>();
    for (ContainerRecord c : l.containers()) names.add(c.name());
    for (int i = 0; i < 60; i++) {
      assertTrue(names.contains("parent-" + i), "parent-" + i);
      assertTrue(names.contains("child-" + i), "child-" + i);
    }
    assertEquals(120, l.containers().size());
  }
}
