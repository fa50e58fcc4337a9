package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.commit.Commit;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.events.Event;
import dev.berth.engine.health.HealthFile;
import dev.berth.engine.health.HealthState;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Healthcheck;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker's healthchecks on real containers: one probe at a time through {@link Engine#healthcheck},
 * the states its results lead to, the merge with the image's healthcheck.
 */
@RequiresRoot
class EngineHealthTest {
  static final String IMAGE = EngineTest.IMAGE;
  static final long SECOND = 1_000_000_000L;

  @TempDir Path tmp;
  Engine engine;

  @BeforeEach
  void setUp() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("busybox.tar"), IMAGE);
  }

  @AfterEach
  void tearDown() throws Exception {
    EngineTestSupport.removeAllAndClose(engine, tmp);
  }

  private ContainerRecord running(String image, Healthcheck h) throws BerthException {
    ContainerOptions o =
        new ContainerOptions.Builder(image)
            .command(List.of("sleep", "1000"))
            .healthcheck(h)
            .build();
    return engine.start(engine.create(o).id(), Engine.StartListener.NONE);
  }

  private static Healthcheck shell(String command, int retries) {
    return new Healthcheck(List.of("CMD-SHELL", command), 0, 0, 0, 0, retries);
  }

  private String status(ContainerRecord r) throws BerthException {
    return engine.health(engine.inspect(r.id())).orElseThrow().status();
  }

  private List<String> healthEvents(ContainerRecord r) throws Exception {
    return engine.events().read().stream()
        .filter(e -> e.id().equals(r.id()) && e.action().startsWith("health_status"))
        .map(Event::action)
        .toList();
  }

  @Test
  void aProbeThatExitsZeroMakesTheContainerHealthyAndKeepsItsOutput() throws Exception {
    ContainerRecord r = running(IMAGE, shell("echo out; echo err >&2", 0));
    assertEquals(HealthState.STARTING, status(r), "before the first probe");
    HealthState s = engine.healthcheck(r.name());
    assertEquals(HealthState.HEALTHY, s.status());
    assertEquals(0, s.failingStreak());
    assertEquals(1, s.log().size());
    HealthState.Probe p = s.log().getFirst();
    assertEquals(0, p.exitCode());
    assertEquals("out\nerr\n", p.output(), "stdout and stderr together, as docker");
    assertFalse(p.end().isBefore(p.start()));
    assertEquals(HealthState.HEALTHY, status(r), "kept for inspect");
    engine.healthcheck(r.id());
    assertEquals(List.of("health_status: healthy"), healthEvents(r), "one event per change");
    try (Stream<Path> files = Files.list(engine.layout(r.id()).runDir())) {
      assertTrue(
          files.noneMatch(f -> f.getFileName().toString().startsWith("health-")),
          "no probe output left behind");
    }
  }

  @Test
  void aProbesOutputIsKeptToItsFirst4096Bytes() throws Exception {
    ContainerRecord r =
        running(IMAGE, shell("head -c 1000000 /dev/zero | tr '\\0' x; echo done >&2", 0));
    HealthState.Probe p = engine.healthcheck(r.id()).log().getFirst();
    assertEquals(0, p.exitCode(), p.output());
    assertEquals("x".repeat(4096), p.output(), "as docker: the head, the rest read and dropped");
  }

  @Test
  void failuresInARowUpToTheRetriesMakeItUnhealthyAndOneSuccessHealsIt() throws Exception {
    ContainerRecord r =
        running(IMAGE, new Healthcheck(List.of("CMD", "test", "-f", "/tmp/ok"), 0, 0, 0, 0, 2));
    HealthState s = engine.healthcheck(r.id());
    assertEquals(HealthState.STARTING, s.status(), "one failure of two allowed");
    assertEquals(1, s.failingStreak());
    assertEquals(1, s.log().getFirst().exitCode());
    s = engine.healthcheck(r.id());
    assertEquals(HealthState.UNHEALTHY, s.status());
    assertEquals(2, s.failingStreak());
    for (int i = 0; i < 5; i++) s = engine.healthcheck(r.id());
    assertEquals(HealthState.MAX_LOG, s.log().size(), "the last five probes");
    assertEquals(
        0,
        engine
            .exec(
                r.id(),
                dev.berth.engine.container.ExecOptions.of("touch", "/tmp/ok"),
                dev.berth.runtime.driver.Stdio.INHERIT,
                null)
            .exitCode());
    s = engine.healthcheck(r.id());
    assertEquals(HealthState.HEALTHY, s.status());
    assertEquals(0, s.failingStreak());
    assertEquals(List.of("health_status: unhealthy", "health_status: healthy"), healthEvents(r));
    // A stop keeps the last health for inspect; a start makes it "starting" again.
    engine.stop(r.id(), 0);
    assertEquals(HealthState.HEALTHY, status(r));
    ContainerRecord again = engine.start(r.id(), Engine.StartListener.NONE);
    HealthState restarted = engine.health(again).orElseThrow();
    assertEquals(HealthState.STARTING, restarted.status());
    assertEquals(0, restarted.failingStreak());
    assertEquals(HealthState.MAX_LOG, restarted.log().size(), "the log is kept over a restart");
  }

  @Test
  void aProbeBeyondItsTimeoutIsKilledAndFails() throws Exception {
    ContainerRecord r =
        running(IMAGE, new Healthcheck(List.of("CMD", "sleep", "77"), 0, 300_000_000L, 0, 0, 1));
    HealthState s = engine.healthcheck(r.id());
    assertEquals(HealthState.UNHEALTHY, s.status());
    HealthState.Probe p = s.log().getFirst();
    assertEquals(HealthState.PROBE_FAILED, p.exitCode());
    assertTrue(p.output().startsWith("Health check exceeded timeout"), p.output());
    // killed, not waited for: nothing of it runs in the container any more
    assertFalse(
        engine.top(r.id(), List.of()).toString().contains("sleep 77"),
        engine.top(r.id(), List.of()).toString());
  }

  @Test
  void failuresWithinTheStartPeriodDoNotCount() throws Exception {
    ContainerRecord r =
        running(IMAGE, new Healthcheck(List.of("CMD", "false"), 0, 0, 3600 * SECOND, 0, 1));
    for (int i = 0; i < 3; i++) {
      HealthState s = engine.healthcheck(r.id());
      assertEquals(HealthState.STARTING, s.status());
      assertEquals(0, s.failingStreak());
    }
    // without a start period the first failure counts
    ContainerRecord other = running(IMAGE, new Healthcheck(List.of("CMD", "false"), 0, 0, 0, 0, 1));
    assertEquals(HealthState.UNHEALTHY, engine.healthcheck(other.id()).status());
  }

  @Test
  void theImagesHealthcheckAppliesMergedFieldByFieldAndNoneDisablesIt() throws Exception {
    ContainerRecord base =
        running(IMAGE, new Healthcheck(List.of("CMD-SHELL", "exit 0"), 5 * SECOND, 0, 0, 0, 7));
    engine.commit(base.id(), new Commit.Options("localhost/healthy:1", null, null, null, false));
    assertEquals(
        new Healthcheck(List.of("CMD-SHELL", "exit 0"), 5 * SECOND, 0, 0, 0, 7),
        engine.imageConfig(engine.images().resolve("localhost/healthy:1")).config().healthcheck(),
        "kept in the image's config");

    ContainerRecord inherits = running("localhost/healthy:1", null);
    assertEquals(
        new Healthcheck(List.of("CMD-SHELL", "exit 0"), 5 * SECOND, 0, 0, 0, 7),
        inherits.options().healthcheck());
    assertEquals(HealthState.HEALTHY, engine.healthcheck(inherits.id()).status());

    ContainerRecord overrides =
        running("localhost/healthy:1", new Healthcheck(List.of(), 0, 2 * SECOND, 0, 0, 1));
    assertEquals(
        new Healthcheck(List.of("CMD-SHELL", "exit 0"), 5 * SECOND, 2 * SECOND, 0, 0, 1),
        engine.inspect(overrides.id()).options().healthcheck(),
        "the container's fields over the image's, kept in its record");

    ContainerRecord none = running("localhost/healthy:1", Healthcheck.NONE);
    assertTrue(engine.health(none).isEmpty());
    BerthException e = assertThrows(BerthException.class, () -> engine.healthcheck(none.id()));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category(), e.getMessage());
    assertFalse(Files.exists(engine.containers().containerDir(none.id()).resolve(HealthFile.NAME)));
  }

  @Test
  void aBadHealthcheckIsRefusedAtCreateNamingTheFieldAndLeavesNothing() throws Exception {
    int before = engine.containers().list().containers().size();
    for (Healthcheck bad :
        List.of(
            new Healthcheck(List.of("SHELL", "true"), 0, 0, 0, 0, 0),
            new Healthcheck(List.of("CMD"), 0, 0, 0, 0, 0),
            new Healthcheck(List.of("CMD", "true"), 1000, 0, 0, 0, 0))) {
      BerthException e =
          assertThrows(
              BerthException.class,
              () ->
                  engine.create(
                      new ContainerOptions.Builder(IMAGE)
                          .command(List.of("true"))
                          .healthcheck(bad)
                          .build()));
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
      assertTrue(e.getMessage().contains("Healthcheck"), e.getMessage());
    }
    assertEquals(before, engine.containers().list().containers().size());
  }
}
