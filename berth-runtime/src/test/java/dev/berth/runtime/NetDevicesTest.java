package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.CgroupTree;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * linux.netDevices on real network namespaces. The runtime runs on a thread in a network namespace
 * of the test's ("outer", standing for the host's), which holds the test's own veth devices (this
 * kernel has no dummy driver); the host's devices are never touched.
 */
@ContainerTest(id = "nd")
@RequiresCommand("ip")
class NetDevicesTest {
  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  String outer;
  String inner;

  @BeforeEach
  void namespaces() {
    outer = "berth-nd-" + ProcessHandle.current().pid() + "-outer";
    inner = "berth-nd-" + ProcessHandle.current().pid() + "-inner";
    Exec.run("ip", "netns", "add", outer).ok();
    Exec.run("ip", "netns", "add", inner).ok();
    ip(outer, "link add nd0 type veth peer name nd0p");
    ip(outer, "link set nd0 address 00:11:22:33:44:55 mtu 1789");
    ip(outer, "addr add 169.254.77.1/32 dev nd0");
    ip(outer, "addr add 2001:db8::7/64 dev nd0 nodad");
    ip(outer, "addr add 127.0.0.33/8 dev nd0"); // host scope: stays behind, as with runc
    ip(outer, "link set nd0 up");
    ip(outer, "link add nd1 type veth peer name nd1p");
  }

  @AfterEach
  void removeNamespaces() {
    // Deleting a namespace destroys the devices in it.
    Exec.run("ip", "netns", "del", outer);
    Exec.run("ip", "netns", "del", inner);
  }

  /**
   * What {@code ip addr show} says of a device, without its index: a device that goes to another
   * namespace and back may come back under a new one (when its index was taken there).
   */
  private static String device(String netns, String name) {
    return ip(netns, "addr show dev " + name).replaceFirst("^[0-9]+: ", "");
  }

  private static String ip(String netns, String args) {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("ip", "-n", netns));
    cmd.addAll(java.util.List.of(args.split(" ")));
    return Exec.run(cmd).ok().stdout();
  }

  private static Exec.Result ipMaybe(String netns, String args) {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("ip", "-n", netns));
    cmd.addAll(java.util.List.of(args.split(" ")));
    return Exec.run(cmd);
  }

  /** Runs {@code work} on a platform thread in the outer namespace: the runtime's namespace. */
  private <T> T inOuter(Callable<T> work) throws Exception {
    Object[] result = new Object[1];
    Exception[] failed = new Exception[1];
    Thread t =
        Thread.ofPlatform()
            .start(
                () -> {
                  try (Fd ns = Linux.open("/run/netns/" + outer, LinuxConstants.O_RDONLY, 0)) {
                    Linux.setns(ns, LinuxConstants.CLONE_NEWNET);
                    result[0] = work.call();
                  } catch (Exception e) {
                    failed[0] = e;
                  }
                });
    t.join();
    if (failed[0] != null) throw failed[0];
    @SuppressWarnings("unchecked")
    T r = (T) result[0];
    return r;
  }

  private void netDevices(Map<String, Object> devices) {
    bundle.linux().put("netDevices", devices);
  }

  @Test
  void theContainerHasTheDeviceRenamedWithItsAttributesAndGlobalAddressesAndItStaysThere()
      throws Exception {
    bundle.namespace("network", "/run/netns/" + inner);
    netDevices(Map.of("nd0", Map.of("name", "ctr0")));
    bundle.sh("busybox ip addr show dev ctr0 >/out/probe 2>&1").write();
    int code = inOuter(() -> rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    String probe = Files.readString(out.resolve("probe"));
    assertEquals(0, code, probe);
    assertTrue(probe.contains(": ctr0@") || probe.contains(": ctr0:"), probe);
    assertTrue(probe.contains(",UP"), probe);
    assertTrue(probe.contains("mtu 1789"), probe);
    assertTrue(probe.contains("link/ether 00:11:22:33:44:55"), probe);
    assertTrue(probe.contains("inet 169.254.77.1/32"), probe);
    assertTrue(probe.contains("inet6 2001:db8::7/64"), probe);
    assertFalse(probe.contains("127.0.0.33"), probe);

    // As runc: delete leaves the device with the namespace's owner; the runtime's has it no more.
    assertTrue(ip(inner, "addr show dev ctr0").contains("169.254.77.1/32"));
    assertTrue(ipMaybe(outer, "link show nd0").exitCode() != 0);
  }

  @Test
  void aDeviceInANamespaceOfTheContainersOwnGoesWithIt() throws Exception {
    netDevices(Map.of("nd0", Map.of()));
    bundle.sh("busybox ip addr show dev nd0 >/out/probe 2>&1").write();
    int code = inOuter(() -> rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    String probe = Files.readString(out.resolve("probe"));
    assertEquals(0, code, probe);
    assertTrue(probe.contains("inet 169.254.77.1/32"), probe);
    // The namespace ended with the container, and the kernel destroyed the virtual device in it.
    assertTrue(ipMaybe(outer, "link show nd0").exitCode() != 0);
  }

  @Test
  void refusedConfigsNameTheFieldAndLeaveEveryDeviceWhereItWas() throws Exception {
    String before = device(outer, "nd0");

    netDevices(Map.of("nope0", Map.of()));
    assertRefused(
        "linux.netDevices[nope0]: link not found for interface nope0 on runtime namespace");

    netDevices(Map.of("nd0", Map.of("name", "x0"), "nd1", Map.of("name", "x0")));
    assertRefused("linux.netDevices[nd1]: network device name \"x0\" is already taken");

    netDevices(Map.of("nd0", Map.of("name", "a/b")));
    assertRefused("linux.netDevices[nd0].name: invalid network device name \"a/b\"");

    bundle.withoutNamespace("network");
    netDevices(Map.of("nd0", Map.of()));
    assertRefused(
        "linux.netDevices: unable to move network devices without a private NET namespace");

    assertEquals(before, device(outer, "nd0"));
  }

  @Test
  void aCreateThatFailsAfterAMovePutsTheDeviceBackAsItWas() throws Exception {
    // nd0 moves first (in name order), then nd1's new name meets the namespace's own device.
    ip(inner, "link add taken0 type veth peer name taken0p");
    bundle.namespace("network", "/run/netns/" + inner);
    netDevices(Map.of("nd0", Map.of("name", "ctr0"), "nd1", Map.of("name", "taken0")));
    String before = device(outer, "nd0");
    String innerBefore = ip(inner, "link show");
    ContainerException e = assertRefused("fail to move network device nd1");
    assertTrue(
        e.getMessage().contains("File exists") || e.getMessage().contains("EEXIST"),
        e.getMessage());

    assertEquals(before, device(outer, "nd0"));
    ip(outer, "link show nd1");
    assertEquals(innerBefore, ip(inner, "link show"));
    assertTrue(
        CgroupTree.named(Path.of("/sys/fs/cgroup/pids"), 3, id::equals).isEmpty(),
        "no cgroup left");
  }

  @Test
  void aCreateRuntimeHookThatFailsSendsTheDeviceBackFromTheContainersOwnNamespace()
      throws Exception {
    // The hook runs once the device is in the container's namespace (as under runc): the
    // namespace dies with the init, so the rollback must bring the device back before the kill.
    netDevices(Map.of("nd0", Map.of("name", "ctr0")));
    bundle.hook(
        "createRuntime", "/bin/false", java.util.List.of("false"), java.util.List.of(), null);
    String before = device(outer, "nd0");
    assertRefused("createRuntime");
    assertEquals(before, device(outer, "nd0"));
  }

  private ContainerException assertRefused(String words) throws Exception {
    bundle.sh("true").write();
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () ->
                inOuter(
                    () -> {
                      rt.create(id, CreateOptions.of(bundle.dir()));
                      return null;
                    }));
    assertTrue(e.getMessage().contains(words), e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)), "state dir left");
    assertTrue(ip(outer, "link show nd1").contains("nd1"));
    return e;
  }
}
