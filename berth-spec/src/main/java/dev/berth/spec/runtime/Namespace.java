package dev.berth.spec.runtime;

/**
 * A namespace to create (empty path) or join (path). Types: pid network mount ipc uts user cgroup
 * time.
 */
public record Namespace(String type, String path) {
  public Namespace {
    type = type == null ? "" : type;
    path = path == null ? "" : path;
  }
}
