package dev.berth.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.cgroups.devices.DevicePolicy;
import dev.berth.spec.runtime.DeviceRule;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rules a v2 container's device program is compiled from: the same list, in the same order, as
 * on v1.
 */
class V2DevicePolicyTest {
  static final int RW = DevicePolicy.READ | DevicePolicy.WRITE;

  @Test
  void noRulesStillConfinesToTheDefaultDevices() throws Exception {
    DevicePolicy p = V2Resources.devicePolicy(null);
    assertFalse(p.defaultAllow());
    assertTrue(p.allows('c', 1, 3, RW), "/dev/null");
    assertTrue(p.allows('c', 136, 0, RW), "/dev/pts/0");
    assertTrue(p.allows('b', 8, 0, DevicePolicy.MKNOD), "mknod of any node");
    assertFalse(p.allows('b', 8, 0, DevicePolicy.READ), "a host disk");
    assertFalse(p.allows('c', 1, 11, DevicePolicy.READ), "/dev/kmsg");
  }

  @Test
  void specRulesComeBeforeTheDefaults() throws Exception {
    DevicePolicy p =
        V2Resources.devicePolicy(
            List.of(
                new DeviceRule(true, "c", 1L, 11L, "r"),
                new DeviceRule(false, "c", 1L, 3L, "rwm")));
    assertTrue(p.allows('c', 1, 11, DevicePolicy.READ));
    assertFalse(p.allows('c', 1, 11, DevicePolicy.WRITE));
    assertTrue(
        p.allows('c', 1, 3, RW),
        "the defaults are applied last and grant /dev/null again, as on v1");
    assertTrue(
        V2Resources.devicePolicy(List.of(new DeviceRule(true, "a", null, null, "rwm")))
            .defaultAllow(),
        "a privileged spec's allow-all stays allow-all: the defaults only add exceptions to a deny-all");
  }

  @Test
  void invalidRuleIsNamedByItsIndexInTheSpec() {
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () ->
                V2Resources.devicePolicy(
                    List.of(
                        new DeviceRule(true, "c", 1L, 11L, "r"),
                        new DeviceRule(true, "x", 1L, 3L, "r"))));
    assertEquals("linux.resources.devices[1].type: must be a, b or c (got \"x\")", e.getMessage());
  }
}
