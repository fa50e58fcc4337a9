package dev.berth.engine.spec;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.ContainerOptions.ResourceOptions;
import dev.berth.engine.container.ContainerOptions.UlimitOption;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.ImageConfig.ContainerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A mutable builder of {@link ContainerOptions} for tests: each test sets only what it is about.
 */
final class Opts {
  List<String> entrypoint;
  List<String> command = List.of();
  List<String> env = new ArrayList<>();
  String workingDir;
  String user;
  String hostname;
  boolean tty;
  List<MountOption> mounts = new ArrayList<>();
  ResourceOptions resources = ResourceOptions.NONE;
  List<String> capAdd = new ArrayList<>();
  List<String> capDrop = new ArrayList<>();
  boolean privileged;
  boolean readOnly;
  List<String> securityOpts = new ArrayList<>();
  List<UlimitOption> ulimits = new ArrayList<>();
  String stopSignal;
  String network;
  long shmSize;
  boolean init;

  static Opts of(String... command) {
    Opts o = new Opts();
    o.command = List.of(command);
    return o;
  }

  ContainerOptions build() {
    return new ContainerOptions(
        "busybox",
        null,
        entrypoint,
        command,
        env,
        workingDir,
        user,
        hostname,
        tty,
        false,
        null,
        mounts,
        resources,
        capAdd,
        capDrop,
        privileged,
        readOnly,
        securityOpts,
        ulimits,
        stopSignal,
        null,
        null,
        network,
        false,
        shmSize,
        init);
  }

  /** An image config with the given container defaults. */
  static ImageConfig image(
      String user,
      List<String> env,
      List<String> entrypoint,
      List<String> cmd,
      Set<String> volumes,
      String workingDir,
      String stopSignal) {
    return new ImageConfig(
        null,
        null,
        "amd64",
        "linux",
        null,
        null,
        null,
        new ContainerConfig(
            user, null, env, entrypoint, cmd, volumes, workingDir, null, stopSignal, false),
        ImageConfig.RootFs.layers(List.of()),
        null);
  }

  static ImageConfig image(List<String> entrypoint, List<String> cmd) {
    return image(null, null, entrypoint, cmd, null, null, null);
  }

  static ImageConfig plain() {
    return image(null, List.of("sh"));
  }
}
