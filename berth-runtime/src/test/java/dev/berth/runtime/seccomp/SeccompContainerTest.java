package dev.berth.runtime.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.ContainerTest;
import dev.berth.runtime.CreateOptions;
import dev.berth.runtime.Fixture;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.JsonDocument;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Filters loaded into real containers, with and without no_new_privs (two places in the plan, two
 * code paths).
 */
@ContainerTest(id = "sc")
class SeccompContainerTest {
  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  /**
   * Runs {@code script} in the container; returns its exit status and leaves its output in
   * out/probe.
   */
  private int run(boolean noNewPrivileges, String script) throws Exception {
    bundle.process().put("noNewPrivileges", noNewPrivileges);
    bundle.sh("(" + script + ") >/out/probe 2>&1").write();
    return rt.run(id, CreateOptions.of(bundle.dir()), false, false, null);
  }

  private String probe() throws IOException {
    return Files.readString(out.resolve("probe"));
  }

  private static Map<String, Object> denyMkdir(String action, Integer errno) {
    Map<String, Object> rule =
        Bundle.map("names", Bundle.list("mkdir", "mkdirat"), "action", action);
    if (errno != null) rule.put("errnoRet", errno);
    return Bundle.map("defaultAction", "SCMP_ACT_ALLOW", "syscalls", Bundle.list(rule));
  }

  @ParameterizedTest(name = "noNewPrivileges={0}")
  @ValueSource(booleans = {true, false})
  void aDeniedSyscallFailsWithTheRulesErrnoAndTheRestWorks(boolean nnp) throws Exception {
    bundle.linux().put("seccomp", denyMkdir("SCMP_ACT_ERRNO", 38));
    int code =
        run(
            nnp,
            "mkdir /tmp/x; echo mkdir=$?; ls / >/dev/null && echo ls-ok; grep -E '^Seccomp:' /proc/self/status");
    String probe = probe();
    assertEquals(0, code, probe);
    assertTrue(probe.contains("Function not implemented"), probe);
    assertTrue(probe.contains("mkdir=1\n"), probe);
    assertTrue(probe.contains("ls-ok\n"), probe);
    assertTrue(probe.contains("Seccomp:\t2\n"), probe);
  }

  @ParameterizedTest(name = "noNewPrivileges={0}")
  @ValueSource(booleans = {true, false})
  void theDefaultProfileRunsAShellAndDeniesWhatItLeavesOut(boolean nnp) throws Exception {
    // CAP_SYS_ADMIN, so that only the filter can refuse the mount.
    List<Object> caps =
        Bundle.list("CAP_SYS_ADMIN", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETUID", "CAP_SETGID");
    bundle
        .process()
        .put("capabilities", Bundle.map("bounding", caps, "effective", caps, "permitted", caps));
    String script =
        "echo ok; ls / >/dev/null && echo ls-ok; mount -t tmpfs none /tmp; echo mount=$?;"
            + " grep -E '^Seccomp:' /proc/self/status";

    assertEquals(0, run(nnp, script), probe());
    assertTrue(probe().contains("mount=0\n"), "without a filter the mount works: " + probe());
    rt.delete(id, true);

    bundle.linux().put("seccomp", defaultProfile());
    int code = run(nnp, script);
    String probe = probe();
    assertEquals(0, code, probe);
    assertTrue(probe.startsWith("ok\nls-ok\n"), probe);
    assertTrue(probe.contains("permission denied"), probe);
    assertFalse(probe.contains("mount=0\n"), probe);
    assertTrue(probe.contains("Seccomp:\t2\n"), probe);
  }

  @ParameterizedTest(name = "noNewPrivileges={0}")
  @ValueSource(booleans = {true, false})
  @SuppressWarnings("unchecked")
  void aProfileWithoutFaccessat2StillStartsTheContainer(boolean nnp) throws Exception {
    // Profiles written before glibc 2.33 do not list faccessat2, and their default errno refuses
    // it: the runtime's own
    // lookup of the executable must not depend on it (runc falls back to faccessat).
    Map<String, Object> profile = defaultProfile();
    for (Object rule : (List<Object>) profile.get("syscalls")) {
      ((List<Object>) ((Map<String, Object>) rule).get("names")).remove("faccessat2");
    }
    bundle.linux().put("seccomp", profile);
    // As a user, so the access check is a real one; the output directory must be theirs to write.
    Files.setPosixFilePermissions(
        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(
        out, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    bundle.process().put("user", Bundle.map("uid", 1000, "gid", 1000));
    int code = run(nnp, "echo started; grep -E '^Seccomp:' /proc/self/status");
    assertEquals(0, code, probe());
    assertEquals("started\nSeccomp:\t2\n", probe());
  }

  @ParameterizedTest(name = "noNewPrivileges={0}")
  @ValueSource(booleans = {true, false})
  void aLookupTheFilterRefusesIsNamedAsSuch(boolean nnp) throws Exception {
    // Without no_new_privs the filter is in force while the executable is looked up (as with runc):
    // a profile that
    // denies stat makes the lookup fail, and the error must say the lookup was refused, not that sh
    // is missing.
    Map<String, Object> profile =
        Bundle.map(
            "defaultAction",
            "SCMP_ACT_ALLOW",
            "syscalls",
            Bundle.list(
                Bundle.map(
                    "names",
                    Bundle.list("stat", "newfstatat", "statx", "fstatat64"),
                    "action",
                    "SCMP_ACT_ERRNO",
                    "errnoRet",
                    1)));
    bundle.linux().put("seccomp", profile);
    if (nnp) {
      // With no_new_privs the lookup comes before the filter: the process starts.
      assertEquals(0, run(true, "echo started"), probe());
      assertEquals("started\n", probe());
      return;
    }
    ContainerException e = assertThrows(ContainerException.class, () -> run(false, "true"));
    assertTrue(e.getMessage().contains("the lookup itself was refused"), e.getMessage());
    assertTrue(e.getMessage().contains("EPERM"), e.getMessage());
  }

  @ParameterizedTest(name = "noNewPrivileges={0}")
  @ValueSource(booleans = {true, false})
  void anArgumentRuleAllowsOnlyTheValuesItNames(boolean nnp) throws Exception {
    // personality(PER_LINUX) is allowed, personality(PER_LINUX32) is not.
    bundle
        .linux()
        .put(
            "seccomp",
            Bundle.map(
                "defaultAction",
                "SCMP_ACT_ALLOW",
                "syscalls",
                Bundle.list(
                    Bundle.map(
                        "names",
                        Bundle.list("personality"),
                        "action",
                        "SCMP_ACT_ERRNO",
                        "args",
                        Bundle.list(Bundle.map("index", 0, "value", 0, "op", "SCMP_CMP_NE"))))));
    int code =
        run(nnp, "/bin/busybox linux64 true; echo l64=$?; /bin/busybox linux32 true; echo l32=$?");
    String probe = probe();
    assertEquals(0, code, probe);
    assertTrue(probe.contains("l64=0\n"), probe);
    assertFalse(probe.contains("l32=0\n"), probe);
    assertTrue(probe.contains("Operation not permitted"), probe);
  }

  @ParameterizedTest(name = "noNewPrivileges={0}")
  @ValueSource(booleans = {true, false})
  void killProcessEndsTheContainerWithSigsys(boolean nnp) throws Exception {
    bundle.linux().put("seccomp", denyMkdir("SCMP_ACT_KILL_PROCESS", null));
    bundle.process().put("noNewPrivileges", nnp);
    bundle.args("mkdir", "/tmp/x").write();
    int code = rt.run(id, CreateOptions.of(bundle.dir()), false, false, null);
    assertEquals(128 + 31, code);
  }

  @Test
  void badProfilesAreRefusedAndLeaveNothingBehind() throws Exception {
    List<Map<String, Object>> bad =
        List.of(
            Bundle.map("defaultAction", "SCMP_ACT_SOMETIMES"),
            Bundle.map(
                "defaultAction",
                "SCMP_ACT_ALLOW",
                "syscalls",
                Bundle.list(
                    Bundle.map(
                        "names",
                        Bundle.list("read"),
                        "action",
                        "SCMP_ACT_ERRNO",
                        "args",
                        Bundle.list(Bundle.map("index", 0, "value", 1, "op", "SCMP_CMP_FOO"))))),
            Bundle.map(
                "defaultAction",
                "SCMP_ACT_ALLOW",
                "syscalls",
                Bundle.list(
                    Bundle.map(
                        "names",
                        Bundle.list("read"),
                        "action",
                        "SCMP_ACT_ERRNO",
                        "args",
                        Bundle.list(Bundle.map("index", 6, "value", 1, "op", "SCMP_CMP_EQ"))))),
            Bundle.map(
                "defaultAction",
                "SCMP_ACT_ALLOW",
                "listenerPath",
                "/run/agent.sock",
                "syscalls",
                Bundle.list(
                    Bundle.map("names", Bundle.list("mkdir"), "action", "SCMP_ACT_NOTIFY"))));
    List<String> fields =
        List.of(
            "linux.seccomp.defaultAction",
            "linux.seccomp.syscalls[0].args[0].op",
            "linux.seccomp.syscalls[0].args[0].index",
            "linux.seccomp.listenerPath");
    for (int i = 0; i < bad.size(); i++) {
      bundle.linux().put("seccomp", bad.get(i));
      bundle.sh("true").write();
      var e =
          assertThrows(
              ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
      assertTrue(e.getMessage().contains(fields.get(i)), e.getMessage());
      assertFalse(Files.exists(rt.root().resolve(id)), "state dir of a refused create");
      assertTrue(rt.list().isEmpty());
    }
  }

  // ---- the profile resource, as the maps Bundle writes ----

  static Map<String, Object> defaultProfile() throws IOException {
    try (InputStream in = SeccompContainerTest.class.getResourceAsStream("default-profile.json")) {
      return JsonDocument.object(JsonDocument.parse(in.readAllBytes()));
    }
  }
}
