package dev.berth.spec.runtime;

import java.util.List;

/** A mount in the container. Parse {@code options} with {@link MountOptions#parse}. */
public record Mount(
    String destination,
    String type,
    String source,
    List<String> options,
    List<IdMapping> uidMappings,
    List<IdMapping> gidMappings) {
  public Mount {
    destination = destination == null ? "" : destination;
    type = type == null ? "" : type;
    source = source == null ? "" : source;
    options = Copies.list(options);
    uidMappings = Copies.list(uidMappings);
    gidMappings = Copies.list(gidMappings);
  }
}
