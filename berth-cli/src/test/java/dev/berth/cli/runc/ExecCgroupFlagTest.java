package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.runtime.ContainerException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** runc's exec --cgroup [<controller>[,<controller>...]:]<path>, read as runc reads it. */
class ExecCgroupFlagTest {
  @Test
  void aPathAloneIsForEveryController() throws Exception {
    assertEquals(Map.of("", "sub"), ExecVerb.subCgroups(List.of("sub")));
  }

  @Test
  void controllersNameTheirOwn() throws Exception {
    assertEquals(
        Map.of("cpu", "a", "cpuacct", "a", "memory", "b/c"),
        ExecVerb.subCgroups(List.of("cpu,cpuacct:a", "memory:b/c")));
  }

  @Test
  void malformedArgumentsAreRefusedWithRuncsWords() {
    assertEquals(
        "invalid --cgroup argument: a:b:c",
        assertThrows(ContainerException.class, () -> ExecVerb.subCgroups(List.of("a:b:c")))
            .getMessage());
    assertEquals(
        "invalid --cgroup argument: sub (missing <controller>: prefix)",
        assertThrows(
                ContainerException.class, () -> ExecVerb.subCgroups(List.of("memory:x", "sub")))
            .getMessage());
  }
}
