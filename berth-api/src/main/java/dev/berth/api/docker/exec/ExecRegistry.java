package dev.berth.api.docker.exec;

import dev.berth.engine.container.ExecOptions;
import dev.berth.sys.Fd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The daemon's exec instances, in memory: the engine keeps no record of an exec, and docker's
 * clients create one, start it, then ask how it ended ({@code exec/{id}/json}). An instance lives
 * as long as berthd, or until its container is gone (swept at each create), as dockerd's do.
 */
final class ExecRegistry {
  /** One exec instance: its request, and what its run has shown so far. */
  static final class Instance {
    final String id;
    final String containerId;
    final ExecOptions options;
    final boolean attachStdin;
    final boolean attachStdout;
    final boolean attachStderr;
    final String detachKeys;
    volatile boolean started;
    volatile boolean running;
    volatile int exitCode;
    volatile boolean ended;
    volatile int pid;

    /** The pty master of a running exec with a terminal, for resize. */
    volatile Fd master;

    Instance(
        String id,
        String containerId,
        ExecOptions options,
        boolean attachStdin,
        boolean attachStdout,
        boolean attachStderr,
        String detachKeys) {
      this.id = id;
      this.containerId = containerId;
      this.options = options;
      this.attachStdin = attachStdin;
      this.attachStdout = attachStdout;
      this.attachStderr = attachStderr;
      this.detachKeys = detachKeys;
    }
  }

  private final Map<String, Instance> byId = new ConcurrentHashMap<>();

  void add(Instance i) {
    byId.put(i.id, i);
  }

  /** The instance {@code id}, or null. */
  Instance get(String id) {
    return byId.get(id);
  }

  /** Forgets the instances of containers that {@code gone} says no longer exist. */
  void sweep(Predicate<String> gone) {
    List<String> ids = new ArrayList<>();
    for (Instance i : byId.values()) if (!i.running && gone.test(i.containerId)) ids.add(i.id);
    for (String id : ids) byId.remove(id);
  }
}
