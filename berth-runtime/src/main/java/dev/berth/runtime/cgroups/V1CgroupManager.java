package dev.berth.runtime.cgroups;

import dev.berth.spec.runtime.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A container's cgroups on a cgroup v1 host: one directory per hierarchy, plus, on a hybrid host,
 * one in the cgroup2 hierarchy (key "") that only tracks processes, as runc 1.1 makes it.
 */
final class V1CgroupManager implements CgroupManager {
  /**
   * Long enough for a loaded host to freeze a few thousand tasks, short enough that pause never
   * hangs.
   */
  private static final long FREEZE_TIMEOUT_NANOS = 5_000_000_000L;

  private final CgroupFiles io;
  private final Map<String, Path> paths;
  private final Path sysHugepages;

  V1CgroupManager(CgroupFiles io, Map<String, Path> paths, Path sysHugepages) {
    this.io = io;
    this.paths = Collections.unmodifiableMap(new LinkedHashMap<>(paths));
    this.sysHugepages = sysHugepages;
  }

  @Override
  public void create() throws IOException {
    // Without the devices controller a container could open any device node it can make: refuse, as
    // runc does.
    if (!paths.containsKey("devices")) {
      throw new CgroupException(
          "create cgroups: the devices controller is not mounted, and a container without "
              + "device confinement is not run");
    }
    List<Path> made = new ArrayList<>();
    try {
      for (Path dir : dirs()) {
        Path top = highestMissing(dir);
        if (io.mkdirs(dir) && top != null) made.add(top);
      }
      Path cpuset = paths.get("cpuset");
      if (cpuset != null) inheritCpuset(cpuset);
    } catch (IOException | RuntimeException e) {
      // Leave nothing behind: the caller registers destroy() only once create() returned.
      for (Path top : made.reversed()) {
        try {
          io.removeTree(top);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /**
   * A new cpuset cgroup starts with no cpus and no mems, and the kernel refuses tasks into it
   * (ENOSPC): give every empty one between the hierarchy's root and {@code dir} its parent's sets,
   * top down.
   */
  private void inheritCpuset(Path dir) throws IOException {
    List<Path> chain = new ArrayList<>();
    for (Path p = dir;
        p.getParent() != null && io.exists(p.getParent(), "cpuset.cpus");
        p = p.getParent()) {
      chain.addFirst(p);
    }
    for (Path p : chain) {
      for (String file : new String[] {"cpuset.cpus", "cpuset.mems"}) {
        if (io.read(p, file).isEmpty()) io.write(p, file, io.read(p.getParent(), file));
      }
    }
  }

  private static Path highestMissing(Path dir) {
    Path top = null;
    for (Path p = dir; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent())
      top = p;
    return top;
  }

  @Override
  public void apply(Resources resources) throws IOException {
    new V1Resources(io, paths, sysHugepages)
        .apply(resources == null ? Cgroups.noResources() : resources);
  }

  @Override
  public void limitPids(dev.berth.spec.runtime.Pids pids) throws IOException {
    if (pids == null) return;
    Path dir = paths.get("pids");
    if (dir == null)
      throw new CgroupException("linux.resources.pids: the pids controller is not mounted");
    io.write(dir, "pids.max", ResourceValues.pidsMax(pids));
  }

  @Override
  public void addProcess(int pid) throws IOException {
    for (Path dir : dirs()) io.write(dir, "cgroup.procs", Integer.toString(pid));
  }

  @Override
  public void freeze() throws IOException {
    Path dir = freezer("freeze");
    io.write(dir, "freezer.state", "FROZEN");
    long deadline = System.nanoTime() + FREEZE_TIMEOUT_NANOS;
    for (int i = 1; ; i++) {
      String state = io.read(dir, "freezer.state");
      if (state.equals("FROZEN")) return;
      if (System.nanoTime() - deadline > 0) {
        io.write(dir, "freezer.state", "THAWED");
        throw new CgroupException(
            "freeze "
                + dir
                + ": still "
                + state
                + " after 5s (a task may be in an "
                + "uninterruptible sleep); thawed it again");
      }
      if (i % 50 == 0) {
        // A task stuck in vfork() or another freezer-unaware wait can hold FREEZING for ever; a
        // short thaw lets it
        // move on, and the next attempt usually catches every task.
        io.write(dir, "freezer.state", "THAWED");
        CgroupFiles.sleep(10);
        io.write(dir, "freezer.state", "FROZEN");
      }
      CgroupFiles.sleep(i < 10 ? 1 : 10);
    }
  }

  @Override
  public void thaw() throws IOException {
    Path dir = freezer("thaw");
    io.write(dir, "freezer.state", "THAWED");
    long deadline = System.nanoTime() + FREEZE_TIMEOUT_NANOS;
    for (int i = 1; ; i++) {
      String state = io.read(dir, "freezer.state");
      if (state.equals("THAWED")) return;
      if (System.nanoTime() - deadline > 0)
        throw new CgroupException("thaw " + dir + ": still " + state + " after 5s");
      CgroupFiles.sleep(i < 10 ? 1 : 10);
    }
  }

  private Path freezer(String action) throws CgroupException {
    Path dir = paths.get("freezer");
    if (dir == null)
      throw new CgroupException(action + " container: the freezer controller is not mounted");
    return dir;
  }

  @Override
  public boolean isFrozen() throws IOException {
    Path dir = paths.get("freezer");
    return dir != null && "FROZEN".equals(io.readIfExists(dir, "freezer.state"));
  }

  @Override
  public List<Integer> pids() throws IOException {
    // Every hierarchy holds every process of the container; read the one runc reads, or any.
    for (String key :
        new String[] {"devices", "freezer", "pids", "memory", "cpu", CgroupLayout.UNIFIED_KEY}) {
      Path dir = paths.get(key);
      if (dir != null) return io.pidsRecursive(dir);
    }
    for (Path dir : paths.values()) return io.pidsRecursive(dir);
    return List.of();
  }

  @Override
  public void destroy() throws IOException {
    CgroupException first = null;
    // One deadline for all hierarchies: a container with live tasks fails in a second, not in one
    // per hierarchy.
    long deadline = System.nanoTime() + CgroupFiles.REMOVE_PATIENCE_NANOS;
    for (Path dir : dirs()) {
      try {
        io.removeTree(dir, deadline);
      } catch (CgroupException e) {
        if (first == null) first = e;
        else first.addSuppressed(e);
      }
    }
    if (first != null) throw first;
  }

  @Override
  public Map<String, String> paths() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Path> e : paths.entrySet()) out.put(e.getKey(), e.getValue().toString());
    return Collections.unmodifiableMap(out);
  }

  @Override
  public Stats stats() throws IOException {
    return new StatsReader(io, sysHugepages).v1(paths);
  }

  @Override
  public boolean oomKilled() throws IOException {
    Path dir = paths.get("memory");
    if (dir == null) return false;
    // memory.oom_control: "oom_kill_disable 0", "under_oom 0", and since Linux 4.13 "oom_kill
    // <count>".
    Map<String, Long> oom = io.keyValues(dir, "memory.oom_control");
    return oom.getOrDefault("oom_kill", 0L) > 0 || oom.getOrDefault("under_oom", 0L) > 0;
  }

  /** The distinct directories (co-mounted controllers, such as cpu,cpuacct, share one). */
  private Set<Path> dirs() {
    return new LinkedHashSet<>(paths.values());
  }
}
