package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.cgroups.Cgroups;
import dev.berth.runtime.state.StateFile;
import dev.berth.runtime.state.Status;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two containers that name one cgroup: without linux.cgroupsPath the cgroup is named after the id,
 * so a second state root with the same id (or a second id with the same cgroupsPath) names the
 * first container's cgroup. The second create is refused before it writes anything there, and no
 * delete ever kills in a cgroup another container owns.
 */
@RequiresRoot
class CgroupOwnershipTest {
  @TempDir Path tmp;
  Bundle bundle;
  ContainerRuntime a;
  ContainerRuntime b;
  String id;
  final List<Path> madeByTest = new ArrayList<>();

  @BeforeEach
  void setUp() {
    bundle = Bundle.busybox(tmp.resolve("bundle"));
    bundle.args("sleep", "60");
    a = new ContainerRuntime(tmp.resolve("rootA"));
    b = new ContainerRuntime(tmp.resolve("rootB"));
    id = "own" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
  }

  @AfterEach
  void tearDown() throws Exception {
    b.delete(id, true);
    a.delete(id, true);
    a.delete(id + "-two", true);
    for (Path p : madeByTest.reversed()) Files.deleteIfExists(p);
  }

  private Map<String, String> cgroups(ContainerRuntime rt, String id) throws Exception {
    return StateFile.read(rt.root().resolve(id).resolve("state.json")).cgroupPaths();
  }

  private static void limitMemory(Bundle bundle, long bytes) {
    bundle
        .linux()
        .put(
            "resources",
            Bundle.map(
                "devices",
                Bundle.list(Bundle.map("allow", false, "access", "rwm")),
                "memory",
                Bundle.map("limit", bytes)));
  }

  @Test
  void aSecondRootWithTheSameIdIsRefusedBeforeItTouchesTheCgroup() throws Exception {
    limitMemory(bundle, 64L << 20);
    bundle.write();
    a.create(id, CreateOptions.of(bundle.dir()));
    a.start(id);
    int pid = a.state(id).pid();
    Path memory = Path.of(cgroups(a, id).get("memory"));

    limitMemory(bundle, 32L << 20);
    bundle.write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> b.create(id, CreateOptions.of(bundle.dir())));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
    assertTrue(
        e.getMessage().contains("container's cgroup is not empty: 1 process(es) found in "),
        e.getMessage());
    // Refused before any limit of the second container was written over the first one's.
    assertEquals(
        Long.toString(64L << 20),
        Files.readString(memory.resolve("memory.limit_in_bytes")).strip());
    assertFalse(Files.exists(b.root().resolve(id)), "state of the refused container left behind");

    b.delete(id, true);
    assertEquals(Status.RUNNING, a.state(id).status());
    assertEquals(pid, a.state(id).pid());
    assertEquals(List.of(pid), a.pids(id));
  }

  @Test
  void twoIdsWithOneCgroupsPathAreRefused() throws Exception {
    bundle.linux().put("cgroupsPath", "/berth-test-shared-" + id);
    bundle.write();
    a.create(id, CreateOptions.of(bundle.dir()));
    a.start(id);
    // Without a pid namespace of its own, delete -f kills every process of the cgroup: the first
    // container's too,
    // had the second one been let in (runc 1.1.5 lets it in with a warning, and does exactly that).
    bundle.withoutNamespace("pid").write();
    ContainerException e =
        assertThrows(
            ContainerException.class, () -> a.create(id + "-two", CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("container's cgroup is not empty"), e.getMessage());
    assertTrue(e.getMessage().contains("/berth-test-shared-" + id), e.getMessage());
    a.delete(id + "-two", true);
    assertEquals(Status.RUNNING, a.state(id).status());
  }

  @Test
  void deleteOfAStoppedContainerLeavesAloneTheCgroupANewerOneClaimed() throws Exception {
    bundle.withoutNamespace("pid").write();
    a.create(id, CreateOptions.of(bundle.dir()));
    a.start(id);
    a.kill(id, 9, false);
    for (int i = 0; i < 200 && a.state(id).status() != Status.STOPPED; i++) Thread.sleep(10);
    assertEquals(Status.STOPPED, a.state(id).status());

    // The stopped container's cgroup is empty: a newer container with the same id may take it, as
    // runc allows.
    b.create(id, CreateOptions.of(bundle.dir()));
    b.start(id);
    int pid = b.state(id).pid();
    Map<String, String> dirs = cgroups(b, id);
    assertEquals(cgroups(a, id), dirs);

    a.delete(id, false);
    assertFalse(Files.exists(a.root().resolve(id)));
    assertEquals(Status.RUNNING, b.state(id).status());
    assertEquals(List.of(pid), b.pids(id));
    for (String dir : dirs.values())
      assertTrue(Files.isDirectory(Path.of(dir)), "removed from under the newer one: " + dir);

    b.delete(id, true);
    for (String dir : dirs.values())
      assertFalse(Files.exists(Path.of(dir)), "cgroup left behind: " + dir);
  }

  @Test
  void aFrozenCgroupIsRefusedAndOnlyWhatTheCreateMadeIsRemoved() throws Exception {
    bundle.write();
    Map<String, String> paths = Cgroups.forContainer(null, id).paths();
    Path freezer = Path.of(paths.get("freezer"));
    Files.createDirectory(freezer);
    madeByTest.add(freezer);
    Files.writeString(freezer.resolve("freezer.state"), "FROZEN");

    ContainerException e =
        assertThrows(ContainerException.class, () -> a.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("container's cgroup unexpectedly frozen"), e.getMessage());
    assertFalse(Files.exists(a.root().resolve(id)));
    for (Map.Entry<String, String> p : paths.entrySet()) {
      if (p.getKey().equals("freezer")) continue;
      assertFalse(
          Files.exists(Path.of(p.getValue())),
          "cgroup made by the refused create left behind: " + p);
    }
    assertTrue(
        Files.isDirectory(freezer), "a cgroup that was there before is not the create's to remove");
    Files.writeString(freezer.resolve("freezer.state"), "THAWED");
  }

  @Test
  void concurrentCreatesOfOneCgroupLetOneIn() throws Exception {
    bundle.write();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<ContainerException>> results = new ArrayList<>();
      for (ContainerRuntime rt : List.of(a, b)) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  try {
                    rt.create(id, CreateOptions.of(bundle.dir()));
                    return null;
                  } catch (ContainerException e) {
                    return e;
                  }
                }));
      }
      go.countDown();
      ContainerException ea = results.get(0).get();
      ContainerException eb = results.get(1).get();
      assertTrue(
          (ea == null) != (eb == null), "exactly one create may succeed: " + ea + " / " + eb);
      ContainerException refused = ea != null ? ea : eb;
      assertTrue(
          refused.getMessage().contains("container's cgroup is not empty"), refused.getMessage());
      ContainerRuntime winner = ea == null ? a : b;
      assertEquals(Status.CREATED, winner.state(id).status());
      assertEquals(1, winner.pids(id).size());
      assertFalse(
          Files.exists((winner == a ? b : a).root().resolve(id)),
          "state of the refused create left behind");
      for (String dir : cgroups(winner, id).values())
        assertTrue(Files.isDirectory(Path.of(dir)), dir);
    } finally {
      pool.shutdown();
    }
  }
}
