package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.spec.runtime.ExecCpuAffinity;
import dev.berth.spec.runtime.IoPriority;
import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.Scheduler;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.CgroupTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * linux.personality, linux.memoryPolicy, process.scheduler, process.ioPriority and
 * process.execCPUAffinity on real containers: what the kernel says inside, for the init and for
 * exec, under a strict seccomp profile too; bad values refused with nothing left behind.
 */
@ContainerTest(id = "sc")
class SchedulingContainerTest {
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  /**
   * What a process sees of itself: machine, I/O priority, nice and policy (/proc/self/stat fields
   * 19 and 41), allowed CPUs and the memory policy of its first mapping.
   */
  private static final String PROBE =
      "uname -m; ionice; cut -d ' ' -f 19,41 /proc/self/stat;"
          + " grep Cpus_allowed_list /proc/self/status;"
          + " head -n 1 /proc/self/numa_maps | cut -d ' ' -f 2";

  private void configure() {
    bundle.linux().put("personality", Bundle.map("domain", "LINUX32"));
    bundle.linux().put("memoryPolicy", Bundle.map("mode", "MPOL_INTERLEAVE", "nodes", "0"));
    bundle.process().put("ioPriority", Bundle.map("class", "IOPRIO_CLASS_BE", "priority", 4));
    bundle.process().put("scheduler", Bundle.map("policy", "SCHED_BATCH", "nice", 19));
  }

  /** Starts the container with the probe's findings in /out/init, then waiting. */
  private void start() throws Exception {
    bundle.sh("(" + PROBE + ") > /out/init 2>&1; echo > /out/ready; exec sleep 60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    for (int i = 0; i < 500 && !Files.exists(out.resolve("ready")); i++) Thread.sleep(10);
  }

  private String exec(IoPriority io, Scheduler s, ExecCpuAffinity a) throws Exception {
    Process base = rt.configuredProcess(id);
    Process p =
        new Process(
            false,
            null,
            base.user(),
            List.of("sh", "-c", "(" + PROBE + ") > /out/exec 2>&1"),
            "",
            base.env(),
            "/",
            base.capabilities(),
            base.rlimits(),
            base.noNewPrivileges(),
            "",
            null,
            "",
            io,
            s,
            a);
    assertEquals(0, rt.exec(id, new ExecOptions(p, null, null, 0, false, false), null));
    return Files.readString(out.resolve("exec"));
  }

  private static String allCpus() throws Exception {
    return Files.readString(Path.of("/sys/devices/system/cpu/online")).strip();
  }

  @Test
  void theInitAndAnExecRunAsConfiguredAndAnExecMayOverride() throws Exception {
    configure();
    start();
    String expected =
        "i686\nbest-effort: prio 4\n19 3\nCpus_allowed_list:\t" + allCpus() + "\ninterleave:0\n";
    assertEquals(expected, Files.readString(out.resolve("init")));
    // An exec'd process takes ioPriority and scheduler from the config, personality and the
    // memory policy from linux.
    assertEquals(expected, exec(null, null, null));
    String over =
        exec(
            new IoPriority("IOPRIO_CLASS_IDLE", 0),
            new Scheduler("SCHED_IDLE", 0, 0, List.of(), 0, 0, 0),
            new ExecCpuAffinity("0", "0"));
    assertEquals("i686\nidle\n0 5\nCpus_allowed_list:\t0\ninterleave:0\n", over);
  }

  @Test
  void personalityFlagsAreWarnedAboutAndTheInitialAffinityLoggedAsRuncDoes() throws Exception {
    List<String> lines = new java.util.ArrayList<>();
    RuntimeLog.install(
        new RuntimeLog.Sink() {
          public void debug(String msg, Object... fields) {
            lines.add("debug " + msg);
          }

          public void warn(String msg) {
            lines.add("warn " + msg);
          }
        },
        true);
    try {
      bundle.linux().put("personality", Bundle.map("domain", "LINUX", "flags", Bundle.list("X")));
      start();
      assertTrue(
          lines.contains("warn ignoring unsupported personality flags: [X]"), lines.toString());
      exec(null, null, new ExecCpuAffinity("0-1", ""));
      // cpu_affinity.bats greps runc's nsexec line for the mask the exec starts with.
      assertTrue(lines.contains("debug exec: nsexec: affinity: 0x3"), lines.toString());
    } finally {
      RuntimeLog.install(null, false);
    }
  }

  @Test
  void theFieldsApplyUnderAProfileThatDeniesTheirSyscalls() throws Exception {
    configure();
    bundle.linux().put("seccomp", strictProfile());
    bundle.process().put("noNewPrivileges", true);
    bundle.sh("(" + PROBE + "; busybox linux64 true; echo linux64=$?) > /out/init 2>&1").write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    String seen = Files.readString(out.resolve("init"));
    assertTrue(
        seen.startsWith(
            "i686\nbest-effort: prio 4\n19 3\nCpus_allowed_list:\t"
                + allCpus()
                + "\ninterleave:0\n"),
        seen);
    // The profile does deny personality to the container.
    assertTrue(seen.endsWith("linux64=1\n"), seen);
  }

  @Test
  void badValuesAreRefusedNamingTheFieldAndLeaveNothingBehind() throws Exception {
    List<Map.Entry<String, Map<String, Object>>> bad =
        List.of(
            Map.entry(
                "process.ioPriority.class", Bundle.map("ioPriority", Bundle.map("class", "RT"))),
            Map.entry(
                "process.ioPriority.priority",
                Bundle.map("ioPriority", Bundle.map("class", "IOPRIO_CLASS_BE", "priority", 8))),
            Map.entry("process.scheduler.policy", Bundle.map("scheduler", Bundle.map("nice", 1))),
            Map.entry(
                "process.scheduler.priority",
                Bundle.map("scheduler", Bundle.map("policy", "SCHED_BATCH", "priority", 3))),
            Map.entry(
                "process.execCPUAffinity.final",
                Bundle.map("execCPUAffinity", Bundle.map("final", "2-1"))));
    for (var b : bad) {
      bundle.process().putAll(b.getValue());
      bundle.sh("true").write();
      var e =
          assertThrows(
              ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
      assertTrue(e.getMessage().contains(b.getKey()), e.getMessage());
      assertNothingLeft();
      b.getValue().keySet().forEach(bundle.process()::remove);
    }
    bundle.linux().put("memoryPolicy", Bundle.map("mode", "INTERLEAVE", "nodes", "0"));
    bundle.sh("true").write();
    var e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(
        e.getMessage().contains("invalid memory policy mode \"INTERLEAVE\""), e.getMessage());
    assertNothingLeft();
  }

  @Test
  void whatTheKernelRefusesInTheContainerProcessLeavesNothingBehind() throws Exception {
    // MPOL_DEFAULT takes no nodes: set_mempolicy fails in the container process, after the clone.
    bundle.linux().put("memoryPolicy", Bundle.map("mode", "MPOL_DEFAULT", "nodes", "0"));
    bundle.sh("true").write();
    var e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("linux.memoryPolicy: set_mempolicy"), e.getMessage());
    assertTrue(e.getMessage().contains("invalid argument"), e.getMessage());
    assertNothingLeft();
  }

  @Test
  void aDeadlineUnderACpusetIsRefusedInRuncsWordsAndLeavesNothingBehind() throws Exception {
    assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "needs two CPUs");
    // sched_setattr refuses SCHED_DEADLINE to a process whose CPUs do not span the system.
    bundle.linux().put("resources", Bundle.map("cpu", Bundle.map("cpus", "0", "mems", "0")));
    bundle
        .process()
        .put(
            "scheduler",
            Bundle.map(
                "policy",
                "SCHED_DEADLINE",
                "runtime",
                42000,
                "deadline",
                1000000,
                "period",
                1000000));
    bundle.sh("true").write();
    var e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(
        e.getMessage().contains("process scheduler can't be used together with AllowedCPUs"),
        e.getMessage());
    assertTrue(e.getMessage().contains("EPERM"), e.getMessage());
    assertNothingLeft();
  }

  @Test
  void anExecOnCpusOutsideTheContainersIsRefusedAndStartsNothing() throws Exception {
    start();
    List<Integer> before = rt.pids(id);
    // A CPU the host does not have: the kernel's intersection is empty.
    var e =
        assertThrows(
            ContainerException.class, () -> exec(null, null, new ExecCpuAffinity("", "4095")));
    assertTrue(
        e.getMessage().contains("process.execCPUAffinity.final: set the CPU affinity to [4095]"),
        e.getMessage());
    assertEquals(before, rt.pids(id));
  }

  @Test
  void aBadExecProcessIsRefusedAndStartsNothing() throws Exception {
    start();
    List<Integer> before = rt.pids(id);
    var e =
        assertThrows(
            ContainerException.class,
            () -> exec(new IoPriority("IOPRIO_CLASS_NONE", 0), null, null));
    assertTrue(e.getMessage().contains("process.ioPriority.class"), e.getMessage());
    assertEquals(before, rt.pids(id));
  }

  private void assertNothingLeft() throws Exception {
    assertFalse(Files.exists(rt.root().resolve(id)), "state dir left behind");
    assertTrue(rt.list().isEmpty(), "container left behind");
    assertTrue(
        CgroupTree.named(Path.of("/sys/fs/cgroup/pids"), 3, id::equals).isEmpty(),
        "cgroup left behind");
  }

  /**
   * Default ERRNO; allowed only what busybox's sh and the probe's applets need, and what berth-init
   * does after a no_new_privs filter (write the ready byte, open the fifo, exec): not personality,
   * set_mempolicy, sched_setattr, ioprio_set or sched_setaffinity.
   */
  private static Map<String, Object> strictProfile() {
    List<Object> names =
        Bundle.list(
            "execve",
            "brk",
            "arch_prctl",
            "set_tid_address",
            "set_robust_list",
            "rseq",
            "prlimit64",
            "getrandom",
            "mmap",
            "munmap",
            "mprotect",
            "mremap",
            "read",
            "write",
            "writev",
            "readv",
            "pread64",
            "open",
            "openat",
            "close",
            "fstat",
            "newfstatat",
            "stat",
            "lstat",
            "statx",
            "lseek",
            "fcntl",
            "ioctl",
            "dup",
            "dup2",
            "dup3",
            "pipe",
            "pipe2",
            "getpid",
            "getppid",
            "gettid",
            "getuid",
            "geteuid",
            "getgid",
            "getegid",
            "getpgrp",
            "setpgid",
            "getcwd",
            "chdir",
            "uname",
            "rt_sigaction",
            "rt_sigprocmask",
            "rt_sigreturn",
            "clone",
            "clone3",
            "fork",
            "vfork",
            "wait4",
            "waitid",
            "exit",
            "exit_group",
            "access",
            "faccessat",
            "faccessat2",
            "readlink",
            "readlinkat",
            "ioprio_get",
            "sched_getaffinity",
            "sysinfo",
            "futex",
            "getdents64",
            "poll",
            "ppoll",
            "kill",
            "tgkill");
    return Bundle.map(
        "defaultAction",
        "SCMP_ACT_ERRNO",
        "syscalls",
        Bundle.list(Bundle.map("names", names, "action", "SCMP_ACT_ALLOW")));
  }
}
