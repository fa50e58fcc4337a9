package dev.berth.runtime.cgroups;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A container's hold on its cgroups. Without {@code linux.cgroupsPath} the cgroup is named after
 * the container id, so two state roots using one id, or two containers given one cgroupsPath, name
 * the same directories; a second container there would rewrite the first one's limits, and its
 * {@code delete -f} would kill the first one's processes.
 *
 * <p>So create claims the cgroups before anything of the container is written or runs there: under
 * an flock on the cgroup directory (two creates of one cgroup take turns; the lock is held until
 * the init has joined), it refuses a cgroup that holds processes or is frozen (runc 1.2's rule;
 * runc 1.1 only warned), and stamps every directory with an owner token in an extended attribute,
 * which the container's state keeps. Delete and {@code kill --all} then act only where the stamp is
 * still theirs: an empty cgroup that a stopped container left may be taken by a newer container,
 * and the older one's delete must then leave it and its processes alone.
 */
public final class CgroupClaim implements AutoCloseable {
  /**
   * The stamp: trusted.* (only root can read or write it) for root, user.* otherwise (cgroupfs
   * keeps user xattrs since Linux 5.7). systemd marks the cgroups it delegates the same way.
   */
  static String attribute() {
    return Linux.geteuid() == 0 ? "trusted.berth.owner" : "user.berth.owner";
  }

  /** The cgroup holds processes or is frozen: another container's, most likely. */
  public static final class InUse extends IOException {
    private static final long serialVersionUID = 1L;

    InUse(String message) {
      super(message);
    }
  }

  private final CgroupManager cg;
  private final List<Path> made;
  private final String owner;
  private Fd lock;

  private CgroupClaim(CgroupManager cg, List<Path> made, String owner, Fd lock) {
    this.cg = cg;
    this.made = made;
    this.owner = owner;
    this.lock = lock;
  }

  /** No cgroups of its own (rootless without permission): nothing claimed, nothing to undo. */
  public static CgroupClaim none() {
    return new CgroupClaim(Cgroups.load(Map.of()), List.of(), "", null);
  }

  /**
   * Makes the cgroups of {@code cg} ({@link CgroupManager#create}) and claims them for {@code
   * owner}: fails, having removed what it made, if another container's processes are in them or
   * they are frozen. Close the claim once the container's init is in the cgroups.
   */
  public static CgroupClaim create(CgroupManager cg, String owner) throws IOException {
    Set<Path> dirs = dirs(cg.paths());
    List<Path> made = new ArrayList<>();
    for (Path dir : dirs) {
      Path top = highestMissing(dir);
      if (top != null && !made.contains(top)) made.add(top);
    }
    cg.create();
    CgroupClaim claim = new CgroupClaim(cg, made, owner, null);
    try {
      if (dirs.isEmpty()) return claim;
      claim.lock =
          Linux.open(
              dirs.iterator().next().toString(),
              LinuxConstants.O_RDONLY | LinuxConstants.O_DIRECTORY,
              0);
      Linux.flock(claim.lock, LinuxConstants.LOCK_EX);
      for (Path dir : dirs) {
        List<Integer> pids = CgroupFiles.REAL.pidsRecursive(dir);
        if (!pids.isEmpty()) {
          throw new InUse(
              "container's cgroup is not empty: "
                  + pids.size()
                  + " process(es) found in "
                  + dir
                  + " (another container's? give each container its own id or linux.cgroupsPath)");
        }
      }
      if (cg.isFrozen())
        throw new InUse("container's cgroup unexpectedly frozen: " + dirs.iterator().next());
      return new CgroupClaim(cg, made, stamp(dirs, owner) ? owner : "", claim.lock);
    } catch (IOException | RuntimeException e) {
      try {
        // A create that lost the race for a cgroup may have made directories the winner's init now
        // is in: those
        // are the winner's (and busy: waiting for them would take a second each).
        claim.remove(true);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * Writes the stamp on every directory; false if this host keeps no such attribute there (then
   * nothing is owned).
   */
  private static boolean stamp(Set<Path> dirs, String owner) throws ErrnoException {
    byte[] value = owner.getBytes(StandardCharsets.UTF_8);
    for (Path dir : dirs) {
      try {
        Linux.lsetxattr(dir.toString(), attribute(), value, 0);
      } catch (ErrnoException e) {
        int errno = e.errno();
        if (errno == LinuxConstants.EOPNOTSUPP
            || errno == LinuxConstants.EPERM
            || errno == LinuxConstants.EACCES) {
          return false;
        }
        throw e;
      }
    }
    return true;
  }

  /** The claimed cgroups. */
  public CgroupManager manager() {
    return cg;
  }

  /** The token the cgroups carry, for the container's state; "" when they could not be stamped. */
  public String owner() {
    return owner;
  }

  /**
   * Removes what this claim made (a create that failed): directories that were there before stay,
   * since they were not the container's to remove.
   */
  public void undo() throws IOException {
    remove(false);
  }

  private void remove(boolean keepBusy) throws IOException {
    close();
    CgroupException first = null;
    for (Path top : made.reversed()) {
      try {
        if (keepBusy && !CgroupFiles.REAL.pidsRecursive(top).isEmpty()) continue;
        CgroupFiles.REAL.removeTree(top);
      } catch (CgroupException e) {
        if (first == null) first = e;
        else first.addSuppressed(e);
      }
    }
    if (first != null) throw first;
  }

  /** Lets the next create of these cgroups look at them. */
  @Override
  public void close() {
    if (lock != null) lock.close();
    lock = null;
  }

  /**
   * The part of a container's {@code paths} that is still its own: directories stamped with {@code
   * owner}, or gone. With no owner (a state written before stamps, or a host that keeps none) all
   * of them, as before.
   */
  public static Map<String, String> owned(Map<String, String> paths, String owner) {
    if (owner == null || owner.isEmpty()) return paths;
    byte[] want = owner.getBytes(StandardCharsets.UTF_8);
    Map<String, String> out = new LinkedHashMap<>();
    String attr = attribute();
    for (Map.Entry<String, String> e : paths.entrySet()) {
      try {
        if (Arrays.equals(want, Linux.lgetxattr(e.getValue(), attr)))
          out.put(e.getKey(), e.getValue());
      } catch (ErrnoException x) {
        // Gone is still ours (nothing there to kill or keep); unreadable is not known to be ours.
        if (x.errno() == LinuxConstants.ENOENT) out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  private static Set<Path> dirs(Map<String, String> paths) {
    Set<Path> dirs = new LinkedHashSet<>();
    for (String p : paths.values()) dirs.add(Path.of(p));
    return dirs;
  }

  private static Path highestMissing(Path dir) {
    Path top = null;
    for (Path p = dir; p != null; p = p.getParent()) {
      try {
        Linux.lstat(p.toString());
        break;
      } catch (ErrnoException e) {
        if (e.errno() != LinuxConstants.ENOENT) break;
        top = p;
      }
    }
    return top;
  }
}
