package dev.berth.spec.runtime;

/** The container's root filesystem, relative to the bundle or absolute. */
public record Root(String path, boolean readonly) {
  public Root {
    path = path == null ? "" : path;
  }
}
