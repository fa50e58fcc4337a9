package dev.berth.runtime.create;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.plan.PlanText;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where the plan puts linux.personality, linux.memoryPolicy, process.scheduler, process.ioPriority
 * and process.execCPUAffinity: while still root, before any seccomp filter, and the affinity around
 * the cgroup transition as runc does.
 */
class SchedulingPlanTest {
  private static final String SPEC =
      """
      {"ociVersion": "1.2.0", "root": {"path": "rootfs"},
       "process": {"args": ["sh"], "cwd": "/", "noNewPrivileges": %s,
         "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
         "scheduler": {"policy": "SCHED_BATCH", "nice": 19},
         "execCPUAffinity": {"initial": "0", "final": "1,3"}},
       "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}],
                 "resources": {"cpu": {"cpus": "%s"}},
                 "personality": {"domain": "LINUX32"},
                 "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0-1",
                                  "flags": ["MPOL_F_STATIC_NODES"]},
                 "seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                             "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO"}]}}}""";

  private static Spec spec(boolean nnp, String cpus) throws Exception {
    return SpecReader.parse(
        String.format(SPEC, nnp, cpus).getBytes(StandardCharsets.UTF_8), "config.json");
  }

  private static PlanCompiler.Context ctx() {
    return new PlanCompiler.Context(
        "c1",
        Path.of("/b"),
        Path.of("/b/rootfs"),
        Path.of("/run/berth-runc/c1/exec.fifo"),
        false,
        false,
        0,
        PlanCompilerTest.CGROUPS,
        PlanCompilerTest.HOST);
  }

  private static List<String> names(String text) {
    return text.lines().map(l -> l.split(" ")[1]).toList();
  }

  @Test
  void theFieldsApplyAsRootBeforeEitherSeccompPlacement() throws Exception {
    for (boolean nnp : List.of(true, false)) {
      String text = PlanText.render(PlanCompiler.compile(spec(nnp, ""), ctx()));
      List<String> ops = names(text);
      int seccomp = ops.indexOf("seccomp");
      int setresuid = ops.lastIndexOf("setresuid");
      for (String op : List.of("personality", "set-mempolicy", "sched-setattr", "ioprio-set")) {
        int at = ops.indexOf(op);
        assertTrue(at > ops.indexOf("chdir") && at < seccomp && at < setresuid, op + "\n" + text);
      }
      assertTrue(text.contains(" personality LINUX32\n"), text);
      assertTrue(
          text.contains(" set-mempolicy MPOL_INTERLEAVE|MPOL_F_STATIC_NODES nodes=[0, 1]\n"), text);
      assertTrue(text.contains(" sched-setattr SCHED_BATCH flags=0 nice=19 priority=0\n"), text);
      assertTrue(text.contains(" ioprio-set IOPRIO_CLASS_BE level=4\n"), text);
      // The init's affinity is reset (every CPU of its cpuset); execCPUAffinity is exec's alone.
      assertEquals(
          List.of("sched-affinity"), ops.stream().filter(o -> o.startsWith("sched-a")).toList());
      assertTrue(
          text.contains(" wait-go\n" + (ops.indexOf("wait-go") + 1) + " sched-affinity all\n"),
          text);
    }
  }

  @Test
  void execSetsTheInitialAffinityBeforeTheCgroupsAndTheFinalOneInside() throws Exception {
    String text =
        PlanText.render(
            PlanCompiler.compileExec(spec(true, ""), ctx(), 42, List.of("mount", "pid")));
    assertTrue(text.startsWith("0 sched-affinity cpus=[0]\n1 join-cgroup "), text);
    assertTrue(text.contains(" wait-go\n9 sched-affinity cpus=[1, 3]\n"), text);
    List<String> ops = names(text);
    assertTrue(ops.indexOf("ioprio-set") < ops.indexOf("seccomp"), text);
    assertTrue(ops.contains("personality") && ops.contains("set-mempolicy"), text);
  }

  @Test
  void aDeadlineRefusedUnderACpusetSaysSoInRuncsWords() throws Exception {
    String deadline =
        String.format(SPEC, true, "0")
            .replace(
                "{\"policy\": \"SCHED_BATCH\", \"nice\": 19}",
                "{\"policy\": \"SCHED_DEADLINE\", \"runtime\": 42000, \"deadline\": 1000000,"
                    + " \"period\": 1000000}");
    var plan =
        PlanCompiler.compile(
            SpecReader.parse(deadline.getBytes(StandardCharsets.UTF_8), "config.json"), ctx());
    int at = names(PlanText.render(plan)).indexOf("sched-setattr");
    assertEquals(
        "process.scheduler: process scheduler can't be used together with AllowedCPUs"
            + " (linux.resources.cpu.cpus): sched_setattr SCHED_DEADLINE",
        plan.describe(at));
  }
}
