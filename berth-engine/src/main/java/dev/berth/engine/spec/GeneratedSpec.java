package dev.berth.engine.spec;

import dev.berth.spec.runtime.Spec;
import java.nio.file.Path;
import java.util.List;

/**
 * A container's spec and what the engine keeps of its making.
 *
 * @param spec the OCI spec (root.path is the rootfs given; the engine writes it as the bundle's
 *     config.json)
 * @param hostname the container's hostname
 * @param stopSignal the signal {@code stop} sends: the user's, else the image's StopSignal, else
 *     SIGTERM
 * @param files the files written into the container's files directory (bound into the container)
 * @param volumes the volumes bound, as {@link SpecGenerator#volumesNeeded} listed them
 */
public record GeneratedSpec(
    Spec spec, String hostname, int stopSignal, List<Path> files, List<VolumeNeed> volumes) {
  public GeneratedSpec {
    files = List.copyOf(files);
    volumes = List.copyOf(volumes);
  }
}
