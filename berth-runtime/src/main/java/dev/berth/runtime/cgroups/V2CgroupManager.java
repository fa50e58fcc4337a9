package dev.berth.runtime.cgroups;

import dev.berth.runtime.cgroups.devices.DeviceFilter;
import dev.berth.runtime.cgroups.devices.DevicePolicy;
import dev.berth.runtime.cgroups.devices.DeviceProgram;
import dev.berth.spec.runtime.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A container's cgroup on a cgroup v2 (unified) host: one directory, key "" in {@link #paths()} as
 * in runc's state.
 */
final class V2CgroupManager implements CgroupManager {
  private static final long FREEZE_TIMEOUT_NANOS = 5_000_000_000L;

  private final CgroupFiles io;
  private final Path dir;
  private final Path sysHugepages;

  V2CgroupManager(CgroupFiles io, Path dir, Path sysHugepages) {
    this.io = io;
    this.dir = dir;
    this.sysHugepages = sysHugepages;
  }

  @Override
  public void create() throws IOException {
    Path top = null;
    for (Path p = dir; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent())
      top = p;
    io.mkdirs(dir);
    try {
      // A v2 cgroup only has the controllers its parent delegates: delegate every available one
      // down the path,
      // as runc does, so that apply() finds the files the spec needs.
      V2Resources.enableControllers(io, dir, null);
    } catch (IOException | RuntimeException e) {
      if (top != null) {
        try {
          io.removeTree(top);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  @Override
  public void apply(Resources resources) throws IOException {
    Resources r = resources == null ? Cgroups.noResources() : resources;
    // Compiled before the first write, so that an invalid rule fails with nothing changed.
    DevicePolicy devices = V2Resources.devicePolicy(r.devices());
    long[] program = DeviceProgram.compile(devices);
    new V2Resources(io, dir, sysHugepages).apply(r);
    try {
      DeviceFilter.install(dir, program);
    } catch (CgroupException e) {
      // Without CAP_SYS_ADMIN (rootless, in a user namespace) no program can be attached; one that
      // would allow
      // everything is not missed, and runc lets that case go too.
      if (!devices.allowsAll()) throw e;
      Cgroups.warn("linux.resources.devices: allow-all program not attached: " + e.getMessage());
    }
  }

  @Override
  public void limitPids(dev.berth.spec.runtime.Pids pids) throws IOException {
    if (pids == null) return;
    if (!List.of(io.read(dir, "cgroup.controllers").split(" ")).contains("pids")) {
      throw new CgroupException(
          "linux.resources.pids: the pids controller is not enabled for " + dir);
    }
    io.write(dir, "pids.max", ResourceValues.pidsMax(pids));
  }

  @Override
  public void addProcess(int pid) throws IOException {
    io.write(dir, "cgroup.procs", Integer.toString(pid));
  }

  @Override
  public void freeze() throws IOException {
    setFrozen(true);
  }

  @Override
  public void thaw() throws IOException {
    setFrozen(false);
  }

  /**
   * Writes cgroup.freeze, then waits for cgroup.events to report the state reached (Linux 5.2+).
   */
  private void setFrozen(boolean frozen) throws IOException {
    if (!io.exists(dir, "cgroup.freeze")) {
      throw new CgroupException(
          (frozen ? "freeze " : "thaw ")
              + dir
              + ": this kernel has no cgroup v2 freezer "
              + "(cgroup.freeze needs Linux 5.2)");
    }
    io.write(dir, "cgroup.freeze", frozen ? "1" : "0");
    long want = frozen ? 1 : 0;
    long deadline = System.nanoTime() + FREEZE_TIMEOUT_NANOS;
    for (int i = 1; ; i++) {
      if (io.keyValues(dir, "cgroup.events").getOrDefault("frozen", -1L) == want) return;
      if (System.nanoTime() - deadline > 0) {
        if (frozen) io.write(dir, "cgroup.freeze", "0");
        throw new CgroupException(
            (frozen ? "freeze " : "thaw ")
                + dir
                + ": cgroup.events did not report frozen "
                + want
                + " after 5s"
                + (frozen ? "; thawed it again" : ""));
      }
      CgroupFiles.sleep(i < 10 ? 1 : 10);
    }
  }

  @Override
  public boolean isFrozen() throws IOException {
    return "1".equals(io.readIfExists(dir, "cgroup.freeze"));
  }

  @Override
  public List<Integer> pids() throws IOException {
    return io.pidsRecursive(dir);
  }

  @Override
  public void destroy() throws IOException {
    io.removeTree(dir);
  }

  @Override
  public Map<String, String> paths() {
    return Map.of(CgroupLayout.UNIFIED_KEY, dir.toString());
  }

  @Override
  public Stats stats() throws IOException {
    return new StatsReader(io, sysHugepages).v2(dir);
  }

  @Override
  public boolean oomKilled() throws IOException {
    return io.keyValues(dir, "memory.events").getOrDefault("oom_kill", 0L) > 0;
  }
}
