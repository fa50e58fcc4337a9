package dev.berth.spec.runtime;

/** A uid or gid mapping; all three are uint32. */
public record IdMapping(long containerID, long hostID, long size) {
  /** The text of a {@code uid_map} or {@code gid_map} file: "inside outside length" lines. */
  public static String mapText(java.util.List<IdMapping> mappings) {
    StringBuilder b = new StringBuilder();
    for (IdMapping m : mappings)
      b.append(m.containerID())
          .append(' ')
          .append(m.hostID())
          .append(' ')
          .append(m.size())
          .append('\n');
    return b.toString();
  }
}
