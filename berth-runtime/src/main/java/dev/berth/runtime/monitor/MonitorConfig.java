package dev.berth.runtime.monitor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a container's monitor does, decided here and passed on its command line
 * (docs/monitor.md).
 *
 * @param containerId the container's id (shown in ps; the monitor does nothing else with it)
 * @param log the CRI log file, or null for no log at all
 * @param logRoot the directory {@code log} is beneath, reached as given; the directories below it
 *     are made when missing and no symlink there is followed (others write in a CRI pod's log
 *     directory). Null: the log's own directory
 * @param logMaxSize rotate the log before a record would take it past this many bytes; 0: never
 * @param logMaxFiles how many files the log keeps, the live one included (log, log.1, ...); the
 *     oldest is dropped
 * @param attachSocket where the attach socket (SOCK_SEQPACKET, 0600) is made, or null for none
 * @param consoleSocket where the console socket is made for a container with a terminal (its pty
 *     master arrives there), or null for a container without one (its stdout and stderr are pipes)
 * @param exitFile where the exit status is written when the container init exits, or null
 * @param oomFile the file of the container's memory cgroup with the OOM kill counter (v1 {@code
 *     memory.oom_control}, v2 {@code memory.events}), or null
 * @param oomKey the counter's key in {@code oomFile} ({@code oom_kill})
 * @param stdin give the container a stdin pipe that attach clients write to (else /dev/null); not
 *     with a terminal
 * @param stdinOnce a client's stdin close closes the container's stdin (docker's StdinOnce)
 * @param exitCommand run, detached, after the exit file is written (absolute path first), or empty
 * @param exitWatchers a file that the processes watching containers' exits (an engine service's
 *     exit watcher) hold a shared lock on while they watch: the exit command is run only when
 *     nobody holds it then (it is missing, or the monitor's non-blocking exclusive lock on it is
 *     granted), so a watched exit is reconciled once, by the watcher. Null: always run it
 */
public record MonitorConfig(
    String containerId,
    Path log,
    Path logRoot,
    long logMaxSize,
    int logMaxFiles,
    Path attachSocket,
    Path consoleSocket,
    Path exitFile,
    Path oomFile,
    String oomKey,
    boolean stdin,
    boolean stdinOnce,
    List<String> exitCommand,
    Path exitWatchers) {

  public MonitorConfig {
    if (containerId == null || containerId.isEmpty())
      throw new IllegalArgumentException("containerId: required");
    if (logMaxSize < 0)
      throw new IllegalArgumentException("logMaxSize: " + logMaxSize + " (must be >= 0)");
    if (logMaxFiles < 1)
      throw new IllegalArgumentException("logMaxFiles: " + logMaxFiles + " (must be >= 1)");
    if (logRoot != null) {
      Path root = logRoot.toAbsolutePath().normalize();
      Path file = log == null ? null : log.toAbsolutePath().normalize();
      if (file == null || !file.startsWith(root) || file.equals(root))
        throw new IllegalArgumentException("logRoot: " + logRoot + " (the log is not beneath it)");
    }
    if ((oomFile == null) != (oomKey == null))
      throw new IllegalArgumentException("oomFile and oomKey: both or neither");
    if (stdin && consoleSocket != null) {
      throw new IllegalArgumentException("stdin: a container with a terminal reads the terminal");
    }
    exitCommand = exitCommand == null ? List.of() : List.copyOf(exitCommand);
    if (!exitCommand.isEmpty() && !exitCommand.get(0).startsWith("/")) {
      throw new IllegalArgumentException(
          "exitCommand: " + exitCommand.get(0) + " (must be an absolute path)");
    }
  }

  /** A monitor of container {@code id} that writes only the exit file. */
  public static MonitorConfig of(String id, Path exitFile) {
    return new MonitorConfig(
        id, null, null, 0, 1, null, null, exitFile, null, null, false, false, List.of(), null);
  }

  public MonitorConfig withLog(Path file, long maxSize, int maxFiles) {
    return withLog(file, null, maxSize, maxFiles);
  }

  /** With a log file beneath {@code root} (see {@code logRoot}). */
  public MonitorConfig withLog(Path file, Path root, long maxSize, int maxFiles) {
    return new MonitorConfig(
        containerId,
        file,
        root,
        maxSize,
        maxFiles,
        attachSocket,
        consoleSocket,
        exitFile,
        oomFile,
        oomKey,
        stdin,
        stdinOnce,
        exitCommand,
        exitWatchers);
  }

  public MonitorConfig withAttach(Path socket) {
    return new MonitorConfig(
        containerId,
        log,
        logRoot,
        logMaxSize,
        logMaxFiles,
        socket,
        consoleSocket,
        exitFile,
        oomFile,
        oomKey,
        stdin,
        stdinOnce,
        exitCommand,
        exitWatchers);
  }

  public MonitorConfig withConsoleSocket(Path socket) {
    return new MonitorConfig(
        containerId,
        log,
        logRoot,
        logMaxSize,
        logMaxFiles,
        attachSocket,
        socket,
        exitFile,
        oomFile,
        oomKey,
        stdin,
        stdinOnce,
        exitCommand,
        exitWatchers);
  }

  public MonitorConfig withOom(Path file, String key) {
    return new MonitorConfig(
        containerId,
        log,
        logRoot,
        logMaxSize,
        logMaxFiles,
        attachSocket,
        consoleSocket,
        exitFile,
        file,
        key,
        stdin,
        stdinOnce,
        exitCommand,
        exitWatchers);
  }

  public MonitorConfig withStdin(boolean once) {
    return new MonitorConfig(
        containerId,
        log,
        logRoot,
        logMaxSize,
        logMaxFiles,
        attachSocket,
        consoleSocket,
        exitFile,
        oomFile,
        oomKey,
        true,
        once,
        exitCommand,
        exitWatchers);
  }

  /**
   * With {@code command} as the exit command, skipped while {@code watchers} is locked (or null).
   */
  public MonitorConfig withExitCommand(List<String> command, Path watchers) {
    return new MonitorConfig(
        containerId,
        log,
        logRoot,
        logMaxSize,
        logMaxFiles,
        attachSocket,
        consoleSocket,
        exitFile,
        oomFile,
        oomKey,
        stdin,
        stdinOnce,
        command,
        watchers);
  }

  /** The monitor's flags for this configuration. */
  List<String> flags() {
    List<String> a = new ArrayList<>(List.of("--id", containerId));
    if (log != null) {
      a.addAll(
          List.of(
              "--log",
              log.toAbsolutePath().normalize().toString(),
              "--log-max-size",
              Long.toString(logMaxSize),
              "--log-max-files",
              Integer.toString(logMaxFiles)));
    }
    if (logRoot != null)
      a.addAll(List.of("--log-root", logRoot.toAbsolutePath().normalize().toString()));
    if (attachSocket != null)
      a.addAll(List.of("--attach", attachSocket.toAbsolutePath().toString()));
    if (consoleSocket != null)
      a.addAll(List.of("--console-socket", consoleSocket.toAbsolutePath().toString()));
    if (exitFile != null) a.addAll(List.of("--exit-file", exitFile.toAbsolutePath().toString()));
    if (oomFile != null) a.addAll(List.of("--oom-file", oomFile.toString(), "--oom-key", oomKey));
    if (stdin) a.add("--stdin");
    if (stdinOnce) a.add("--stdin-once");
    if (!exitCommand.isEmpty()) {
      a.add("--exit-command");
      a.addAll(exitCommand);
      a.add("--exit-command-end");
      if (exitWatchers != null)
        a.addAll(List.of("--exit-watchers", exitWatchers.toAbsolutePath().toString()));
    }
    return a;
  }
}
