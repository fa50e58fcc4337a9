package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runtime handlers from the configuration file: the engine registers them when it opens, a
 * container names one and runs on it (runc on the state root the file gives, berth's runtime under
 * another name), and a bad file stops the engine from opening, before it makes anything.
 */
@RequiresRoot
@RequiresCommand("runc")
class ConfiguredRuntimesTest {
  static final String IMAGE = EngineTest.IMAGE;

  @TempDir Path tmp;
  Engine engine;

  @AfterEach
  void tearDown() throws Exception {
    if (engine == null) return;
    for (ContainerRecord r : engine.containers().list().containers()) {
      engine.remove(r.id(), true, true);
    }
    engine.close();
    assertEquals(List.of(), EngineTest.mountsUnder(tmp), "mounts left behind");
  }

  @Test
  void containersRunOnTheHandlersTheFileConfigures() throws Exception {
    Path runcState = tmp.resolve("runc-state");
    Path ownState = tmp.resolve("own-state");
    Path file = tmp.resolve("berth.toml");
    Path argsSeen = tmp.resolve("args");
    Path wrapper = tmp.resolve("runc-wrapper");
    Files.writeString(wrapper, "#!/bin/sh\necho \"$@\" >> " + argsSeen + "\nexec runc \"$@\"\n");
    Files.setPosixFilePermissions(
        wrapper, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Files.writeString(
        file,
        """
        # runc with a state root of its own, and berth's runtime under a second name
        [runtimes.runc]
        runtime = "runc"
        root = "%s"

        [runtimes.sandboxed]
        runtime = "berth"
        root = "%s"

        # a binary by its path, its options before every verb
        [runtimes.wrapped]
        runtime = "%s"
        options = ["--debug"]
        """
            .formatted(runcState, ownState, wrapper));
    EngineConfig config =
        EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")).withConfigFile(file);
    engine = Engine.open(config);
    assertTrue(
        engine.runtimes().names().contains("sandboxed"), engine.runtimes().names()::toString);
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("busybox.tar"), IMAGE);

    ContainerRecord onRunc = start("runc");
    assertEquals("runc", onRunc.runtime());
    String state =
        Exec.run("runc", "--root", runcState.toString(), "state", onRunc.id()).ok().stdout();
    assertTrue(state.contains("\"status\": \"running\""), state);
    assertEquals(Status.RUNNING, engine.inspect(onRunc.id()).state().status());

    ContainerRecord own = start("sandboxed");
    assertTrue(Files.isDirectory(ownState.resolve(own.id())), "its state is under the file's root");
    assertEquals(Status.RUNNING, engine.inspect(own.id()).state().status());

    ContainerRecord wrapped = start("wrapped");
    assertEquals(Status.RUNNING, engine.inspect(wrapped.id()).state().status());
    List<String> creates =
        Files.readAllLines(argsSeen).stream().filter(l -> l.contains(" create ")).toList();
    assertEquals(1, creates.size(), creates::toString);
    assertTrue(
        creates.get(0).matches("--root \\S+ --log \\S+ --log-format json --debug create .*"),
        creates.get(0));

    // Another engine on the same store and file (a second berth process) drives them too.
    try (Engine other = Engine.open(config)) {
      other.stop(onRunc.id(), 1);
      other.stop(own.id(), 1);
    }
    assertEquals(Status.EXITED, engine.inspect(onRunc.id()).state().status());

    // The monitors' cleanup command reads the same file.
    List<String> cleanup = config.withCleanupBy(Path.of("/usr/bin/berth")).exitCommand();
    int at = cleanup.indexOf("--config");
    assertTrue(at > 0 && cleanup.get(at + 1).equals(file.toString()), cleanup::toString);
  }

  private ContainerRecord start(String runtime) throws BerthException {
    ContainerRecord r =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(List.of("sleep", "100"))
                .network("none")
                .runtime(runtime)
                .build());
    return engine.start(r.id(), Engine.StartListener.NONE);
  }

  @Test
  void aBadFileStopsTheEngineFromOpeningAndMakesNothing() throws Exception {
    Path file = tmp.resolve("berth.toml");
    Files.writeString(file, "[runtimes.runc]\nruntime = \"runc\"\nroot = 5\n");
    EngineConfig config =
        EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")).withConfigFile(file);
    BerthException e = assertThrows(BerthException.class, () -> Engine.open(config));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    assertEquals(file + ":3: runtimes.runc.root: a string, not an integer", e.getMessage());
    // A name the runtime refuses: the file and the handler named.
    Files.writeString(file, "[runtimes.\"bad/name\"]\nruntime = \"runc\"\n");
    e = assertThrows(BerthException.class, () -> Engine.open(config));
    assertTrue(e.getMessage().startsWith(file + ": runtimes.bad/name: "), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("root")), "no store made");
    assertFalse(Files.exists(tmp.resolve("run")), "no run root made");
  }
}
