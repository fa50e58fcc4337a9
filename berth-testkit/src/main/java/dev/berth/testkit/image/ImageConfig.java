package dev.berth.testkit.image;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The execution parameters of a test image's config ("config" in image-spec config.md). Empty
 * values are left out of the JSON. {@link #busybox()} is a typical one; the withers change one
 * field.
 */
public record ImageConfig(
    List<String> env,
    List<String> entrypoint,
    List<String> cmd,
    String workingDir,
    String user,
    List<String> exposedPorts,
    List<String> volumes,
    Map<String, String> labels) {

  public ImageConfig {
    env = List.copyOf(env);
    entrypoint = List.copyOf(entrypoint);
    cmd = List.copyOf(cmd);
    workingDir = workingDir == null ? "" : workingDir;
    user = user == null ? "" : user;
    exposedPorts = List.copyOf(exposedPorts);
    volumes = List.copyOf(volumes);
    labels = java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
  }

  /** Nothing set at all. */
  public static ImageConfig empty() {
    return new ImageConfig(List.of(), List.of(), List.of(), "", "", List.of(), List.of(), Map.of());
  }

  /**
   * PATH set, {@code sh} as the command, /root as working dir, port 80/tcp, volume /data, one
   * label.
   */
  public static ImageConfig busybox() {
    return new ImageConfig(
        List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        List.of(),
        List.of("sh"),
        "/root",
        "",
        List.of("80/tcp"),
        List.of("/data"),
        Map.of("dev.berth.test", "fixture"));
  }

  public ImageConfig withEnv(String... v) {
    return new ImageConfig(
        List.of(v), entrypoint, cmd, workingDir, user, exposedPorts, volumes, labels);
  }

  public ImageConfig withEntrypoint(String... v) {
    return new ImageConfig(env, List.of(v), cmd, workingDir, user, exposedPorts, volumes, labels);
  }

  public ImageConfig withCmd(String... v) {
    return new ImageConfig(
        env, entrypoint, List.of(v), workingDir, user, exposedPorts, volumes, labels);
  }

  public ImageConfig withWorkingDir(String v) {
    return new ImageConfig(env, entrypoint, cmd, v, user, exposedPorts, volumes, labels);
  }

  public ImageConfig withUser(String v) {
    return new ImageConfig(env, entrypoint, cmd, workingDir, v, exposedPorts, volumes, labels);
  }

  public ImageConfig withExposedPorts(String... v) {
    return new ImageConfig(env, entrypoint, cmd, workingDir, user, List.of(v), volumes, labels);
  }

  public ImageConfig withVolumes(String... v) {
    return new ImageConfig(
        env, entrypoint, cmd, workingDir, user, exposedPorts, List.of(v), labels);
  }

  public ImageConfig withLabels(Map<String, String> v) {
    return new ImageConfig(env, entrypoint, cmd, workingDir, user, exposedPorts, volumes, v);
  }
}
