package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.engine.store.ContainerRecord;
import dev.berth.spec.error.BerthException;
import dev.berth.testkit.Exec;
import java.nio.file.Path;
import java.util.List;

/** What the engine tests share: their image, and their teardown's check. */
public final class EngineTestSupport {
  private EngineTestSupport() {}

  /**
   * Imports the directory {@code rootfs} as {@code image}, through a tar written at {@code tar}.
   */
  public static void importRootfs(Engine engine, Path rootfs, Path tar, String image)
      throws Exception {
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    engine.images().importRootfs(tar, image, null);
  }

  /**
   * Removes every container of {@code engine} (forced, with its volumes), closes it, and asserts
   * that nothing stays mounted under {@code dir}.
   */
  public static void removeAllAndClose(Engine engine, Path dir) throws Exception {
    for (ContainerRecord r : engine.containers().list().containers()) {
      try {
        engine.remove(r.id(), true, true);
      } catch (BerthException e) {
        // gone
      }
    }
    engine.close();
    assertEquals(List.of(), EngineTest.mountsUnder(dir), "mounts left behind");
  }
}
