package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.state.Status;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.CgroupTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cleanup in every state, a dead init, and concurrent commands on one container. */
@ContainerTest(id = "r", out = false)
class RobustnessTest {
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  @BeforeEach
  void setUp() {
    bundle.args("sleep", "60").write();
  }

  private void assertGone(int pid) throws Exception {
    assertFalse(Files.exists(rt.root().resolve(id)), "state dir");
    var st = dev.berth.runtime.process.ProcStat.of(pid);
    assertTrue(st == null || st.isGone(), "process " + pid + " still runs");
    assertTrue(
        CgroupTree.named(Path.of("/sys/fs/cgroup/pids"), 3, id::equals).isEmpty(),
        "cgroup left behind");
  }

  @Test
  void deleteForceWorksInEveryState() throws Exception {
    for (String state : new String[] {"created", "running", "paused", "stopped"}) {
      rt.create(id, CreateOptions.of(bundle.dir()));
      int pid = rt.state(id).pid();
      if (!state.equals("created")) rt.start(id);
      if (state.equals("paused")) rt.pause(id);
      if (state.equals("stopped")) {
        rt.kill(id, 9, false);
        for (int i = 0; i < 200 && rt.state(id).status() != Status.STOPPED; i++) Thread.sleep(10);
      }
      assertEquals(state, rt.state(id).status().toString());
      rt.delete(id, true);
      assertGone(pid);
    }
  }

  @Test
  void aCreatedContainerWhoseInitDiedIsStoppedAndDeletes() throws Exception {
    rt.create(id, CreateOptions.of(bundle.dir()));
    int pid = rt.state(id).pid();
    dev.berth.sys.Linux.kill(pid, 9);
    for (int i = 0; i < 200 && rt.state(id).status() != Status.STOPPED; i++) Thread.sleep(10);
    assertEquals(Status.STOPPED, rt.state(id).status());
    ContainerException e =
        org.junit.jupiter.api.Assertions.assertThrows(ContainerException.class, () -> rt.start(id));
    assertTrue(e.getMessage().contains("stopped"), e.getMessage());
    rt.delete(id, false);
    assertGone(pid);
  }

  @Test
  void concurrentCommandsOnOneContainerAreSerialised() throws Exception {
    rt.create(id, CreateOptions.of(bundle.dir()));
    int pid = rt.state(id).pid();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<String>> results = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      results.add(pool.submit(() -> attempt(() -> rt.start(id))));
      results.add(pool.submit(() -> attempt(() -> rt.delete(id, true))));
    }
    List<String> outcomes = new ArrayList<>();
    for (Future<String> f : results) outcomes.add(f.get());
    pool.shutdown();
    // Every call either did its work or failed cleanly (not found, already running): nothing else,
    // nothing left.
    for (String o : outcomes) {
      assertTrue(
          o.equals("ok")
              || o.contains("does not exist")
              || o.contains("already running")
              || o.contains("stopped"),
          outcomes.toString());
    }
    assertGone(pid);
  }

  interface Call {
    void run() throws Exception;
  }

  private static String attempt(Call c) {
    try {
      c.run();
      return "ok";
    } catch (Exception e) {
      return e.getMessage();
    }
  }
}
