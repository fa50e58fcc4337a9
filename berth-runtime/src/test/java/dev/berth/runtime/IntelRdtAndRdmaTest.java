package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.CgroupTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * linux.intelRdt and linux.resources.rdma on a host without resctrl or the rdma controller (this
 * one): refused as runc refuses them, with the field named and nothing left behind.
 */
@ContainerTest(id = "rd")
class IntelRdtAndRdmaTest {
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  private void assertRefused(String words) throws Exception {
    bundle.sh("true").write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains(words), e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)), "state dir left");
    assertTrue(
        CgroupTree.named(Path.of("/sys/fs/cgroup/pids"), 3, id::equals).isEmpty(),
        "no cgroup left");
  }

  @Test
  void intelRdtWithoutResctrlIsRefused() throws Exception {
    Assumptions.assumeFalse(
        Files.readString(Path.of("/proc/self/mountinfo")).contains(" - resctrl "),
        "resctrl is mounted here");
    bundle.linux().put("intelRdt", Map.of("closID", "berth-test", "l3CacheSchema", "L3:0=f"));
    assertRefused(
        "linux.intelRdt: intelRdt is specified in config, but Intel RDT is not supported or"
            + " enabled");
  }

  @Test
  void rdmaLimitsWithoutTheControllerAreRefused() throws Exception {
    Assumptions.assumeFalse(
        Files.readString(Path.of("/proc/cgroups")).contains("rdma"), "rdma controller present");
    Map<String, Object> resources = new java.util.HashMap<>();
    Object existing = bundle.linux().get("resources");
    if (existing instanceof Map<?, ?> m)
      for (var e : m.entrySet()) resources.put((String) e.getKey(), e.getValue());
    resources.put("rdma", Map.of("mlx5_1", Map.of("hcaHandles", 3)));
    bundle.linux().put("resources", resources);
    assertRefused("linux.resources.rdma: the rdma controller is not mounted");
  }
}
