package dev.berth.runtime.process;

import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;

/**
 * How berth-init is started: by this JVM ({@link #SPAWN}, the container's stdio is the caller's) or
 * by a container monitor, which gives it the monitor's stdio and becomes the container init's
 * parent.
 */
@FunctionalInterface
public interface InitLauncher {
  /**
   * Starts berth-init and returns its pid.
   *
   * @param binary the sealed memfd of berth-init (the caller closes it)
   * @param argv berth-init's arguments, argv[0] first
   * @param fds fds of this process that berth-init gets at 3, 4, ... (the preserved fds, then the
   *     sync socket)
   */
  int launch(Fd binary, String[] argv, int[] fds) throws IOException;

  /**
   * A launcher that may return before berth-init's pid is known: one that starts it through another
   * process (a container monitor) need not wait for that process while the caller prepares the plan
   * (see {@link InitProcess#start}). (A subinterface, not a default method here: a default method
   * would have every launcher class initialise this interface, and with it {@link #SPAWN}'s lambda,
   * which the AOT cache does not keep.)
   */
  interface Deferred extends InitLauncher {
    /** Starts berth-init as {@link #launch} does, without waiting for its pid. */
    Launched start(Fd binary, String[] argv, int[] fds) throws IOException;

    @Override
    default int launch(Fd binary, String[] argv, int[] fds) throws IOException {
      return start(binary, argv, fds).pid();
    }
  }

  /** A berth-init being started: its pid, once the process that starts it has told it. */
  @FunctionalInterface
  interface Launched {
    /** Waits until the pid is known; throws the starting process's error if it failed. */
    int pid() throws IOException;
  }

  /** posix_spawn from this JVM with its fds 0-2. */
  InitLauncher SPAWN = withStdio(0, 1, 2);

  /**
   * posix_spawn from this JVM with {@code in}, {@code out} and {@code err} (fds of this process) as
   * its fds 0-2.
   */
  static InitLauncher withStdio(int in, int out, int err) {
    return (binary, argv, fds) -> {
      int[] stdio = {in, out, err};
      int[] fdMap = new int[2 * (3 + fds.length)];
      for (int i = 0; i < 3 + fds.length; i++) {
        fdMap[2 * i] = i;
        fdMap[2 * i + 1] = i < 3 ? stdio[i] : fds[i - 3];
      }
      // Through our own fd table: spawn closes every unmapped fd in the child before it execs.
      return Linux.spawn(
          "/proc/" + Linux.getpid() + "/fd/" + binary.fd(), argv, new String[0], fdMap, false);
    };
  }
}
