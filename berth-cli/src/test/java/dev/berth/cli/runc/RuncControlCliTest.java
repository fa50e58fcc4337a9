package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.JsonDocument;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pause, resume, events, update and features through the built bin/berth-runc: output shapes,
 * errors, exit codes.
 */
@RequiresRoot
class RuncControlCliTest {
  @TempDir Path tmp;
  String berth;
  Path root;
  Bundle bundle;
  String id;

  @BeforeEach
  void setUp() {
    berth = BerthRunc.launcher().toString();
    root = tmp.resolve("state");
    bundle = Bundle.busybox(tmp.resolve("bundle"));
    id = "ctl" + ProcessHandle.current().pid();
  }

  @AfterEach
  void tearDown() {
    cmd("delete", "--force", id);
  }

  private Exec.Result cmd(String... args) {
    return BerthRunc.runWithRoot(berth, bundle.dir(), root, args);
  }

  private void runDetached() {
    bundle.args("sleep", "30").write();
    // Detached containers keep our pipes open: give the container no stdio of ours.
    Exec.Result r =
        Exec.run(
            List.of(
                "sh",
                "-c",
                berth + " --root " + root + " run -d " + id + " </dev/null >/dev/null 2>&1"),
            bundle.dir(),
            Map.of(),
            null,
            30);
    assertEquals(0, r.exitCode(), r.toString());
  }

  private static void assertFails(Exec.Result r, String mention) {
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains(mention), "error should mention " + mention + ": " + r.stderr());
  }

  @Test
  void pauseAndResumeChangeTheStateAndRefuseTheWrongOne() {
    runDetached();
    cmd("pause", id).ok();
    assertTrue(cmd("state", id).ok().stdout().contains("\"status\": \"paused\""));
    assertFails(cmd("pause", id), "container not running");
    cmd("resume", id).ok();
    assertTrue(cmd("state", id).ok().stdout().contains("\"status\": \"running\""));
    assertFails(cmd("resume", id), "container not paused");
  }

  @Test
  void verbsOnAMissingContainerSayItDoesNotExist() {
    assertFails(cmd("pause", "nope"), "does not exist");
    assertFails(cmd("resume", "nope"), "does not exist");
    assertFails(cmd("update", "--memory", "64m", "nope"), "does not exist");
    assertFails(cmd("events", "--stats", "nope"), "does not exist");
  }

  @Test
  void eventsStatsPrintsOneJsonLineWithMemoryUsage() throws IOException {
    runDetached();
    Exec.Result r = cmd("events", "--stats", id).ok();
    List<String> lines = r.stdout().lines().toList();
    assertEquals(1, lines.size(), r.stdout());
    Map<?, ?> event = (Map<?, ?>) JsonDocument.parse(lines.get(0));
    assertEquals("stats", event.get("type"));
    assertEquals(id, event.get("id"));
    Map<?, ?> usage =
        (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) event.get("data")).get("memory")).get("usage");
    assertTrue(((Number) usage.get("usage")).longValue() > 0, lines.get(0));
  }

  @Test
  void updateWritesTheNewLimitsAndNamesWhatItCannotRead() throws IOException {
    runDetached();
    cmd("update", "--memory", "64m", "--pids-limit", "50", id).ok();
    Path memory = Path.of(memoryDir());
    assertEquals(
        Long.toString(64L << 20), Files.readString(memory.resolve("memory.limit_in_bytes")).trim());
    Path file = tmp.resolve("resources.json");
    Files.writeString(file, "{\"memory\": {\"limit\": 100663296}}");
    cmd("update", "-r", file.toString(), id).ok();
    assertEquals("100663296", Files.readString(memory.resolve("memory.limit_in_bytes")).trim());
    Files.writeString(file, "{\"memory\": {\"limit\": \"lots\"}}");
    assertFails(cmd("update", "-r", file.toString(), id), "memory.limit");
    assertFails(cmd("update", "--memory", "abc", id), "invalid value for memory");
    assertFails(cmd("update", "--l3-cache-schema", "L3:0=f", id), "not supported");
  }

  /**
   * The container's memory cgroup directory, from its state file (the layout is the runtime's
   * business).
   */
  private String memoryDir() throws IOException {
    String state = Files.readString(root.resolve(id).resolve("state.json"));
    Map<?, ?> paths = (Map<?, ?>) ((Map<?, ?>) JsonDocument.parse(state)).get("cgroupPaths");
    return (String) paths.get("memory");
  }

  @Test
  void featuresIsJsonListingOurNamespacesAndNoSystemd() throws IOException {
    Exec.Result r = BerthRunc.run(berth, tmp, "features").ok();
    Map<?, ?> doc = (Map<?, ?>) JsonDocument.parse(r.stdout());
    Map<?, ?> linux = (Map<?, ?>) doc.get("linux");
    assertEquals(
        List.of("cgroup", "ipc", "mount", "network", "pid", "user", "uts"),
        linux.get("namespaces"));
    assertEquals(false, ((Map<?, ?>) linux.get("cgroup")).get("systemd"));
    assertTrue(((List<?>) doc.get("mountOptions")).contains("rbind"));
    // tmpcopyup is listed because it is done (TmpCopyupTest), as are idmap and ridmap.
    assertTrue(
        ((List<?>) doc.get("mountOptions")).containsAll(List.of("tmpcopyup", "idmap", "ridmap")));
    assertTrue(((List<?>) linux.get("capabilities")).contains("CAP_SYS_ADMIN"));
    assertEquals(Map.of("enabled", true), linux.get("netDevices"));
    assertEquals(Map.of("enabled", false), linux.get("intelRdt"));
    assertEquals(true, ((Map<?, ?>) linux.get("cgroup")).get("rdma"));
    Map<?, ?> mpol = (Map<?, ?>) linux.get("memoryPolicy");
    assertTrue(((List<?>) mpol.get("modes")).contains("MPOL_INTERLEAVE"), mpol.toString());
    assertEquals(
        List.of("MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"),
        mpol.get("flags"));
  }
}
