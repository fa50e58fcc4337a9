package dev.berth.runtime.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.create.PlanCompiler;
import dev.berth.runtime.plan.Op;
import dev.berth.runtime.plan.Plan;
import dev.berth.spec.runtime.SpecReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where the filter goes in the plan: the kernel lets only CAP_SYS_ADMIN load one without
 * no_new_privs.
 */
class SeccompPlacementTest {
  static final PlanCompiler.HostFacts HOST = new PlanCompiler.HostFacts(40, false, List.of("/"));

  static List<Class<?>> ops(boolean nnp, boolean seccomp) throws Exception {
    String json =
        """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
         "process": {"args": ["/bin/sh"], "cwd": "/", "noNewPrivileges": %s,
                     "capabilities": {"bounding": ["CAP_KILL"], "permitted": ["CAP_KILL"]}},
         "linux": {"namespaces": [{"type": "mount"}] %s}}"""
            .formatted(
                nnp, seccomp ? ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"}" : "");
    var spec = SpecReader.parse(json.getBytes(StandardCharsets.UTF_8), "config.json");
    Path b = Path.of("/b");
    Plan plan =
        PlanCompiler.compile(
            spec,
            new PlanCompiler.Context(
                "c1",
                b,
                b.resolve("rootfs"),
                Path.of("/run/c1/exec.fifo"),
                false,
                false,
                0,
                Map.of(),
                HOST));
    return plan.ops().stream().<Class<?>>map(Object::getClass).toList();
  }

  @Test
  void withoutNoNewPrivsTheFilterIsLoadedBeforeCapabilitiesAreDropped() throws Exception {
    List<Class<?>> ops = ops(false, true);
    int filter = ops.indexOf(Op.Seccomp.class);
    assertTrue(filter > 0 && filter == ops.lastIndexOf(Op.Seccomp.class), ops.toString());
    assertTrue(filter < ops.indexOf(Op.CapsBounding.class), ops.toString());
    assertTrue(filter < ops.indexOf(Op.Setresuid.class), ops.toString());
  }

  @Test
  void withNoNewPrivsTheFilterIsLoadedAfterItAndBeforeReady() throws Exception {
    List<Class<?>> ops = ops(true, true);
    int filter = ops.indexOf(Op.Seccomp.class);
    // After no_new_privs and the executable's lookup (which a profile may deny), right before
    // READY.
    assertEquals(ops.indexOf(Op.NoNewPrivs.class) + 2, filter, ops.toString());
    assertEquals(ops.indexOf(Op.ResolveExec.class) + 1, filter, ops.toString());
    assertTrue(filter < ops.indexOf(Op.Ready.class), ops.toString());
    assertTrue(filter > ops.indexOf(Op.Capset.class), ops.toString());
  }

  @Test
  void noSeccompSectionNoFilter() throws Exception {
    assertTrue(!ops(true, false).contains(Op.Seccomp.class));
  }
}
