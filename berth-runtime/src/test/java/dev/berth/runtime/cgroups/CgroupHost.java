package dev.berth.runtime.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a privileged cgroup test made on the real host, undone in {@link #close()} even when the
 * test failed: processes, cgroups, directories, and the controllers it delegated at a cgroup2 root.
 */
final class CgroupHost implements AutoCloseable {
  private static final AtomicInteger SEQ = new AtomicInteger();

  final String id = "berth-cgtest-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
  private final List<Process> processes = new ArrayList<>();
  private final List<CgroupManager> managers = new ArrayList<>();
  private final List<Path> dirs = new ArrayList<>();
  private Path delegatingRoot;
  private List<String> delegatedBefore;

  /** A process that sleeps until killed. */
  Process sleeper() throws IOException {
    return track(new ProcessBuilder("sleep", "300").start());
  }

  Process track(Process p) {
    processes.add(p);
    return p;
  }

  CgroupManager track(CgroupManager m) {
    managers.add(m);
    return m;
  }

  /** A directory to remove (with the cgroups in it) at the end. */
  void removeLater(Path dir) {
    dirs.add(dir);
  }

  /** Remembers which controllers {@code root} delegates now, to take back the ones a test adds. */
  void restoreDelegation(Path root) throws IOException {
    delegatingRoot = root;
    delegatedBefore =
        List.of(Files.readString(root.resolve("cgroup.subtree_control")).trim().split(" "));
  }

  static void kill(Process p) {
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws IOException {
    for (Process p : processes) kill(p);
    for (CgroupManager m : managers) {
      try {
        if (m.isFrozen()) m.thaw();
        m.destroy();
      } catch (IOException e) {
        System.err.println("cleanup: " + e.getMessage());
      }
    }
    for (Path d : dirs.reversed()) CgroupFiles.REAL.removeTree(d);
    if (delegatingRoot != null) {
      for (String c :
          Files.readString(delegatingRoot.resolve("cgroup.subtree_control")).trim().split(" ")) {
        if (c.isEmpty() || delegatedBefore.contains(c)) continue;
        try {
          CgroupFiles.REAL.write(delegatingRoot, "cgroup.subtree_control", "-" + c);
        } catch (IOException e) {
          System.err.println("cleanup: " + e.getMessage());
        }
      }
    }
  }
}
