package dev.berth.spec.runtime;

/**
 * A device node to create in the container. fileMode, uid and gid are null when absent; uid and gid
 * are uint32.
 */
public record Device(
    String type, String path, long major, long minor, Integer fileMode, Integer uid, Integer gid) {
  public Device {
    type = type == null ? "" : type;
    path = path == null ? "" : path;
  }
}
