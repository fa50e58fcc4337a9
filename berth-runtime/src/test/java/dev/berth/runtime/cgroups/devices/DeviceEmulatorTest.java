package dev.berth.runtime.cgroups.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.cgroups.CgroupException;
import dev.berth.spec.runtime.DeviceRule;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceEmulatorTest {
  static final int R = DevicePolicy.READ;
  static final int W = DevicePolicy.WRITE;
  static final int M = DevicePolicy.MKNOD;

  static DevicePolicy policy(DeviceRule... rules) throws CgroupException {
    DeviceEmulator e = new DeviceEmulator();
    for (int i = 0; i < rules.length; i++) e.apply(rules[i], "linux.resources.devices[" + i + "]");
    return e.policy();
  }

  static DeviceRule allow(String type, Long major, Long minor, String access) {
    return new DeviceRule(true, type, major, minor, access);
  }

  static DeviceRule deny(String type, Long major, Long minor, String access) {
    return new DeviceRule(false, type, major, minor, access);
  }

  @Test
  void startsAllowingEverything() throws Exception {
    assertTrue(policy().allowsAll());
  }

  @Test
  void denyAllThenAllowsKeepsOnlyTheAllowedAccess() throws Exception {
    DevicePolicy p = policy(deny("a", null, null, "rwm"), allow("c", 1L, 3L, "rw"));
    assertFalse(p.defaultAllow());
    assertEquals(List.of(new DevicePolicy.Entry('c', 1, 3, R | W)), p.exceptions());
    assertTrue(p.allows('c', 1, 3, R | W));
    assertTrue(p.allows('c', 1, 3, R));
    assertFalse(p.allows('c', 1, 3, M), "mknod was not granted");
    assertFalse(p.allows('c', 1, 3, R | M), "an allow must cover all the access asked for");
    assertFalse(p.allows('b', 1, 3, R), "the type is part of the match");
    assertFalse(p.allows('c', 1, 4, R));
  }

  @Test
  void typeAResetsWhateverItsNumbersAndAccess() throws Exception {
    DevicePolicy p =
        policy(deny("", null, null, ""), allow("c", 1L, 3L, "rwm"), allow("a", 1L, 3L, "r"));
    assertTrue(p.allowsAll(), "\"a\" is allow-all for the kernel, numbers or not");
    p = policy(allow("c", 1L, 3L, "rwm"), deny("a", null, null, "rwm"));
    assertFalse(p.defaultAllow());
    assertTrue(p.exceptions().isEmpty());
  }

  @Test
  void allowsForTheSameDevicesMergeTheirAccess() throws Exception {
    DevicePolicy p =
        policy(
            deny("a", null, null, null),
            allow("c", 1L, 3L, "r"),
            allow("c", 1L, 3L, "w"),
            allow("c", null, null, "m"));
    assertEquals(
        List.of(new DevicePolicy.Entry('c', 1, 3, R | W), new DevicePolicy.Entry('c', -1, -1, M)),
        p.exceptions());
  }

  @Test
  void laterDenyTakesAccessBackFromTheSameDevicesOnly() throws Exception {
    DevicePolicy p =
        policy(
            deny("a", null, null, "rwm"),
            allow("c", 1L, 3L, "rwm"),
            allow("c", null, null, "m"),
            deny("c", 1L, 3L, "w"),
            deny("c", 1L, 3L, "m"));
    assertTrue(p.allows('c', 1, 3, R));
    assertFalse(p.allows('c', 1, 3, W));
    // As on v1: the deny of c 1:3 m removes nothing from the c *:* m exception, which still grants
    // it.
    assertTrue(p.allows('c', 1, 3, M));
    p = policy(deny("a", null, null, "rwm"), allow("c", 1L, 3L, "rw"), deny("c", 1L, 3L, "rwm"));
    assertTrue(p.exceptions().isEmpty(), "an exception left with no access is dropped");
  }

  @Test
  void denyExceptionsOfAnAllowAllPolicyMatchPartially() throws Exception {
    DevicePolicy p = policy(allow("a", null, null, "rwm"), deny("c", 1L, 3L, "rw"));
    assertTrue(p.defaultAllow());
    assertFalse(p.allows('c', 1, 3, R));
    assertFalse(p.allows('c', 1, 3, R | M), "denied as soon as part of the access is denied");
    assertTrue(p.allows('c', 1, 3, M));
    assertTrue(p.allows('c', 1, 5, R | W));
    // and a later allow of the same devices takes the exception back: later rules win
    assertTrue(
        policy(allow("a", null, null, "rwm"), deny("c", 1L, 3L, "rw"), allow("c", 1L, 3L, "rwm"))
            .allowsAll());
  }

  @Test
  void negativeNumbersAreWildcards() throws Exception {
    DevicePolicy p = policy(deny("a", null, null, "rwm"), allow("b", -1L, 7L, "r"));
    assertEquals(List.of(new DevicePolicy.Entry('b', -1, 7, R)), p.exceptions());
    assertTrue(p.allows('b', 259, 7, R));
  }

  @Test
  void lettersOtherThanRwmAreIgnoredAsRuncIgnoresThem() throws Exception {
    // runc reads "rwa" as "rw" and "x" as no access at all; a spec that runs under runc runs here.
    DevicePolicy p =
        policy(deny("a", null, null, null), allow("c", 1L, 3L, "rwa"), allow("c", 1L, 5L, "x"));
    assertEquals(List.of(new DevicePolicy.Entry('c', 1, 3, R | W)), p.exceptions());
  }

  @Test
  void invalidRulesNameTheField() {
    assertEquals(
        "linux.resources.devices[0].type: must be a, b or c (got \"p\")",
        assertThrows(CgroupException.class, () -> policy(allow("p", 1L, 1L, "r"))).getMessage());
    assertEquals(
        "linux.resources.devices[0].minor: must be at most 4294967295 (got 4294967296)",
        assertThrows(CgroupException.class, () -> policy(allow("c", 1L, 1L << 32, "r")))
            .getMessage());
  }
}
