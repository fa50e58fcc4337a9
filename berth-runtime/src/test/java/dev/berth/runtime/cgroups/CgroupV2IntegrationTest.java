package dev.berth.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cgroup manager contract on the v2 manager on the host's cgroup2 hierarchy: the whole host on
 * a unified host, the tracking hierarchy at /sys/fs/cgroup/unified on a hybrid one (few or no
 * resource controllers there: the cases that need one are skipped, naming it; the core files are
 * the same), and what only v2 does.
 */
class CgroupV2IntegrationTest extends CgroupManagerContract {
  @Override
  CgroupManager manager(String cgroupsPath) throws IOException {
    CgroupLayout layout = CgroupLayout.current();
    assumeTrue(layout.unified() != null, "no cgroup2 hierarchy on this host");
    // create() delegates every available controller down the path: take back at the root what it
    // added.
    host.restoreDelegation(layout.unified().mountPoint());
    Path dir = layout.resolve(cgroupsPath, host.id).get(CgroupLayout.UNIFIED_KEY);
    return host.track(new V2CgroupManager(CgroupFiles.REAL, dir, Cgroups.SYS_HUGEPAGES));
  }

  @Test
  void oneDirectoryKeyedByTheEmptyStringAndTheFreezerReportedInCgroupEvents() throws Exception {
    CgroupManager cg = created();
    Path dir = Path.of(cg.paths().get(""));
    assertEquals(Map.of("", dir.toString()), cg.paths(), "runc's state.json shape for cgroup v2");
    cg.addProcess((int) host.sleeper().pid());
    cg.freeze();
    assertTrue(Files.readString(dir.resolve("cgroup.events")).contains("frozen 1"));
    cg.thaw();
    assertTrue(Files.readString(dir.resolve("cgroup.events")).contains("frozen 0"));
  }
}
