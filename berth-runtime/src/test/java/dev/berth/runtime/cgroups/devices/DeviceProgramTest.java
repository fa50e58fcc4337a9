package dev.berth.runtime.cgroups.devices;

import static dev.berth.runtime.cgroups.devices.DeviceEmulatorTest.allow;
import static dev.berth.runtime.cgroups.devices.DeviceEmulatorTest.deny;
import static dev.berth.runtime.cgroups.devices.DeviceEmulatorTest.policy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.runtime.DeviceRule;
import dev.berth.testkit.RequiresRoot;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeviceProgramTest {
  static final int BLOCK = 1;
  static final int CHAR = 2;
  static final long[] NUMBERS = {0, 1, 3, 5, 7, 8, 136, 200, 0x7fffffffL, 0x80000000L, 0xffffffffL};

  static long decide(long[] program, char type, long major, long minor, int access) {
    return BpfInterpreter.run(program, type == 'b' ? BLOCK : CHAR, access, major, minor);
  }

  /**
   * Every request over a grid of types, numbers and access: the program decides as the policy does.
   */
  static void assertSameDecisions(DevicePolicy p) {
    long[] program = DeviceProgram.compile(p);
    for (char type : new char[] {'b', 'c'}) {
      for (long major : NUMBERS) {
        for (long minor : NUMBERS) {
          for (int access = 1; access <= DevicePolicy.ALL; access++) {
            long want = p.allows(type, major, minor, access) ? 1 : 0;
            long got = decide(program, type, major, minor, access);
            if (got != want) {
              assertEquals(
                  want, got, p + ": " + type + " " + major + ":" + minor + " access " + access);
            }
          }
        }
      }
    }
  }

  @Test
  void containerDefaultsAllowTheRuntimesNodesAndMknodOnly() throws Exception {
    // what V2Resources.devicePolicy gives a spec without rules: deny all, then runc's default
    // allowed devices
    List<DeviceRule> rules =
        new ArrayList<>(
            List.of(
                deny("a", null, null, "rwm"),
                allow("c", null, null, "m"),
                allow("b", null, null, "m")));
    for (long[] d :
        new long[][] {
          {1, 3}, {1, 8}, {1, 7}, {5, 0}, {1, 5}, {1, 9}, {136, -1}, {5, 2}, {10, 200}
        }) {
      rules.add(allow("c", d[0], d[1] < 0 ? null : d[1], "rwm"));
    }
    DevicePolicy p = policy(rules.toArray(new DeviceRule[0]));
    long[] program = DeviceProgram.compile(p);
    int rw = DevicePolicy.READ | DevicePolicy.WRITE;
    assertEquals(1, decide(program, 'c', 1, 3, rw), "/dev/null");
    assertEquals(1, decide(program, 'c', 136, 42, rw), "a pts");
    assertEquals(1, decide(program, 'c', 10, 200, rw), "/dev/net/tun");
    assertEquals(1, decide(program, 'b', 8, 0, DevicePolicy.MKNOD), "mknod of anything");
    assertEquals(0, decide(program, 'b', 8, 0, DevicePolicy.READ), "a host disk");
    assertEquals(0, decide(program, 'c', 1, 1, DevicePolicy.READ), "/dev/mem");
    assertEquals(0, decide(program, 'c', 10, 229, rw), "/dev/fuse");
    assertEquals(0, decide(program, 'c', 3, 1, rw), "c 1:3's numbers swapped");
    assertSameDecisions(p);
  }

  @Test
  void denyListDeniesPartialAccessAndAllowsTheRest() throws Exception {
    DevicePolicy p =
        policy(allow("a", null, null, "rwm"), deny("c", 1L, 3L, "rw"), deny("b", 8L, null, "w"));
    long[] program = DeviceProgram.compile(p);
    assertEquals(0, decide(program, 'c', 1, 3, DevicePolicy.READ));
    assertEquals(1, decide(program, 'c', 1, 3, DevicePolicy.MKNOD));
    assertEquals(0, decide(program, 'b', 8, 16, DevicePolicy.READ | DevicePolicy.WRITE));
    assertEquals(1, decide(program, 'b', 8, 16, DevicePolicy.READ));
    assertEquals(1, decide(program, 'c', 8, 16, DevicePolicy.WRITE));
    assertSameDecisions(p);
  }

  @Test
  void numbersAboveTwoToThe31AreComparedUnsigned() throws Exception {
    DevicePolicy p =
        policy(deny("a", null, null, "rwm"), allow("c", 0xffffffffL, 0x80000000L, "r"));
    long[] program = DeviceProgram.compile(p);
    assertEquals(1, decide(program, 'c', 0xffffffffL, 0x80000000L, DevicePolicy.READ));
    assertEquals(0, decide(program, 'c', 0xffffffffL, 0, DevicePolicy.READ));
    assertSameDecisions(p);
  }

  @Test
  void policiesWithoutExceptionsAreAConstant() throws Exception {
    assertSameDecisions(policy());
    assertSameDecisions(policy(deny("a", null, null, "rwm")));
  }

  @Test
  void randomRuleListsDecideAsTheEmulatedV1Controller() throws Exception {
    for (DevicePolicy p : randomPolicies(300)) assertSameDecisions(p);
  }

  @Test
  @RequiresRoot
  void theVerifierAcceptsEveryGeneratedProgram() throws Exception {
    List<DevicePolicy> all = new ArrayList<>(randomPolicies(60));
    all.add(policy());
    all.add(policy(deny("a", null, null, "rwm")));
    all.add(policy(deny("a", null, null, "rwm"), allow("c", 0xffffffffL, 0x80000000L, "r")));
    for (DevicePolicy p : all) DeviceFilter.verify(DeviceProgram.compile(p));
  }

  /** Lists of up to 30 rules over few numbers, so later rules often meet earlier ones. */
  static List<DevicePolicy> randomPolicies(int count) throws Exception {
    Random rnd = new Random(20261123);
    String[] types = {"a", "b", "c", "c", "c", "b"};
    String[] access = {"r", "w", "m", "rw", "rm", "wm", "rwm", ""};
    Long[] numbers = {null, 1L, 3L, 8L, 136L, 0xffffffffL};
    List<DevicePolicy> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int n = rnd.nextInt(30);
      DeviceRule[] rules = new DeviceRule[n];
      for (int j = 0; j < n; j++) {
        // "a" rules are rare, or they would wipe out everything before them
        String type = rnd.nextInt(10) == 0 ? "a" : types[1 + rnd.nextInt(types.length - 1)];
        rules[j] =
            new DeviceRule(
                rnd.nextBoolean(),
                type,
                numbers[rnd.nextInt(numbers.length)],
                numbers[rnd.nextInt(numbers.length)],
                access[rnd.nextInt(access.length)]);
      }
      DevicePolicy p = policy(rules);
      out.add(p);
    }
    assertTrue(
        out.stream().anyMatch(p -> p.exceptions().size() > 3),
        "the random lists make non-trivial policies");
    return out;
  }
}
