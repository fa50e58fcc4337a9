package dev.berth.spec.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.json.SpecException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * process.ioPriority, process.scheduler, process.execCPUAffinity and linux.memoryPolicy: read,
 * written back, and refused as runc refuses them, each problem naming its field.
 */
class SchedulingFieldsTest {
  private static final String FIELDS =
      """
      {"ociVersion": "1.2.0", "root": {"path": "rootfs"},
       "process": {"args": ["sh"], "cwd": "/",
         "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
         "scheduler": {"policy": "SCHED_DEADLINE", "flags": ["SCHED_FLAG_RESET_ON_FORK"],
                       "nice": -5, "runtime": 42000, "deadline": 100000, "period": 1000000},
         "execCPUAffinity": {"initial": "0", "final": "0-1,3"}},
       "linux": {"memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]},
                 "personality": {"domain": "LINUX32"}}}""";

  private static Spec parse(String json) throws SpecException {
    return SpecReader.parse(json.getBytes(StandardCharsets.UTF_8), "config.json");
  }

  /** FIELDS with {@code from} replaced by {@code to}: one thing broken. */
  private static List<String> problems(String from, String to) throws SpecException {
    assertTrue(FIELDS.contains(from), from);
    return SpecValidator.validate(parse(FIELDS.replace(from, to)), true);
  }

  @Test
  void theFieldsAreReadAndWrittenBack() throws Exception {
    Spec s = parse(FIELDS);
    Process p = s.process();
    assertEquals(new IoPriority("IOPRIO_CLASS_BE", 4), p.ioPriority());
    assertEquals(
        new Scheduler(
            "SCHED_DEADLINE", -5, 0, List.of("SCHED_FLAG_RESET_ON_FORK"), 42000, 100000, 1000000),
        p.scheduler());
    assertEquals(new ExecCpuAffinity("0", "0-1,3"), p.execCpuAffinity());
    assertEquals(
        new MemoryPolicy("MPOL_BIND", "0", List.of("MPOL_F_STATIC_NODES")),
        s.linux().memoryPolicy());
    assertEquals(List.of(), SpecValidator.validate(s, true));
    assertEquals(s, SpecReader.parse(SpecWriter.write(s, ""), "written"));
  }

  @Test
  void anExecProcessTakesWhatItLeavesOutFromTheConfig() throws Exception {
    Process config = parse(FIELDS).process();
    Process exec =
        SpecReader.parseProcess(
            """
            {"args": ["ionice"], "cwd": "/", "ioPriority": {"class": "IOPRIO_CLASS_IDLE"}}"""
                .getBytes(StandardCharsets.UTF_8),
            "process.json");
    Process merged = exec.inheritScheduling(config);
    assertEquals(new IoPriority("IOPRIO_CLASS_IDLE", 0), merged.ioPriority());
    assertEquals(config.scheduler(), merged.scheduler());
    assertEquals(config.execCpuAffinity(), merged.execCpuAffinity());
    assertEquals(List.of("ionice"), merged.args());
  }

  @Test
  void badValuesAreRefusedInRuncsWordsNamingTheField() throws Exception {
    String io = "\"IOPRIO_CLASS_BE\", \"priority\": 4";
    assertEquals(
        List.of(
            "process.ioPriority.class: invalid io priority class \"IOPRIO_CLASS_X\", want"
                + " IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE"),
        problems(io, "\"IOPRIO_CLASS_X\", \"priority\": 4"));
    assertEquals(
        List.of("process.ioPriority.priority: must be between 0 and 7, got 8"),
        problems(io, "\"IOPRIO_CLASS_BE\", \"priority\": 8"));
    assertEquals(
        List.of("process.scheduler.policy: scheduler policy is required"),
        problems("\"policy\": \"SCHED_DEADLINE\", ", ""));
    assertEquals(
        List.of("process.scheduler.policy: invalid scheduler policy \"SCHED_FAST\""),
        problems("\"SCHED_DEADLINE\"", "\"SCHED_FAST\""));
    assertEquals(
        List.of("process.scheduler.nice: invalid scheduler.nice: 20, want -20 to 19"),
        problems("\"nice\": -5", "\"nice\": 20"));
    assertEquals(
        List.of(
            "process.scheduler.priority: scheduler.priority can only be specified for SchedFIFO"
                + " or SchedRR policy"),
        problems("\"nice\": -5", "\"nice\": -5, \"priority\": 3"));
    assertEquals(
        List.of(
            "process.scheduler: scheduler runtime/deadline/period can only be specified for"
                + " SchedDeadline policy"),
        problems("\"SCHED_DEADLINE\"", "\"SCHED_BATCH\""));
    assertEquals(
        List.of("process.scheduler.flags: invalid scheduler flag \"SCHED_FLAG_FAST\""),
        problems("\"SCHED_FLAG_RESET_ON_FORK\"", "\"SCHED_FLAG_FAST\""));
    assertEquals(
        List.of(
            "process.execCPUAffinity.final: invalid CPU list \"3-1\": range \"3-1\" is reversed"),
        problems("\"0-1,3\"", "\"3-1\""));
    assertEquals(
        List.of(
            "process.execCPUAffinity.initial: invalid CPU list \"x\": \"x\" is not a number or a"
                + " range"),
        problems("\"initial\": \"0\"", "\"initial\": \"x\""));
    assertEquals(
        List.of("linux.memoryPolicy.mode: invalid memory policy mode \"INTERLEAVE\""),
        problems("\"MPOL_BIND\"", "\"INTERLEAVE\""));
    assertEquals(
        List.of("linux.memoryPolicy.mode: invalid memory policy mode \"\""),
        problems("\"mode\": \"MPOL_BIND\", ", ""));
    assertEquals(
        List.of(
            "linux.memoryPolicy.nodes: invalid memory policy nodes \"0-9876543210\":"
                + " 9876543210 is out of range (the limit is 1024)"),
        problems("\"nodes\": \"0\"", "\"nodes\": \"0-9876543210\""));
    assertEquals(
        List.of("linux.memoryPolicy.flags: invalid memory policy flag \"badflag\""),
        problems("[\"MPOL_F_STATIC_NODES\"]", "[\"MPOL_F_STATIC_NODES\", \"badflag\"]"));
  }

  @Test
  void anEmptyMemoryPolicyIsNoPolicy() throws Exception {
    Spec s =
        parse(
            FIELDS.replace(
                "{\"mode\": \"MPOL_BIND\", \"nodes\": \"0\", \"flags\": [\"MPOL_F_STATIC_NODES\"]}",
                "{}"));
    assertTrue(s.linux().memoryPolicy().isEmpty());
    assertEquals(List.of(), SpecValidator.validate(s, true));
  }

  @Test
  void cpuListsAreTheKernelsFormat() {
    BitSet b = CpuList.parse("0-2, 5,7-7", 8);
    assertEquals("{0, 1, 2, 5, 7}", b.toString());
    assertTrue(CpuList.parse("", 8).isEmpty());
    assertEquals(
        "8 is out of range (the limit is 8)",
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("0,8", 8)).getMessage());
    assertEquals(
        "\"1-\" is not a number or a range",
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("1-", 8)).getMessage());
    assertEquals(
        "\"\" is not a number or a range",
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("0,,1", 8)).getMessage());
  }
}
