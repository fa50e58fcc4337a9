package dev.berth.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The v2 manager on the host's cgroup2 hierarchy: the whole host on a unified host, the tracking hierarchy at
 * /sys/fs/cgroup/unified on a hybrid one (no resource controllers there, but the core files are the same).
 */
@RequiresRoot
class CgroupV2IntegrationTest {
  final CgroupHost host = new CgroupHost();

  @AfterEach
  void cleanUp() throws Exception {
    host.close();
  }

  @Test
  void processesAreTrackedFrozenThawedAndRemoved() throws Exception {
    CgroupLayout layout = CgroupLayout.current();
    assumeTrue(layout.unified() != null, "no cgroup2 hierarchy on this host");
    Path dir = layout.resolve(null, host.id).get("");
    Path root = layout.unified().mountPoint();
    host.restoreDelegation(root);
    CgroupManager cg = host.track(new V2CgroupManager(CgroupFiles.REAL, dir, Cgroups.SYS_HUGEPAGES));
    cg.create();
    assertTrue(Files.isDirectory(dir));
    assertEquals(Map.of("", dir.toString()), cg.paths());
    assertTrue(Cgroups.load(cg.paths()) instanceof V2CgroupManager, "state.json paths load the v2 driver again");

    Process p = host.sleeper();
    int pid = (int) p.pid();
    cg.addProcess(pid);
    assertEquals(List.of(pid), cg.pids());

    cg.freeze();
    assertTrue(cg.isFrozen());
    assertTrue(Files.readString(dir.resolve("cgroup.events")).contains("frozen 1"));
    cg.thaw();
    assertFalse(cg.isFrozen());
    assertTrue(Files.readString(dir.resolve("cgroup.events")).contains("frozen 0"));
    assertFalse(cg.oomKilled());

    CgroupHost.kill(p);
    cg.destroy();
    assertFalse(Files.exists(dir));
    cg.destroy();
  }
}
