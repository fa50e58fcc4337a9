package dev.berth.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.spec.runtime.Cpu;
import dev.berth.spec.runtime.HugepageLimit;
import dev.berth.spec.runtime.Memory;
import dev.berth.spec.runtime.Pids;
import dev.berth.spec.runtime.Resources;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link CgroupManager} does on the real host, run once per implementation by a subclass
 * that makes one ({@link CgroupV1IntegrationTest}, {@link CgroupV2IntegrationTest}); a case that
 * needs a controller the manager's hierarchy lacks here (a hybrid host's cgroup2 mount has few or
 * none) is skipped, naming it. Everything is checked through the interface, {@link Stats} and the
 * kernel's view of a process (/proc/PID/cgroup and /proc/PID/stat), not through one version's
 * files: those checks stay in the subclasses.
 *
 * <p>It stays in berth-runtime's tests rather than berth-testkit (where DESIGN.md puts contract
 * suites): it is written against berth-runtime's classes, and berth-runtime's tests depend on
 * berth-testkit, so the other way is a cycle.
 */
@RequiresRoot
abstract class CgroupManagerContract {
  static final long MiB = 1024 * 1024;

  final CgroupHost host = new CgroupHost();

  /**
   * A manager (not created yet, tracked by {@link #host}) for the container {@code host.id} at
   * {@code cgroupsPath} (null: below the caller's own cgroup); aborts the test when this host has
   * no hierarchy for it.
   */
  abstract CgroupManager manager(String cgroupsPath) throws IOException;

  @AfterEach
  void cleanUp() throws Exception {
    host.close();
  }

  CgroupManager created() throws IOException {
    CgroupManager cg = manager(null);
    cg.create();
    return cg;
  }

  /**
   * Whether the manager's cgroups have {@code controller} on this host; skips the rest of the test
   * if not.
   */
  static void assumeController(CgroupManager cg, String controller) throws IOException {
    assumeTrue(
        controllers(cg).contains(controller),
        "no " + controller + " controller for " + cg.paths() + " on this host");
  }

  /**
   * The controllers of the manager's cgroups: a v1 hierarchy's key, or what a cgroup2 directory has
   * enabled.
   */
  static Set<String> controllers(CgroupManager cg) throws IOException {
    Set<String> out = new LinkedHashSet<>();
    for (Map.Entry<String, String> e : cg.paths().entrySet()) {
      if (!e.getKey().isEmpty()) {
        out.add(e.getKey());
      } else if (cg.paths().size() == 1) {
        Path f = Path.of(e.getValue(), "cgroup.controllers");
        if (Files.exists(f)) out.addAll(List.of(Files.readString(f).trim().split(" ")));
      }
    }
    return out;
  }

  static Resources resources(Memory memory, Cpu cpu, Pids pids, List<HugepageLimit> huge) {
    return new Resources(List.of(), memory, cpu, pids, null, huge, null, Map.of());
  }

  static Memory memory(long limit) {
    return new Memory(limit, null, null, null, null, null, null, null, null);
  }

  @Test
  void createMakesTheContainersCgroupsBelowTheCallersOwnAndAProcessIsBornThere() throws Exception {
    CgroupManager cg = manager(null);
    for (String dir : cg.paths().values())
      assertFalse(Files.exists(Path.of(dir)), dir + " before create");
    cg.create();
    assertFalse(cg.paths().isEmpty());
    for (String dir : cg.paths().values()) {
      assertTrue(Files.isDirectory(Path.of(dir)), dir);
      assertEquals(host.id, Path.of(dir).getFileName().toString(), dir);
    }
    CgroupManager loaded = Cgroups.load(cg.paths());
    assertEquals(cg.getClass(), loaded.getClass(), "state.json's paths load the same driver");
    assertEquals(cg.paths(), loaded.paths());

    Process p = host.sleeper();
    int pid = (int) p.pid();
    cg.addProcess(pid);
    assertEquals(List.of(pid), cg.pids());
    assertEquals(List.of(pid), loaded.pids(), "another process sees the container's processes");
    // Where the kernel says the process is: each hierarchy's line moved from the caller's cgroup to
    // <it>/<id>.
    List<String> own = Files.readAllLines(Path.of("/proc/self/cgroup"));
    List<String> now = Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"));
    int moved = 0;
    for (int i = 0; i < own.size(); i++) {
      if (own.get(i).equals(now.get(i))) continue;
      String ownPath =
          own.get(i).substring(own.get(i).indexOf(':', own.get(i).indexOf(':') + 1) + 1);
      assertEquals(
          own.get(i).substring(0, own.get(i).length() - ownPath.length())
              + (ownPath.equals("/") ? "" : ownPath)
              + "/"
              + host.id,
          now.get(i));
      moved++;
    }
    assertEquals(
        new LinkedHashSet<>(cg.paths().values()).size(),
        moved,
        "every hierarchy of the manager: " + now);
  }

  @Test
  void anAbsoluteCgroupsPathIsFromEachHierarchysRootAndDestroyRemovesOnlyTheContainersCgroup()
      throws Exception {
    String parent = "/" + host.id + "-parent";
    CgroupManager cg = manager(parent + "/c");
    for (String dir : cg.paths().values()) {
      Path d = Path.of(dir);
      assertTrue(d.toString().endsWith(parent + "/c"), dir);
      host.removeLater(d.getParent());
    }
    cg.create();
    Process p = host.sleeper();
    cg.addProcess((int) p.pid());
    CgroupHost.kill(p);
    cg.destroy();
    for (String dir : cg.paths().values()) {
      assertFalse(Files.exists(Path.of(dir)), dir);
      assertTrue(
          Files.isDirectory(Path.of(dir).getParent()),
          "only the container's own cgroup goes: " + dir);
    }
  }

  @Test
  void memoryLimitsAreAppliedAndReadBack() throws Exception {
    CgroupManager cg = created();
    assumeController(cg, "memory");
    cg.apply(resources(memory(64 * MiB), null, null, List.of()));
    assertEquals(64 * MiB, cg.stats().memory().usage().limit());
    // update: lower, then no limit given leaves it be.
    cg.apply(resources(memory(32 * MiB), null, null, List.of()));
    assertEquals(32 * MiB, cg.stats().memory().usage().limit());
    cg.apply(null);
    assertEquals(32 * MiB, cg.stats().memory().usage().limit());
  }

  @Test
  void thePidsLimitIsAppliedReadBackAndEnforced() throws Exception {
    CgroupManager cg = created();
    assumeController(cg, "pids");
    cg.apply(resources(null, null, new Pids(16), List.of()));
    assertEquals(16, cg.stats().pids().limit());
    cg.limitPids(new Pids(1));
    assertEquals(1, cg.stats().pids().limit());
    // A shell in a cgroup of one process cannot fork: the kernel enforces what was written.
    Process p =
        host.track(new ProcessBuilder("sh", "-c", "read go; /bin/true && echo forked").start());
    cg.addProcess((int) p.pid());
    p.getOutputStream().write('\n');
    p.getOutputStream().flush();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    assertEquals("", out, "the shell forked");
    assertTrue(p.waitFor() != 0, "the fork failed");
    cg.limitPids(new Pids(0));
    assertEquals(0, cg.stats().pids().limit(), "0 is no limit");
    cg.limitPids(null);
    assertEquals(0, cg.stats().pids().limit(), "null leaves it");
  }

  @Test
  void freezeStopsEveryProcessAndThawLetsThemRun() throws Exception {
    CgroupManager cg = created();
    assumeTrue(
        cg.paths().containsKey("freezer")
            || Files.exists(Path.of(cg.paths().get(""), "cgroup.freeze")),
        "no freezer for " + cg.paths());
    Process p = host.track(new ProcessBuilder("sh", "-c", "while :; do :; done").start());
    int pid = (int) p.pid();
    cg.addProcess(pid);
    assertFalse(cg.isFrozen());
    cg.freeze();
    assertTrue(cg.isFrozen());
    assertTrue(Cgroups.load(cg.paths()).isFrozen(), "another process sees it paused");
    long frozenAt = cpuTicks(pid);
    Thread.sleep(300);
    assertEquals(frozenAt, cpuTicks(pid), "a frozen busy loop uses no cpu");
    cg.thaw();
    assertFalse(cg.isFrozen());
    long thawedAt = cpuTicks(pid);
    for (int i = 0; i < 100 && cpuTicks(pid) == thawedAt; i++) Thread.sleep(10);
    assertTrue(cpuTicks(pid) > thawedAt, "it runs again");
    CgroupHost.kill(p);
    cg.destroy();
    assertFalse(cg.isFrozen(), "a removed cgroup is not frozen");
  }

  /** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
  static long cpuTicks(int pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  @Test
  void statsCountWhatTheContainerUses() throws Exception {
    CgroupManager cg = created();
    Set<String> have = controllers(cg);
    if (have.contains("memory")) cg.apply(resources(memory(64 * MiB), null, null, List.of()));
    // Joins first, then works: the shell keeps 4 MB of output in memory, which takes it some cpu,
    // and waits.
    Process p =
        host.track(
            new ProcessBuilder(
                    "sh",
                    "-c",
                    "read go; x=$(head -c 4000000 /dev/zero | tr '\\0' a); echo ${#x}; read wait")
                .start());
    cg.addProcess((int) p.pid());
    p.getOutputStream().write('\n');
    p.getOutputStream().flush();
    assertEquals(
        "4000000",
        new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine());
    Stats s = cg.stats();
    assertTrue(s.cpu().usage().total() > 0, s.cpu().toString());
    assertTrue(s.cpu().usage().total() >= s.cpu().usage().kernel(), s.cpu().toString());
    assertTrue(
        s.cpu().usage().total()
            >= s.cpu().usage().perCpu().stream().mapToLong(Long::longValue).max().orElse(0),
        s.cpu().toString());
    if (have.contains("memory")) {
      assertEquals(64 * MiB, s.memory().usage().limit());
      assertTrue(s.memory().usage().usage() > 4_000_000, s.memory().usage().toString());
      assertTrue(
          s.memory().usage().max() >= s.memory().usage().usage(), s.memory().usage().toString());
    }
    if (have.contains("pids")) assertEquals(1, s.pids().current());
    assertFalse(cg.oomKilled());
  }

  @Test
  void anOomKillIsReported() throws Exception {
    CgroupManager cg = created();
    assumeController(cg, "memory");
    cg.apply(
        resources(
            new Memory(16 * MiB, null, 16 * MiB, null, null, null, null, null, null),
            null,
            null,
            List.of()));
    // Joins first, then eats memory: tail keeps the never-ending "line" of /dev/zero in memory.
    Process p = host.track(new ProcessBuilder("sh", "-c", "read go; exec tail /dev/zero").start());
    cg.addProcess((int) p.pid());
    p.getOutputStream().write('\n');
    p.getOutputStream().flush();
    assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the OOM killer ends it");
    assertEquals(137, p.exitValue(), "killed by SIGKILL");
    assertTrue(cg.oomKilled());
    assertTrue(Cgroups.load(cg.paths()).oomKilled(), "another process sees it");
  }

  @Test
  void destroyRefusesLiveTasksThenRemovesEveryCgroupIncludingOnesMadeInside() throws Exception {
    CgroupManager cg = created();
    Process p = host.sleeper();
    cg.addProcess((int) p.pid());
    // The container made cgroups of its own (as systemd inside a container does) and moved into
    // them.
    for (String dir : new LinkedHashSet<>(cg.paths().values())) {
      Path sub = Files.createDirectory(Path.of(dir, "inner"));
      for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
        // a new v1 cpuset has none, and takes no task so
        if (Files.exists(sub.resolve(f)))
          Files.writeString(sub.resolve(f), Files.readString(Path.of(dir, f)).trim());
      }
      Files.writeString(sub.resolve("cgroup.procs"), Long.toString(p.pid()));
    }
    assertEquals(List.of((int) p.pid()), cg.pids(), "ps sees processes in child cgroups");

    long start = System.nanoTime();
    CgroupException busy = assertThrows(CgroupException.class, cg::destroy);
    assertEquals("EBUSY", busy.errno());
    assertTrue(
        System.nanoTime() - start < 3_000_000_000L,
        "gives up after about a second, not per hierarchy");
    for (String dir : cg.paths().values())
      assertTrue(Files.isDirectory(Path.of(dir)), "a cgroup with tasks stays");

    CgroupHost.kill(p);
    cg.destroy();
    for (String dir : cg.paths().values())
      assertFalse(Files.exists(Path.of(dir)), dir + " is gone");
    cg.destroy(); // idempotent
    assertEquals(List.of(), cg.pids());
  }

  @Test
  void invalidResourcesAreRefusedNamingTheFieldWithNothingWritten() throws Exception {
    CgroupManager cg = created();
    List<String> before = files(cg);
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () -> cg.apply(resources(null, null, null, List.of(new HugepageLimit("3MB", 0)))));
    assertTrue(
        e.getMessage().startsWith("linux.resources.hugepageLimits[0].pageSize: \"3MB\""),
        e.getMessage());
    e =
        assertThrows(
            CgroupException.class,
            () ->
                cg.apply(
                    resources(
                        new Memory(64 * MiB, null, 32 * MiB, null, null, null, null, null, null),
                        null,
                        null,
                        List.of())));
    assertTrue(e.getMessage().startsWith("linux.resources.memory"), e.getMessage());
    assertEquals(before, files(cg), "nothing written");
  }

  @Test
  void aControllerTheHostLacksIsRefusedNamingTheField() throws Exception {
    CgroupManager cg = created();
    Set<String> have = controllers(cg);
    record Case(String controller, Resources resources, String field) {}
    List<Case> cases =
        List.of(
            new Case(
                "memory",
                resources(memory(64 * MiB), null, null, List.of()),
                "linux.resources.memory"),
            new Case(
                "pids", resources(null, null, new Pids(10), List.of()), "linux.resources.pids"),
            new Case(
                "cpu",
                resources(
                    null,
                    new Cpu(512L, null, null, null, null, null, null, null, null),
                    null,
                    List.of()),
                "linux.resources.cpu"));
    List<Case> missing =
        new ArrayList<>(cases.stream().filter(c -> !have.contains(c.controller())).toList());
    assumeTrue(!missing.isEmpty(), "every controller this test asks for is there: " + have);
    for (Case c : missing) {
      CgroupException e =
          assertThrows(CgroupException.class, () -> cg.apply(c.resources()), c.controller());
      assertTrue(
          e.getMessage().startsWith(c.field() + ": the " + c.controller() + " controller is not"),
          e.getMessage());
    }
  }

  /**
   * Every file of the manager's cgroups with its content, where readable: what a refused apply must
   * not change.
   */
  static List<String> files(CgroupManager cg) throws IOException {
    List<String> out = new ArrayList<>();
    for (String dir : new LinkedHashSet<>(cg.paths().values())) {
      try (var s = Files.list(Path.of(dir))) {
        for (Path f : s.sorted().toList()) {
          String name = f.getFileName().toString();
          // Counters and pressure move on their own.
          if (name.contains("stat")
              || name.contains("pressure")
              || name.contains("usage")
              || name.contains("events")
              || !Files.isRegularFile(f)) {
            continue;
          }
          try {
            out.add(f + "=" + Files.readString(f).trim());
          } catch (IOException unreadable) {
            // write-only files (cgroup.event_control, memory.force_empty)
          }
        }
      }
    }
    return out;
  }
}
