package dev.berth.engine.spec;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.spec.image.ImageConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a container's spec is made of.
 *
 * @param image the image's config (its ContainerConfig gives the defaults)
 * @param options what the user asked for
 * @param id the container id (64 hex digits; its first 12 are the default hostname)
 * @param rootfs the mounted root filesystem (the image's writable snapshot); its /etc/passwd and
 *     /etc/group resolve the user
 * @param filesDir the container's own directory where hostname, hosts and resolv.conf are written
 *     and bound from
 * @param volumes the host directory of each {@link VolumeNeed}, by target
 * @param netnsPath the network namespace the container joins (a pin), or null: a new one (none of
 *     host's for network "host")
 * @param namespaces the pid, ipc, uts and cgroup namespaces the container joins, files by spec type
 *     (the modes "host" and "" are the options')
 * @param joinedHostname the hostname of the uts namespace it joins (a container's, a pod's), or
 *     null
 * @param shm the directory bound at /dev/shm (the host's, another container's), or null for a tmpfs
 *     of its own
 * @param userFiles the image's passwd and group files read already (the same as the rootfs'), or
 *     null: they are read from the rootfs
 */
public record SpecRequest(
    ImageConfig image,
    ContainerOptions options,
    String id,
    Path rootfs,
    Path filesDir,
    Map<String, Path> volumes,
    Path netnsPath,
    Map<String, String> namespaces,
    String joinedHostname,
    Path shm,
    ImageUsers.UserFiles userFiles) {
  public SpecRequest {
    volumes = volumes == null ? Map.of() : Map.copyOf(volumes);
    namespaces = namespaces == null ? Map.of() : Map.copyOf(namespaces);
  }

  public SpecRequest(
      ImageConfig image,
      ContainerOptions options,
      String id,
      Path rootfs,
      Path filesDir,
      Map<String, Path> volumes,
      Path netnsPath) {
    this(image, options, id, rootfs, filesDir, volumes, netnsPath, null, null, null, null);
  }

  public SpecRequest(
      ImageConfig image,
      ContainerOptions options,
      String id,
      Path rootfs,
      Path filesDir,
      Map<String, Path> volumes) {
    this(image, options, id, rootfs, filesDir, volumes, null);
  }
}
