package dev.berth.engine.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.engine.EngineTestSupport;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.driver.Stdio;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.image.Healthcheck;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berthd's probes on real containers: containers running before the scheduler starts and those
 * started after (by anyone: it reads the event log) are probed at their interval until they stop,
 * on a fixed number of threads.
 */
@RequiresRoot
class HealthSchedulerTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  Engine engine;
  HealthScheduler scheduler;

  @BeforeEach
  void setUp() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("busybox.tar"), IMAGE);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (scheduler != null) scheduler.close();
    for (ContainerRecord r : engine.containers().list().containers()) {
      try {
        engine.remove(r.id(), true, true);
      } catch (BerthException e) {
        // gone
      }
    }
    engine.close();
  }

  private ContainerRecord running(String name) throws BerthException {
    ContainerOptions o =
        new ContainerOptions.Builder(IMAGE)
            .name(name)
            .command(List.of("sleep", "1000"))
            .healthcheck(
                new Healthcheck(List.of("CMD", "test", "-f", "/tmp/ok"), 200_000_000L, 0, 0, 0, 1))
            .build();
    return engine.start(engine.create(o).id(), Engine.StartListener.NONE);
  }

  private String status(String ref) throws BerthException {
    return engine.health(engine.inspect(ref)).orElseThrow().status();
  }

  /** Waits for {@code condition}, failing after a minute (a bound for a stuck scheduler). */
  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    for (int i = 0; i < 1200 && !condition.getAsBoolean(); i++) Thread.sleep(50);
    assertTrue(condition.getAsBoolean(), what);
  }

  private boolean is(String ref, String status) {
    try {
      return status(ref).equals(status);
    } catch (BerthException e) {
      return false;
    }
  }

  @Test
  void containersRunningBeforeAndStartedAfterAreProbedUntilTheyStop() throws Exception {
    ContainerRecord before = running("before");
    scheduler = HealthScheduler.start(engine, 2, msg -> {});
    assertEquals(List.of(before.id()), scheduler.followed());
    ContainerRecord after = running("after");
    await("the later one followed", () -> scheduler.followed().contains(after.id()));
    await("before unhealthy", () -> is("before", HealthState.UNHEALTHY));
    await("after unhealthy", () -> is("after", HealthState.UNHEALTHY));
    engine.exec("after", ExecOptions.of("touch", "/tmp/ok"), Stdio.INHERIT, null);
    await("after healthy", () -> is("after", HealthState.HEALTHY));
    assertEquals(HealthState.UNHEALTHY, status("before"));

    engine.stop("after", 0);
    await("no probes after its stop", () -> !scheduler.followed().contains(after.id()));
    assertEquals(HealthState.HEALTHY, status("after"), "its last health kept");
    engine.start("after", Engine.StartListener.NONE);
    await("followed again after its start", () -> scheduler.followed().contains(after.id()));
    // /tmp/ok is still there (same rootfs): healthy again after "starting"
    await("healthy after the restart", () -> is("after", HealthState.HEALTHY));

    long threads =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith("berth-health-"))
            .count();
    assertTrue(
        threads <= 4, "one timer, one log reader and two probe threads at most, got " + threads);
    scheduler.close();
    assertEquals(List.of(), scheduler.followed());
  }

  @Test
  void anIdleSchedulerSleepsUntilTheEventLogChanges() throws Exception {
    scheduler = HealthScheduler.start(engine, 1, m -> {});
    long before = Processes.sleepsOfThread("berth-health-wa");
    Thread.sleep(2_000);
    long woke = Processes.sleepsOfThread("berth-health-wa") - before;
    // Reading the log on a timer, it woke four times a second.
    assertTrue(woke <= 6, "woke " + woke + " times in 2 s with nothing happening");
    ContainerRecord r = running("later");
    await("a start after the scheduler's is followed", () -> scheduler.followed().contains(r.id()));
  }
}
