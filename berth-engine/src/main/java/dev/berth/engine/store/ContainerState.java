package dev.berth.engine.store;

import java.time.Instant;

/**
 * Where a container is in its life, as the store keeps it (docker's {@code State} of {@code
 * inspect}). The engine writes it through {@link ContainerStore#update}; after a reboot the monitor
 * and pid it names are gone, and the engine's reconcile turns RUNNING and PAUSED into EXITED.
 *
 * @param status the state
 * @param pid the container's init process on the host, 0 when not running
 * @param monitorPid the container's monitor process, 0 when none
 * @param startedAt when it last started, or null if never
 * @param finishedAt when it last exited, or null if never
 * @param exitCode the status of its last exit (128 + signal when killed)
 * @param oomKilled whether the OOM killer ended its last run
 * @param error the last start error, "" when none
 * @param restartCount how many times a restart policy restarted it
 */
public record ContainerState(
    Status status,
    int pid,
    int monitorPid,
    Instant startedAt,
    Instant finishedAt,
    int exitCode,
    boolean oomKilled,
    String error,
    int restartCount) {

  /** Docker's states, written in the store and printed as docker's words ({@link #word()}). */
  public enum Status {
    CREATED("created"),
    RUNNING("running"),
    PAUSED("paused"),
    EXITED("exited"),
    REMOVING("removing");

    private final String word;

    Status(String word) {
      this.word = word;
    }

    /** Docker's lowercase word: "created", "running", ... */
    public String word() {
      return word;
    }

    /** The status of a docker word, or null for a word this berth does not know. */
    public static Status of(String word) {
      for (Status s : values()) {
        if (s.word.equals(word)) return s;
      }
      return null;
    }
  }

  /** A container just created: never started. */
  public static final ContainerState CREATED =
      new ContainerState(Status.CREATED, 0, 0, null, null, 0, false, "", 0);

  public ContainerState {
    if (status == null) throw new IllegalArgumentException("state.status: required");
    if (pid < 0 || monitorPid < 0) throw new IllegalArgumentException("state.pid: negative");
    error = error == null ? "" : error;
  }

  /** The state with {@code n} restarts by its restart policy. */
  public ContainerState withRestartCount(int n) {
    return new ContainerState(
        status, pid, monitorPid, startedAt, finishedAt, exitCode, oomKilled, error, n);
  }

  public ContainerState withStatus(Status s) {
    return new ContainerState(
        s, pid, monitorPid, startedAt, finishedAt, exitCode, oomKilled, error, restartCount);
  }

  /**
   * Running as {@code pid} under {@code monitorPid} since {@code at}; the last error is cleared.
   */
  public ContainerState running(int pid, int monitorPid, Instant at) {
    return new ContainerState(
        Status.RUNNING, pid, monitorPid, at, finishedAt, exitCode, false, "", restartCount);
  }

  /** Exited with {@code code} at {@code at}; the pids are cleared. */
  public ContainerState exited(int code, boolean oom, Instant at) {
    return new ContainerState(Status.EXITED, 0, 0, startedAt, at, code, oom, error, restartCount);
  }

  /**
   * A failed start: docker keeps the text in State.Error and the code (125-127) in ExitCode, and
   * the status as it was (a container that never ran stays "created").
   */
  public ContainerState failed(String message, int code) {
    return new ContainerState(
        status, 0, 0, startedAt, finishedAt, code, false, message, restartCount);
  }
}
