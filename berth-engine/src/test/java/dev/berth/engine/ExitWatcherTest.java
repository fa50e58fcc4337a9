package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.container.RestartPolicy;
import dev.berth.engine.events.Event;
import dev.berth.engine.events.EventLog;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon's watcher of container ends: with no client looking and no exit command configured (an
 * embedded engine), a container's end is recorded when it happens — its "die" event with the exit
 * code, an --rm container removed, a restart its policy asks for — for containers running before
 * the watcher started and after; while it watches, monitors run no exit command.
 */
@RequiresRoot
@Timeout(120)
class ExitWatcherTest {
  @TempDir Path tmp;
  Engine engine;
  ExitWatcher watcher;

  @BeforeEach
  void setUp() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    EngineTestSupport.importRootfs(
        engine,
        Busybox.rootfs(tmp.resolve("rootfs")),
        tmp.resolve("busybox.tar"),
        EngineTest.IMAGE);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (watcher != null) watcher.close();
    EngineTestSupport.removeAllAndClose(engine, tmp);
  }

  private ContainerRecord started(ContainerOptions o) throws Exception {
    return engine.start(engine.create(o).id(), Engine.StartListener.NONE);
  }

  @Test
  void endsAreRecordedWhenTheyHappenWithoutAnyCall() throws Exception {
    ContainerRecord before = started(EngineTest.opts("sleep", "1000").build());
    watcher = ExitWatcher.start(engine, m -> {});
    assertEquals(List.of(before.id()), watcher.watched());
    try (EventLog.Follower events = engine.events().follow(false)) {
      // a container started after the watcher, ending by itself
      ContainerRecord after = started(EngineTest.opts("sh", "-c", "exit 3").build());
      Event die = awaitEvent(events, after.id(), "die");
      assertEquals("3", die.attributes().get("exitCode"));
      // one that ran before it, ended from outside (the kill does not look at it afterwards)
      engine.kill(before.id(), 9);
      die = awaitEvent(events, before.id(), "die");
      assertEquals("137", die.attributes().get("exitCode"));
      // an --rm one is removed: gone from the store itself, not just hidden by a reconciliation
      ContainerRecord rm = started(EngineTest.opts("true").autoRemove(true).build());
      awaitEvent(events, rm.id(), "destroy");
      assertTrue(
          engine.containers().list().containers().stream().noneMatch(c -> c.id().equals(rm.id())));
    }
    assertEquals(List.of(), watcher.watched());
  }

  @Test
  void anIdleWatcherSleepsUntilTheEventLogChanges() throws Exception {
    ContainerRecord running = started(EngineTest.opts("sleep", "1000").build());
    watcher = ExitWatcher.start(engine, m -> {});
    long before = Processes.sleepsOfThread("berth-exit-watc");
    Thread.sleep(2_000);
    long woke = Processes.sleepsOfThread("berth-exit-watc") - before;
    // Reading the log on a timer, it woke ten times a second.
    assertTrue(woke <= 6, "woke " + woke + " times in 2 s with nothing happening");
    try (EventLog.Follower events = engine.events().follow(false)) {
      ContainerRecord quick = started(EngineTest.opts("true").autoRemove(true).build());
      awaitEvent(events, quick.id(), "destroy");
    }
    assertEquals(List.of(running.id()), watcher.watched());
  }

  @Test
  void aWatchedExitRunsNoExitCommandAndAnUnwatchedOneDoes() throws Exception {
    Path ran = tmp.resolve("exit-commands");
    // A second engine on the store whose monitors get an exit command (as the berth CLI's and
    // berthd's do): it appends the container's id to a file.
    try (Engine withCommand =
        Engine.open(
            EngineConfig.at(tmp.resolve("root"), tmp.resolve("run"))
                .withExitCommand(List.of("/bin/sh", "-c", "echo \"$0\" >> " + ran)))) {
      watcher = ExitWatcher.start(engine, m -> {});
      try (EventLog.Follower events = engine.events().follow(false)) {
        ContainerRecord watched =
            withCommand.start(
                withCommand.create(EngineTest.opts("true").build()).id(),
                Engine.StartListener.NONE);
        awaitEvent(events, watched.id(), "die");
        awaitGone(watched.state().monitorPid());
        Thread.sleep(300); // a command forked before the monitor's end would have written by now
        assertFalse(Files.exists(ran), "an exit command ran for a watched container");
      }
      // No watcher: the monitor's exit command does the reconciliation.
      watcher.close();
      watcher = null;
      ContainerRecord unwatched =
          withCommand.start(
              withCommand.create(EngineTest.opts("true").build()).id(), Engine.StartListener.NONE);
      for (int i = 0; i < 1000 && !Files.exists(ran); i++) Thread.sleep(10);
      assertEquals(unwatched.id() + "\n", Files.readString(ran));
    }
  }

  @Test
  void aWatchedContainerIsRestartedByItsPolicyWithoutAnyCall() throws Exception {
    watcher = ExitWatcher.start(engine, m -> {});
    ContainerRecord r =
        engine.create(
            EngineTest.opts("sh", "-c", "exit 3")
                .host(HostOptions.NONE.withRestartPolicy(RestartPolicy.parse("on-failure:2")))
                .build());
    try (EventLog.Follower events = engine.events().follow(false)) {
      engine.start(r.id(), Engine.StartListener.NONE);
      // Started twice more (its maximum), each after its end and the policy's backoff.
      List<String> actions = new ArrayList<>();
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (actions.stream().filter("die"::equals).count() < 3 && System.nanoTime() < deadline) {
        for (Event e : events.poll()) {
          if (e.id().equals(r.id()) && (e.action().equals("start") || e.action().equals("die")))
            actions.add(e.action());
        }
        Thread.sleep(20);
      }
      assertEquals(List.of("start", "die", "start", "die", "start", "die"), actions);
    }
    assertEquals(2, engine.inspect(r.id()).state().restartCount());
  }

  private static void awaitGone(int pid) throws InterruptedException {
    for (int i = 0; i < 1000 && Files.exists(Path.of("/proc/" + pid)); i++) Thread.sleep(10);
  }

  /** The next event {@code action} of {@code id} within 10 s (no call on the engine meanwhile). */
  private static Event awaitEvent(EventLog.Follower events, String id, String action)
      throws Exception {
    List<String> seen = new ArrayList<>();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline) {
      for (Event e : events.poll()) {
        seen.add(e.action() + " " + e.id().substring(0, 12));
        if (e.id().equals(id) && e.action().equals(action)) return e;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no " + action + " event of " + id + "; seen " + seen);
  }
}
