package dev.berth.engine;

import java.nio.file.Path;
import java.util.List;

/**
 * Where an engine keeps its things and how it runs containers.
 *
 * @param root persistent state: images (content, snapshots, names), containers' records and logs,
 *     volumes ({@code /var/lib/berth})
 * @param runRoot state that a reboot clears: runtime state, rootfs mounts, bundles, monitor sockets
 *     ({@code /run/berth})
 * @param registriesConfig the registries configuration file (mirrors, insecure registries), or null
 * @param cgroupParent where containers' cgroups go: an absolute cgroup path ("/berth"), or null for
 *     a relative path, under the cgroup of the process that starts the container (runc's rule for a
 *     relative cgroupsPath)
 * @param exitCommand what a container's monitor runs after the container exits, followed by the
 *     container id: the engine's own cleanup ({@code berth container cleanup}), which releases
 *     mounts and removes {@code --rm} containers at once; empty: that happens at the next engine
 *     call that looks at the container
 * @param logMaxSize rotate a container's log at this many bytes (0: never)
 * @param logMaxFiles log files kept per container, the live one included
 * @param cniPluginDirs where the CNI plugins are, searched in order (Debian's {@code /usr/lib/cni},
 *     then {@code /opt/cni/bin})
 * @param cniLauncher TEST ONLY: a command prefix put before every CNI plugin and host network tool
 *     the engine runs ({@code nsenter --net=<test namespace> --}), so bridges, veths and iptables
 *     rules are made in a namespace a test owns; empty in production (this process' own namespace)
 * @param dnsResponder the command that runs the DNS responder of user networks as a process of its
 *     own ({@code berth network dns-serve}; {@code --run-dir DIR} is appended, the CNI launcher
 *     prefix put before it), so it outlives a CLI; empty: the engine runs it in this process while
 *     it is open (an embedded engine, berthd)
 * @param configFile berth's configuration file ({@code berth.toml} or {@code .json}: the runtime
 *     handlers), read when the engine opens; null: none (only the built-in handlers)
 * @param backgroundRemoval a removed container's writable layer is deleted on a thread of the
 *     engine's own after the removal returns (it is out of sight at once: moved into the
 *     snapshotter's trash), for a long-lived engine (berthd: the CRI's RemoveContainer); false (a
 *     CLI): before it returns. Either way, what a process that died left in the trash is deleted
 *     when an engine opens.
 */
public record EngineConfig(
    Path root,
    Path runRoot,
    Path registriesConfig,
    String cgroupParent,
    List<String> exitCommand,
    long logMaxSize,
    int logMaxFiles,
    List<Path> cniPluginDirs,
    List<String> cniLauncher,
    List<String> dnsResponder,
    Path configFile,
    boolean backgroundRemoval) {
  /** Where Debian's containernetworking-plugins are, then the upstream default. */
  public static final List<Path> DEFAULT_CNI_PLUGIN_DIRS =
      List.of(Path.of("/usr/lib/cni"), Path.of("/opt/cni/bin"));

  public EngineConfig {
    if (root == null) throw new IllegalArgumentException("root: required");
    if (runRoot == null) throw new IllegalArgumentException("runRoot: required");
    root = root.toAbsolutePath().normalize();
    runRoot = runRoot.toAbsolutePath().normalize();
    exitCommand = exitCommand == null ? List.of() : List.copyOf(exitCommand);
    if (logMaxFiles < 1) logMaxFiles = 1;
    cniPluginDirs =
        cniPluginDirs == null || cniPluginDirs.isEmpty()
            ? DEFAULT_CNI_PLUGIN_DIRS
            : List.copyOf(cniPluginDirs);
    cniLauncher = cniLauncher == null ? List.of() : List.copyOf(cniLauncher);
    dnsResponder = dnsResponder == null ? List.of() : List.copyOf(dnsResponder);
  }

  public EngineConfig(
      Path root,
      Path runRoot,
      Path registriesConfig,
      String cgroupParent,
      List<String> exitCommand,
      long logMaxSize,
      int logMaxFiles) {
    this(
        root,
        runRoot,
        registriesConfig,
        cgroupParent,
        exitCommand,
        logMaxSize,
        logMaxFiles,
        null,
        null,
        null,
        null,
        false);
  }

  /** An engine at {@code root} and {@code runRoot}, with everything else at its default. */
  public static EngineConfig at(Path root, Path runRoot) {
    return new EngineConfig(root, runRoot, null, null, List.of(), 0, 1);
  }

  public EngineConfig withExitCommand(List<String> command) {
    return new EngineConfig(
        root,
        runRoot,
        registriesConfig,
        cgroupParent,
        command,
        logMaxSize,
        logMaxFiles,
        cniPluginDirs,
        cniLauncher,
        dnsResponder,
        configFile,
        backgroundRemoval);
  }

  /**
   * The exit command of the {@code berth} launcher at {@code launcher}: {@code berth --root R
   * --runroot RR [--config FILE] [--cni-launcher PREFIX] container cleanup}, which releases a
   * container's mounts and removes an {@code --rm} one as soon as it exits. What the {@code berth}
   * CLI and {@code berthd} (its launcher beside {@code bin/berthd}) give their containers'
   * monitors.
   */
  public EngineConfig withCleanupBy(Path launcher) {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                launcher.toString(), "--root", root.toString(), "--runroot", runRoot.toString()));
    if (configFile != null) {
      cmd.add("--config");
      cmd.add(configFile.toString());
    }
    if (!cniLauncher.isEmpty()) {
      cmd.add("--cni-launcher");
      cmd.add(String.join(" ", cniLauncher));
    }
    cmd.add("container");
    cmd.add("cleanup");
    return withExitCommand(cmd);
  }

  public EngineConfig withRegistriesConfig(Path file) {
    return new EngineConfig(
        root,
        runRoot,
        file,
        cgroupParent,
        exitCommand,
        logMaxSize,
        logMaxFiles,
        cniPluginDirs,
        cniLauncher,
        dnsResponder,
        configFile,
        backgroundRemoval);
  }

  public EngineConfig withCgroupParent(String parent) {
    return new EngineConfig(
        root,
        runRoot,
        registriesConfig,
        parent,
        exitCommand,
        logMaxSize,
        logMaxFiles,
        cniPluginDirs,
        cniLauncher,
        dnsResponder,
        configFile,
        backgroundRemoval);
  }

  /** TEST ONLY: see {@link #cniLauncher}. */
  public EngineConfig withCniLauncher(List<String> prefix) {
    return new EngineConfig(
        root,
        runRoot,
        registriesConfig,
        cgroupParent,
        exitCommand,
        logMaxSize,
        logMaxFiles,
        cniPluginDirs,
        prefix,
        dnsResponder,
        configFile,
        backgroundRemoval);
  }

  public EngineConfig withCniPluginDirs(List<Path> dirs) {
    return new EngineConfig(
        root,
        runRoot,
        registriesConfig,
        cgroupParent,
        exitCommand,
        logMaxSize,
        logMaxFiles,
        dirs,
        cniLauncher,
        dnsResponder,
        configFile,
        backgroundRemoval);
  }

  /** See {@link #dnsResponder}. */
  public EngineConfig withDnsResponder(List<String> command) {
    return new EngineConfig(
        root,
        runRoot,
        registriesConfig,
        cgroupParent,
        exitCommand,
        logMaxSize,
        logMaxFiles,
        cniPluginDirs,
        cniLauncher,
        command,
        configFile,
        backgroundRemoval);
  }

  /** See {@link #configFile}; an exit command made before keeps its own. */
  public EngineConfig withConfigFile(Path file) {
    return new EngineConfig(
        root,
        runRoot,
        registriesConfig,
        cgroupParent,
        exitCommand,
        logMaxSize,
        logMaxFiles,
        cniPluginDirs,
        cniLauncher,
        dnsResponder,
        file,
        backgroundRemoval);
  }

  /** See {@link #backgroundRemoval}. */
  public EngineConfig withBackgroundRemoval(boolean background) {
    return new EngineConfig(
        root,
        runRoot,
        registriesConfig,
        cgroupParent,
        exitCommand,
        logMaxSize,
        logMaxFiles,
        cniPluginDirs,
        cniLauncher,
        dnsResponder,
        configFile,
        background);
  }
}
