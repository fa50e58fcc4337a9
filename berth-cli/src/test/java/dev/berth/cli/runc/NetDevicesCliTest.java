package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * linux.netDevices through bin/berth-runc, entered with nsenter into a network namespace of the
 * test's ("outer", the runtime's namespace here) that holds the test's own veth device: the host's
 * devices are never touched.
 */
@RequiresRoot
@RequiresCommand({"ip", "nsenter"})
class NetDevicesCliTest {
  @TempDir Path tmp;
  String berth;
  Path root;
  Bundle bundle;
  String id;
  String outer;
  String inner;

  @BeforeEach
  void setUp() {
    berth = BerthRunc.launcher().toString();
    root = tmp.resolve("state");
    bundle = Bundle.busybox(tmp.resolve("bundle"));
    id = "nd" + ProcessHandle.current().pid();
    outer = "berth-ndc-" + ProcessHandle.current().pid() + "-outer";
    inner = "berth-ndc-" + ProcessHandle.current().pid() + "-inner";
    Exec.run("ip", "netns", "add", outer).ok();
    Exec.run("ip", "netns", "add", inner).ok();
    Exec.run("ip", "-n", outer, "link", "add", "nd0", "type", "veth", "peer", "name", "nd0p").ok();
    Exec.run("ip", "-n", outer, "addr", "add", "169.254.78.1/32", "dev", "nd0").ok();
  }

  @AfterEach
  void tearDown() {
    runc("delete", "--force", id);
    Exec.run("ip", "netns", "del", outer);
    Exec.run("ip", "netns", "del", inner);
  }

  /** berth-runc in the outer namespace. */
  private Exec.Result runc(String... args) {
    List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + outer, berth));
    cmd.add("--root");
    cmd.add(root.toString());
    cmd.addAll(List.of(args));
    return Exec.run(cmd, bundle.dir(), Map.of(), null, 60);
  }

  @Test
  void runShowsTheDeviceUnderItsNewNameAndItStaysInTheJoinedNamespace() {
    bundle.args("busybox", "ip", "addr", "show", "dev", "ctr0");
    bundle.namespace("network", "/run/netns/" + inner);
    bundle.linux().put("netDevices", Map.of("nd0", Map.of("name", "ctr0")));
    bundle.write();
    Exec.Result r = runc("run", id).ok();
    assertTrue(r.stdout().contains("ctr0@"), r.toString());
    assertTrue(r.stdout().contains("inet 169.254.78.1/32"), r.toString());
    assertTrue(
        Exec.run("ip", "-n", inner, "addr", "show", "dev", "ctr0")
            .ok()
            .stdout()
            .contains("169.254.78.1/32"));
    assertNotEquals(0, Exec.run("ip", "-n", outer, "link", "show", "nd0").exitCode());
  }

  @Test
  void aContainerInTheRuntimesNetworkNamespaceIsRefusedWithRuncsWords() throws Exception {
    bundle.args("true");
    bundle.withoutNamespace("network");
    bundle.linux().put("netDevices", Map.of("nd0", Map.of()));
    bundle.write();
    Exec.Result r = runc("run", id);
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(
        r.stderr().contains("unable to move network devices without a private NET namespace"),
        r.toString());
    assertEquals("", runc("list", "-q").stdout().strip());
    assertFalse(Files.exists(root.resolve(id)));
    assertTrue(
        Exec.run("ip", "-n", outer, "addr", "show", "dev", "nd0")
            .ok()
            .stdout()
            .contains("169.254.78.1/32"));
  }
}
