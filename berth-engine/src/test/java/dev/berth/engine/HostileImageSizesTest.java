package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState;
import dev.berth.spec.error.BerthException;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.RequiresRoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An environment, labels and command of megabytes (what an image config of up to the 8 MiB bound
 * may carry, merged with the user's): the container's start fails with a clear error when the
 * kernel refuses the exec, nothing is left running, and the engine goes on.
 */
@RequiresRoot
class HostileImageSizesTest {
  static final String IMAGE = EngineTest.IMAGE;

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

  static ContainerOptions huge(int entries, int bytes) {
    List<String> env = new ArrayList<>();
    for (int i = 0; i < entries; i++) env.add("V" + i + "=" + "x".repeat(bytes));
    Map<String, String> labels = new java.util.HashMap<>();
    for (int i = 0; i < 20_000; i++) labels.put("l" + i, "y".repeat(100));
    return new ContainerOptions.Builder(IMAGE)
        .command(List.of("true"))
        .env(env)
        .labels(labels)
        .build();
  }

  /**
   * 4.5 MB of environment: past the bound of the plan berth-init is handed, refused at start naming
   * the cause.
   */
  @Test
  void anEnvironmentPastThePlansBoundIsRefusedAtStart() throws Exception {
    ContainerRecord r = engine.create(huge(50_000, 90));
    BerthException e =
        assertThrows(BerthException.class, () -> engine.start(r.id(), Engine.StartListener.NONE));
    assertTrue(e.getMessage().contains("environment or arguments too large"), e.getMessage());
    assertTrue(e.getMessage().length() < 2000, e.getMessage().length() + " chars");
    // the bundle's fault, not the engine's
    assertEquals(dev.berth.spec.error.ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
    engine.remove(r.id(), true, true);
    theEngineGoesOn();
  }

  /**
   * 2.5 MB: within the plan's bound, past the kernel's exec limit (a quarter of an 8 MB stack). The
   * exec fails after start has returned (as under runc): the container ends with 1 and its log says
   * why in runc's words, as runc 1.1's init prints it there.
   */
  @Test
  void anEnvironmentPastTheKernelsExecLimitEndsTheContainerWithTheReasonInItsLog()
      throws Exception {
    ContainerRecord r = engine.create(huge(40_000, 60));
    try {
      engine.start(r.id(), Engine.StartListener.NONE);
    } catch (BerthException e) {
      assertTrue(e.getMessage().toLowerCase().contains("argument list too long"), e.getMessage());
    }
    for (int i = 0;
        i < 100 && engine.inspect(r.id()).state().status() != ContainerState.Status.EXITED;
        i++) {
      Thread.sleep(50);
    }
    assertEquals(1, engine.inspect(r.id()).state().exitCode());
    Path log = Engine.logPath(engine.inspect(r.id()), engine.layout(r.id()));
    StringBuilder said = new StringBuilder();
    try (var f = dev.berth.runtime.monitor.CriLog.reader(log, null, -1)) {
      for (var b = f.poll(); !b.isEmpty(); b = f.poll()) {
        for (var e : b) said.append(new String(e.text(), StandardCharsets.UTF_8)).append('\n');
      }
    }
    assertTrue(
        said.toString().matches("(?s)exec /\\S*true: argument list too long\n"), said.toString());
    engine.remove(r.id(), true, true);
    theEngineGoesOn();
  }

  void theEngineGoesOn() throws Exception {
    ContainerRecord ok =
        engine.create(new ContainerOptions.Builder(IMAGE).command(List.of("true")).build());
    engine.start(ok.id(), Engine.StartListener.NONE);
    assertEquals(1, engine.list().size());
  }

  /**
   * An image's ExposedPorts keys that are no port (out of range, negative, a range, another
   * protocol, a newline, a huge number) are left out, never an error of the user's run nor a host
   * port; sound ones are kept, sorted and deduplicated.
   */
  @Test
  void anImagesExposedPortsThatAreNoPortAreLeftOut() {
    java.util.Set<String> image = new java.util.LinkedHashSet<>();
    image.addAll(
        List.of(
            "0/tcp",
            "65536/tcp",
            "-1/tcp",
            "99999999999999999999/tcp",
            "1-65535/tcp",
            "80/icmp",
            "80/tcp\n",
            "80/",
            "/tcp",
            "",
            "8080",
            "53/udp",
            "8080/tcp"));
    assertEquals(List.of("53/udp", "8080/tcp"), ContainerViews.exposed(image, List.of()));
  }
}
