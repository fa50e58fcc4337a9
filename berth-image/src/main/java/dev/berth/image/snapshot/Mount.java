package dev.berth.image.snapshot;

import java.util.ArrayList;
import java.util.List;

/**
 * A mount to perform, as a snapshotter describes it (the caller mounts: {@link Mounts#mount}).
 * {@code type} "bind" is a bind mount of {@code source} ("rbind" in options for a recursive one,
 * "ro" to make it read-only); anything else is a filesystem type such as "overlay", whose options
 * are flags (ro, nosuid, nodev, noexec) or data ("lowerdir=..").
 */
public record Mount(String type, String source, List<String> options) {
  public Mount {
    options = List.copyOf(options);
  }

  /**
   * This mount made read-only: a bind gets "ro"; an overlay's upper directory becomes its top lower
   * one (no upper nor work directory), so the mount shows the same files, writes nothing, and its
   * unmount has nothing to sync (a writable overlay's unmount syncs its upper directory's whole
   * filesystem: other writers' dirty data included, 1 ms to over a second on a busy machine).
   */
  public Mount readOnly() {
    String upper = null;
    List<String> kept = new ArrayList<>();
    for (String o : options) {
      if (o.startsWith("upperdir=")) upper = o.substring("upperdir=".length());
      else if (!o.startsWith("workdir=") && !o.equals("rw") && !o.equals("ro")) kept.add(o);
    }
    List<String> all = new ArrayList<>();
    all.add("ro");
    for (String o : kept) {
      all.add(
          upper != null && o.startsWith("lowerdir=")
              ? "lowerdir=" + upper + ":" + o.substring(9)
              : o);
    }
    return new Mount(type, source, all);
  }

  /** This mount with {@code more} options after its own. */
  public Mount withOptions(String... more) {
    List<String> all = new ArrayList<>(options);
    all.addAll(List.of(more));
    return new Mount(type, source, all);
  }
}
